"""The alarm and dashboard helpers: the one place that turns metrics into alarms and graphs.

Every alarm the library creates goes through :func:`create_alarm`, so they all
share the same period, missing-data treatment and SNS action. Every pattern's
``dashboard=True`` goes through :func:`dashboard`: metric graphs first (what
the pattern's ``metric_*`` methods return, plus its functions'), then one
widget per alarm.

The action is the ``alarm_topic`` a pattern was given or, when it was given
none, the topic set once for its app, stage, stack or any enclosing construct
with :func:`set_default_alarm_topic`. An alarm that ends up with neither has
no action: it changes state in the console and nobody hears of it. The first
such alarm in a stack adds a CDK warning to the stack, and the
``SP-ALARM-ACTION`` rule of ``ServerlessPatternsChecks`` reports every one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping, Optional, Protocol, Sequence, Union

from aws_cdk import Annotations, Duration, Stack, Token
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_cloudwatch_actions as cw_actions,
    aws_sns as sns,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns._first_use import module_getattr
from cdk_serverless_patterns.errors import PatternConfigError, child_of, jsii_ref, stack_of

from .scope_settings import find_on_scope, own_setting, set_on_scope

from .topics import warn_about_alarm_topic


# GTE/LTE (public since 0.1.0) are read on first use: naming them must not load aws_cloudwatch.
if TYPE_CHECKING:
    GTE: cloudwatch.ComparisonOperator
    LTE: cloudwatch.ComparisonOperator
else:
    __getattr__ = module_getattr(
        globals(),
        {
            "GTE": lambda: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            "LTE": lambda: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
        },
    )

_DEFAULT_TOPIC = "alarm_topic"
_IMPORTED_TOPIC_ID = "ServerlessPatternsDefaultAlarmTopic"
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
_WARNED = "alarm_without_action_warned"
#: Id of the CDK warning for alarms without an action (acknowledge it with
#: ``Annotations.of(stack).acknowledge_warning(...)`` if that is deliberate).
NO_ACTION_WARNING = "cdk-serverless-patterns:alarmWithoutAction"


def set_default_alarm_topic(scope: Construct, topic: Union[sns.ITopic, str]) -> None:
    """Send every alarm the library creates under ``scope`` to ``topic``.

    :param topic: an ``sns.ITopic`` (``EncryptedTopic(...).topic``, an imported
        topic), or the ARN of an existing topic, e.g. a team's central alarm
        topic: each stack then imports it by ARN (no cross-stack reference;
        it must be in the stack's account and Region, and its policy must let
        ``cloudwatch.amazonaws.com`` publish).

    Call it once on the app, a stage or a stack, before building the patterns
    (alarms look the topic up when they are created). A pattern given its own
    ``alarm_topic`` uses that one instead; a nearer scope's default wins over
    a farther one's. An ``ITopic`` of another stack works as CDK cross-stack
    references do (same account and Region).
    """
    is_arn = isinstance(topic, str) and (Token.is_unresolved(topic) or bool(_TOPIC_ARN.match(topic)))
    if not is_arn and (isinstance(topic, str) or not hasattr(topic, "topic_arn")):
        raise PatternConfigError(
            scope.node.path or "<app>",
            [
                f"topic={topic!r} is invalid: allowed an sns.ITopic (a Topic, EncryptedTopic(...).topic, "
                "Topic.from_topic_arn(...)) or an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>). "
                "Fix: pass the SNS topic the alarms should notify"
            ],
        )
    set_on_scope(scope, _DEFAULT_TOPIC, topic)


def default_alarm_topic(scope: Construct) -> Optional[sns.ITopic]:
    """The topic :func:`set_default_alarm_topic` set for ``scope`` or an ancestor, or None."""
    topic: Union[sns.ITopic, str, None] = find_on_scope(scope, _DEFAULT_TOPIC)
    if not isinstance(topic, str):
        return topic
    stack = stack_of(scope)
    import_id = f"{_IMPORTED_TOPIC_ID}{hashlib.sha256(topic.encode()).hexdigest()[:8]}"
    imported = child_of(stack, import_id)
    if imported is None:
        imported = sns.Topic.from_topic_arn(stack, import_id, topic)
    return imported  # type: ignore[return-value]


def create_alarm(
    scope: Construct,
    construct_id: str,
    *,
    metric: cloudwatch.IMetric,
    threshold: float,
    description: str,
    alarm_topic: Optional[sns.ITopic] = None,
    comparison: Optional[cloudwatch.ComparisonOperator] = None,
    evaluation_periods: int = 1,
    missing_data: Optional[cloudwatch.TreatMissingData] = None,
    std_devs: Optional[float] = None,
) -> cloudwatch.Alarm:
    """Create an alarm on ``metric`` and route it (and its recovery) to ``alarm_topic``.

    :param alarm_topic: where the alarm and its recovery go. Default: the
        topic of :func:`set_default_alarm_topic` for ``scope``; with neither,
        the alarm has no action and the stack gets a warning.
    :param std_devs: make it an anomaly-detection alarm: it fires when
        ``metric`` rises above CloudWatch's learned band this many standard
        deviations wide (``threshold`` and ``comparison`` are then unused).
        Default: none, a static threshold.

    :param comparison: default ``>=`` threshold.
    :param missing_data: default not breaching (an idle resource is healthy).
    """
    if missing_data is None:
        missing_data = cloudwatch.TreatMissingData.NOT_BREACHING
    alarm: cloudwatch.Alarm
    if std_devs is not None:
        alarm = cloudwatch.AnomalyDetectionAlarm(
            scope,
            construct_id,
            metric=metric,
            std_devs=std_devs,
            evaluation_periods=evaluation_periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
            treat_missing_data=missing_data,
            alarm_description=description,
        )
    else:
        alarm = cloudwatch.Alarm(
            scope,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=comparison or cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=missing_data,
            alarm_description=description,
        )
    topic = alarm_topic if alarm_topic is not None else default_alarm_topic(scope)
    if topic is not None:
        warn_about_alarm_topic(topic)
        action = _sns_action(topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
    else:
        _warn_no_action(stack_of(scope))
    return alarm


#: One ``SnsAction`` per topic (by jsii object id): it holds nothing but the topic,
#: and each new one is a jsii object to create.
_SNS_ACTIONS: dict[str, cw_actions.SnsAction] = {}


def _sns_action(topic: sns.ITopic) -> cw_actions.SnsAction:
    ref = jsii_ref(topic)
    action = _SNS_ACTIONS.get(ref)
    if action is None:
        action = _SNS_ACTIONS[ref] = cw_actions.SnsAction(topic)
    return action


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm as data: what :func:`alarms_from_specs` turns into a ``cloudwatch.Alarm``.

    :param construct_id: the alarm's construct id under the scope it is created in.
    :param metric: what it watches (a pattern's ``metric_*``, so users can graph it too).
    :param threshold: the value that breaches.
    :param description: what went wrong, for whoever the alarm wakes up.
    :param comparison: default ``>=`` threshold.
    :param evaluation_periods: periods that must breach, default 1.
    :param missing_data: default not breaching (an idle resource is healthy).
    :param std_devs: an anomaly-detection alarm on the band this many standard
        deviations wide, firing above it (``threshold`` unused). Default: none.
    """

    construct_id: str
    metric: cloudwatch.IMetric
    threshold: float
    description: str
    comparison: Optional[cloudwatch.ComparisonOperator] = None
    evaluation_periods: int = 1
    missing_data: Optional[cloudwatch.TreatMissingData] = None
    std_devs: Optional[float] = None


def alarms_from_specs(
    scope: Construct,
    specs: Iterable[AlarmSpec],
    *,
    alarm_topic: Optional[sns.ITopic] = None,
) -> list[cloudwatch.Alarm]:
    """One alarm per spec under ``scope``, in order, all routed to ``alarm_topic``
    (default: the inherited topic, see :func:`create_alarm`)."""
    return [
        create_alarm(
            scope,
            spec.construct_id,
            metric=spec.metric,
            threshold=spec.threshold,
            description=spec.description,
            alarm_topic=alarm_topic,
            comparison=spec.comparison,
            evaluation_periods=spec.evaluation_periods,
            missing_data=spec.missing_data,
            std_devs=spec.std_devs,
        )
        for spec in specs
    ]


def _warn_no_action(stack: Stack) -> None:
    if own_setting(stack, _WARNED):
        return
    set_on_scope(stack, _WARNED, True)
    Annotations.of(stack).add_warning_v2(
        NO_ACTION_WARNING,
        "Alarms in this stack have no action: no alarm_topic was given and no default is set, so they "
        "change state without notifying anyone. Pass alarm_topic= to the patterns, or call "
        "set_default_alarm_topic(app_or_stack, topic) once. ServerlessPatterns rule SP-ALARM-ACTION lists "
        "each alarm.",
    )


def sum_metric(metric: cloudwatch.Metric, period: Optional[Duration] = None) -> cloudwatch.Metric:
    """``metric`` as a Sum over ``period`` (default: the library's alarm period)."""
    return metric.with_(statistic="Sum", period=period if period is not None else defaults.ALARM_PERIOD)


def max_metric(metric: cloudwatch.Metric, period: Optional[Duration] = None) -> cloudwatch.Metric:
    """``metric`` as a Maximum over ``period`` (default: the library's alarm period)."""
    return metric.with_(statistic="Maximum", period=period if period is not None else defaults.ALARM_PERIOD)


class MonitoredFunction(Protocol):
    """What :func:`function_graphs` needs of a function (``ServerlessFunction`` has it)."""

    def metric_invocations(self) -> cloudwatch.Metric: ...
    def metric_errors(self) -> cloudwatch.Metric: ...
    def metric_throttles(self) -> cloudwatch.Metric: ...
    def metric_duration(self) -> cloudwatch.Metric: ...


#: A graph: its title and the metrics it plots, each with its legend label.
Graph = tuple[str, Sequence[tuple[str, "cloudwatch.IMetric"]]]


def function_graphs(functions: Mapping[str, MonitoredFunction]) -> list[Graph]:
    """Invocations, errors, throttles and p95 duration of ``functions`` (label → function), one graph each."""
    if not functions:
        return []
    return [
        (title, [(label, getattr(fn, method)()) for label, fn in functions.items()])
        for title, method in (
            ("Invocations", "metric_invocations"),
            ("Errors", "metric_errors"),
            ("Throttles", "metric_throttles"),
            ("Duration p95 (ms)", "metric_duration"),
        )
    ]


def dashboard(
    scope: Construct,
    construct_id: str,
    alarms: list[cloudwatch.Alarm],
    graphs: Sequence[Graph] = (),
) -> cloudwatch.Dashboard:
    """A CloudWatch dashboard: ``graphs`` two per row, then one alarm widget per alarm, three per row.

    Dashboards bill per month (USD 3 each beyond the free three), so patterns
    create one only with ``dashboard=True``.
    """
    board = cloudwatch.Dashboard(scope, construct_id)
    graph_widgets: list[cloudwatch.IWidget] = [
        cloudwatch.GraphWidget(
            title=title,
            width=12,
            left=[metric.with_(label=label) if isinstance(metric, cloudwatch.Metric) else metric for label, metric in metrics],
        )
        for title, metrics in graphs
    ]
    for start in range(0, len(graph_widgets), 2):
        board.add_widgets(*graph_widgets[start : start + 2])
    widgets: list[cloudwatch.IWidget] = [
        cloudwatch.AlarmWidget(alarm=a, title=a.node.id, width=8) for a in alarms
    ]
    for start in range(0, len(widgets), 3):
        board.add_widgets(*widgets[start : start + 3])
    return board
