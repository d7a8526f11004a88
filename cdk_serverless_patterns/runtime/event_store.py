"""Append-only event store with optimistic concurrency (contract).

The data-plane half of :class:`~cdk_serverless_patterns.Cqrs`. Events of one
aggregate are items keyed by ``aggregate_id`` (partition key) and ``version``
(numeric sort key, 1, 2, 3, ...). A command handler loads an aggregate's
events, decides, and appends new events *after the version it saw*::

    from cdk_serverless_patterns.runtime import event_store

    history = event_store.load(order_id)
    new_version = event_store.append(
        order_id, len(history), [{"type": "OrderCancelled", "data": {"reason": "customer"}}]
    )

Guarantees:

* If another writer appended after ``expected_version``, :class:`ConcurrencyError`
  is raised and nothing is written: the append is one ``TransactWriteItems``
  whose puts are conditional on their version not existing yet, plus (for an
  existing aggregate) a condition check that ``expected_version`` exists, so a
  version can never be skipped either.
* All events of one call land together or none does (one transaction, at most
  :data:`MAX_EVENTS_PER_APPEND` events).
* Items are never updated or deleted; the construct grants command handlers
  ``PutItem`` and ``ConditionCheckItem`` only.

The stored item (and what :func:`load` returns) is the *envelope*::

    {"aggregate_id": "order-1", "version": 3, "type": "OrderCancelled",
     "data": {...}, "event_id": "<uuid4>", "timestamp": "2026-11-23T10:00:00.123Z",
     "correlation_id": "<request id or None>"}

boto3 is imported lazily and the client can be injected (``client=``), so
importing this module costs nothing at cold start.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Mapping, Optional, Sequence

from . import clients, env
from .log import current_correlation_id

#: TransactWriteItems groups at most 100 actions; a non-new aggregate uses one
#: for the condition check on ``expected_version``, so 99 events fit then.
#: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
MAX_TRANSACTION_ITEMS = 100
MAX_EVENTS_PER_APPEND = MAX_TRANSACTION_ITEMS - 1
#: Key attribute names of the event store table (the construct uses the same).
AGGREGATE_ID = "aggregate_id"
VERSION = "version"
#: The type becomes the event's EventBridge detail-type: at most 128 characters.
#: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html
MAX_TYPE_CHARS = 128
#: Keys an event passed to :func:`append` may have.
EVENT_KEYS = frozenset({"type", "data"})

class ConcurrencyError(Exception):
    """Another writer appended to the aggregate after ``expected_version`` (contract).

    Nothing of the failed call was written. Reload the aggregate, decide again,
    and retry (or report a conflict to the caller, e.g. HTTP 409).
    """

    def __init__(self, aggregate_id: str, expected_version: int, reason: str) -> None:
        self.aggregate_id = aggregate_id
        self.expected_version = expected_version
        super().__init__(
            f"aggregate {aggregate_id!r} is no longer at version {expected_version} ({reason}); "
            "nothing was written: reload its events and retry"
        )


def _dynamodb(client: Any = None) -> Any:
    return clients.client("dynamodb", client)


def to_dynamo(value: Any) -> Any:
    """Plain JSON-like data → values boto3's serializer accepts (floats as ``Decimal``)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be stored: DynamoDB numbers must be finite")
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {str(k): to_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_dynamo(v) for v in value]
    return value


def from_dynamo(value: Any) -> Any:
    """The inverse of :func:`to_dynamo`: ``Decimal`` → ``int`` or ``float``, sets → sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [from_dynamo(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(from_dynamo(v) for v in value)
    return value


def serialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict as a low-level DynamoDB item (``{"attr": {"S": ...}}``)."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {k: serializer.serialize(to_dynamo(v)) for k, v in item.items()}


def deserialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item (or stream image) as a plain dict."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: from_dynamo(deserializer.deserialize(v)) for k, v in item.items()}


def _validate(aggregate_id: Any, expected_version: Any, events: Any) -> None:
    if not isinstance(aggregate_id, str) or not aggregate_id:
        raise ValueError(f"aggregate_id must be a non-empty string, got {aggregate_id!r}")
    if isinstance(expected_version, bool) or not isinstance(expected_version, int) or expected_version < 0:
        raise ValueError(
            f"expected_version must be an integer >= 0 (0 for a new aggregate), got {expected_version!r}"
        )
    if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Sequence) or not events:
        raise ValueError("events must be a non-empty list of dicts like {'type': 'OrderPlaced', 'data': {...}}")
    limit = MAX_TRANSACTION_ITEMS if expected_version == 0 else MAX_EVENTS_PER_APPEND
    if len(events) > limit:
        raise ValueError(
            f"{len(events)} events in one append; at most {limit} fit in one DynamoDB transaction "
            f"({MAX_TRANSACTION_ITEMS} actions, one of them the version check of an existing aggregate): "
            "split the command into smaller ones"
        )
    for index, event in enumerate(events):
        if not isinstance(event, Mapping):
            raise ValueError(f"events[{index}] must be a dict with a 'type', got {type(event).__name__}")
        if not isinstance(event.get("type"), str) or not event["type"].strip():
            raise ValueError(f"events[{index}] needs a non-empty string 'type', got {event.get('type')!r}")
        if len(event["type"]) > MAX_TYPE_CHARS:
            raise ValueError(
                f"events[{index}]['type'] is {len(event['type'])} characters; at most {MAX_TYPE_CHARS} "
                "(it becomes the EventBridge detail-type)"
            )
        extra = sorted(set(event) - EVENT_KEYS)
        if extra:
            raise ValueError(
                f"events[{index}] has keys {extra}; an event is {{'type': ..., 'data': {{...}}}}: "
                "put the payload under 'data'"
            )
        if not isinstance(event.get("data", {}), Mapping):
            raise ValueError(f"events[{index}]['data'] must be a dict, got {type(event['data']).__name__}")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def append(
    aggregate_id: str,
    expected_version: int,
    events: Sequence[Mapping[str, Any]],
    *,
    table_name: Optional[str] = None,
    correlation_id: Optional[str] = None,
    client: Any = None,
) -> int:
    """Append ``events`` after ``expected_version``; return the new version (contract).

    :param aggregate_id: the aggregate (e.g. an order id).
    :param expected_version: the version the caller's decision is based on: the
        number of events it loaded, 0 for a new aggregate.
    :param events: ``[{"type": "OrderPlaced", "data": {...}}, ...]``, 1 to 100
        (99 for an existing aggregate); ``data`` defaults to ``{}``.
    :param table_name: the event store table. Default: the
        ``EVENT_STORE_TABLE_NAME`` environment variable the construct sets.
    :param correlation_id: stored on every event so the projections' work can
        be traced back to the command. Default: the current correlation id
        (``runtime.log``; ``api_handler`` and ``process_batch`` set it from the
        request's ``X-Correlation-ID`` header or the record's attribute).
    :param client: a boto3 DynamoDB client. Default: one created on first use.
    :raises ConcurrencyError: another writer got there first; nothing written.
    :raises ValueError: invalid arguments (nothing sent to DynamoDB).
    """
    _validate(aggregate_id, expected_version, events)
    table = env.require(env.EVENT_STORE_TABLE, table_name)
    correlation_id = correlation_id if correlation_id is not None else current_correlation_id()
    timestamp = _now()
    actions: list[dict[str, Any]] = []
    if expected_version > 0:
        # Without this an append at a stale-but-too-high version would leave a gap.
        actions.append(
            {
                "ConditionCheck": {
                    "TableName": table,
                    "Key": serialize_item({AGGREGATE_ID: aggregate_id, VERSION: expected_version}),
                    "ConditionExpression": "attribute_exists(#v)",
                    "ExpressionAttributeNames": {"#v": VERSION},
                }
            }
        )
    for offset, event in enumerate(events, start=1):
        item = {
            AGGREGATE_ID: aggregate_id,
            VERSION: expected_version + offset,
            "type": event["type"],
            "data": dict(event.get("data", {})),
            "event_id": str(uuid.uuid4()),
            "timestamp": timestamp,
            "correlation_id": correlation_id,
        }
        actions.append(
            {
                "Put": {
                    "TableName": table,
                    "Item": serialize_item(item),
                    "ConditionExpression": "attribute_not_exists(#v)",
                    "ExpressionAttributeNames": {"#v": VERSION},
                }
            }
        )
    ddb = _dynamodb(client)
    try:
        ddb.transact_write_items(TransactItems=actions)
    except Exception as err:  # botocore's ClientError, without importing botocore here
        reason = _concurrency_reason(err)
        if reason is None:
            raise
        raise ConcurrencyError(aggregate_id, expected_version, reason) from err
    return expected_version + len(events)


def _concurrency_reason(err: Exception) -> Optional[str]:
    """Why a transaction was cancelled, if that means "someone else wrote first"."""
    response = getattr(err, "response", None) or {}
    code = response.get("Error", {}).get("Code")
    if code == "TransactionConflictException":
        return "a concurrent transaction on the same items"
    if code != "TransactionCanceledException":
        return None
    reasons = [r.get("Code") for r in response.get("CancellationReasons") or []]
    if not reasons:
        # Older botocore/moto put the reasons only in the message.
        message = response.get("Error", {}).get("Message", "")
        reasons = [c for c in ("ConditionalCheckFailed", "TransactionConflict") if c in message]
    if "ConditionalCheckFailed" in reasons:
        return "a version it would write already exists, or the expected version does not"
    if "TransactionConflict" in reasons:
        return "a concurrent transaction on the same items"
    return None


def load(
    aggregate_id: str,
    *,
    table_name: Optional[str] = None,
    after_version: int = 0,
    until_version: Optional[int] = None,
    client: Any = None,
) -> list[dict[str, Any]]:
    """All events of ``aggregate_id`` in version order (contract); ``[]`` if none.

    Strongly consistent and paginated, so a command handler sees every event
    appended before it started. ``after_version`` skips events up to and
    including that version (e.g. after a snapshot); ``until_version`` stops
    after that version.
    """
    if not isinstance(aggregate_id, str) or not aggregate_id:
        raise ValueError(f"aggregate_id must be a non-empty string, got {aggregate_id!r}")
    table = env.require(env.EVENT_STORE_TABLE, table_name)
    ddb = _dynamodb(client)
    if until_version is not None and until_version <= after_version:
        # An empty range; DynamoDB rejects BETWEEN with its upper bound below the lower one.
        return []
    if until_version is None:
        condition, values = "#a = :a AND #v > :v", {":a": aggregate_id, ":v": after_version}
    else:
        condition = "#a = :a AND #v BETWEEN :v AND :u"
        values = {":a": aggregate_id, ":v": after_version + 1, ":u": until_version}
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": {"#a": AGGREGATE_ID, "#v": VERSION},
        "ExpressionAttributeValues": serialize_item(values),
        "ConsistentRead": True,
        "ScanIndexForward": True,
    }
    events: list[dict[str, Any]] = []
    while True:
        page = ddb.query(**request)
        events.extend(deserialize_item(item) for item in page.get("Items", []))
        last = page.get("LastEvaluatedKey")
        if not last:
            return events
        request["ExclusiveStartKey"] = last


def current_version(aggregate_id: str, *, table_name: Optional[str] = None, client: Any = None) -> int:
    """The aggregate's latest version (0 if it has no events), reading one item only."""
    table = env.require(env.EVENT_STORE_TABLE, table_name)
    page = _dynamodb(client).query(
        TableName=table,
        KeyConditionExpression="#a = :a",
        ExpressionAttributeNames={"#a": AGGREGATE_ID, "#v": VERSION},
        ExpressionAttributeValues=serialize_item({":a": aggregate_id}),
        ProjectionExpression="#v",
        ConsistentRead=True,
        ScanIndexForward=False,
        Limit=1,
    )
    items = page.get("Items") or []
    return int(items[0][VERSION]["N"]) if items else 0
