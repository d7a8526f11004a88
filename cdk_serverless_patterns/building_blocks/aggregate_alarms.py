"""Aggregate function alarms: one errors and one throttles alarm per group of
functions instead of three alarms per function.

The way a pattern with many functions stays under CloudFormation's 500
resources per stack. A metric-math alarm may read at most 10 metrics, so the
functions are grouped by 10; each alarm sums its group's ``Errors`` (or
``Throttles``) and names the functions it covers. The p95-duration alarms have
no aggregate here: the pattern's own latency alarm (API p95) covers them.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_cloudwatch as cloudwatch, aws_sns as sns
from cdk_serverless_patterns import defaults

from .alarms import AlarmSpec, alarms_from_specs
from .function import ServerlessFunction


def aggregate_function_alarms(
    scope: Construct,
    functions: Sequence[ServerlessFunction],
    alarm_topic: Optional[sns.ITopic],
) -> list[cloudwatch.Alarm]:
    """Errors and throttles alarms over ``functions``, at most 10 functions each."""
    alarms: list[cloudwatch.Alarm] = []
    size = defaults.ALARM_MAX_METRICS
    groups = [list(functions[i : i + size]) for i in range(0, len(functions), size)]
    for index, group in enumerate(groups, start=1):
        names = ", ".join(f.node.path.rsplit("/", 1)[-1] for f in group)
        checks: tuple[tuple[str, Callable[[ServerlessFunction], cloudwatch.Metric], str], ...] = (
            ("Errors", lambda f: f.function.metric_errors(), "returned errors"),
            ("Throttles", lambda f: f.function.metric_throttles(), "were throttled"),
        )
        for kind, metric_of, what in checks:
            metric = cloudwatch.MathExpression(
                expression="SUM(METRICS())",
                using_metrics={f"m{i}": metric_of(f).with_(statistic="Sum") for i, f in enumerate(group)},
                period=defaults.ALARM_PERIOD,
                label=f"{kind} of functions group {index}",
            )
            suffix = "" if len(groups) == 1 else str(index)
            alarms.extend(
                alarms_from_specs(
                    scope,
                    [
                        AlarmSpec(
                            f"Function{kind}Alarm{suffix}",
                            metric=metric,
                            threshold=1,
                            description=f"{scope.node.path}: one of these functions {what}: {names}.",
                        )
                    ],
                    alarm_topic=alarm_topic,
                )
            )
    return alarms
