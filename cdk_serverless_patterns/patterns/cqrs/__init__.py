"""``Cqrs``: event-sourced commands, an event bus with replay, projections, queries.

::

    POST /orders ─┐                       (commands: append-only)
                  ├─ ApiBackend ─ command λ ──► event store (DynamoDB, aggregate_id + version)
    GET /orders/{id} ─ query λ ◄── read model ◄──┐            │ stream (NEW_IMAGE)
                                                 │            ▼
                                      projector λ ◄─ rule ◄─ event bus ◄─ EventBridge Pipe
                                      (per projection)       │ archive       (INSERT only, DLQ)

Commands and queries are API routes served by :class:`~cdk_serverless_patterns.ApiBackend`
(the same auth, throttling, logging and validation). Command handlers append
events with :func:`cdk_serverless_patterns.runtime.event_store.append`
(optimistic concurrency on the aggregate version) and may read the event store,
but never update or delete an event, and have no access to the read model.
Every new event reaches the bus through an EventBridge Pipe; each projection is
a rule on the bus feeding a projector that folds events into the read model with
:func:`cdk_serverless_patterns.runtime.projection.project` (idempotent against
duplicates and archive replays). Query handlers only read the read model.

Event shape on the bus: ``source`` is ``event_source`` (default
``"cqrs.<construct id>"``), ``detail-type`` is the event's ``type``, and
``detail`` is the DynamoDB stream record whose ``dynamodb.NewImage`` holds the
stored event (``aggregate_id``, ``version``, ``type``, ``data``, ``event_id``,
``timestamp``, ``correlation_id``) in DynamoDB JSON; ``runtime.projection.event_from_bus``
decodes it.
"""

from .construct import Cqrs
from .options import CqrsProjection

__all__ = ["Cqrs", "CqrsProjection"]
