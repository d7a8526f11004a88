"""Every rule of :class:`~.workflow.Saga`, collected before anything is created.

The rules both saga engines share (the steps, the approval, the retries) are public
here; ``DurableSaga`` applies them with its own limits. Durations go through
:meth:`~cdk_serverless_patterns.errors.Problems.check_duration`.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from aws_cdk import Duration

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.concurrency import check_not_zero
from cdk_serverless_patterns.building_blocks.function import FunctionSpec, validate_spec
from cdk_serverless_patterns.building_blocks.option_types import TOPIC
from cdk_serverless_patterns.errors import Problems, is_token

from .graph import _COMPENSATE_PREFIX
from .options import MAX_ATTEMPTS_LIMIT, STEP_NAME_MAX, STEP_NAME_RE, SagaApproval, SagaRetries, SagaStep, WorkflowType
from .start_api import SagaStartApi, validate_start_api

#: A rule for one step name: adds its problems, returns whether the name can be
#: compared with the others (a string).
NameRule = Callable[[Problems, str, Any], bool]


def validate(
    problems: Problems,
    steps: Any,
    approval: Optional[SagaApproval],
    timeout: Optional[Duration],
    retries: SagaRetries,
    start_api: Optional[SagaStartApi] = None,
    workflow_type: Any = WorkflowType.STANDARD,
) -> None:
    """Every rule of :class:`~.workflow.Saga`, collected into ``problems``."""
    if not isinstance(workflow_type, WorkflowType):
        problems.add(
            "workflow_type",
            workflow_type,
            "WorkflowType.STANDARD or WorkflowType.EXPRESS",
            "pass workflow_type=WorkflowType.EXPRESS (import WorkflowType from cdk_serverless_patterns)",
        )
        workflow_type = WorkflowType.STANDARD
    if workflow_type is WorkflowType.EXPRESS:
        _validate_express(problems, steps, approval, timeout)
    valid_steps = validate_steps(problems, steps, name_rule=_state_name_rule)
    for index, step in enumerate(steps if isinstance(steps, (list, tuple)) else []):
        if isinstance(step, SagaStep):
            problems.check(
                isinstance(step.compensate_on_own_failure, bool),
                f"steps[{index}].compensate_on_own_failure",
                step.compensate_on_own_failure,
                "True or False",
                "pass compensate_on_own_failure=True or leave it out",
            )
    last = steps[-1] if isinstance(steps, (list, tuple)) and steps and isinstance(steps[-1], SagaStep) else None
    if last is not None and last.compensation is not None and not last.compensate_on_own_failure:
        problems.add(
            f"steps[{len(steps) - 1}].compensation",
            last.name,
            "a compensation only where it can run: no step follows the last one, so its "
            "compensation would run only if the step itself failed, which compensate_on_own_failure allows",
            "remove the last step's compensation, or set compensate_on_own_failure=True if a failed "
            "attempt can leave it partially applied",
        )
    if timeout is not None:
        _check_state_machine_duration(problems, "timeout", timeout, "pass e.g. Duration.hours(1), or None for no execution timeout")
    if approval is not None:
        validate_approval(
            problems,
            approval,
            [s.name for s in valid_steps if isinstance(s.name, str)],
            execution_timeout=timeout,
            timeout_field="timeout",
            check_wait=lambda wait: _check_state_machine_duration(
                problems, "approval.timeout", wait, "pass e.g. Duration.hours(24)"
            ),
        )
    validate_retries(problems, retries, high=MAX_ATTEMPTS_LIMIT, source="Step Functions Retry MaxAttempts")
    if start_api is not None:
        validate_start_api(problems, start_api)


def validate_steps(
    problems: Problems,
    steps: Any,
    *,
    name_rule: NameRule,
    max_timeout_s: Optional[float] = None,
    max_timeout_reason: str = "",
) -> list[SagaStep]:
    """The steps of either engine: a non-empty list of :class:`SagaStep` with unique names
    that pass ``name_rule``, whose function specs are valid (timeouts up to
    ``max_timeout_s``) and never reserved to zero. Returns the ``SagaStep`` entries."""
    if not isinstance(steps, (list, tuple)) or not steps:
        problems.add(
            "steps",
            steps,
            "a non-empty list of SagaStep",
            "pass steps=[SagaStep('reserve', action=FunctionSpec(...), compensation=...), ...]",
        )
        steps = steps if isinstance(steps, (list, tuple)) else []
    seen: set[str] = set()
    found: list[SagaStep] = []
    for index, step in enumerate(steps):
        field = f"steps[{index}]"
        if not isinstance(step, SagaStep):
            problems.add(field, step, "a SagaStep", "wrap it: SagaStep(name, action=spec)")
            continue
        found.append(step)
        if name_rule(problems, f"{field}.name", step.name):
            problems.check(
                step.name not in seen,
                f"{field}.name",
                step.name,
                "a name no other step uses (it names the step's results and states)",
                "rename one of the steps",
            )
            seen.add(step.name)
        for role, spec in (("action", step.action), ("compensation", step.compensation)):
            if role == "compensation" and spec is None:
                continue
            validate_spec(
                problems,
                spec,
                field_prefix=f"{field}.{role}",
                max_timeout_s=max_timeout_s,
                max_timeout_reason=max_timeout_reason,
            )
            check_not_zero(problems, f"{field}.{role}", spec, f"a saga {role}")
    return found


def validate_approval(
    problems: Problems,
    approval: Any,
    step_names: Sequence[str],
    *,
    execution_timeout: Optional[Duration],
    timeout_field: str,
    check_wait: Callable[[Duration], Optional[float]],
) -> None:
    """The approval of either engine: a :class:`SagaApproval` naming a step, its topic a topic,
    its own timeout valid (``check_wait``: its seconds, or None; the engine's limit) and shorter than the
    execution's (option ``timeout_field``), when the execution has one."""
    if not isinstance(approval, SagaApproval):
        problems.add("approval", approval, "a SagaApproval", "pass SagaApproval(before='ship')")
        return
    if approval.topic is not None:
        problems.check(TOPIC.check(approval.topic), "approval.topic", approval.topic, TOPIC.allowed, TOPIC.fix)
    problems.check(
        approval.before in step_names,
        "approval.before",
        approval.before,
        f"the name of a step ({', '.join(sorted(step_names)) or 'none defined'})",
        "name the step that must wait for the approval",
    )
    if approval.timeout is not None and check_wait(approval.timeout) is None:
        return
    wait = approval.wait
    if not isinstance(execution_timeout, Duration):
        return
    waited, lives = wait.to_seconds(integral=False), execution_timeout.to_seconds(integral=False)
    if is_token(waited) or is_token(lives):
        return
    problems.check(
        waited < lives,
        "approval.timeout",
        wait.to_human_string(),
        f"shorter than the execution timeout ({execution_timeout.to_human_string()}): the execution cannot wait "
        "longer than it lives, and a timed-out execution never compensates its completed steps",
        f"shorten approval.timeout or lengthen {timeout_field}",
    )


def validate_retries(problems: Problems, retries: SagaRetries, *, high: int, source: str) -> None:
    """``retry_attempts`` and ``compensation_retry_attempts``: integers 0-``high`` (the engine's limit)."""
    for field, value in (
        ("retry_attempts", retries.attempts),
        ("compensation_retry_attempts", retries.compensation_attempts),
    ):
        problems.check_int(
            field,
            value,
            low=0,
            high=high,
            allowed=f"an integer 0-{high} ({source})",
            fix=f"pass a small integer such as {defaults.SAGA_RETRY_ATTEMPTS}",
        )


def _check_state_machine_duration(problems: Problems, field: str, value: Any, fix: str) -> Optional[float]:
    # Step Functions takes TimeoutSeconds as an integer: whole seconds only.
    return problems.check_duration(
        field,
        value,
        low_s=1,
        high_s=defaults.SFN_MAX_DURATION.to_seconds(),
        allowed=f"1 s - {defaults.SFN_MAX_DURATION.to_days():g} days (a Standard workflow runs at most one year), "
        "in whole seconds",
        fix=fix,
        human=True,
    )


def _state_name_rule(problems: Problems, field: str, name: Any) -> bool:
    """Step names become state names (with a prefix) and JSON keys."""
    if not isinstance(name, str) or not name:
        problems.add(field, name, "a non-empty string", "name the step, e.g. 'reserve_inventory'")
        return False
    problems.check(
        len(name) <= STEP_NAME_MAX,
        field,
        name,
        f"at most {STEP_NAME_MAX} characters (Step Functions state names are at most "
        f"{defaults.SFN_STATE_NAME_MAX}, and the saga adds '{_COMPENSATE_PREFIX}' to name compensation states)",
        "shorten the name",
    )
    problems.check(
        bool(STEP_NAME_RE.match(name)),
        field,
        name,
        "letters, digits and '_', starting with a letter (Step Functions rejects whitespace, brackets, "
        "wildcards and special characters in state names and logs only 0-9 A-Z a-z - _ to CloudWatch; "
        "the name is also a JSON key in $.results.<name>)",
        "use a name like 'charge_payment'",
    )
    return True


def _validate_express(problems: Problems, steps: Any, approval: Any, timeout: Any) -> None:
    """Express workflows: at most five minutes, no task tokens."""
    limit = defaults.SFN_EXPRESS_MAX_DURATION.to_seconds()
    problems.check(
        approval is None,
        "approval",
        type(approval).__name__,
        "no approval with WorkflowType.EXPRESS (Express workflows do not support .waitForTaskToken, "
        "and a human answers in hours, not within Express's five minutes)",
        "use WorkflowType.STANDARD for sagas with a human approval",
    )
    if isinstance(timeout, Duration):
        problems.check(
            timeout.to_seconds() <= limit,
            "timeout",
            timeout.to_human_string(),
            "at most 5 minutes with WorkflowType.EXPRESS (Express execution limit)",
            "shorten timeout, or use WorkflowType.STANDARD for longer sagas",
        )
    for index, step in enumerate(steps if isinstance(steps, (list, tuple)) else []):
        if not isinstance(step, SagaStep):
            continue
        for role, spec in (("action", step.action), ("compensation", step.compensation)):
            if isinstance(spec, FunctionSpec) and isinstance(spec.timeout, Duration):
                problems.check(
                    spec.timeout.to_seconds() < limit,
                    f"steps[{index}].{role}.timeout",
                    spec.timeout.to_human_string(),
                    "less than 5 minutes with WorkflowType.EXPRESS (the whole execution ends at 5 minutes)",
                    "shorten the function's timeout, or use WorkflowType.STANDARD",
                )
