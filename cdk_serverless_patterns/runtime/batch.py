"""Partial batch failure responses (``ReportBatchItemFailures``).

A handler wired to SQS, Kinesis or a DynamoDB stream processes records one by
one; records that raise are reported back so only they are retried, instead of
the whole batch. Usage::

    from cdk_serverless_patterns.runtime.batch import process_batch

    def handler(event, context):
        return process_batch(event, handle_record)

FIFO queues: a message group must be processed in order, so the first failure
in a group stops that group for this batch. That record and every later record
of the same group are reported as failed (SQS returns them in order after the
visibility timeout); other groups carry on. ``process_batch`` does this by
itself for records from a FIFO queue (``eventSourceARN`` ending ``.fifo``).

When *every* record of a batch fails, :func:`process_batch` raises
:class:`BatchProcessingError` instead of returning (as Powertools' batch
utility does): the invocation counts as an error, so the function's Errors
alarm fires on a poison batch, and Lambda retries the whole batch exactly as it
would for a response listing every record.

Each record is handled inside its own correlation scope
(:func:`~cdk_serverless_patterns.runtime.log.correlation_scope`): its
``correlation_id`` message attribute (or body field) reaches log lines and
whatever the handler sends or stores.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping, Optional

from .log import correlation_scope

_log = logging.getLogger(__name__)


class BatchProcessingError(Exception):
    """Every record of the batch failed; ``failures`` holds the partial failure response items."""

    def __init__(self, failures: list[dict[str, str]], first_error: BaseException | None) -> None:
        self.failures = failures
        super().__init__(
            f"all {len(failures)} records of the batch failed"
            + (f"; first error: {type(first_error).__name__}: {first_error}" if first_error is not None else "")
        )


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


def is_fifo_record(record: Mapping[str, Any]) -> bool:
    """True for a record from an SQS FIFO queue."""
    return str(record.get("eventSourceARN", "")).endswith(".fifo")


def message_group(record: Mapping[str, Any]) -> str:
    """The ``MessageGroupId`` of an SQS FIFO record."""
    group = (record.get("attributes") or {}).get("MessageGroupId")
    if not group:
        raise ValueError(f"FIFO record {record.get('messageId')!r} has no attributes.MessageGroupId")
    return str(group)


def process_batch(
    event: Mapping[str, Any],
    handle_record: Callable[[Mapping[str, Any]], Any],
    *,
    stop_on_first_failure: bool = False,
    fifo: Optional[bool] = None,
    raise_on_entire_batch_failure: bool = True,
) -> dict[str, list[dict[str, str]]]:
    """Run ``handle_record`` on every record; return the partial failure response.

    For ordered sources (Kinesis, DynamoDB streams) pass
    ``stop_on_first_failure=True``: Lambda retries from the lowest failed
    sequence number, so records after a failure are reported too and keep
    their order.

    ``fifo``: per-group ordering for SQS FIFO records: after a record of a
    message group fails, the later records of that group are reported as
    failed without running, so none overtakes it. Default: detected from the
    records' ``eventSourceARN``.
    :param raise_on_entire_batch_failure: when no record succeeded (every one
        failed or was held back behind a failure), raise
        :class:`BatchProcessingError` (default True) rather than return a
        response listing every record; the retry is the same, but the
        invocation is an error, which the function's Errors alarm sees.
    """
    records = list(event.get("Records", []))
    if fifo is None:
        fifo = any(is_fifo_record(r) for r in records)
    failures: list[dict[str, str]] = []
    first_error: BaseException | None = None
    failed_groups: set[str] = set()
    for record in records:
        ident = item_identifier(record)
        group = message_group(record) if fifo else None
        if (first_error is not None and stop_on_first_failure) or (group is not None and group in failed_groups):
            failures.append({"itemIdentifier": ident})
            continue
        with correlation_scope(record):
            try:
                handle_record(record)
            except Exception as err:  # noqa: BLE001 - every failure is reported, not raised
                _log.exception("record failed", extra={"item_identifier": ident, "message_group": group})
                failures.append({"itemIdentifier": ident})
                first_error = first_error or err
                if group is not None:
                    failed_groups.add(group)
    if raise_on_entire_batch_failure and records and len(failures) == len(records):
        raise BatchProcessingError(failures, first_error) from first_error
    return {"batchItemFailures": failures}
