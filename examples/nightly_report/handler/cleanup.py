"""Nightly session clean-up: delete expired sessions, write a report, emit metrics.

Invoked by EventBridge Scheduler (through ScheduledJob) with::

    {"job": "session-cleanup", "page_size": 200,
     "schedule": {"arn": "...", "scheduled_time": "2026-11-24T02:30:00Z",
                  "execution_id": "...", "attempt": "1"}}

What it promises:

* **Only expired sessions go.** Each delete is conditional on ``expires_at``
  still being in the past, so a session renewed between the scan and the
  delete survives (BatchWriteItem has no conditions, hence one DeleteItem per
  expired session; the scan pages bound each batch).
* **Safe to run twice.** The report is keyed by the scheduled time, and each
  session's delete and the report's ``deleted`` count land in one transaction:
  a retried or duplicated delivery of the same run (even after a crash that
  followed the first run's writes) finds nothing left to delete and adds 0 to
  the count, so the report keeps the true total (``runs`` counts the
  deliveries). Its other fields (``scanned``, ``complete``, ``finished_at``)
  describe the latest run.
* **Stops before its timeout.** When less than ``SAFETY_MARGIN_MS`` remain it
  stops, records ``complete: false`` and leaves the rest to the next run.
* **Bounded.** It deletes at most the ``/nightly-report/max-deletes``
  parameter's value per run (read through the cached runtime getter, so
  operators can lower it without a deployment); reaching it records
  ``complete: false`` and ``stopped_at_limit: true``.
* **Signed.** The finished report carries ``signature``: HMAC-SHA256, keyed
  with the report signing key secret, over the report's canonical JSON
  (:func:`report_signature`), so an auditor holding the key can tell a report
  the job wrote from one edited later.
* **Failures are loud.** An invalid event or an AWS error raises: Lambda
  retries, then the event lands in the job's failure queue (alarmed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Optional

import boto3
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from cdk_serverless_patterns.runtime import metrics
from cdk_serverless_patterns.runtime.log import get_logger
from cdk_serverless_patterns.runtime.secrets import get_parameter, get_secret

if __package__:  # imported as examples.nightly_report.handler.cleanup (tests, the stack)
    from . import settings
else:  # packaged flat in the Lambda asset
    import settings  # type: ignore[import-not-found,no-redef]

log = get_logger("nightly-report")

DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 1000
#: Stop this long before the Lambda timeout so the report is always written.
SAFETY_MARGIN_MS = 15_000
_resources: dict[str, Any] = {}


#: The report fields the signature covers, in this order (the rest describes the latest delivery).
SIGNED_FIELDS = ("job", "scheduled_time", "deleted", "scanned", "complete")


def report_signature(key: bytes, report: dict[str, Any]) -> str:
    """HMAC-SHA256 (hex) of the report's :data:`SIGNED_FIELDS` as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps({f: report.get(f) for f in SIGNED_FIELDS}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def max_deletes() -> int:
    """The per-run delete limit from Parameter Store; ``ValueError`` when it is not a positive integer."""
    raw = get_parameter(settings.MAX_DELETES_PARAMETER)
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {os.environ.get(settings.MAX_DELETES_PARAMETER)} must be a positive integer, got {raw!r}") from None
    if limit < 1:
        raise ValueError(f"parameter {os.environ.get(settings.MAX_DELETES_PARAMETER)} must be a positive integer, got {limit}")
    return limit


def _table(env_name: str) -> Any:
    if env_name not in _resources:
        _resources[env_name] = boto3.resource("dynamodb").Table(os.environ[env_name])
    return _resources[env_name]


def parse_event(event: Any) -> dict[str, Any]:
    """The validated run parameters, or ``ValueError`` saying what is wrong."""
    if not isinstance(event, dict):
        raise ValueError(f"event must be an object, got {type(event).__name__}")
    context = event.get("schedule")
    if not isinstance(context, dict) or not isinstance(context.get("scheduled_time"), str):
        raise ValueError("event.schedule.scheduled_time is missing; invoke the job through its schedule")
    try:
        scheduled = datetime.fromisoformat(context["scheduled_time"].replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"scheduled_time is not ISO-8601: {context['scheduled_time']!r}") from exc
    if scheduled.tzinfo is None:
        raise ValueError("scheduled_time must carry a time zone, e.g. 2026-11-24T02:30:00Z")
    page_size = event.get("page_size", DEFAULT_PAGE_SIZE)
    if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be an integer 1-{MAX_PAGE_SIZE}, got {page_size!r}")
    return {
        "job": str(event.get("job", "session-cleanup")),
        "scheduled_time": scheduled.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cutoff": int(scheduled.timestamp()),
        "execution_id": str(context.get("execution_id", "")),
        "page_size": page_size,
    }


def _delete_and_count(sessions: Any, reports: Any, report_key: dict[str, str], session_id: Any, cutoff: int) -> bool:
    """Delete one expired session and count it in the report, atomically; False if it was renewed
    (or already deleted) since the scan."""
    try:
        sessions.meta.client.transact_write_items(
            TransactItems=[
                {
                    "Delete": {
                        "TableName": sessions.name,
                        "Key": {"session_id": session_id},
                        "ConditionExpression": "expires_at < :cutoff",
                        "ExpressionAttributeValues": {":cutoff": cutoff},
                    }
                },
                {
                    "Update": {
                        "TableName": reports.name,
                        "Key": report_key,
                        "UpdateExpression": "ADD deleted :one",
                        "ExpressionAttributeValues": {":one": 1},
                    }
                },
            ]
        )
        return True
    except ClientError as err:
        reasons = [r.get("Code") for r in err.response.get("CancellationReasons") or []]
        if err.response["Error"]["Code"] == "TransactionCanceledException" and reasons[:1] == ["ConditionalCheckFailed"]:
            return False
        raise


def delete_expired(
    sessions: Any,
    cutoff: int,
    page_size: int,
    time_left_ms: Callable[[], int],
    *,
    reports: Any,
    report_key: dict[str, str],
    limit: Optional[int] = None,
) -> dict[str, Any]:
    """Delete sessions that expired before ``cutoff``, counting each in the report as it goes, at most
    ``limit`` (None: no limit); returns this run's counts."""
    scanned = deleted = renewed = 0
    complete = True
    at_limit = False
    scan_args: dict[str, Any] = {
        "FilterExpression": Attr("expires_at").lt(cutoff),
        "ProjectionExpression": "session_id",
        "Limit": page_size,
    }
    while True:
        if time_left_ms() < SAFETY_MARGIN_MS:
            complete = False
            break
        page = sessions.scan(**scan_args)
        scanned += page.get("ScannedCount", 0)
        for item in page.get("Items", []):
            if limit is not None and deleted >= limit:
                at_limit = True
                break
            if _delete_and_count(sessions, reports, report_key, item["session_id"], cutoff):
                deleted += 1
            else:
                renewed += 1  # renewed (or already deleted) since the scan: keep it
        if at_limit:
            complete = False
            break
        if "LastEvaluatedKey" not in page:
            break
        scan_args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return {"scanned": scanned, "deleted": deleted, "skipped_renewed": renewed, "complete": complete,
            "stopped_at_limit": at_limit}


def emit_metrics(job: str, counts: dict[str, Any]) -> None:
    """The run's numbers as business metrics (EMF lines: no PutMetricData permission needed)."""
    dimensions = {"Job": job}
    for name, value in (
        ("ExpiredSessionsDeleted", counts["deleted"]),
        ("SessionsScanned", counts["scanned"]),
        ("CleanupIncomplete", 0 if counts["complete"] else 1),
    ):
        metrics.emit(name, value, "Count", dimensions, namespace=settings.METRIC_NAMESPACE)


def handler(event: Any, context: Any, *, sessions: Optional[Any] = None, reports: Optional[Any] = None) -> dict[str, Any]:
    run = parse_event(event)
    sessions = sessions if sessions is not None else _table(settings.SESSIONS_TABLE)
    reports = reports if reports is not None else _table(settings.REPORTS_TABLE)
    time_left = context.get_remaining_time_in_millis if context is not None else (lambda: 900_000)
    key = {"job": run["job"], "scheduled_time": run["scheduled_time"]}
    counts = delete_expired(
        sessions, run["cutoff"], run["page_size"], time_left, reports=reports, report_key=key, limit=max_deletes()
    )
    # deleted was counted with each delete; the rest describes this (latest) run.
    report = reports.update_item(
        Key=key,
        UpdateExpression="SET execution_id = :e, finished_at = :f, scanned = :s, skipped_renewed = :r, "
        "complete = :c, stopped_at_limit = :l ADD deleted :zero, runs :one",
        ExpressionAttributeValues={
            ":e": run["execution_id"],
            ":f": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            ":s": counts["scanned"],
            ":r": counts["skipped_renewed"],
            ":c": counts["complete"],
            ":l": counts["stopped_at_limit"],
            ":zero": 0,
            ":one": 1,
        },
        ReturnValues="ALL_NEW",
    )["Attributes"]
    report = {k: int(v) if isinstance(v, Decimal) else v for k, v in report.items()}
    # signed once final: the key is cached per execution environment (runtime.secrets)
    report["signature"] = report_signature(get_secret(settings.SIGNING_KEY_SECRET).encode(), report)
    reports.update_item(Key=key, UpdateExpression="SET signature = :sig",
                        ExpressionAttributeValues={":sig": report["signature"]})
    emit_metrics(run["job"], counts)  # this run's numbers: a duplicate run adds 0 deletions
    log.info("session clean-up finished", extra={"report": report})
    return report
