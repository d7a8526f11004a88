"""The regional function's alarms and the metrics they watch.

Errors (count at low traffic, rate above it: see :mod:`.alarm_options`),
throttles, p95 duration near the timeout, the cost-per-invocation anomaly and,
opted in, the cold-start rate. Each alarm watches exactly what the function's
``metric_*`` method of the same name returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from aws_cdk import Names

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_logs as logs,
    aws_sns as sns,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.errors import duration_in, path_of

from ..alarms import AlarmSpec, alarms_from_specs

if TYPE_CHECKING:
    from .regional import ServerlessFunction


#: The platform's report record of an invocation that followed an INIT phase (a cold start), or a
#: SnapStart restore (which reports restoreDurationMs instead of initDurationMs).
#: https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html#platform-report
COLD_START_PATTERN = (
    '{ $.type = "platform.report" && ($.record.metrics.initDurationMs > 0 || $.record.metrics.restoreDurationMs > 0) }'
)


def cold_start_filter(function: "ServerlessFunction") -> cloudwatch.Metric:
    """A metric filter on the function's log group counting cold starts; returns its metric (Sum, 5 min)."""
    name = f"ColdStarts-{Names.unique_id(function)}"[:255]
    logs.MetricFilter(
        function,
        "ColdStartFilter",
        log_group=function.log_group,
        filter_pattern=logs.FilterPattern.literal(COLD_START_PATTERN),
        metric_namespace=defaults.COLD_START_METRIC_NAMESPACE,
        metric_name=name,
        metric_value="1",
        default_value=0,
    )
    return cloudwatch.Metric(
        namespace=defaults.COLD_START_METRIC_NAMESPACE, metric_name=name, statistic="Sum", period=defaults.ALARM_PERIOD
    )


def _math(expression: str, label: str, **metrics: cloudwatch.IMetric) -> cloudwatch.MathExpression:
    return cloudwatch.MathExpression(
        expression=expression, using_metrics=metrics, period=defaults.ALARM_PERIOD, label=label
    )


def low_traffic_errors(function: "ServerlessFunction") -> cloudwatch.MathExpression:
    """Errors in periods with fewer than ``min_invocations`` invocations, else 0."""
    guard = function.spec.alarms.min_invocations
    return _math(
        f"IF(invocations < {guard}, errors, 0)",
        f"Errors (periods under {guard} invocations)",
        errors=function.metric_errors(),
        invocations=function.metric_invocations(),
    )


def error_rate(function: "ServerlessFunction") -> cloudwatch.MathExpression:
    """100 x Errors / Invocations (percent) in periods with at least ``min_invocations`` invocations, else 0."""
    guard = function.spec.alarms.min_invocations
    return _math(
        f"IF(invocations >= {guard}, 100 * errors / invocations, 0)",
        "Error rate (%)",
        errors=function.metric_errors(),
        invocations=function.metric_invocations(),
    )


def cost_per_invocation(function: "ServerlessFunction") -> cloudwatch.MathExpression:
    """GB-seconds per invocation: average Duration (ms) x memory (MB) / 1,024,000."""
    return _math(
        f"duration * {function.spec.memory_size} / 1024000",
        "GB-seconds per invocation",
        duration=function.function.metric_duration(statistic="Average", period=defaults.ALARM_PERIOD),
    )


def cold_start_rate(function: "ServerlessFunction", cold_starts: cloudwatch.IMetric) -> cloudwatch.MathExpression:
    """100 x cold starts / Invocations (percent) in periods with at least ``min_invocations``
    invocations, else 0: a function called twice in five minutes is cold both times, which says
    nothing about a trend (the same guard as the error rate)."""
    guard = function.spec.alarms.min_invocations
    return _math(
        f"IF(invocations >= {guard}, 100 * coldstarts / invocations, 0)",
        "Cold start rate (%)",
        coldstarts=cold_starts,
        invocations=function.metric_invocations(),
    )


def function_alarms(function: "ServerlessFunction", topic: Optional[sns.ITopic]) -> list[cloudwatch.Alarm]:
    """The function's alarms (thresholds from ``spec.alarms``, a :class:`~.alarm_options.FunctionAlarms`).

    Duration alarms at :data:`defaults.DURATION_ALARM_FRACTION` of the timeout,
    so it fires before invocations start timing out.
    """
    options = function.spec.alarms
    timeout = function.spec.timeout
    limit_ms = duration_in(timeout, "milliseconds") * defaults.DURATION_ALARM_FRACTION
    path = path_of(function)
    specs = [
        AlarmSpec(
            "ErrorsAlarm",
            metric=function.metric_low_traffic_errors(),
            threshold=1,
            description=f"{path} returned errors (a period under {options.min_invocations} invocations).",
        ),
        _rate_alarm("ErrorRateAlarm", function.metric_error_rate(), options.error_rate, f"{path}: more than {{}} of "
                    "its invocations failed."),
        AlarmSpec(
            "ThrottlesAlarm",
            metric=function.metric_throttles(),
            threshold=1,
            description=f"{path} was throttled: raise its concurrency or slow the caller.",
        ),
        AlarmSpec(
            "DurationAlarm",
            metric=function.metric_duration(),
            threshold=limit_ms,
            description=(
                f"{path}: p95 duration is at {defaults.DURATION_ALARM_FRACTION:.0%} of its "
                f"{duration_in(timeout, 'seconds')} s timeout; it will soon time out."
            ),
        ),
    ]
    if options.cost_anomaly:
        specs.append(
            AlarmSpec(
                "CostAnomalyAlarm",
                metric=function.metric_cost_per_invocation(),
                threshold=0,
                std_devs=options.cost_anomaly_std_devs,
                evaluation_periods=defaults.FUNCTION_COST_ANOMALY_PERIODS,
                description=f"{path}: GB-seconds per invocation are above their usual band (cost anomaly).",
            )
        )
    if options.cold_starts:
        specs.append(_rate_alarm("ColdStartRateAlarm", function.metric_cold_start_rate(), options.cold_start_rate,
                                 f"{path}: more than {{}} of its invocations were cold starts."))
    return alarms_from_specs(function, specs, alarm_topic=topic)


def _rate_alarm(construct_id: str, metric: cloudwatch.IMetric, fraction: float, description: str) -> AlarmSpec:
    """An alarm on a percentage ``metric`` above ``fraction`` (``description`` has a ``{}`` for it)."""
    return AlarmSpec(construct_id, metric=metric, threshold=fraction * 100, comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                     description=description.format(f"{fraction:.1%}"))
