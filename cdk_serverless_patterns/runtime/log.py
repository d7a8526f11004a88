"""Structured logging and correlation ids for handlers.

ServerlessFunction turns on Lambda's JSON log format, so the standard
``logging`` module already emits one JSON object per record; this module adds
the fields every record should carry (service, correlation id) through
``extra`` and gives handlers one call to get a configured logger.

Correlation ids flow end to end (see docs/observability.md):

* :func:`correlation_id` reads one from any event a pattern delivers: an
  ``X-Correlation-ID`` header (any case), an SQS or SNS message attribute
  ``correlation_id``, an EventBridge event's ``detail.correlation_id`` (or the
  event-store image a Cqrs pipe forwards), a job message's ``correlation_id``;
  for a request without one it falls back to API Gateway's request id.
* :func:`correlation_scope` makes it the *current* id for the duration of a
  handler (``api_handler`` and ``process_batch`` do this per request/record);
  loggers from :func:`get_logger` add it to every record, and the runtime
  helpers that send or store (``jobs.start_job``, ``fan_in``,
  ``event_store.append``, ``projection.project``) carry it on.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
from typing import Any, Iterator, Mapping, Optional

from . import env

#: HTTP header callers set (matched case-insensitively).
CORRELATION_HEADER = "x-correlation-id"
#: SQS/SNS message attribute, EventBridge detail field and stored attribute name.
CORRELATION_FIELD = "correlation_id"

_current: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("correlation_id", default=None)


class _ContextAdapter(logging.LoggerAdapter[logging.Logger]):
    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        extra = dict(self.extra or {})
        current = _current.get()
        if current is not None and CORRELATION_FIELD not in extra:
            extra[CORRELATION_FIELD] = current
        extra.update(kwargs.get("extra") or {})
        kwargs["extra"] = extra
        return msg, kwargs

    def bind(self, **fields: Any) -> "_ContextAdapter":
        """A logger that adds ``fields`` to every record (e.g. ``order_id``)."""
        return _ContextAdapter(self.logger, {**(self.extra or {}), **fields})


def get_logger(name: str | None = None, **fields: Any) -> _ContextAdapter:
    """A logger for ``name`` (default: the service name) carrying ``fields``.

    Every record also carries the current correlation id (see
    :func:`correlation_scope`). The level comes from ``AWS_LAMBDA_LOG_LEVEL``
    (set by Lambda's advanced logging controls), INFO otherwise.
    """
    service = os.environ.get(env.SERVICE_NAME) or os.environ.get(env.POWERTOOLS_SERVICE_NAME) or name or "handler"
    logger = logging.getLogger(name or service)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO").upper()
    logger.setLevel(getattr(logging, level, logging.INFO))
    return _ContextAdapter(logger, {"service": service, **fields})


def _text(value: Any) -> Optional[str]:
    return str(value) if isinstance(value, (str, int)) and str(value) else None


def _from_headers(headers: Any) -> Optional[str]:
    if not isinstance(headers, Mapping):
        return None
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == CORRELATION_HEADER:
            return _text(value)
    return None


def _from_attributes(attributes: Any) -> Optional[str]:
    """SQS (``stringValue``) or SNS (``Value``) message attributes."""
    if not isinstance(attributes, Mapping):
        return None
    attribute = attributes.get(CORRELATION_FIELD)
    if not isinstance(attribute, Mapping):
        return None
    return _text(attribute.get("stringValue", attribute.get("StringValue", attribute.get("Value"))))


def _from_detail(detail: Any) -> Optional[str]:
    if not isinstance(detail, Mapping):
        return None
    found = _text(detail.get(CORRELATION_FIELD))
    if found:
        return found
    # A Cqrs pipe forwards the event store's stream record: DynamoDB JSON.
    image = (detail.get("dynamodb") or {}).get("NewImage") if isinstance(detail.get("dynamodb"), Mapping) else None
    if isinstance(image, Mapping) and isinstance(image.get(CORRELATION_FIELD), Mapping):
        return _text(image[CORRELATION_FIELD].get("S"))
    return None


def _from_body(body: Any) -> Optional[str]:
    """A JSON object body with a ``correlation_id`` (job and aggregator messages),
    or an SNS envelope (SNS to SQS without raw delivery) whose attributes or message carry one."""
    if not isinstance(body, str) or CORRELATION_FIELD not in body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, Mapping):
        return None
    return (
        _text(data.get(CORRELATION_FIELD))
        or _from_attributes(data.get("MessageAttributes"))
        or (_from_body(data["Message"]) if data.get("Type") == "Notification" else None)
    )


def correlation_id(event: Mapping[str, Any], *, fallback: bool = True) -> str | None:
    """The correlation id an event (or one record of a batch event) carries.

    Looked up in order: an ``X-Correlation-ID`` header in any case (API
    Gateway); a ``correlation_id`` message attribute (an SQS record, also what
    SNS raw delivery turns SNS attributes into; an SNS record's
    ``Sns.MessageAttributes``); ``detail.correlation_id`` of an EventBridge
    event, or the ``correlation_id`` of the event-store image in its detail;
    a ``correlation_id`` in a JSON record body (or in the attributes or message
    of the SNS envelope an SQS body holds without raw delivery). A batch event (``Records``)
    answers for its first record that has one; process records one by one
    (``process_batch`` does) to keep them apart.

    With ``fallback`` (default) an event without one gets an id that still
    identifies it: API Gateway's request id, or an EventBridge event's id.
    """
    if not isinstance(event, Mapping):
        return None
    found = (
        _from_headers(event.get("headers"))
        or _from_attributes(event.get("messageAttributes"))
        or _from_attributes((event.get("Sns") or {}).get("MessageAttributes") if isinstance(event.get("Sns"), Mapping) else None)
        or _from_detail(event.get("detail"))
        or _from_body(event.get("body"))
    )
    if found:
        return found
    records = event.get("Records")
    if isinstance(records, list):
        for record in records:
            found = correlation_id(record, fallback=False) if isinstance(record, Mapping) else None
            if found:
                return found
        return None
    if not fallback:
        return None
    request = (event.get("requestContext") or {}).get("requestId") if isinstance(event.get("requestContext"), Mapping) else None
    if request:
        return str(request)
    return _text(event.get("id")) if "detail-type" in event else None


def current_correlation_id() -> str | None:
    """The correlation id of the request or record being handled, if any."""
    return _current.get()


@contextlib.contextmanager
def correlation_scope(event_or_id: Mapping[str, Any] | str | None) -> Iterator[Optional[str]]:
    """Make the id of ``event_or_id`` (an event, a record or an id) current inside the block.

    Loggers from :func:`get_logger` add it to every record; the runtime helpers
    that send messages or store events carry it on. Yields the id.
    """
    value = event_or_id if isinstance(event_or_id, str) or event_or_id is None else correlation_id(event_or_id)
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)
