"""Imports an orders CSV uploaded under ``uploads/`` into the orders table.

Invoked by EventBridge with an S3 "Object Created" event. Each object version
is imported once, by Powertools' ``@idempotent`` on a DynamoDB persistence
table (``IDEMPOTENCY_TABLE_NAME``) the stack creates; the idempotency key is
``[bucket, key, version-id or ETag]`` of the event's object.

* A redelivered event for a finished import returns the first import's result
  and changes nothing (Powertools replays the stored response).
* One still being imported by another invocation raises
  ``IdempotencyAlreadyInProgressError``, so Lambda retries it later.
* A file that is not a valid orders CSV is *rejected*: nothing is written, a
  ``REJECTED`` notification says why, and the rejection is final (its result
  is stored like a success: retrying cannot fix a file).
* Anything else (S3, DynamoDB or SNS failing) raises; Powertools deletes the
  in-progress record, so Lambda's retry imports the file again.

One notification is published per file. Only a crash between publishing and
Powertools saving the result (after which the in-progress record expires with
the invocation's remaining time and the event is retried) can publish twice;
every message carries the idempotency key as a message attribute so
subscribers can drop the duplicate. Each import emits the ``OrdersImported``
(rows) or ``FilesRejected`` business metric (EMF).

Before Powertools this module carried ~70 lines of claim/lease/complete/release
code for the same guarantee; the decorator, the persistence layer and the
table's TTL now do it.

CSV format (UTF-8, header required)::

    order_id,customer_id,amount,currency
    A-1001,C-17,25.90,EUR
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Optional
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent,
)

from cdk_serverless_patterns.runtime import env, metrics
from cdk_serverless_patterns.runtime.log import get_logger

#: The persistence table of Powertools' idempotency (set by the stack).
IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE_NAME"
#: How long an import's result is kept (DynamoDB TTL on ``expiration``):
#: EventBridge stops retrying after an hour, S3 never redelivers later.
IDEMPOTENCY_EXPIRY_S = 24 * 60 * 60
#: What makes two events the same import: the object version (its ETag when
#: the bucket is not versioned). Keys stay URL-encoded, as S3 sends them.
IDEMPOTENCY_KEY = 'detail.[bucket.name, object.key, object."version-id" || object.etag]'
COLUMNS = ("order_id", "customer_id", "amount", "currency")
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
#: SNS Subject: "no line breaks or control characters, and less than 100 characters long".
#: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
SUBJECT_MAX_CHARS = 99
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")

log = get_logger("csv-ingest")
_clients: dict[str, Any] = {}


class RejectedFile(ValueError):
    """The file cannot be imported as it is; retrying will not help."""


def _client(name: str) -> Any:
    if name not in _clients:
        _clients[name] = boto3.client(name)
    return _clients[name]


def _table() -> Any:
    if "table" not in _clients:
        _clients["table"] = boto3.resource("dynamodb").Table(env.require(env.RESULT_TABLE))
    return _clients["table"]


def object_from_event(event: dict[str, Any]) -> dict[str, Any]:
    """Bucket, key (URL-decoded), version id, ETag and size of the event's object."""
    if event.get("source") != "aws.s3" or event.get("detail-type") != "Object Created":
        raise ValueError(f"not an S3 Object Created event: {event.get('source')!r} {event.get('detail-type')!r}")
    detail = event.get("detail") or {}
    obj = detail.get("object") or {}
    bucket = (detail.get("bucket") or {}).get("name")
    if not bucket or not obj.get("key"):
        raise ValueError("event has no bucket name or object key")
    return {
        "bucket": bucket,
        # S3 URL-encodes keys in events ("my file.csv" arrives as "my+file.csv").
        "key": unquote_plus(obj["key"]),
        "version_id": obj.get("version-id"),
        "etag": obj.get("etag", ""),
        "size": int(obj.get("size", 0)),
    }


def idempotency_key(obj: dict[str, Any]) -> str:
    return f"{obj['bucket']}/{obj['key']}#{obj['version_id'] or obj['etag']}"


def parse_orders(text: str) -> list[dict[str, Any]]:
    """The order rows of ``text``; raises :class:`RejectedFile` naming every bad line (first 20)."""
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(h.strip() for h in (reader.fieldnames or ()))
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RejectedFile(f"header is missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}")
    orders: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        problem = _row_problem(values, seen)
        if problem:
            errors.append(f"line {line}: {problem}")
            continue
        seen.add(values["order_id"])
        orders.append(
            {
                "order_id": values["order_id"],
                "customer_id": values["customer_id"],
                "amount": Decimal(values["amount"]),
                "currency": values["currency"],
            }
        )
        if len(orders) > MAX_ROWS:
            raise RejectedFile(f"more than {MAX_ROWS} rows; split the file")
    if errors:
        raise RejectedFile("; ".join(errors[:20]) + (f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""))
    if not orders:
        raise RejectedFile("the file has a header but no rows")
    return orders


def _row_problem(values: dict[str, str], seen: set[str]) -> Optional[str]:
    if not _ID_RE.match(values.get("order_id", "")):
        return "order_id must be 1-64 letters, digits, '-' or '_'"
    if values["order_id"] in seen:
        return f"order_id {values['order_id']} appears twice"
    if not _ID_RE.match(values.get("customer_id", "")):
        return "customer_id must be 1-64 letters, digits, '-' or '_'"
    try:
        amount = Decimal(values.get("amount", ""))
    except InvalidOperation:
        return f"amount {values.get('amount')!r} is not a number"
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:
        return f"amount {values['amount']} must be positive with at most 2 decimals"
    if not _CURRENCY_RE.match(values.get("currency", "")):
        return f"currency {values.get('currency')!r} must be a 3-letter ISO code like EUR"
    return None


def _persistence(client: Any = None) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=env.require(IDEMPOTENCY_TABLE), boto3_client=client)


_CONFIG = IdempotencyConfig(
    event_key_jmespath=IDEMPOTENCY_KEY,
    raise_on_no_idempotency_key=True,
    expires_after_seconds=IDEMPOTENCY_EXPIRY_S,
)
_once: Optional[Callable[..., dict[str, Any]]] = None


def handler(
    event: dict[str, Any],
    context: Any,
    *,
    s3: Any = None,
    table: Any = None,
    sns: Any = None,
    idempotency_client: Any = None,
) -> dict[str, Any]:
    global _once
    obj = object_from_event(event)  # reject foreign events before any idempotency record
    if _once is None or idempotency_client is not None:
        # Built on first use: the persistence layer makes its boto3 client at construction.
        _once = idempotent(persistence_store=_persistence(idempotency_client), config=_CONFIG)(_import_object)
    return _once(event, context, obj=obj, s3=s3, table=table, sns=sns)


def _import_object(
    event: dict[str, Any], context: Any, *, obj: dict[str, Any], s3: Any, table: Any, sns: Any
) -> dict[str, Any]:
    s3 = s3 if s3 is not None else _client("s3")
    sns = sns if sns is not None else _client("sns")
    table = table if table is not None else _table()
    key = idempotency_key(obj)
    try:
        orders = _read_orders(s3, obj)
    except RejectedFile as rejected:
        _notify(sns, obj, key, status="REJECTED", reason=str(rejected))
        log.warning("file rejected", extra={"idempotency_key": key, "reason": str(rejected)})
        metrics.emit("FilesRejected", 1, "Count")
        return {"status": "rejected", "idempotency_key": key, "reason": str(rejected)}
    _write_orders(table, orders, obj)
    _notify(sns, obj, key, status="IMPORTED", rows=len(orders))
    log.info("file imported", extra={"idempotency_key": key, "rows": len(orders)})
    metrics.emit("OrdersImported", len(orders), "Count")
    return {"status": "imported", "idempotency_key": key, "rows": len(orders)}


def _read_orders(s3: Any, obj: dict[str, Any]) -> list[dict[str, Any]]:
    if obj["size"] > MAX_BYTES:
        raise RejectedFile(f"file is {obj['size']} bytes; at most {MAX_BYTES} are accepted")
    request = {"Bucket": obj["bucket"], "Key": obj["key"]}
    if obj["version_id"]:
        request["VersionId"] = obj["version_id"]
    body = s3.get_object(**request)["Body"].read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        raise RejectedFile(f"file is larger than {MAX_BYTES} bytes")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise RejectedFile(f"file is not UTF-8 text ({err.reason} at byte {err.start})") from err
    return parse_orders(text)


def _write_orders(table: Any, orders: list[dict[str, Any]], obj: dict[str, Any]) -> None:
    # Keyed by order id: writing the same file again writes the same items.
    source = f"s3://{obj['bucket']}/{obj['key']}"
    with table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
        for order in orders:
            batch.put_item(
                Item={
                    "pk": f"ORDER#{order['order_id']}",
                    "sk": "ORDER",
                    **order,
                    "source": source,
                    "source_version": obj["version_id"] or obj["etag"],
                }
            )


def _subject(text: str) -> str:
    """``text`` as a valid SNS Subject: no line breaks or control characters, under 100 characters.

    Object keys may hold both and be up to 1024 bytes; an invalid subject would
    fail every publish (and so every retry of the import). The message body
    carries the full key.
    """
    clean = _CONTROL_RE.sub(" ", text)
    return clean if len(clean) <= SUBJECT_MAX_CHARS else clean[: SUBJECT_MAX_CHARS - 3] + "..."


def _notify(sns: Any, obj: dict[str, Any], key: str, *, status: str, **fields: Any) -> None:
    sns.publish(
        TopicArn=env.require(env.NOTIFY_TOPIC_ARN),
        Subject=_subject(f"Orders import {status.lower()}: {obj['key']}"),
        Message=json.dumps({"status": status, "bucket": obj["bucket"], "key": obj["key"],
                            "version_id": obj["version_id"], "idempotency_key": key, **fields}),
        MessageAttributes={
            "status": {"DataType": "String", "StringValue": status},
            "idempotency_key": {"DataType": "String", "StringValue": key},
        },
    )
