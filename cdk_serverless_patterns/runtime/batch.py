"""Partial batch failure responses (``ReportBatchItemFailures``).

A handler wired to SQS, Kinesis or a DynamoDB stream processes records one by
one; records that raise are reported back so only they are retried, instead of
the whole batch. Usage::

    from cdk_serverless_patterns.runtime.batch import process_batch

    def handler(event, context):
        return process_batch(event, handle_record)
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

_log = logging.getLogger(__name__)


def item_identifier(record: Mapping[str, Any]) -> str:
    """The id Lambda expects for a failed record of this event source.

    SQS: ``messageId``; Kinesis: ``kinesis.sequenceNumber``; DynamoDB streams:
    ``dynamodb.SequenceNumber``.
    """
    if "messageId" in record:
        return str(record["messageId"])
    if "kinesis" in record:
        return str(record["kinesis"]["sequenceNumber"])
    if "dynamodb" in record:
        return str(record["dynamodb"]["SequenceNumber"])
    raise ValueError(f"record has no SQS, Kinesis or DynamoDB stream identifier: keys {sorted(record)}")


def process_batch(
    event: Mapping[str, Any],
    handle_record: Callable[[Mapping[str, Any]], Any],
    *,
    stop_on_first_failure: bool = False,
) -> dict[str, list[dict[str, str]]]:
    """Run ``handle_record`` on every record; return the partial failure response.

    For ordered sources (Kinesis, DynamoDB streams) pass
    ``stop_on_first_failure=True``: Lambda retries from the lowest failed
    sequence number, so records after a failure are reported too and keep
    their order.
    """
    failures: list[dict[str, str]] = []
    failed = False
    for record in event.get("Records", []):
        ident = item_identifier(record)
        if failed and stop_on_first_failure:
            failures.append({"itemIdentifier": ident})
            continue
        try:
            handle_record(record)
        except Exception:  # noqa: BLE001 - every failure is reported, not raised
            _log.exception("record failed", extra={"item_identifier": ident})
            failures.append({"itemIdentifier": ident})
            failed = True
    return {"batchItemFailures": failures}
