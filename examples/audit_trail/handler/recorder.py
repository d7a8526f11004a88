"""Records one audit event, exactly once.

Invoked asynchronously with an event like::

    {"event_id": "7b0c...", "actor": "user:42", "action": "order.cancel",
     "resource": "order:981", "occurred_at": "2026-11-23T10:00:00Z", "detail": {...}}

Invalid events raise ``ValueError`` (Lambda retries, then the event lands in
the on-failure queue where an operator can see why). A redelivered event is
accepted without writing twice: the put is conditional on the event id.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from cdk_serverless_patterns.runtime.event_store import to_dynamo
from cdk_serverless_patterns.runtime.log import get_logger

REQUIRED = ("event_id", "actor", "action", "resource", "occurred_at")
log = get_logger("audit-trail")
_table = None


def _events_table():
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    return _table


def validate(event: dict[str, Any]) -> dict[str, Any]:
    missing = [k for k in REQUIRED if not isinstance(event.get(k), str) or not event[k].strip()]
    if missing:
        raise ValueError(f"audit event is missing required string fields: {', '.join(missing)}")
    try:
        occurred = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"occurred_at is not an ISO-8601 timestamp: {event['occurred_at']!r}") from exc
    if occurred.tzinfo is None:
        raise ValueError("occurred_at must carry a timezone, e.g. 2026-11-23T10:00:00Z")
    detail = event.get("detail", {})
    if not isinstance(detail, dict):
        raise ValueError("detail must be an object")
    # JSON numbers arrive as floats, which DynamoDB (boto3) only takes as Decimal.
    detail = to_dynamo(detail)
    return {
        "pk": f"RESOURCE#{event['resource']}",
        "sk": f"{occurred.isoformat()}#{event['event_id']}",
        "event_id": event["event_id"],
        "actor": event["actor"],
        "action": event["action"],
        "detail": detail,
    }


def handler(event: dict[str, Any], context: Any, table: Any = None) -> dict[str, Any]:
    item = validate(event)
    table = table if table is not None else _events_table()
    try:
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        log.info("audit event recorded", extra={"event_id": item["event_id"], "action": item["action"]})
        return {"recorded": True, "event_id": item["event_id"]}
    except ClientError as err:
        if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        log.info("duplicate audit event ignored", extra={"event_id": item["event_id"]})
        return {"recorded": False, "event_id": item["event_id"]}
