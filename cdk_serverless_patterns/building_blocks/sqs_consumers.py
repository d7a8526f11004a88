"""SQS → Lambda consumption: one event source mapping on a function's ``live`` alias.

Shared by patterns whose functions read a :class:`~.queues.WorkQueue`:
``ReportBatchItemFailures`` is always on (only failed messages are retried, and
after ``max_receive_count`` receives they move to the queue's DLQ), and a
maximum concurrency (default :data:`defaults.SQS_MAX_CONCURRENCY`) bounds how
many invocations the queue may drive (see :mod:`.concurrency`) — unless the
mapping runs in provisioned mode (:class:`ProvisionedPollers`), whose maximum
pollers bound it instead (Lambda accepts one or the other).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from aws_cdk import Duration
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_lambda as lambda_, aws_sqs as sqs
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import SERVERLESS, acknowledge
from cdk_serverless_patterns.errors import Problems, is_token, or_default

from .concurrency import declare_concurrency_bound
from .function import ServerlessFunction


@dataclass(frozen=True)
class ProvisionedPollers:
    """Provisioned mode for an SQS event source mapping: dedicated event pollers, kept warm
    between ``minimum`` and ``maximum`` (each handles up to 1 MB/s or 10 concurrent invokes).

    For spiky queues that must drain fast: provisioned mode scales 3x faster (up to 1,000
    concurrent executions a minute) and up to 20,000 concurrency. It is billed per Event Poller
    Unit-hour (one EPU per SQS poller; the ``cost`` command prices ``minimum`` all month), and it
    replaces maximum concurrency: pass one or the other.

    :param minimum: pollers always provisioned, 2-200. Default: 2 (Lambda's SQS minimum).
    :param maximum: pollers the mapping may scale to, 2-2000 and >= ``minimum``. Default: 200
        (Lambda's default). At most ``maximum`` x 10 concurrent invocations.
    """

    minimum: int = defaults.SQS_MIN_POLLERS_MIN
    maximum: int = defaults.SQS_MAX_POLLERS_DEFAULT

    def to_config(self) -> lambda_.ProvisionedPollerConfig:
        """The aws-cdk-lib configuration of the mapping."""
        return lambda_.ProvisionedPollerConfig(minimum_pollers=self.minimum, maximum_pollers=self.maximum)


def validate_provisioned_pollers(
    problems: Problems, pollers: object, *, max_concurrency: object, field_name: str = "provisioned_pollers"
) -> None:
    """The rules of :class:`ProvisionedPollers`: its type, the ranges, ``minimum <= maximum`` and no
    ``max_concurrency`` beside it (Lambda rejects ScalingConfig with ProvisionedPollerConfig)."""
    if pollers is None:
        return
    if not isinstance(pollers, ProvisionedPollers):
        problems.add(
            field_name,
            pollers,
            "a ProvisionedPollers, or None for Lambda's default polling",
            "pass provisioned_pollers=ProvisionedPollers(minimum=2, maximum=20)",
        )
        return
    low_ok, high_ok = (
        problems.check_int(
            f"{field_name}.{name}",
            value,
            low=low,
            high=high,
            allowed=f"{low}-{high} pollers, an integer (Lambda's {aws_name} for SQS)",
            fix=f"pass {name} between {low} and {high}",
        )
        for name, value, low, high, aws_name in (
            ("minimum", pollers.minimum, defaults.SQS_MIN_POLLERS_MIN, defaults.SQS_MIN_POLLERS_MAX, "MinimumPollers"),
            ("maximum", pollers.maximum, defaults.SQS_MAX_POLLERS_MIN, defaults.SQS_MAX_POLLERS_MAX, "MaximumPollers"),
        )
    )
    if low_ok and high_ok and not is_token(pollers.minimum) and not is_token(pollers.maximum):
        problems.check(
            pollers.minimum <= pollers.maximum,
            f"{field_name}.minimum",
            pollers.minimum,
            f"<= maximum ({pollers.maximum})",
            "lower minimum or raise maximum",
        )
    problems.check(
        max_concurrency is None,
        "max_concurrency",
        max_concurrency,
        "None with provisioned_pollers (Lambda's provisioned mode and maximum concurrency exclude each other; "
        f"the pollers bound concurrency at maximum x {defaults.SQS_INVOKES_PER_POLLER})",
        "drop max_concurrency and bound the mapping with provisioned_pollers.maximum, or drop provisioned_pollers",
    )


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
    provisioned_pollers: Optional[ProvisionedPollers] = None,
) -> None:
    """Rules for an SQS event source without a batching window.

    ``reserved_concurrency`` is the consuming function's, when set: a maximum
    concurrency above it only produces throttles (AWS advises keeping it at or
    below the reserved concurrency). ``fifo``: the queue is FIFO, whose event
    source takes at most 10 messages per batch whatever the window.
    ``provisioned_pollers``: see :func:`validate_provisioned_pollers`.
    """
    p = f"{field_prefix}." if field_prefix else ""
    pollers_problems = Problems(problems.path)
    validate_provisioned_pollers(pollers_problems, provisioned_pollers, max_concurrency=max_concurrency)
    problems.items.extend(i for i in pollers_problems.items if i not in problems.items)
    batch_max, why = (
        (defaults.SQS_FIFO_BATCH_SIZE_MAX, "for a FIFO queue (Lambda's maximum batch for FIFO event sources)")
        if fifo
        else (defaults.SQS_BATCH_SIZE_WITHOUT_WINDOW_MAX, "(larger SQS batches need a batching window, which delays every message)")
    )
    problems.check_int(
        f"{p}batch_size",
        batch_size,
        low=defaults.SQS_BATCH_SIZE_MIN,
        high=batch_max,
        allowed=f"{defaults.SQS_BATCH_SIZE_MIN}-{batch_max} {why}",
        fix=f"pass batch_size between 1 and {batch_max}",
    )
    if max_concurrency is None or is_token(max_concurrency):
        return
    in_range = problems.check_range(
        f"{p}max_concurrency",
        max_concurrency,
        defaults.SQS_MAX_CONCURRENCY_MIN,
        defaults.SQS_MAX_CONCURRENCY_MAX,
        "Lambda ScalingConfig for SQS",
        "pass a value in that range, or None for no limit beyond the account's concurrency",
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
    provisioned_pollers: Optional[ProvisionedPollers] = None,
) -> lambda_.EventSourceMapping:
    """Wire ``queue`` to ``consumer``'s alias with partial batch failure reporting.

    :param max_concurrency: most concurrent invocations this source drives,
        2-1000. Default :func:`default_max_concurrency` (10, at most the
        function's reserved concurrency); none in provisioned mode.
    :param provisioned_pollers: provisioned mode (:class:`ProvisionedPollers`).
        Default: none (Lambda scales its pollers itself).

    Validate first with :func:`validate_queue_consumer` (or, with a
    ``max_batching_window``, the caller's own rules: batches above 10 need a
    window of at least 1 s). Grants the consumer
    what polling needs (receive, delete, change visibility, attributes).
    """
    concurrency = (
        max_concurrency
        if max_concurrency is not None or provisioned_pollers is not None
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
        provisioned_poller_config=provisioned_pollers.to_config() if provisioned_pollers is not None else None,
    )
    if concurrency is not None:
        declare_concurrency_bound(consumer, f"the SQS event source's MaximumConcurrency of {concurrency}")
    elif provisioned_pollers is not None:
        declare_concurrency_bound(
            consumer,
            f"the SQS event source's provisioned mode: at most {provisioned_pollers.maximum} pollers of "
            f"{defaults.SQS_INVOKES_PER_POLLER} concurrent invocations each",
        )
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
