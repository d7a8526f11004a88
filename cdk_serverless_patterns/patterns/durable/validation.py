"""Every rule of :class:`~.saga.DurableSaga`, collected before anything is created.

The steps, the approval and the retries go through ``Saga``'s rules
(:mod:`cdk_serverless_patterns.patterns.saga.validation`) with a durable function's limits.
"""

from __future__ import annotations

from typing import Any

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.delivery_rules import validate_target_retry_policy
from cdk_serverless_patterns.building_blocks.idempotency import Idempotency
from cdk_serverless_patterns.errors import Problems

from ..saga.start_api import validate_start_api
from ..saga.validation import validate_approval, validate_retries, validate_steps
from .options import RETRY_MAX, STEP_NAME_RE, DurableSagaSettings


def validate(problems: Problems, steps: Any, settings: DurableSagaSettings, start_api: Any = None, approval: Any = None) -> None:
    """Every rule of :class:`~.saga.DurableSaga`, collected into ``problems``."""
    if start_api is not None:
        validate_start_api(problems, start_api)
    margin_s = defaults.DURABLE_ORCHESTRATOR_TIMEOUT_MARGIN.to_seconds()
    valid_steps = validate_steps(
        problems,
        steps,
        name_rule=_operation_name_rule,
        max_timeout_s=defaults.TIMEOUT_MAX_S - margin_s,
        max_timeout_reason="the orchestrator waits for each step function within its own 15-minute "
        f"invocation, {margin_s} s of which are its margin",
    )
    if approval is not None:
        validate_approval(
            problems,
            approval,
            [s.name for s in valid_steps if isinstance(s.name, str)],
            execution_timeout=settings.execution_timeout,
            timeout_field="execution_timeout",
            check_wait=lambda wait: problems.check_duration(
                "approval.timeout",
                wait,
                low_s=1,
                high_s=defaults.DURABLE_EXECUTION_TIMEOUT_MAX_S,
                allowed=f"1 s - {defaults.DURABLE_EXECUTION_TIMEOUT_MAX_S:,} s, whole seconds (the callback's timeout)",
                fix="pass e.g. Duration.hours(24)",
                human=True,
            ),
        )
    problems.check_duration(
        "execution_timeout",
        settings.execution_timeout,
        low_s=1,
        high_s=defaults.DURABLE_EXECUTION_TIMEOUT_MAX_S,
        allowed=f"1 s - {defaults.DURABLE_EXECUTION_TIMEOUT_MAX_S:,} s (366 days), whole seconds "
        "(DurableConfig.ExecutionTimeout)",
        fix="pass e.g. Duration.hours(6)",
        human=True,
    )
    problems.check_duration(
        "retention_period",
        settings.retention_period,
        low_s=86400,
        high_s=defaults.DURABLE_RETENTION_MAX_DAYS * 86400,
        allowed=f"1 - {defaults.DURABLE_RETENTION_MAX_DAYS} days, whole days (DurableConfig.RetentionPeriodInDays)",
        fix="pass e.g. Duration.days(14)",
        unit_s=86400,
        human=True,
    )
    validate_retries(
        problems, settings.retries, high=RETRY_MAX, source="retries after the first attempt; each is a billed durable operation"
    )
    runtime_name = getattr(settings.orchestrator_runtime, "name", settings.orchestrator_runtime)
    problems.check(
        runtime_name in defaults.DURABLE_PYTHON_RUNTIMES,
        "orchestrator_runtime",
        runtime_name,
        f"one of {', '.join(defaults.DURABLE_PYTHON_RUNTIMES)} (the Python runtimes that run durable functions)",
        "leave orchestrator_runtime unset, or pass lambda_.Runtime.PYTHON_3_14",
    )


def validate_start_on(problems: Problems, retry_attempts: Any, max_event_age: Any, idempotency: Any) -> None:
    """``DurableSaga.start_on``: an EventBridge target's retry policy and the idempotency declaration."""
    validate_target_retry_policy(problems, retry_attempts, max_event_age)
    problems.check(
        isinstance(idempotency, Idempotency),
        "idempotency",
        idempotency,
        "an Idempotency declaration (a redelivered event starts a second execution)",
        "pass idempotency=Idempotency.conditional_write('<business key the steps write under>')",
    )


def _operation_name_rule(problems: Problems, field: str, name: Any) -> bool:
    """Step names name durable operations: 1-64 letters, digits and '_'."""
    problems.check(
        isinstance(name, str) and bool(STEP_NAME_RE.match(name)),
        field,
        name,
        "1-64 letters, digits and '_', starting with a letter (the name of its durable step)",
        "use a name like 'charge_payment'",
    )
    return isinstance(name, str)

