"""``StreamProcessing``: Kinesis data stream → Lambda, with bounded retries and an on-failure queue.

::

    producers ──▶ Kinesis stream (on-demand, KMS)
                     │ event source mapping: batch, window, parallelization,
                     │ bisect on error, bounded retries / record age,
                     │ ReportBatchItemFailures
                     ▼
                  processor (live alias) ──▶ result table (optional)
                     │ records that exhaust retries / age
                     ▼
                  on-failure FailureQueue (shard + sequence numbers; depth alarm)

The on-failure queue receives the *location* of the failed records (shard id,
sequence number range), not the records: re-read them from the stream before
its retention ends (``max_record_age`` defaults well below the retention).
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import Annotations, Duration, RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_dynamodb as dynamodb,
    aws_iam as iam,
    aws_kinesis as kinesis,
    aws_kms as kms,
    aws_lambda as lambda_,
    aws_lambda_event_sources as event_sources,
    aws_logs as logs,
    aws_sns as sns,
    aws_sqs as sqs,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.option_types import (
    BOOL,
    COMMON,
    OptionType,
    instance_of,
)
from cdk_serverless_patterns.building_blocks.alarms import (
    AlarmSpec,
    max_metric,
    sum_metric,
)
from cdk_serverless_patterns.building_blocks.alarms import (
    dashboard as create_dashboard,
)
from cdk_serverless_patterns.building_blocks.concurrency import declare_concurrency_bound
from cdk_serverless_patterns.building_blocks.delivery_rules import (
    duration_seconds,
    format_seconds,
    validate_batching_window,
)
from cdk_serverless_patterns.building_blocks.function import (
    FunctionSpec,
    Invocation,
    ServerlessFunction,
    validate_spec,
)
from cdk_serverless_patterns.building_blocks.alarms import Graph, function_graphs
from cdk_serverless_patterns.building_blocks.grants import grant_exactly
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.building_blocks.queues import FailureQueue
from cdk_serverless_patterns.building_blocks.results import (
    ResultTable,
    grant_result_writes,
    looks_like,
    resolve_result_table,
    validate_result_table,
)
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge
from cdk_serverless_patterns.errors import Problems, child_path, is_token, or_default
from cdk_serverless_patterns.runtime import env


#: What Lambda's poller needs on a stream it reads with shared throughput (no enhanced
#: fan-out consumer: SubscribeToShard and DescribeStreamConsumer apply to consumer ARNs only).
#: https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-create.html
KINESIS_POLLER_ACTIONS = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
)


_OPTION_TYPES = {
    **COMMON,
    "bisect_batch_on_error": BOOL,
    # AT_TIMESTAMP needs a timestamp this pattern does not take: refused with the way out.
    "starting_position": OptionType(
        lambda v: isinstance(v, lambda_.StartingPosition) and v is not lambda_.StartingPosition.AT_TIMESTAMP,
        "aws_lambda.StartingPosition.TRIM_HORIZON or LATEST, or None (TRIM_HORIZON for a new stream, "
        "LATEST for one passed in); AT_TIMESTAMP needs a timestamp this pattern does not take",
        "pass TRIM_HORIZON (then skip old records in the handler by their approximateArrivalTimestamp) or "
        "LATEST (the member, not its name)",
    ),
}


class StreamProcessing(Construct):
    """Process a Kinesis data stream with Lambda (contract).

    :param processor: the function that receives batches of records
        (:class:`FunctionSpec`). It must return a ``batchItemFailures``
        response (``runtime.batch.process_batch(..., stop_on_first_failure=True)``).
    :param stream: an existing ``kinesis.IStream``. Default: a new on-demand
        stream encrypted with the AWS-managed ``alias/aws/kinesis`` KMS key.
    :param encryption_key: encrypt the new stream with this customer-managed
        key instead (compliance); the processor may decrypt with it. Default:
        the AWS-managed key (no per-consumer key costs, AwsSolutions-KDS3).
    :param retention_period: of the new stream, 24 h-8760 h. Default 24 h.
    :param shard_count: give the new stream this many shards in provisioned
        mode (>= 1; steady, predictable traffic is cheaper provisioned).
        Default: on-demand capacity mode (no shards to manage).
    :param batch_size: records per invocation, 1-10000. Default 100.
    :param max_batching_window: gather records up to this long, 0-300 s.
        Default 0 (invoke as soon as records arrive).
    :param parallelization_factor: concurrent batches per shard, 1-10. Default 1
        (strict per-shard order).
    :param max_retry_attempts: retries of a failing batch, -1 (until the record
        expires) to 10000. Default 3 (bounded: a poison record blocks its shard).
    :param max_record_age: records older than this skip to the on-failure
        queue, 60 s-7 days. Default 1 h. Must be shorter than the new stream's
        retention, so the records can still be re-read from the stream.
    :param bisect_batch_on_error: split a failing batch in two and retry each
        half, isolating a bad record. Default True.
    :param starting_position: default ``TRIM_HORIZON`` for a new stream (no
        record written before the mapping exists is skipped), ``LATEST`` for an
        existing one (no surprise replay of its whole retention).
    :param result_table: ``True`` creates a table (``pk``/``sk``), an existing
        ``dynamodb.ITable`` is used, ``None``/``False`` none. Its name reaches
        the processor as ``RESULT_TABLE_NAME``. Default None.
    :param iterator_age_alarm: alarm when the stream's oldest unread record
        (``GetRecords.IteratorAgeMilliseconds``, maximum) is this old.
        Default 5 minutes.
    :param alarm_topic: SNS topic for every alarm. Default: none.
    :param create_alarms: default True.
    :param removal_policy: of the stream, table and log group it creates.
        Default RETAIN. DESTROY (sandboxes) makes the stack deletable in one ``cdk
        destroy``: tables and user pools drop deletion protection, KMS keys get the
        7-day minimum pending window; buckets must be empty. CDK's
        ``RemovalPolicies.of(stack).destroy()`` has the same effect (see
        docs/patterns/destroy.md).
    :param log_retention: of the processor's logs. Default one month.
    :param dashboard: add a CloudWatch dashboard: iterator age, incoming
        records, failure queue depth, the processor's graphs, then the alarms.
        Default False (dashboards bill per month).

    Metrics (what the alarms watch): :meth:`metric_iterator_age`,
    :meth:`metric_failed_records` and the processor's ``metric_*``. Grants:
    :meth:`grant_put_records` (producers).

    Attributes: ``stream``, ``processor`` (:class:`ServerlessFunction`),
    ``failure_queue`` (the on-failure ``sqs.IQueue``), ``event_source_mapping``,
    ``table`` (or None), ``alarms``, ``dashboard``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        processor: FunctionSpec,
        stream: Optional[kinesis.IStream] = None,
        encryption_key: Optional[kms.IKey] = None,
        retention_period: Optional[Duration] = None,
        shard_count: Optional[int] = None,
        batch_size: Optional[int] = None,
        max_batching_window: Optional[Duration] = None,
        parallelization_factor: Optional[int] = None,
        max_retry_attempts: Optional[int] = None,
        max_record_age: Optional[Duration] = None,
        bisect_batch_on_error: bool = True,
        starting_position: Optional[lambda_.StartingPosition] = None,
        result_table: ResultTable = None,
        iterator_age_alarm: Optional[Duration] = None,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: Optional[logs.RetentionDays] = None,
        dashboard: bool = False,
    ) -> None:
        options = PatternOptions(alarm_topic=alarm_topic, create_alarms=create_alarms, removal_policy=removal_policy,
                                 log_retention=log_retention, dashboard=dashboard)
        problems = Problems(child_path(scope, construct_id))
        options.check_types(
            problems, _OPTION_TYPES, bisect_batch_on_error=bisect_batch_on_error, starting_position=starting_position
        )
        bisect_batch_on_error = or_default(bisect_batch_on_error, True)
        size = or_default(batch_size, defaults.KINESIS_BATCH_SIZE)
        parallelization = or_default(parallelization_factor, defaults.KINESIS_PARALLELIZATION)
        retries = or_default(max_retry_attempts, defaults.KINESIS_RETRY_ATTEMPTS)
        record_age = or_default(max_record_age, defaults.KINESIS_MAX_RECORD_AGE)
        retention = or_default(retention_period, defaults.KINESIS_RETENTION)
        iterator_age = or_default(iterator_age_alarm, defaults.ITERATOR_AGE_ALARM)
        validate_spec(problems, processor, field_prefix="processor")
        problems.check(
            stream is None or looks_like(stream, "stream_arn", "stream_name", "grant_read"),
            "stream",
            stream,
            "a kinesis.IStream or None (create one)",
            "pass kinesis.Stream.from_stream_arn(self, 'Clicks', arn) or leave stream out",
        )
        for name, given in (
            ("encryption_key", encryption_key),
            ("retention_period", retention_period),
            ("shard_count", shard_count),
        ):
            problems.check(
                stream is None or given is None,
                name,
                given,
                "only when the construct creates the stream",
                f"configure the existing stream itself, or drop {name}",
            )
        problems.check(
            encryption_key is None or looks_like(encryption_key, "key_arn", "grant_decrypt"),
            "encryption_key",
            encryption_key,
            "a kms.IKey or None (the AWS-managed alias/aws/kinesis key)",
            "pass kms.Key(...) or leave encryption_key out",
        )
        if shard_count is not None and not is_token(shard_count):
            problems.check_int(
                "shard_count",
                shard_count,
                low=1,
                allowed="an integer >= 1 (provisioned mode), or None for on-demand",
                fix="pass shard_count=2, or leave it out for on-demand capacity",
            )
        _validate_mapping(problems, size, max_batching_window, parallelization, retries, record_age)
        _validate_durations(problems, retention if stream is None else None, record_age, iterator_age)
        validate_result_table(problems, result_table)
        problems.raise_if_any()
        super().__init__(scope, construct_id)

        if stream is None:
            self.stream: kinesis.IStream = kinesis.Stream(
                self,
                "Stream",
                stream_mode=kinesis.StreamMode.ON_DEMAND if shard_count is None else kinesis.StreamMode.PROVISIONED,
                shard_count=shard_count,
                encryption=kinesis.StreamEncryption.KMS if encryption_key else kinesis.StreamEncryption.MANAGED,
                encryption_key=encryption_key,
                retention_period=retention,
                removal_policy=options.removal_policy,
            )
            if encryption_key is not None:
                acknowledge(
                    self.stream,
                    AWS_SOLUTIONS + "KDS3",
                    "The stream uses the customer-managed KMS key its owner passed explicitly "
                    "(encryption_key), a compliance choice the AWS-managed key cannot meet.",
                )
        else:
            self.stream = stream
        position = starting_position if starting_position is not None else (
            lambda_.StartingPosition.TRIM_HORIZON if stream is None else lambda_.StartingPosition.LATEST
        )

        self.table: Optional[dynamodb.ITable] = resolve_result_table(self, "Results", result_table, options.removal_policy)
        self.processor = ServerlessFunction(
            self,
            "Processor",
            processor,
            invocation=Invocation.EVENT_SOURCE,
            environment={env.RESULT_TABLE: self.table.table_name} if self.table is not None else None,
            **options.for_function,
        )
        if self.table is not None:
            grant_result_writes(self.table, self.processor.role)
        declare_concurrency_bound(
            self.processor,
            f"the stream's shard count x parallelization_factor ({parallelization}): Lambda processes at most "
            "that many batches of a stream at once",
        )

        self._failures = FailureQueue(
            self,
            "OnFailure",
            purpose=f"stream records {self.node.path} gave up on (the message holds their shard and sequence numbers)",
            **options.for_queue,
        )
        self.failure_queue: sqs.IQueue = self._failures.queue
        if retries == -1:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:stream-unbounded-retries",
                "max_retry_attempts=-1 retries a failing batch until its records expire: one poison record "
                "blocks its shard for up to max_record_age.",
            )
        # The mapping is made directly (not with KinesisEventSource, whose grant_read adds the
        # enhanced fan-out actions SubscribeToShard/DescribeStreamConsumer on the stream ARN, where
        # they cannot apply, and ListStreams): this consumer polls shards, so it gets exactly what
        # Lambda's shared-throughput poller calls, on the stream.
        self.event_source_mapping: lambda_.EventSourceMapping = self.processor.alias.add_event_source_mapping(
            "KinesisEventSource",
            event_source_arn=self.stream.stream_arn,
            starting_position=position,
            batch_size=size,
            max_batching_window=max_batching_window,
            parallelization_factor=parallelization,
            # CDK expresses Lambda's -1 (infinite) by leaving the property out.
            retry_attempts=None if retries == -1 else retries,
            max_record_age=record_age,
            bisect_batch_on_error=bisect_batch_on_error,
            report_batch_item_failures=True,
            on_failure=event_sources.SqsDlq(self.failure_queue),
        )
        self.processor.role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(KINESIS_POLLER_ACTIONS), resources=[self.stream.stream_arn])
        )
        if self.stream.encryption_key is not None:
            self.stream.encryption_key.grant_decrypt(self.processor.role)

        self.alarms: list[cloudwatch.Alarm] = [
            *self.processor.alarms,
            *self._failures.alarms,
            *options.alarms(self, [self._iterator_age_alarm(iterator_age)]),
        ]
        self.dashboard: Optional[cloudwatch.Dashboard] = (
            create_dashboard(self, "Dashboard", self.alarms, self.dashboard_graphs()) if options.dashboard else None
        )

    def _iterator_age_alarm(self, iterator_age: Duration) -> AlarmSpec:
        return AlarmSpec(
            "IteratorAgeAlarm",
            metric=self.metric_iterator_age(),
            threshold=iterator_age.to_milliseconds(),
            description=(
                f"{self.node.path}: records have waited {format_seconds(iterator_age.to_seconds(integral=False))} s "
                "or more in the stream; the processor is falling behind or stuck on failing records."
            ),
        )

    # --- metrics: exactly what the alarms watch ------------------------------
    def metric_iterator_age(self) -> cloudwatch.Metric:
        """``GetRecords.IteratorAgeMilliseconds`` (Maximum over 5 min): how far the processor lags."""
        return max_metric(self.stream.metric_get_records_iterator_age_milliseconds())

    def metric_failed_records(self) -> cloudwatch.Metric:
        """Batches given up on, waiting in the on-failure queue (Maximum over 5 min)."""
        return self._failures.metric_depth()

    def metric_incoming_records(self) -> cloudwatch.Metric:
        """Records put on the stream (``IncomingRecords``, Sum over 5 min)."""
        return sum_metric(self.stream.metric_incoming_records())

    def dashboard_graphs(self) -> list[Graph]:
        """The graphs ``dashboard=True`` shows."""
        return [
            ("Incoming records", [("records", self.metric_incoming_records())]),
            ("Iterator age (ms)", [("max", self.metric_iterator_age())]),
            ("Records given up on", [("in failure queue", self.metric_failed_records())]),
            *function_graphs({"processor": self.processor}),
        ]

    # --- grants ---------------------------------------------------------------
    def grant_put_records(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let a producer write: exactly ``kinesis:PutRecord`` and ``kinesis:PutRecords``
        on this stream, plus ``kms:GenerateDataKey`` on its customer-managed key
        (none needed for the AWS-managed ``aws/kinesis`` key)."""
        grant = grant_exactly(
            grantee, actions=["kinesis:PutRecord", "kinesis:PutRecords"], resources=[self.stream.stream_arn]
        )
        if self.stream.encryption_key is not None:
            self.stream.encryption_key.grant(grantee, "kms:GenerateDataKey")
        return grant


def _validate_mapping(
    problems: Problems,
    size: int,
    window: Optional[Duration],
    parallelization: int,
    retries: int,
    record_age: Duration,
) -> None:
    problems.check_range(
        "batch_size",
        size,
        defaults.KINESIS_BATCH_SIZE_MIN,
        defaults.KINESIS_BATCH_SIZE_MAX,
        "Kinesis event source",
        "pass e.g. batch_size=100",
    )
    validate_batching_window(problems, window)
    problems.check_range(
        "parallelization_factor",
        parallelization,
        defaults.KINESIS_PARALLELIZATION_MIN,
        defaults.KINESIS_PARALLELIZATION_MAX,
        "concurrent batches per shard",
        "pass e.g. parallelization_factor=2",
    )
    problems.check_int(
        "max_retry_attempts",
        retries,
        low=defaults.KINESIS_RETRY_ATTEMPTS_MIN,
        high=defaults.KINESIS_RETRY_ATTEMPTS_MAX,
        allowed=f"{defaults.KINESIS_RETRY_ATTEMPTS_MIN} (until the record expires) to "
        f"{defaults.KINESIS_RETRY_ATTEMPTS_MAX} (Kinesis event source)",
        fix="pass e.g. max_retry_attempts=3",
    )
    duration_seconds(
        problems,
        "max_record_age",
        record_age,
        low_s=defaults.KINESIS_RECORD_AGE_MIN_S,
        high_s=defaults.KINESIS_RECORD_AGE_MAX_S,
        allowed=f"{defaults.KINESIS_RECORD_AGE_MIN_S} s-{defaults.KINESIS_RECORD_AGE_MAX_S} s (Kinesis event source)",
        fix="pass a Duration between 1 minute and 7 days, e.g. Duration.hours(1)",
    )


def _validate_durations(
    problems: Problems, retention: Optional[Duration], record_age: Duration, iterator_age: Duration
) -> None:
    if retention is not None:
        if not isinstance(retention, Duration):
            problems.add("retention_period", retention, "an aws_cdk.Duration", "pass Duration.hours(24)")
        else:
            hours = retention.to_seconds(integral=False) / 3600
            problems.check(
                defaults.KINESIS_RETENTION_MIN_H <= hours <= defaults.KINESIS_RETENTION_MAX_H and hours == int(hours),
                "retention_period",
                f"{hours:g} h",
                f"{defaults.KINESIS_RETENTION_MIN_H}-{defaults.KINESIS_RETENTION_MAX_H} h (Kinesis data retention), in whole hours",
                "pass e.g. Duration.hours(24) or Duration.days(7)",
            )
            if isinstance(record_age, Duration):
                age_s = record_age.to_seconds(integral=False)
                retention_s = retention.to_seconds(integral=False)
                problems.check(
                    age_s < retention_s,
                    "max_record_age",
                    f"{format_seconds(age_s)} s",
                    f"shorter than the stream's retention ({format_seconds(retention_s)} s), so records sent to the "
                    "on-failure queue can still be re-read from the stream",
                    "lower max_record_age or raise retention_period",
                )
    problems.check(
        isinstance(iterator_age, Duration) and iterator_age.to_seconds(integral=False) > 0,
        "iterator_age_alarm",
        iterator_age,
        "a positive aws_cdk.Duration",
        "pass e.g. Duration.minutes(5)",
    )
