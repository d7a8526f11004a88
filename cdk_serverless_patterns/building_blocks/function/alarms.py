"""The regional function's alarms: errors, throttles and p95 duration near its timeout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns

from cdk_serverless_patterns import defaults

from ..alarms import create_alarm

if TYPE_CHECKING:
    from .regional import ServerlessFunction


def function_alarms(function: "ServerlessFunction", topic: Optional[sns.ITopic]) -> list[cloudwatch.Alarm]:
    """One alarm on each of ``metric_errors``, ``metric_throttles`` and ``metric_duration``.

    Duration alarms at :data:`defaults.DURATION_ALARM_FRACTION` of the timeout,
    so it fires before invocations start timing out.
    """
    timeout = function.spec.timeout
    limit_ms = timeout.to_milliseconds() * defaults.DURATION_ALARM_FRACTION
    path = function.node.path
    return [
        create_alarm(
            function,
            "ErrorsAlarm",
            metric=function.metric_errors(),
            threshold=1,
            description=f"{path} returned errors.",
            alarm_topic=topic,
        ),
        create_alarm(
            function,
            "ThrottlesAlarm",
            metric=function.metric_throttles(),
            threshold=1,
            description=f"{path} was throttled: raise its concurrency or slow the caller.",
            alarm_topic=topic,
        ),
        create_alarm(
            function,
            "DurationAlarm",
            metric=function.metric_duration(),
            threshold=limit_ms,
            description=(
                f"{path}: p95 duration is at {defaults.DURATION_ALARM_FRACTION:.0%} of its "
                f"{timeout.to_seconds()} s timeout; it will soon time out."
            ),
            alarm_topic=topic,
        ),
    ]
