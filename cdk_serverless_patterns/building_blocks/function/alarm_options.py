"""``FunctionAlarms``: which of a function's alarms exist and where they fire (no CDK scope needed).

The rule for errors (the seed's "error rate > 1 %"): in a period with at least
``min_invocations`` invocations the *rate* alarm watches Errors / Invocations;
in a quieter period the *count* alarm fires on any error, because one error in
twenty calls is 5 % and says nothing about a trend, but is still worth a look.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.errors import Problems, is_number, is_token


@dataclass(frozen=True)
class FunctionAlarms:
    """Thresholds of a function's alarms (defaults from seed 002's "Essential Metrics").

    :param error_rate: fraction of invocations, 0 < x < 1, above which the
        error-rate alarm fires. Default :data:`defaults.FUNCTION_ERROR_RATE` (1 %).
    :param min_invocations: invocations per 5-minute period from which the rate
        alarm watches and below which the error-count alarm does (any error).
        Default :data:`defaults.FUNCTION_ERROR_RATE_MIN_INVOCATIONS` (100).
    :param cold_starts: add the cold-start-rate alarm. Default False: its source
        is the ``platform.report`` log record (``initDurationMs``, or
        ``restoreDurationMs`` for SnapStart), which Lambda writes only at system
        log level INFO, so this raises the function's system log level from WARN
        to INFO (about two more log records per invocation, billed as log
        ingestion) and adds a log metric filter (one custom metric, USD 0.30 a
        month) and a two-metric alarm. See docs/observability.md.
    :param cold_start_rate: fraction, 0 < x < 1. Default
        :data:`defaults.FUNCTION_COLD_START_RATE` (10 %).
    :param cost_anomaly: add the cost-per-invocation anomaly alarm (CloudWatch
        anomaly detection on GB-seconds per invocation). Default False: an
        anomaly-detection alarm bills three alarm metrics (USD 0.30 a month,
        as much as the throttles, duration and error-count alarms together),
        needs about two weeks of traffic to learn its band, and on a function
        with a few invocations an hour its band is noise. Turn it on for the
        busy functions whose bill matters.
    :param cost_anomaly_std_devs: band width, > 0. Default
        :data:`defaults.FUNCTION_COST_ANOMALY_STD_DEVS` (2).
    """

    error_rate: float = defaults.FUNCTION_ERROR_RATE
    min_invocations: int = defaults.FUNCTION_ERROR_RATE_MIN_INVOCATIONS
    cold_starts: bool = False
    cold_start_rate: float = defaults.FUNCTION_COLD_START_RATE
    cost_anomaly: bool = False
    cost_anomaly_std_devs: float = defaults.FUNCTION_COST_ANOMALY_STD_DEVS


def validate_function_alarms(problems: Problems, alarms: object, field_prefix: str = "spec.alarms") -> None:
    """Add every problem with ``alarms`` (a :class:`FunctionAlarms`) to ``problems``."""
    p = field_prefix
    if not isinstance(alarms, FunctionAlarms):
        problems.add(p, alarms, "a FunctionAlarms(...)", "pass FunctionAlarms(error_rate=0.01, ...) or leave the default")
        return
    for name in ("error_rate", "cold_start_rate"):
        value = getattr(alarms, name)
        if is_token(value):
            continue
        problems.check(
            is_number(value, integer=False) and 0 < value < 1,
            f"{p}.{name}",
            value,
            "a fraction between 0 and 1 (exclusive), e.g. 0.01 for 1 %",
            f"pass {name} as a fraction, not a percentage",
        )
    problems.check_int(
        f"{p}.min_invocations",
        alarms.min_invocations,
        low=1,
        allowed="an integer >= 1 (invocations per 5-minute period)",
        fix=f"pass e.g. {defaults.FUNCTION_ERROR_RATE_MIN_INVOCATIONS}",
    )
    value = alarms.cost_anomaly_std_devs
    problems.check(
        is_token(value) or (is_number(value, integer=False) and value > 0),
        f"{p}.cost_anomaly_std_devs",
        value,
        "a number > 0 (standard deviations of the anomaly band)",
        f"pass e.g. {defaults.FUNCTION_COST_ANOMALY_STD_DEVS}",
    )
    for name in ("cold_starts", "cost_anomaly"):
        flag = getattr(alarms, name)
        problems.check(isinstance(flag, bool), f"{p}.{name}", flag, "True or False", f"pass {name}=True to add the alarm")
