"""The options every pattern takes, as one typed object handed to its children.

Each pattern accepts ``alarm_topic``, ``create_alarms``, ``removal_policy``,
``log_retention`` and ``dashboard`` as keyword options (the public contract);
inside, it bundles them once into :class:`PatternOptions` and passes that down,
so a child (a function, a failure queue, a rule target) cannot be given one of
them and miss another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, TypedDict

from aws_cdk import RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_logs as logs,
    aws_sns as sns,
)
from cdk_serverless_patterns.errors import Problems

from .alarms import AlarmSpec, alarms_from_specs
from .option_types import OptionType, check_option_types


class QueueOptions(TypedDict):
    """What :class:`~.queues.FailureQueue` and :class:`~.queues.WorkQueue` take of the pattern options."""

    alarm_topic: Optional[sns.ITopic]
    create_alarms: bool
    removal_policy: RemovalPolicy


class FunctionOptions(QueueOptions):
    """What :class:`~.function.ServerlessFunction` takes of the pattern options."""

    log_retention: Optional[logs.RetentionDays]


@dataclass(frozen=True)
class PatternOptions:
    """The options common to every pattern.

    :param alarm_topic: SNS topic every alarm notifies. Default None: the topic
        set with ``set_default_alarm_topic`` for an enclosing scope, if any.
    :param create_alarms: create alarms at all. Default True.
    :param removal_policy: of stateful children. Default RETAIN.
    :param log_retention: of log groups. Default None (``defaults.LOG_RETENTION``).
    :param dashboard: add a CloudWatch dashboard. Default False (dashboards bill per month).
    """

    alarm_topic: Optional[sns.ITopic] = None
    create_alarms: bool = True
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    log_retention: Optional[logs.RetentionDays] = None
    dashboard: bool = False

    def __post_init__(self) -> None:
        # None means the default (as for every option), never False.
        for name, default in (("create_alarms", True), ("removal_policy", RemovalPolicy.RETAIN), ("dashboard", False)):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)

    @property
    def for_queue(self) -> QueueOptions:
        """Keyword options for a queue building block: ``FailureQueue(..., **options.for_queue)``."""
        return QueueOptions(
            alarm_topic=self.alarm_topic, create_alarms=self.create_alarms, removal_policy=self.removal_policy
        )

    @property
    def for_function(self) -> FunctionOptions:
        """Keyword options for ``ServerlessFunction(..., **options.for_function)``."""
        return FunctionOptions(
            alarm_topic=self.alarm_topic,
            create_alarms=self.create_alarms,
            removal_policy=self.removal_policy,
            log_retention=self.log_retention,
        )

    def alarms(self, scope: Construct, specs: Iterable[AlarmSpec]) -> list[cloudwatch.Alarm]:
        """The alarms of ``specs`` under ``scope`` (none with ``create_alarms=False``)."""
        return alarms_from_specs(scope, specs, alarm_topic=self.alarm_topic) if self.create_alarms else []

    def check_types(self, problems: Problems, option_types: Mapping[str, OptionType], **others: Any) -> dict[str, Any]:
        """Check the types of ``others`` (the pattern's own options), then of these
        (:func:`~.option_types.check_option_types`: one problem per wrong value);
        returns ``others`` with each wrongly typed value replaced by None."""
        common = dict(
            alarm_topic=self.alarm_topic,
            create_alarms=self.create_alarms,
            removal_policy=self.removal_policy,
            log_retention=self.log_retention,
            dashboard=self.dashboard,
        )
        typed = check_option_types(problems, {**others, **common}, option_types)
        return {name: typed[name] for name in others}
