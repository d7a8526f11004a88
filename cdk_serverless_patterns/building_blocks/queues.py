"""The queue helper: the one place the library makes SQS queues.

* :class:`FailureQueue` — a terminal queue for things that failed (a DLQ, a
  Lambda on-failure destination, an EventBridge target DLQ). Encrypted,
  SSL-only, 14-day retention, an alarm as soon as one message lands.
* :class:`WorkQueue` — a queue a consumer reads, with its own FailureQueue as
  redrive target, a visibility timeout derived from the consumer's timeout
  (AWS: at least 6x) and an oldest-message-age alarm.
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import (
    AWS_SOLUTIONS,
    SERVERLESS,
    acknowledge,
)
from cdk_serverless_patterns.errors import Problems, child_path

from .alarms import create_alarm, max_metric


def visibility_timeout_for(consumer_timeout: Duration) -> Duration:
    """The visibility timeout AWS advises for a Lambda consumer: 6x its timeout."""
    return Duration.seconds(consumer_timeout.to_seconds() * defaults.SQS_VISIBILITY_FACTOR)


class FailureQueue(Construct):
    """A terminal dead-letter / on-failure queue with a depth alarm.

    :param purpose: what fails into this queue, used in the alarm description and
        in the reason for the scoped acknowledgement of the "DLQ has no DLQ" rules.
    :param alarm_topic: SNS topic for the alarm. Default: none (alarm only).
    :param create_alarms: create the depth alarm. Default: True.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        purpose: str,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=defaults.DLQ_RETENTION,
        )
        reason = (
            f"This queue is itself the terminal failure queue for {purpose}; a dead-letter queue "
            "behind it would only move the same messages again. Its depth is alarmed instead."
        )
        acknowledge(self.queue, AWS_SOLUTIONS + "SQS3", reason)
        acknowledge(self.queue, SERVERLESS + "SQSRedrivePolicy", reason)
        self.alarms: list[cloudwatch.Alarm] = []
        if create_alarms:
            self.alarms.append(
                create_alarm(
                    self,
                    "DepthAlarm",
                    metric=max_metric(self.queue.metric_approximate_number_of_messages_visible()),
                    threshold=1,
                    description=f"Messages are waiting in the failure queue of {purpose}: inspect and redrive them.",
                    alarm_topic=alarm_topic,
                )
            )


class WorkQueue(Construct):
    """A work queue feeding a consumer, with its :class:`FailureQueue` and redrive.

    :param consumer_timeout: timeout of the Lambda that reads the queue; the
        visibility timeout is 6x this (AWS guidance), at most 12 h.
    :param max_receive_count: receives before a message moves to the DLQ,
        1-1000. Default: 5.
    :param alarm_topic: SNS topic for the alarms. Default: none.
    :param create_alarms: oldest-message-age and DLQ-depth alarms. Default: True.
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
    ) -> None:
        receive = max_receive_count if max_receive_count is not None else defaults.MAX_RECEIVE_COUNT
        problems = Problems(child_path(scope, construct_id))
        validate_work_queue(problems, consumer_timeout, receive)
        problems.raise_if_any()
        super().__init__(scope, construct_id)
        self.failure_queue = FailureQueue(
            self, "DeadLetter", purpose=purpose, alarm_topic=alarm_topic, create_alarms=create_alarms
        )
        self.dead_letter_queue = self.failure_queue.queue
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=visibility_timeout_for(consumer_timeout),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=receive, queue=self.dead_letter_queue),
        )
        self.alarms: list[cloudwatch.Alarm] = list(self.failure_queue.alarms)
        if create_alarms:
            age = oldest_message_alarm if oldest_message_alarm is not None else defaults.QUEUE_AGE_ALARM
            self.alarms.append(
                create_alarm(
                    self,
                    "OldestMessageAlarm",
                    metric=max_metric(self.queue.metric_approximate_age_of_oldest_message()),
                    threshold=age.to_seconds(),
                    description=f"{purpose}: the oldest message has waited {age.to_seconds()} s or more; the consumer is falling behind or failing.",
                    alarm_topic=alarm_topic,
                )
            )


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
