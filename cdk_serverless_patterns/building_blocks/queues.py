"""The queue helper: the one place the library makes SQS queues.

* :class:`FailureQueue` — a terminal queue for things that failed (a DLQ, a
  Lambda on-failure destination, an EventBridge target DLQ). Encrypted,
  SSL-only, 14-day retention, an alarm as soon as one message lands, and the
  stateful removal policy (RETAIN by default): its messages are events nobody
  has handled yet, and deleting the stack must not delete them.
* :class:`WorkQueue` — a queue a consumer reads, with its own FailureQueue as
  redrive target, a visibility timeout derived from the consumer's timeout
  (AWS: at least 6x) and an oldest-message-age alarm.

Both take ``fifo=True``: a FIFO queue (name ending ``.fifo``) whose dead-letter
queue is FIFO too (SQS requires the redrive target of a FIFO queue to be FIFO).
Work queues then use high-throughput FIFO: deduplication and throughput per
message group, so one busy customer does not slow the others.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from aws_cdk import Duration, RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_cloudwatch as cloudwatch, aws_sns as sns, aws_sqs as sqs
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import (
    AWS_SOLUTIONS,
    SERVERLESS,
    acknowledge,
    acknowledge_checkov,
    in_one_batch,
)
from cdk_serverless_patterns.errors import Problems, child_path, is_token, or_default, remember_stack, stack_of

from .alarms import AlarmSpec, alarms_from_specs


#: SQS queue names: letters, digits, '-' and '_' (plus the '.fifo' suffix), 1-80 characters.
_QUEUE_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")


#: Why queues use SSE-SQS rather than a customer managed key (checkov CKV_AWS_27).
SSE_SQS_REASON = (
    "Encrypted at rest with SSE-SQS (AES-256, SQS-managed keys) and SSL-only. A customer managed key would "
    "need a key-policy grant for every AWS service that sends here (EventBridge, SNS, Lambda destinations, "
    "Pipes), each a decrypt path of its own; access to messages is controlled by the queue policy and IAM."
)


def visibility_timeout_for(consumer_timeout: Duration) -> Duration:
    """The visibility timeout AWS advises for a Lambda consumer: 6x its timeout."""
    return Duration.seconds(consumer_timeout.to_seconds() * defaults.SQS_VISIBILITY_FACTOR)


class FailureQueue(Construct):
    """A terminal dead-letter / on-failure queue with a depth alarm.

    :param purpose: what fails into this queue, used in the alarm description and
        in the reason for the scoped acknowledgement of the "DLQ has no DLQ" rules.
    :param alarm_topic: SNS topic for the alarm. Default: the scope's default
        alarm topic (``set_default_alarm_topic``), else none.
    :param create_alarms: create the depth alarm. Default: True.
    :param fifo: a FIFO queue, for the failures of a FIFO queue or a FIFO SNS
        subscription (both require a FIFO dead-letter queue). Default: False.
    :param removal_policy: of the queue. Default RETAIN, like every stateful
        resource; pass the pattern's ``removal_policy`` (DESTROY for sandboxes).
    """

    @in_one_batch
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        purpose: str,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        fifo: bool = False,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        create_alarms = or_default(create_alarms, True)  # None means the default, not False
        super().__init__(scope, construct_id)
        # its depth alarm asks for the stack; the scope (often a ServerlessFunction) knows it
        remember_stack(self, stack_of(scope))
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=defaults.DLQ_RETENTION,
            fifo=True if fifo else None,
            removal_policy=removal_policy,
        )
        reason = (
            f"This queue is itself the terminal failure queue for {purpose}; a dead-letter queue "
            "behind it would only move the same messages again. Its depth is alarmed instead."
        )
        acknowledge(self.queue, AWS_SOLUTIONS + "SQS3", reason)
        acknowledge_checkov(self.queue, ("CKV_AWS_27",), SSE_SQS_REASON)
        acknowledge(self.queue, SERVERLESS + "SQSRedrivePolicy", reason)
        self.alarms: list[cloudwatch.Alarm] = []
        if create_alarms:
            self.alarms.extend(
                alarms_from_specs(
                    self,
                    [
                        AlarmSpec(
                            "DepthAlarm",
                            metric=self.metric_depth(),
                            threshold=1,
                            description=f"Messages are waiting in the failure queue of {purpose}: inspect and redrive them.",
                        )
                    ],
                    alarm_topic=alarm_topic,
                )
            )

    def metric_depth(self) -> cloudwatch.Metric:
        """Messages waiting (``ApproximateNumberOfMessagesVisible``, Maximum over 5 min), as the depth alarm sees it."""
        return self.queue.metric_approximate_number_of_messages_visible(statistic="Maximum", period=defaults.ALARM_PERIOD)


class WorkQueue(Construct):
    """A work queue feeding a consumer, with its :class:`FailureQueue` and redrive.

    :param consumer_timeout: timeout of the Lambda that reads the queue; the
        visibility timeout is 6x this (AWS guidance), at most 12 h.
    :param max_receive_count: receives before a message moves to the DLQ,
        1-1000. Default: 5.
    :param alarm_topic: SNS topic for the alarms. Default: the scope's default
        alarm topic, else none.
    :param create_alarms: oldest-message-age and DLQ-depth alarms. Default: True.
    :param fifo: a FIFO queue: messages of one message group are delivered in
        order, one batch at a time, and deduplicated for 5 minutes; the DLQ is
        FIFO too. High-throughput mode (deduplication and throughput limits
        per message group). Default: False (standard queue: at-least-once,
        best-effort order, unlimited throughput).
    :param content_based_deduplication: FIFO only. Deduplicate by a SHA-256 of
        the body when a sender gives no deduplication id. Default: False
        (senders give ids; SNS FIFO subscriptions pass the topic's on).
    :param queue_name: a fixed name (1-80 letters, digits, '-', '_'; ending
        in ``.fifo`` exactly when ``fifo``). Default: generated by CloudFormation
        (with ``.fifo`` for FIFO queues), which keeps replacements possible.
    :param removal_policy: of the dead-letter queue. Default RETAIN (the work
        queue itself keeps CDK's default and is deleted with the stack).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        consumer_timeout: Duration,
        purpose: str,
        max_receive_count: Optional[int] = None,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        oldest_message_alarm: Optional[Duration] = None,
        fifo: bool = False,
        content_based_deduplication: bool = False,
        queue_name: Optional[str] = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        receive = or_default(max_receive_count, defaults.MAX_RECEIVE_COUNT)
        problems = Problems(child_path(scope, construct_id))
        validate_work_queue(problems, consumer_timeout, receive)
        validate_fifo_queue(
            problems, fifo=fifo, content_based_deduplication=content_based_deduplication, queue_name=queue_name
        )
        problems.raise_if_any()
        create_alarms = or_default(create_alarms, True)  # None means the default, not False
        super().__init__(scope, construct_id)
        self.fifo = fifo
        self.failure_queue = FailureQueue(
            self,
            "DeadLetter",
            purpose=purpose,
            alarm_topic=alarm_topic,
            create_alarms=create_alarms,
            removal_policy=removal_policy,
            fifo=fifo,
        )
        self.dead_letter_queue = self.failure_queue.queue
        self.queue = sqs.Queue(
            self,
            "Queue",
            queue_name=queue_name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=visibility_timeout_for(consumer_timeout),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=receive, queue=self.dead_letter_queue),
            fifo=True if fifo else None,
            content_based_deduplication=True if fifo and content_based_deduplication else None,
            deduplication_scope=sqs.DeduplicationScope.MESSAGE_GROUP if fifo else None,
            fifo_throughput_limit=sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID if fifo else None,
        )
        acknowledge_checkov(self.queue, ("CKV_AWS_27",), SSE_SQS_REASON)
        self.alarms: list[cloudwatch.Alarm] = list(self.failure_queue.alarms)
        if create_alarms:
            age = or_default(oldest_message_alarm, defaults.QUEUE_AGE_ALARM)
            self.alarms.extend(
                alarms_from_specs(
                    self,
                    [
                        AlarmSpec(
                            "OldestMessageAlarm",
                            metric=self.metric_oldest_message_age(),
                            threshold=age.to_seconds(),
                            description=f"{purpose}: the oldest message has waited {age.to_seconds()} s or more; the consumer is falling behind or failing.",
                        )
                    ],
                    alarm_topic=alarm_topic,
                )
            )

    def metric_oldest_message_age(self) -> cloudwatch.Metric:
        """``ApproximateAgeOfOldestMessage`` (s, Maximum over 5 min), as the oldest-message alarm sees it."""
        return self.queue.metric_approximate_age_of_oldest_message(statistic="Maximum", period=defaults.ALARM_PERIOD)

    def metric_dead_letter_depth(self) -> cloudwatch.Metric:
        """Messages in the DLQ, as its depth alarm sees it."""
        return self.failure_queue.metric_depth()


def validate_work_queue(problems: Problems, consumer_timeout: Duration, max_receive_count: int) -> None:
    """Rules for a work queue; shared by patterns that validate before building one."""
    problems.check(
        1 <= max_receive_count <= 1000,
        "max_receive_count",
        max_receive_count,
        "1-1000 (SQS redrive policy)",
        "pass a count of receives before a message moves to the DLQ, e.g. 5",
    )
    needed = consumer_timeout.to_seconds() * defaults.SQS_VISIBILITY_FACTOR
    problems.check(
        needed <= defaults.SQS_VISIBILITY_MAX_S,
        "timeout",
        f"{consumer_timeout.to_seconds()} s",
        f"a consumer timeout whose 6x visibility timeout fits SQS's 12 h maximum (<= {defaults.SQS_VISIBILITY_MAX_S // 6} s)",
        "shorten the consumer's timeout or split the work (e.g. Step Functions)",
    )


def validate_fifo_queue(
    problems: Problems,
    *,
    fifo: Any,
    content_based_deduplication: Any = False,
    queue_name: Any = None,
    field_prefix: str = "",
) -> None:
    """FIFO rules of a queue: names end in '.fifo' exactly for FIFO queues, and
    content-based deduplication exists only on FIFO queues."""
    p = f"{field_prefix}." if field_prefix else ""
    problems.check(isinstance(fifo, bool), f"{p}fifo", fifo, "True or False", "pass fifo=True for a FIFO queue")
    problems.check(
        not content_based_deduplication or fifo is True,
        f"{p}content_based_deduplication",
        content_based_deduplication,
        "True only with fifo=True (standard queues do not deduplicate)",
        "pass fifo=True as well, or drop content_based_deduplication",
    )
    if queue_name is None or is_token(queue_name):
        return
    suffix = defaults.FIFO_SUFFIX
    base = queue_name[: -len(suffix)] if isinstance(queue_name, str) and queue_name.endswith(suffix) else queue_name
    problems.check(
        isinstance(queue_name, str)
        and len(queue_name) <= defaults.QUEUE_NAME_MAX
        and bool(_QUEUE_NAME_RE.match(base or "")),
        f"{p}queue_name",
        queue_name,
        f"1-{defaults.QUEUE_NAME_MAX} letters, digits, '-' or '_' (the '{suffix}' suffix included)",
        "pass e.g. 'orders-work.fifo', or leave queue_name unset for a generated name",
    )
    if isinstance(queue_name, str):
        problems.check(
            queue_name.endswith(suffix) == bool(fifo),
            f"{p}queue_name",
            queue_name,
            f"a name ending in '{suffix}' for a FIFO queue, and only for one (SQS rule)",
            f"rename it to '{base}{suffix}'" if fifo else f"drop the suffix: '{base}', or pass fifo=True",
        )
