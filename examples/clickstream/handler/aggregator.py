"""Counts page views per page per minute from a Kinesis click stream.

Each record is a JSON click::

    {"page": "/pricing", "session_id": "s-81f2", "ts": "2026-11-23T10:00:12Z"}

(``ts`` is optional; the record's arrival time is used without it.)

Exactly-once counting on an at-least-once source: each record is applied in
one DynamoDB transaction that adds 1 to its ``PAGE#<page>`` / ``MINUTE#<minute>``
counter *and* advances a checkpoint for the record's shard and partition key
to its sequence number, on the condition that the checkpoint is behind it. A
record Lambda delivers again (a retried batch) fails that condition and is
skipped. Kinesis keeps records of one partition key in order, even with a
parallelization factor above 1, so the per-key checkpoint is monotonic.

Failures: a malformed record cannot succeed on retry, so it is counted under
``REJECTED`` (same transaction, same checkpoint) and logged, not retried.
Any other error fails the record; ``process_batch(stop_on_first_failure=True)``
reports it and every record after it, so Lambda retries from there in order
(bisecting, bounded retries, then the on-failure queue).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

import boto3
from botocore.exceptions import ClientError

from cdk_serverless_patterns.runtime import env
from cdk_serverless_patterns.runtime.batch import process_batch
from cdk_serverless_patterns.runtime.log import get_logger

#: Checkpoints outlive the stream's retention (24 h), after which a record
#: cannot be delivered again; DynamoDB TTL then deletes them.
CHECKPOINT_TTL_S = 2 * 24 * 3600
#: Kinesis sequence numbers are decimal strings of up to 129 digits (API
#: pattern ``0|([1-9]\d{0,128})``); padded to one width they compare correctly
#: as strings, which DynamoDB numbers (38 digits) could not.
_SEQUENCE_WIDTH = 129
_PAGE_RE = re.compile(r"^/[\x21-\x7e]{0,511}$")

log = get_logger("clickstream")
_clients: dict[str, Any] = {}


class MalformedClick(ValueError):
    """The record is not a click this aggregator can count."""


def _dynamodb() -> Any:
    if "dynamodb" not in _clients:
        _clients["dynamodb"] = boto3.client("dynamodb")
    return _clients["dynamodb"]


def parse_click(record: Mapping[str, Any]) -> tuple[str, str]:
    """``(page, minute)`` of a Kinesis record; raises :class:`MalformedClick`."""
    kinesis = record["kinesis"]
    try:
        click = json.loads(base64.b64decode(kinesis["data"], validate=True))
    except (binascii.Error, ValueError) as err:
        raise MalformedClick(f"data is not base64-encoded JSON: {err}") from err
    if not isinstance(click, dict):
        raise MalformedClick("click must be a JSON object")
    page = click.get("page")
    if not isinstance(page, str) or not _PAGE_RE.match(page):
        raise MalformedClick(f"page must be a path starting with '/', got {page!r}")
    if "ts" in click:
        if not isinstance(click["ts"], str):
            raise MalformedClick("ts must be an ISO-8601 string")
        try:
            moment = datetime.fromisoformat(click["ts"].replace("Z", "+00:00"))
        except ValueError as err:
            raise MalformedClick(f"ts {click['ts']!r} is not ISO-8601") from err
        if moment.tzinfo is None:
            raise MalformedClick("ts must carry a timezone, e.g. 2026-11-23T10:00:12Z")
    else:
        moment = datetime.fromtimestamp(float(kinesis["approximateArrivalTimestamp"]), tz=timezone.utc)
    return page, moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M")


def apply_record(record: Mapping[str, Any], *, table_name: str, client: Any) -> str:
    """Count one record exactly once: ``counted``, ``rejected`` or ``duplicate``."""
    kinesis = record["kinesis"]
    shard = str(record.get("eventID", "")).split(":", 1)[0] or "unknown-shard"
    sequence = str(kinesis["sequenceNumber"]).zfill(_SEQUENCE_WIDTH)
    try:
        page, minute = parse_click(record)
        counter = {"pk": {"S": f"PAGE#{page}"}, "sk": {"S": f"MINUTE#{minute}"}}
        outcome = "counted"
    except MalformedClick as err:
        log.warning("malformed click rejected", extra={"sequence_number": kinesis["sequenceNumber"], "reason": str(err)})
        minute = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M")
        counter = {"pk": {"S": "REJECTED"}, "sk": {"S": f"MINUTE#{minute}"}}
        outcome = "rejected"
    checkpoint = {"pk": {"S": f"CHECKPOINT#{shard}#{kinesis['partitionKey']}"}, "sk": {"S": "CHECKPOINT"}}
    try:
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table_name,
                        "Key": checkpoint,
                        "UpdateExpression": "SET #seq = :seq, expires_at = :expires",
                        "ConditionExpression": "attribute_not_exists(#seq) OR #seq < :seq",
                        "ExpressionAttributeNames": {"#seq": "sequence_number"},
                        "ExpressionAttributeValues": {
                            ":seq": {"S": sequence},
                            ":expires": {"N": str(int(time.time()) + CHECKPOINT_TTL_S)},
                        },
                    }
                },
                {
                    "Update": {
                        "TableName": table_name,
                        "Key": counter,
                        "UpdateExpression": "ADD #count :one",
                        "ExpressionAttributeNames": {"#count": "views" if outcome == "counted" else "records"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    except ClientError as err:
        if not _checkpoint_condition_failed(err):
            raise
        return "duplicate"
    return outcome


def _checkpoint_condition_failed(err: ClientError) -> bool:
    if err.response["Error"]["Code"] != "TransactionCanceledException":
        return False
    reasons = err.response.get("CancellationReasons") or []
    if reasons:
        return (reasons[0] or {}).get("Code") == "ConditionalCheckFailed"
    # Some clients put the reasons only in the message: "[ConditionalCheckFailed, None]".
    return "[ConditionalCheckFailed" in str(err)


def handler(event: Mapping[str, Any], context: Any, *, client: Any = None, table_name: Optional[str] = None) -> dict:
    client = client if client is not None else _dynamodb()
    table = env.require(env.RESULT_TABLE, table_name)
    return process_batch(
        event,
        lambda record: apply_record(record, table_name=table, client=client),
        stop_on_first_failure=True,
    )
