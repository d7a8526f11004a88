"""SQS → Lambda consumption: one event source mapping on a function's ``live`` alias.

Shared by patterns whose functions read a :class:`~.queues.WorkQueue`:
``ReportBatchItemFailures`` is always on (only failed messages are retried, and
after ``max_receive_count`` receives they move to the queue's DLQ), and a
maximum concurrency (default :data:`defaults.SQS_MAX_CONCURRENCY`) bounds how
many invocations the queue may drive (see :mod:`.concurrency`).
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import SERVERLESS, acknowledge
from cdk_serverless_patterns.errors import Problems, is_token, or_default

from .concurrency import declare_concurrency_bound
from .function import ServerlessFunction


def default_max_concurrency(reserved_concurrency: Optional[int]) -> Optional[int]:
    """The MaximumConcurrency an SQS event source gets when none is given.

    :data:`defaults.SQS_MAX_CONCURRENCY`, but never above the function's
    reserved concurrency (more would only be throttled); none when that is
    below SQS's minimum of 2, since the reserved concurrency bounds it already.
    """
    if reserved_concurrency is None:
        return defaults.SQS_MAX_CONCURRENCY
    if reserved_concurrency < defaults.SQS_MAX_CONCURRENCY_MIN:
        return None
    return min(defaults.SQS_MAX_CONCURRENCY, reserved_concurrency)


def validate_queue_consumer(
    problems: Problems,
    *,
    batch_size: int,
    max_concurrency: Optional[int],
    reserved_concurrency: Optional[int] = None,
    field_prefix: str = "",
    fifo: bool = False,
) -> None:
    """Rules for an SQS event source without a batching window.

    ``reserved_concurrency`` is the consuming function's, when set: a maximum
    concurrency above it only produces throttles (AWS advises keeping it at or
    below the reserved concurrency). ``fifo``: the queue is FIFO, whose event
    source takes at most 10 messages per batch whatever the window.
    """
    p = f"{field_prefix}." if field_prefix else ""
    if fifo and not is_token(batch_size):
        problems.check_int(
            f"{p}batch_size",
            batch_size,
            low=defaults.SQS_BATCH_SIZE_MIN,
            high=defaults.SQS_FIFO_BATCH_SIZE_MAX,
            allowed=f"{defaults.SQS_BATCH_SIZE_MIN}-{defaults.SQS_FIFO_BATCH_SIZE_MAX} for a FIFO queue (Lambda's maximum "
            "batch for FIFO event sources)",
            fix=f"pass batch_size between 1 and {defaults.SQS_FIFO_BATCH_SIZE_MAX}",
        )
    elif not is_token(batch_size):
        problems.check_int(
            f"{p}batch_size",
            batch_size,
            low=defaults.SQS_BATCH_SIZE_MIN,
            high=defaults.SQS_BATCH_SIZE_WITHOUT_WINDOW_MAX,
            allowed=f"{defaults.SQS_BATCH_SIZE_MIN}-{defaults.SQS_BATCH_SIZE_WITHOUT_WINDOW_MAX} (larger SQS batches "
            "need a batching window, which delays every message)",
            fix=f"pass batch_size between 1 and {defaults.SQS_BATCH_SIZE_WITHOUT_WINDOW_MAX}",
        )
    if max_concurrency is None or is_token(max_concurrency):
        return
    in_range = problems.check_int(
        f"{p}max_concurrency",
        max_concurrency,
        low=defaults.SQS_MAX_CONCURRENCY_MIN,
        high=defaults.SQS_MAX_CONCURRENCY_MAX,
        allowed=f"{defaults.SQS_MAX_CONCURRENCY_MIN}-{defaults.SQS_MAX_CONCURRENCY_MAX} (Lambda ScalingConfig for SQS)",
        fix="pass a value in that range, or None for no limit beyond the account's concurrency",
    )
    if in_range and isinstance(reserved_concurrency, int):
        problems.check(
            max_concurrency <= reserved_concurrency,
            f"{p}max_concurrency",
            max_concurrency,
            f"<= the function's reserved_concurrency ({reserved_concurrency}); above it Lambda throttles "
            "and messages are received again, counting toward max_receive_count",
            "lower max_concurrency or raise reserved_concurrency",
        )


def consume_queue(
    scope: Construct,
    construct_id: str,
    *,
    consumer: ServerlessFunction,
    queue: sqs.IQueue,
    batch_size: Optional[int] = None,
    max_concurrency: Optional[int] = None,
    max_batching_window: Optional[Duration] = None,
) -> lambda_.EventSourceMapping:
    """Wire ``queue`` to ``consumer``'s alias with partial batch failure reporting.

    :param max_concurrency: most concurrent invocations this source drives,
        2-1000. Default :func:`default_max_concurrency` (10, at most the
        function's reserved concurrency).

    Validate first with :func:`validate_queue_consumer` (or, with a
    ``max_batching_window``, the caller's own rules: batches above 10 need a
    window of at least 1 s). Grants the consumer
    what polling needs (receive, delete, change visibility, attributes).
    """
    concurrency = (
        max_concurrency
        if max_concurrency is not None
        else default_max_concurrency(consumer.spec.reserved_concurrency)
    )
    mapping = lambda_.EventSourceMapping(
        scope,
        construct_id,
        target=consumer.alias,
        event_source_arn=queue.queue_arn,
        batch_size=or_default(batch_size, defaults.SQS_BATCH_SIZE),
        report_batch_item_failures=True,
        max_concurrency=concurrency,
        max_batching_window=max_batching_window,
    )
    if concurrency is not None:
        declare_concurrency_bound(consumer, f"the SQS event source's MaximumConcurrency of {concurrency}")
    # Lands in the role's default policy, which the function (hence its alias and
    # this mapping) already depends on, so the grant exists before Lambda polls.
    queue.grant_consume_messages(consumer.role)
    acknowledge(
        mapping,
        SERVERLESS + "LambdaEventSourceMappingDestination",
        "SQS event source mappings do not support an on-failure destination (Lambda offers it for stream "
        "and Kafka sources only). Failed messages are reported individually (ReportBatchItemFailures), "
        "retried by SQS and moved to the queue's dead-letter queue after max_receive_count receives; that "
        "queue's depth is alarmed.",
    )
    return mapping
