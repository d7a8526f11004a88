"""An EventBridge rule's delivery to one target: retry policy, DLQ, alarms, metrics.

Used by every rule-driven pattern (``EventProcessing``, the projections of
``Cqrs``): the target gets the same bounded retry policy and a
:class:`~.queues.FailureQueue` as its dead-letter queue; the alarms fire on
deliveries that failed for good and on events that could not even reach the
DLQ (lost); the ``metric_*`` methods return exactly what those alarms watch.

::

    rule ──(retry_attempts, max_event_age)──▶ target (a function alias or a queue)
      └── failed deliveries ▶ FailureQueue (depth alarm)
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import Duration
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_events as events,
    aws_events_targets as targets,
    aws_lambda as lambda_,
    aws_sqs as sqs,
)
from .alarms import AlarmSpec, sum_metric
from .pattern_options import PatternOptions
from .queues import FailureQueue


class RuleTarget:
    """The delivery of one rule to its target, with the target's DLQ (created now, under ``scope``).

    :param dead_letter_id: construct id of the DLQ (a :class:`FailureQueue`) under ``scope``.
    :param purpose: what lands in the DLQ, e.g. ``"S3 events the rule of X could not deliver"``.
    :param retry_attempts: EventBridge delivery retries, 0-185 (validated by the pattern,
        ``delivery_rules.validate_target_retry_policy``).
    :param max_event_age: how long EventBridge keeps retrying, 60 s-24 h.
    :param options: the pattern's options (alarm topic, alarms on/off, removal policy).

    Call :meth:`to_function` or :meth:`to_queue` once with the rule; then
    :meth:`failure_alarm_specs` are the rule's alarms.
    """

    def __init__(
        self,
        scope: Construct,
        dead_letter_id: str,
        *,
        purpose: str,
        retry_attempts: int,
        max_event_age: Duration,
        options: PatternOptions,
    ) -> None:
        self.failures = FailureQueue(scope, dead_letter_id, purpose=purpose, **options.for_queue)
        self.dead_letter_queue: sqs.IQueue = self.failures.queue
        self.retry_attempts = retry_attempts
        self.max_event_age = max_event_age
        self._rule: Optional[events.Rule] = None

    @property
    def rule(self) -> events.Rule:
        """The rule this delivery belongs to (set by :meth:`to_function` or :meth:`to_queue`)."""
        if self._rule is None:
            raise RuntimeError("RuleTarget: call to_function() or to_queue() first")
        return self._rule

    def to_function(self, rule: events.Rule, function: lambda_.IFunction,
                    event: Optional[events.RuleTargetInput] = None) -> None:
        """Deliver ``rule``'s events to ``function`` (pass the ``live`` alias) asynchronously;
        ``event`` shapes what the function receives. Default: the whole event."""
        self._rule = rule
        rule.add_target(
            targets.LambdaFunction(
                function,
                event=event,
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=self.retry_attempts,
                max_event_age=self.max_event_age,
            )
        )

    def to_queue(self, rule: events.Rule, queue: sqs.IQueue) -> None:
        """Deliver ``rule``'s events to ``queue`` (a buffer a consumer polls)."""
        self._rule = rule
        rule.add_target(
            targets.SqsQueue(
                queue,
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=self.retry_attempts,
                max_event_age=self.max_event_age,
            )
        )

    # --- metrics: exactly what the alarms watch ------------------------------
    def _rule_metric(self, name: str) -> cloudwatch.Metric:
        return sum_metric(
            cloudwatch.Metric(namespace="AWS/Events", metric_name=name, dimensions_map={"RuleName": self.rule.rule_name})
        )

    def metric_failed_invocations(self) -> cloudwatch.Metric:
        """Events the rule could not deliver to its target (``AWS/Events FailedInvocations``, Sum over 5 min)."""
        return self._rule_metric("FailedInvocations")

    def metric_invocations_failed_to_dlq(self) -> cloudwatch.Metric:
        """Failed events the rule could not even put in its DLQ: lost (Sum over 5 min)."""
        return self._rule_metric("InvocationsFailedToBeSentToDlq")

    def metric_triggered_rules(self) -> cloudwatch.Metric:
        """Events the rule matched (``AWS/Events TriggeredRules``, Sum over 5 min)."""
        return self._rule_metric("TriggeredRules")

    def metric_dead_letter_messages(self) -> cloudwatch.Metric:
        """Events waiting in the target's DLQ (Maximum over 5 min), as its depth alarm sees it."""
        return self.failures.metric_depth()

    def failure_alarm_specs(self, rule_description: str) -> list[AlarmSpec]:
        """Alarms on deliveries that failed for good and on events lost on the way to the DLQ.

        :param rule_description: how the descriptions name the rule, e.g. ``"The rule of Stack/Uploads"``.
        """
        return [
            AlarmSpec(
                "FailedInvocationsAlarm",
                self.metric_failed_invocations(),
                threshold=1,
                description=f"{rule_description} failed to deliver events to its target permanently.",
            ),
            AlarmSpec(
                "DeadLetterDeliveryAlarm",
                self.metric_invocations_failed_to_dlq(),
                threshold=1,
                description=(
                    f"{rule_description} could not put failed events into its DLQ: "
                    "those events are lost. Check the DLQ's policy and existence."
                ),
            ),
        ]
