"""Idempotent read-model projections for :class:`~cdk_serverless_patterns.Cqrs`.

A projector receives one event-store event per invocation from the event bus
(at least once, in any order, and again on every archive replay). The read
model holds one item per (aggregate, projection) with the aggregate version it
reflects; :func:`project` moves a view forward only, one version at a time:

* ``version <= stored`` — a duplicate delivery or a replay: skipped, nothing
  written, returns False.
* ``version == stored + 1`` — applied with a conditional put (the stored
  version must still be what was read), returns True.
* ``version > stored + 1`` — earlier versions have not reached the view yet
  (EventBridge does not keep order, or the projection's rule filters event
  types): the projector *catches up* by reading the missing versions from the
  event store (read-only, strongly consistent), applying those of its event
  types in order, then this one. Without an event store table configured it
  raises :class:`OutOfOrderError` instead, so Lambda retries later.

Usage in a projector::

    from cdk_serverless_patterns.runtime import projection

    def apply(view, event):
        view = dict(view or {"status": "NEW"})
        if event["type"] == "OrderPlaced":
            view.update(status="PLACED", total=event["data"]["total"])
        return view

    def handler(event, context):
        projection.project(event, apply)

and in a query handler: ``projection.get_view(order_id, projection="order-summary")``.

Read-model item: ``{"aggregate_id", "projection", "version", "updated_at", "correlation_id", "view": {...}}``
(``correlation_id``: that of the last event applied, so a view traces back to the request).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any, Callable, Collection, Mapping, Optional

from . import clients, env
from .event_store import deserialize_item, load, serialize_item
from .log import CORRELATION_FIELD, correlation_scope

#: Key attribute names of the read-model table (the construct uses the same).
AGGREGATE_ID = "aggregate_id"
PROJECTION = "projection"
#: How often a conditional write lost against a concurrent projector is retried.
MAX_ATTEMPTS = 5

Apply = Callable[[Optional[dict[str, Any]], dict[str, Any]], Mapping[str, Any]]

class OutOfOrderError(Exception):
    """The event is ahead of the read model: an earlier version is still missing.

    Raised so the invocation fails and Lambda retries it once the earlier event
    has been projected.
    """


def _dynamodb(client: Any = None) -> Any:
    return clients.client("dynamodb", client)


def event_from_bus(bus_event: Mapping[str, Any]) -> dict[str, Any]:
    """The event-store envelope carried by an EventBridge event from the Cqrs pipe.

    The pipe forwards the DynamoDB stream record unchanged as ``detail``;
    the event is its ``dynamodb.NewImage``. Also accepts the stream record
    itself (``{"dynamodb": {...}}``) or an already plain envelope.
    """
    record = bus_event.get("detail", bus_event)
    if not isinstance(record, Mapping):
        raise ValueError("not an event-store event: 'detail' is not an object")
    image = (record.get("dynamodb") or {}).get("NewImage")
    event = deserialize_item(image) if image is not None else dict(record)
    missing = [k for k in ("aggregate_id", "version", "type") if k not in event]
    if missing:
        raise ValueError(f"not an event-store event: missing {', '.join(missing)}")
    if not isinstance(event["version"], int) or event["version"] < 1:
        raise ValueError(f"not an event-store event: version {event['version']!r} is not a positive integer")
    return event


def _key(aggregate_id: str, projection: str) -> dict[str, Any]:
    return serialize_item({AGGREGATE_ID: aggregate_id, PROJECTION: projection})


def _event_types_from_env() -> Optional[frozenset[str]]:
    raw = os.environ.get(env.PROJECTION_EVENT_TYPES)
    return frozenset(json.loads(raw)) if raw else None


def project(
    bus_event: Mapping[str, Any],
    apply: Apply,
    *,
    projection: Optional[str] = None,
    table_name: Optional[str] = None,
    event_store_table: Optional[str] = None,
    event_types: Optional[Collection[str]] = None,
    client: Any = None,
) -> bool:
    """Apply one event (and any earlier ones the view misses) exactly once; True if the view moved.

    :param bus_event: the EventBridge event the projector was invoked with.
    :param apply: ``apply(view_or_None, event) -> new view`` (a dict); pure,
        no side effects (it may run again after a lost conditional write).
    :param projection: default: the ``PROJECTION_NAME`` variable the construct sets.
    :param table_name: the read model. Default: the ``READ_MODEL_TABLE_NAME`` variable.
    :param event_store_table: where missing versions are read from. Default: the
        ``EVENT_STORE_TABLE_NAME`` variable; unset means "no catch-up".
    :param event_types: the types this projection applies during a catch-up
        (others only advance the version). Default: the ``PROJECTION_EVENT_TYPES``
        variable (a JSON list), unset means all.
    :raises OutOfOrderError: versions are missing and no event store is configured.
    """
    name = env.require(env.PROJECTION_NAME, projection)
    table = env.require(env.READ_MODEL_TABLE, table_name)
    store = event_store_table if event_store_table is not None else os.environ.get(env.EVENT_STORE_TABLE)
    types = frozenset(event_types) if event_types is not None else _event_types_from_env()
    event = event_from_bus(bus_event)
    with correlation_scope(event.get(CORRELATION_FIELD)):
        return _project(event, apply, name, table, store, types, _dynamodb(client))


def _project(
    event: dict[str, Any],
    apply: Apply,
    name: str,
    table: str,
    store: Optional[str],
    types: Optional[frozenset[str]],
    ddb: Any,
) -> bool:
    key = _key(event["aggregate_id"], name)
    for _ in range(MAX_ATTEMPTS):
        stored = ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        current = deserialize_item(stored) if stored else None
        stored_version = current["version"] if current else 0
        if event["version"] <= stored_version:
            return False  # duplicate delivery or replay: already reflected
        if event["version"] == stored_version + 1:
            pending = [event] if types is None or event["type"] in types else []
        else:
            pending = _missing_versions(name, event, stored_version, store, types, ddb)
        view: Optional[dict[str, Any]] = dict(current["view"]) if current else None
        for step in pending:
            new_view = apply(view, step)
            if not isinstance(new_view, Mapping):
                raise TypeError(f"{name}: apply() must return the new view as a dict, got {type(new_view).__name__}")
            view = dict(new_view)
        item = {
            AGGREGATE_ID: event["aggregate_id"],
            PROJECTION: name,
            "version": event["version"],
            "updated_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            CORRELATION_FIELD: event.get(CORRELATION_FIELD),
            "view": view if view is not None else {},
        }
        condition = (
            {"ConditionExpression": "attribute_not_exists(#a)", "ExpressionAttributeNames": {"#a": AGGREGATE_ID}}
            if current is None
            else {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": serialize_item({":v": stored_version}),
            }
        )
        try:
            ddb.put_item(TableName=table, Item=serialize_item(item), **condition)
            return True
        except Exception as err:  # botocore's ClientError, without importing botocore here
            code = (getattr(err, "response", None) or {}).get("Error", {}).get("Code")
            if code != "ConditionalCheckFailedException":
                raise
            # a concurrent projector moved the view: read it again
    raise OutOfOrderError(f"{name}: lost {MAX_ATTEMPTS} conditional writes on {event['aggregate_id']!r}; retrying later")


def _missing_versions(
    name: str,
    event: dict[str, Any],
    stored_version: int,
    store: Optional[str],
    types: Optional[frozenset[str]],
    ddb: Any,
) -> list[dict[str, Any]]:
    """Versions ``stored+1 .. event.version`` from the event store, those of ``types`` only."""
    if not store:
        raise OutOfOrderError(
            f"{name}: event {event['type']} v{event['version']} of {event['aggregate_id']!r} arrived "
            f"before v{stored_version + 1} and no event store is configured to catch up; retrying later"
        )
    history = load(
        event["aggregate_id"], table_name=store, after_version=stored_version, until_version=event["version"], client=ddb
    )
    if [e["version"] for e in history] != list(range(stored_version + 1, event["version"] + 1)):
        raise OutOfOrderError(
            f"{name}: the event store does not hold versions {stored_version + 1}-{event['version']} of "
            f"{event['aggregate_id']!r}; retrying later"
        )
    return [e for e in history if types is None or e["type"] in types]


def get_view(
    aggregate_id: str,
    *,
    projection: str,
    table_name: Optional[str] = None,
    client: Any = None,
) -> Optional[dict[str, Any]]:
    """The read-model item of ``aggregate_id`` in ``projection``, or None.

    Returns ``{"aggregate_id", "projection", "version", "updated_at", "view"}``.
    Eventually consistent reads: the read model lags the event store anyway.
    """
    table = env.require(env.READ_MODEL_TABLE, table_name)
    item = _dynamodb(client).get_item(TableName=table, Key=_key(aggregate_id, projection)).get("Item")
    return deserialize_item(item) if item else None
