"""Validation rules shared by the patterns that deliver events to Lambda.

* :func:`duration_seconds` — a ``Duration`` option AWS takes in whole seconds
  within a range. ``Duration.to_seconds()`` raises a jsii ``RuntimeError`` for
  e.g. ``Duration.millis(1500)``; this reports a :class:`PatternConfigError`
  problem instead, like every other invalid option.
* :func:`validate_batching_window` — an event source mapping's
  ``MaximumBatchingWindowInSeconds`` (SQS, Kinesis, DynamoDB streams).
* :func:`validate_target_retry_policy` — an EventBridge rule target's retry
  policy (``MaximumRetryAttempts``, ``MaximumEventAgeInSeconds``).
"""

from __future__ import annotations

from typing import Any, Optional

from aws_cdk import Duration

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.errors import Problems, format_seconds as format_seconds, is_token


def duration_seconds(
    problems: Problems, field: str, value: Any, *, low_s: int, high_s: int, allowed: str, fix: str
) -> Optional[float]:
    """The seconds of ``value`` when it is a whole number of seconds in ``low_s``-``high_s``
    (:meth:`Problems.check_duration`; ``allowed`` describes the range, e.g. ``"60-86400 s (...)"``)."""
    return problems.check_duration(field, value, low_s=low_s, high_s=high_s, allowed=f"{allowed}, in whole seconds", fix=fix)


def validate_batching_window(problems: Problems, window: Optional[Duration]) -> Optional[float]:
    """``max_batching_window``: 0-300 whole seconds (Lambda event source mapping). None when unset or invalid."""
    if window is None:
        return None
    return duration_seconds(
        problems,
        "max_batching_window",
        window,
        low_s=0,
        high_s=defaults.BATCHING_WINDOW_MAX_S,
        allowed=f"0-{defaults.BATCHING_WINDOW_MAX_S} s (Lambda event source mapping)",
        fix="pass at most Duration.minutes(5), e.g. Duration.seconds(5)",
    )


def validate_target_retry_policy(
    problems: Problems,
    retries: Any,
    event_age: Any,
    *,
    retries_field: str = "retry_attempts",
    age_field: str = "max_event_age",
) -> None:
    """An EventBridge rule target's retry policy: 0-185 attempts, 60 s-24 h of event age."""
    if not is_token(retries):
        problems.check_int(
            retries_field,
            retries,
            low=defaults.RULE_RETRY_ATTEMPTS_MIN,
            high=defaults.RULE_RETRY_ATTEMPTS_MAX,
            allowed=f"an integer {defaults.RULE_RETRY_ATTEMPTS_MIN}-{defaults.RULE_RETRY_ATTEMPTS_MAX} "
            "(EventBridge target retry policy)",
            fix=f"pass e.g. {retries_field}={defaults.RULE_RETRY_ATTEMPTS} and bound the retries with {age_field}",
        )
    duration_seconds(
        problems,
        age_field,
        event_age,
        low_s=defaults.RULE_MAX_EVENT_AGE_MIN_S,
        high_s=defaults.RULE_MAX_EVENT_AGE_MAX_S,
        allowed=f"{defaults.RULE_MAX_EVENT_AGE_MIN_S}-{defaults.RULE_MAX_EVENT_AGE_MAX_S} s "
        "(EventBridge target retry policy)",
        fix="pass a Duration between 1 minute and 24 hours, e.g. Duration.hours(1)",
    )
