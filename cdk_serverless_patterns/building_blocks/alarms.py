"""The alarm and dashboard helpers: the one place that turns metrics into alarms and graphs.

Every alarm the library creates goes through :func:`create_alarm`, so they all
share the same period, missing-data treatment and SNS action. Every pattern's
``dashboard=True`` goes through :func:`dashboard`: metric graphs first (what
the pattern's ``metric_*`` methods return, plus its functions'), then one
widget per alarm.
"""

from __future__ import annotations

from typing import Mapping, Optional, Protocol, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_serverless_patterns import defaults

from .topics import warn_about_alarm_topic

GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
LTE = cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD


def create_alarm(
    scope: Construct,
    construct_id: str,
    *,
    metric: cloudwatch.IMetric,
    threshold: float,
    description: str,
    alarm_topic: Optional[sns.ITopic] = None,
    comparison: cloudwatch.ComparisonOperator = GTE,
    evaluation_periods: int = 1,
    missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
) -> cloudwatch.Alarm:
    """Create an alarm on ``metric`` and route it (and its recovery) to ``alarm_topic``.

    Missing data is not breaching by default: an idle function is healthy.
    """
    alarm = cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric,
        threshold=threshold,
        evaluation_periods=evaluation_periods,
        comparison_operator=comparison,
        treat_missing_data=missing_data,
        alarm_description=description,
    )
    if alarm_topic is not None:
        warn_about_alarm_topic(alarm_topic)
        action = cw_actions.SnsAction(alarm_topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
    return alarm


def sum_metric(metric: cloudwatch.Metric, period: Duration = defaults.ALARM_PERIOD) -> cloudwatch.Metric:
    """``metric`` as a Sum over the library's alarm period."""
    return metric.with_(statistic="Sum", period=period)


def max_metric(metric: cloudwatch.Metric, period: Duration = defaults.ALARM_PERIOD) -> cloudwatch.Metric:
    """``metric`` as a Maximum over the library's alarm period."""
    return metric.with_(statistic="Maximum", period=period)


class MonitoredFunction(Protocol):
    """What :func:`function_graphs` needs of a function (``ServerlessFunction`` has it)."""

    def metric_invocations(self) -> cloudwatch.Metric: ...
    def metric_errors(self) -> cloudwatch.Metric: ...
    def metric_throttles(self) -> cloudwatch.Metric: ...
    def metric_duration(self) -> cloudwatch.Metric: ...


#: A graph: its title and the metrics it plots, each with its legend label.
Graph = tuple[str, Sequence[tuple[str, cloudwatch.IMetric]]]


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
