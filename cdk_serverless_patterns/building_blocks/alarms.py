"""The alarm helper: the one place that turns a metric into an alarm.

Every alarm the library creates goes through :func:`create_alarm`, so they all
share the same period, missing-data treatment and SNS action.
"""

from __future__ import annotations

from typing import Optional

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


def dashboard(scope: Construct, construct_id: str, alarms: list[cloudwatch.Alarm]) -> cloudwatch.Dashboard:
    """A CloudWatch dashboard with one alarm widget per alarm, three per row."""
    board = cloudwatch.Dashboard(scope, construct_id)
    widgets: list[cloudwatch.IWidget] = [
        cloudwatch.AlarmWidget(alarm=a, title=a.node.id, width=8) for a in alarms
    ]
    for start in range(0, len(widgets), 3):
        board.add_widgets(*widgets[start : start + 3])
    return board
