"""``EventProcessing``: S3 → EventBridge rule → Lambda → result store, SNS notifications.

::

    S3 bucket ──(EventBridge, "Object Created")──▶ rule: bucket + prefix/suffix
      │ access logs ▶ log bucket                     │ retry policy, DLQ ▶ FailureQueue
      │                                              ▼
      │                        processor (live alias, async)  ──▶ result table (optional)
      │                          │ on failure ▶ FailureQueue   ──▶ SNS topic (notify)
      └── processor reads only <prefix>*

With ``buffer=True`` the rule sends to an SQS work queue instead and the
processor polls it in batches (partial batch failures, redrive to a DLQ).
"""

from __future__ import annotations

import re
from typing import Any, Optional, Union

from aws_cdk import Annotations, Duration, RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_dynamodb as dynamodb,
    aws_events as events,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_s3 as s3,
    aws_sns as sns,
    aws_sqs as sqs,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.option_types import (
    BOOL,
    COMMON,
    INTEGER,
    STRING,
)
from cdk_serverless_patterns.building_blocks.alarms import Graph, function_graphs
from cdk_serverless_patterns.building_blocks.grants import grant_exactly
from cdk_serverless_patterns.building_blocks.alarms import (
    dashboard as create_dashboard,
)
from cdk_serverless_patterns.building_blocks.buckets import SecureBucket
from cdk_serverless_patterns.building_blocks.concurrency import rule_consumer_spec
from cdk_serverless_patterns.building_blocks.delivery_rules import (
    format_seconds,
    validate_batching_window,
    validate_target_retry_policy,
)
from cdk_serverless_patterns.building_blocks.function import (
    FunctionSpec,
    Invocation,
    ServerlessFunction,
    validate_spec,
)
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.building_blocks.queues import (
    WorkQueue,
    validate_work_queue,
)
from cdk_serverless_patterns.building_blocks.results import (
    ResultTable,
    grant_result_writes,
    looks_like,
    resolve_result_table,
    validate_result_table,
)
from cdk_serverless_patterns.building_blocks.rule_targets import RuleTarget
from cdk_serverless_patterns.building_blocks.sqs_consumers import (
    ProvisionedPollers,
    consume_queue,
    validate_provisioned_pollers,
)
from cdk_serverless_patterns.building_blocks.topic_grants import grant_publish
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge
from cdk_serverless_patterns.checks.nag_ids import resource_finding
from cdk_serverless_patterns.errors import PatternConfigError, Problems, child_path, is_token, or_default
from cdk_serverless_patterns.runtime import env


#: Characters S3 leaves as they are when it URL-encodes object keys in event
#: notifications; a filter with any other character (space, '=', '+', ...)
#: would be compared with the encoded key and silently never match.
_KEY_FILTER_RE = re.compile(r"^[A-Za-z0-9/_.\-]+$")


_OPTION_TYPES = {**COMMON, "prefix": STRING, "suffix": STRING, "buffer": BOOL, "max_receive_count": INTEGER}


class EventProcessing(Construct):
    """Process objects as they land in S3, through EventBridge (contract).

    :param processor: the function that processes one object event
        (:class:`FunctionSpec`). Invoked asynchronously through its ``live``
        alias (or by an SQS event source mapping with ``buffer=True``). Its
        role can read only the objects matching ``prefix``. Concurrency: the
        spec's ``reserved_concurrency``, default 10 as a rule target
        (``defaults.RULE_CONSUMER_RESERVED_CONCURRENCY``), or the event source's
        maximum concurrency of 10 with ``buffer=True``.
    :param bucket: an existing bucket (``s3.IBucket``), which must already send
        events to EventBridge (``EventBridgeConfiguration``). Default: a new
        private, SSE-S3, SSL-only, versioned bucket with server access logs and
        EventBridge delivery on (:class:`buckets.SecureBucket`).
    :param prefix: only keys starting with this, e.g. ``"uploads/"``. Letters,
        digits and ``/ _ . -`` only (S3 URL-encodes other characters in
        events), at most 1024 bytes. Default: every key.
    :param suffix: only keys ending with this, e.g. ``".csv"``. Same rules.
        Default: every key.
    :param notify: ``True`` creates an encrypted SNS topic the processor may
        publish to (``NOTIFY_TOPIC_ARN``), an existing ``sns.ITopic`` is used as
        is, ``False`` means none. Default True.
    :param result_table: ``True`` creates a table (``pk``/``sk``), an existing
        ``dynamodb.ITable`` is used, ``None``/``False`` means none. The name
        reaches the processor as ``RESULT_TABLE_NAME``. Default None.
    :param buffer: put an SQS work queue between the rule and the processor so
        it receives batches. Default False (one invocation per object).
    :param batch_size: records per batch with ``buffer=True``, 1-10000;
        above 10 ``max_batching_window`` must be at least 1 s. Default 10.
    :param max_batching_window: how long to gather a batch with ``buffer=True``,
        0-300 s. Default 0 (invoke as soon as records are there).
    :param max_receive_count: receives before a buffered event moves to the
        buffer's DLQ, 1-1000. Default 5.
    :param provisioned_pollers: with ``buffer=True``, run the buffer's event
        source mapping in provisioned mode
        (:class:`~cdk_serverless_patterns.building_blocks.sqs_consumers.ProvisionedPollers`:
        dedicated pollers, billed per poller-hour) so a burst of uploads drains
        fast; the pollers then bound the processor's concurrency instead of the
        default maximum concurrency of 10. Default: none.
    :param retry_attempts: EventBridge retries delivering to the target,
        0-185. Default 185 (bounded by ``max_event_age``).
    :param max_event_age: how long EventBridge keeps retrying, 60 s-24 h.
        Default 1 h; then the event goes to the target DLQ (``dead_letter_queue``).
    :param alarm_topic: SNS topic for every alarm. Default: none.
    :param create_alarms: default True.
    :param removal_policy: of the bucket, log bucket, table, notification topic key
        and log group it creates. Default RETAIN. DESTROY (sandboxes) makes the stack
        deletable in one ``cdk destroy``: tables and user pools drop deletion
        protection, KMS keys get the 7-day minimum pending window; buckets must be
        empty. CDK's ``RemovalPolicies.of(stack).destroy()`` has the same effect (see
        docs/patterns/destroy.md).
    :param log_retention: of the processor's logs. Default one month.
    :param dashboard: add a CloudWatch dashboard: rule deliveries and failures,
        DLQ depth, buffer age, the processor's graphs, then the alarms.
        Default False (dashboards bill per month).

    Metrics (what the alarms watch): :meth:`metric_failed_invocations`,
    :meth:`metric_invocations_failed_to_dlq`, :meth:`metric_dead_letter_messages`,
    :meth:`metric_buffer_oldest_message_age` (``buffer=True``), and the
    processor's ``metric_errors``/``metric_throttles``/``metric_duration``.
    Grants: :meth:`grant_put` (upload under the prefix).

    Attributes: ``bucket``, ``access_log_bucket`` (None for an existing bucket),
    ``rule``, ``processor`` (:class:`ServerlessFunction`), ``topic`` (or None),
    ``table`` (or None), ``dead_letter_queue`` (the rule target's DLQ),
    ``buffer`` (:class:`WorkQueue` or None), ``alarms``, ``dashboard``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        processor: FunctionSpec,
        bucket: Optional[s3.IBucket] = None,
        prefix: Optional[str] = None,
        suffix: Optional[str] = None,
        notify: Union[bool, sns.ITopic] = True,
        result_table: ResultTable = None,
        buffer: bool = False,
        batch_size: Optional[int] = None,
        max_batching_window: Optional[Duration] = None,
        max_receive_count: Optional[int] = None,
        retry_attempts: Optional[int] = None,
        max_event_age: Optional[Duration] = None,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: Optional[logs.RetentionDays] = None,
        dashboard: bool = False,
        provisioned_pollers: Optional[ProvisionedPollers] = None,
    ) -> None:
        options = PatternOptions(alarm_topic=alarm_topic, create_alarms=create_alarms, removal_policy=removal_policy,
                                 log_retention=log_retention, dashboard=dashboard)
        problems = Problems(child_path(scope, construct_id))
        typed = options.check_types(
            problems, _OPTION_TYPES, prefix=prefix, suffix=suffix, buffer=buffer, max_receive_count=max_receive_count
        )
        prefix, suffix, buffer = typed["prefix"], typed["suffix"], bool(typed["buffer"])
        max_receive_count = typed["max_receive_count"]
        retries = or_default(retry_attempts, defaults.RULE_RETRY_ATTEMPTS)
        event_age = or_default(max_event_age, defaults.RULE_MAX_EVENT_AGE)
        receive_count = or_default(max_receive_count, defaults.MAX_RECEIVE_COUNT)
        validate_spec(problems, processor, field_prefix="processor")
        problems.check(
            max_receive_count is None or buffer,
            "max_receive_count",
            max_receive_count,
            "only with buffer=True (it counts receives from the buffer queue; unbuffered events have none)",
            "pass buffer=True as well, or drop max_receive_count (retry_attempts sets the unbuffered retries)",
        )
        _validate_key_filter(problems, "prefix", prefix)
        _validate_key_filter(problems, "suffix", suffix)
        problems.check(
            bucket is None or looks_like(bucket, "bucket_arn", "bucket_name", "arn_for_objects"),
            "bucket",
            bucket,
            "an s3.IBucket or None (create one)",
            "pass s3.Bucket.from_bucket_name(self, 'Uploads', 'name') or leave bucket out",
        )
        problems.check(
            isinstance(notify, bool) or looks_like(notify, "topic_arn", "grant_publish"),
            "notify",
            notify,
            "True (create a topic), False (none) or an existing sns.ITopic",
            "pass notify=True or notify=sns.Topic.from_topic_arn(...)",
        )
        validate_result_table(problems, result_table)
        validate_target_retry_policy(problems, retries, event_age)
        _validate_buffer(problems, processor, buffer, batch_size, max_batching_window, receive_count)
        problems.check(
            provisioned_pollers is None or buffer,
            "provisioned_pollers",
            provisioned_pollers,
            "only with buffer=True (pollers read the buffer queue; unbuffered events go straight to the function)",
            "pass buffer=True as well, or drop provisioned_pollers",
        )
        validate_provisioned_pollers(problems, provisioned_pollers, max_concurrency=None)
        problems.raise_if_any()
        super().__init__(scope, construct_id)
        self.prefix = prefix
        self.suffix = suffix

        self.access_log_bucket: Optional[s3.IBucket] = None
        if bucket is None:
            secure = SecureBucket(self, "Bucket", removal_policy=removal_policy, event_bridge=True)
            self.bucket: s3.IBucket = secure.bucket
            self.access_log_bucket = secure.access_log_bucket
        else:
            self.bucket = bucket
            Annotations.of(self).add_info(
                "The existing bucket must send its events to EventBridge "
                "(NotificationConfiguration.EventBridgeConfiguration) or the rule never fires."
            )

        self.table: Optional[dynamodb.ITable] = resolve_result_table(self, "Results", result_table, removal_policy)
        self.topic: Optional[sns.ITopic] = None
        if notify is True:
            self.topic = EncryptedTopic(self, "Notifications", removal_policy=removal_policy).topic
        elif notify is not False:
            self.topic = notify

        environment = {}
        if self.table is not None:
            environment[env.RESULT_TABLE] = self.table.table_name
        if self.topic is not None:
            environment[env.NOTIFY_TOPIC_ARN] = self.topic.topic_arn
        self.processor = ServerlessFunction(
            self,
            "Processor",
            processor if buffer else rule_consumer_spec(processor),
            invocation=Invocation.EVENT_SOURCE if buffer else Invocation.ASYNC,
            environment=environment,
            **options.for_function,
        )
        self._grant_processor()

        self.delivery = RuleTarget(
            self,
            "TargetDeadLetter",
            purpose=f"S3 events the rule of {self.node.path} could not deliver",
            retry_attempts=retries,
            max_event_age=event_age,
            options=options,
        )
        self.dead_letter_queue: sqs.IQueue = self.delivery.dead_letter_queue
        self.rule = events.Rule(
            self,
            "Rule",
            description=(  # EventBridge allows 512 characters
                f"Object Created in the bucket of {self.node.path}"
                + (f", keys {prefix or ''}*{suffix or ''}" if prefix or suffix else "")
            )[:512],
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail=self._detail_pattern(),
            ),
        )
        self.buffer: Optional[WorkQueue] = None
        self.buffer_mapping: Optional[lambda_.EventSourceMapping] = None
        if buffer:
            self._wire_buffer(
                or_default(batch_size, defaults.SQS_BATCH_SIZE),
                max_batching_window,
                receive_count,
                options,
                provisioned_pollers,
            )
        else:
            self.delivery.to_function(self.rule, self.processor.alias)

        self.alarms: list[cloudwatch.Alarm] = [
            *self.processor.alarms,
            *self.delivery.failures.alarms,
            *(self.buffer.alarms if self.buffer else []),
            *options.alarms(self, self.delivery.failure_alarm_specs(f"The rule of {self.node.path}")),
        ]
        self.dashboard: Optional[cloudwatch.Dashboard] = (
            create_dashboard(self, "Dashboard", self.alarms, self.dashboard_graphs()) if dashboard else None
        )

    # --- metrics: exactly what the alarms watch ------------------------------
    def metric_failed_invocations(self) -> cloudwatch.Metric:
        """Events the rule could not deliver to its target (``AWS/Events FailedInvocations``, Sum over 5 min)."""
        return self.delivery.metric_failed_invocations()

    def metric_invocations_failed_to_dlq(self) -> cloudwatch.Metric:
        """Failed events the rule could not even put in its DLQ: lost (Sum over 5 min)."""
        return self.delivery.metric_invocations_failed_to_dlq()

    def metric_triggered_rules(self) -> cloudwatch.Metric:
        """Matching uploads (``AWS/Events TriggeredRules``, Sum over 5 min)."""
        return self.delivery.metric_triggered_rules()

    def metric_dead_letter_messages(self) -> cloudwatch.Metric:
        """Events waiting in the rule target's DLQ (Maximum over 5 min), as its depth alarm sees it."""
        return self.delivery.metric_dead_letter_messages()

    def metric_buffer_oldest_message_age(self) -> cloudwatch.Metric:
        """Age of the oldest buffered event (s), as the buffer's alarm sees it; ``buffer=True`` only."""
        if self.buffer is None:
            raise PatternConfigError(
                self.node.path,
                ["metric_buffer_oldest_message_age: buffer=False is invalid: allowed only with buffer=True. "
                 "Fix: use metric_failed_invocations() for unbuffered delivery"],
            )
        return self.buffer.metric_oldest_message_age()

    def dashboard_graphs(self) -> list[Graph]:
        """The graphs ``dashboard=True`` shows."""
        graphs: list[Graph] = [
            ("Uploads matched", [("triggered", self.metric_triggered_rules())]),
            (
                "Delivery failures",
                [
                    ("failed invocations", self.metric_failed_invocations()),
                    ("lost (DLQ unreachable)", self.metric_invocations_failed_to_dlq()),
                    ("in DLQ", self.metric_dead_letter_messages()),
                ],
            ),
        ]
        if self.buffer is not None:
            graphs.append(("Buffer oldest message (s)", [("age", self.buffer.metric_oldest_message_age())]))
        return graphs + function_graphs({"processor": self.processor})

    # --- grants ---------------------------------------------------------------
    def grant_put(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` upload objects the rule processes: exactly ``s3:PutObject``
        on ``<bucket>/<prefix>*`` (plus ``kms:GenerateDataKey`` on a KMS-encrypted
        bucket's key). Nothing outside the prefix, no reads, no deletes."""
        objects = self.bucket.arn_for_objects(f"{self.prefix or ''}*")
        grant = grant_exactly(
            grantee,
            actions=["s3:PutObject"],
            resources=[objects],
            wildcard_reason=(
                f"s3:PutObject only, only under the prefix {self.prefix or '(none)'!r} that {self.node.path} "
                "processes, in its one bucket; new object keys cannot be known in advance."
            ),
        )
        if self.bucket.encryption_key is not None:
            self.bucket.encryption_key.grant(grantee, "kms:GenerateDataKey")
        return grant

    def _detail_pattern(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"bucket": {"name": [self.bucket.bucket_name]}}
        if self.prefix and self.suffix:
            # Two matchers on one field are OR-ed; a wildcard ANDs them. The
            # allowed characters need no wildcard escaping.
            matcher: Optional[dict[str, str]] = {"wildcard": f"{self.prefix}*{self.suffix}"}
        elif self.prefix:
            matcher = {"prefix": self.prefix}
        elif self.suffix:
            matcher = {"suffix": self.suffix}
        else:
            matcher = None
        if matcher is not None:
            detail["object"] = {"key": [matcher]}
        return detail

    def _grant_processor(self) -> None:
        role = self.processor.role
        objects = self.bucket.arn_for_objects(f"{self.prefix or ''}*")
        # Only what processing an object needs, only under the prefix: no
        # List*, no GetBucket*, no writes.
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:GetObject", "s3:GetObjectVersion"], resources=[objects])
        )
        if self.bucket.encryption_key is not None:
            self.bucket.encryption_key.grant_decrypt(role)
        policy = role.node.find_child("DefaultPolicy")
        acknowledge(
            policy,
            f"{AWS_SOLUTIONS}IAM5[{resource_finding(self, objects)}]",
            "The processor reads the objects it is notified about, whose keys are only known at run time; "
            "the grant is limited to GetObject/GetObjectVersion on the configured key prefix of this one bucket.",
        )
        if self.table is not None:
            grant_result_writes(self.table, role)
        if self.topic is not None:
            # Also the key of an existing encrypted topic: SNS encrypts with the publisher's permissions.
            grant_publish(self.topic, role)

    def _wire_buffer(
        self,
        batch_size: int,
        window: Optional[Duration],
        receive_count: int,
        options: PatternOptions,
        pollers: Optional[ProvisionedPollers] = None,
    ) -> None:
        self.buffer = WorkQueue(
            self,
            "Buffer",
            consumer_timeout=self.processor.timeout,
            purpose=f"S3 events buffered for {self.node.path}",
            max_receive_count=receive_count,
            **options.for_queue,
        )
        self.delivery.to_queue(self.rule, self.buffer.queue)
        self.buffer_mapping = consume_queue(
            self,
            "BufferMapping",
            consumer=self.processor,
            queue=self.buffer.queue,
            batch_size=batch_size,
            max_batching_window=window,
            provisioned_pollers=pollers,
        )


def _validate_key_filter(problems: Problems, field: str, value: Optional[str]) -> None:
    if value is None:
        return
    if not isinstance(value, str) or is_token(value):
        problems.add(field, value, "a plain string known at synth time", f"pass {field}='uploads/' or leave it out")
        return
    problems.check(
        value != "",
        field,
        value,
        "a non-empty string, or None for every key",
        f"leave {field} out to match every key",
    )
    if value == "":
        return
    problems.check(
        bool(_KEY_FILTER_RE.match(value)),
        field,
        value,
        "letters, digits and '/', '_', '.', '-' only (S3 URL-encodes other characters in event keys, "
        "so the rule would never match)",
        f"choose a {field} made of those characters, e.g. 'uploads/' or '.csv'",
    )
    problems.check(
        len(value.encode()) <= defaults.S3_KEY_MAX_BYTES,
        field,
        f"{len(value.encode())} bytes",
        f"at most {defaults.S3_KEY_MAX_BYTES} bytes (S3 key length)",
        f"shorten the {field}",
    )


def _validate_buffer(
    problems: Problems,
    processor: FunctionSpec,
    buffer: bool,
    batch_size: Optional[int],
    window: Optional[Duration],
    receive_count: int,
) -> None:
    if not buffer:
        for name, value in (("batch_size", batch_size), ("max_batching_window", window)):
            problems.check(
                value is None,
                name,
                value,
                "only with buffer=True (without a buffer every object is its own invocation)",
                f"pass buffer=True to batch through an SQS queue, or drop {name}",
            )
        return
    size = or_default(batch_size, defaults.SQS_BATCH_SIZE)
    problems.check_range(
        "batch_size",
        size,
        defaults.SQS_BATCH_SIZE_MIN,
        defaults.SQS_BATCH_SIZE_MAX,
        "SQS event source, standard queue",
        "pass e.g. batch_size=10",
    )
    window_s = validate_batching_window(problems, window)
    # An invalid window is already reported; only a missing or valid one is judged here.
    if isinstance(size, int) and size > defaults.SQS_BATCH_SIZE_WITHOUT_WINDOW_MAX and (window is None or window_s is not None):
        problems.check(
            window_s is not None and window_s >= 1,
            "max_batching_window",
            f"{format_seconds(window_s)} s" if window_s is not None else None,
            f"at least 1 s when batch_size > {defaults.SQS_BATCH_SIZE_WITHOUT_WINDOW_MAX} (SQS event source)",
            "pass max_batching_window=Duration.seconds(1) or more, or batch_size<=10",
        )
    if isinstance(processor, FunctionSpec) and isinstance(processor.timeout, Duration):
        # The buffer's visibility timeout is 6x the processor's timeout (AWS), at most 12 h.
        field_problems = Problems(problems.path)
        validate_work_queue(field_problems, processor.timeout, receive_count)
        for item in field_problems.items:
            problems.items.append(item.replace("timeout=", "processor.timeout=", 1) if item.startswith("timeout=") else item)
