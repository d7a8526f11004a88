"""The saga's state graph: steps in order, compensations in reverse, as a function of declarations.

:func:`build_state_graph` needs no :class:`~.workflow.Saga`: given the steps, the
functions each state invokes and the retry settings, it creates the states under
a scope and returns the start state (``sfn.StateGraph(start, ...)`` renders it).
``Saga`` calls it with its own functions; a test can call it with imported ones.

::

    Start-Saga ─▶ step1 ─▶ step2 ─▶ ... ─▶ Saga-Succeeded
                   │ catch   │ catch
                   ▼         ▼
             step1-Failed  step2-Failed ─▶ Compensate-step1 ─▶ Saga-Failed
                   └──────────────────────────────────────────▲
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from cdk_serverless_patterns import defaults

if TYPE_CHECKING:
    from .workflow import SagaApproval, SagaStep

_COMPENSATE_PREFIX = "Compensate-"
_FAILED_SUFFIX = "-Failed"
START_STATE = "Start-Saga"
SUCCEED_STATE = "Saga-Succeeded"
FAIL_STATE = "Saga-Failed"
APPROVAL_STATE = "Await-Approval"
APPROVAL_CHOICE_STATE = "Check-Approval"
APPROVAL_REJECTED_STATE = "Approval-Rejected"
APPROVAL_FAILED_STATE = "Approval-Failed"
#: Error of a failed execution whose approval was not given: the approver answered
#: ``{"approved": false}`` (or anything but true), called SendTaskFailure, or the
#: approval timed out (the original error is in the cause's ``failure.error``).
APPROVAL_REJECTED_ERROR = "Saga.ApprovalRejected"
#: Cause of a failed execution (``States.Format``): the failed state and the error it caught.
FAILURE_CAUSE_FORMAT = "{} failed with {}; the compensations of the completed steps ran"


def step_failed_error(step: str) -> str:
    """Error of a failed execution whose step ``step`` failed."""
    return f"Saga.{step}.Failed"


def compensation_state_name(step: str) -> str:
    """Name of the state that runs ``step``'s compensation."""
    return f"{_COMPENSATE_PREFIX}{step}"


def failure_state_name(step: str) -> str:
    """Name of the state that records that ``step`` failed before compensating."""
    return f"{step}{_FAILED_SUFFIX}"


@dataclass(frozen=True)
class SagaGraph:
    """What the state graph is built from.

    :param steps: the steps, in order (validated by ``Saga``).
    :param actions: step name → the function (alias) its action state invokes.
    :param compensations: step name → the function its compensation state
        invokes; a step without one has no compensation state.
    :param retry_attempts: retries of an action on transient Lambda errors.
    :param compensation_retry_attempts: retries of a compensation on any error.
    :param compensation_max_delay: the longest wait between compensation retries.
    :param approval: the human approval, if any; then ``approval_topic`` is required.
    """

    steps: Sequence["SagaStep"]
    actions: Mapping[str, lambda_.IFunction]
    compensations: Mapping[str, lambda_.IFunction] = field(default_factory=dict)
    retry_attempts: int = defaults.SAGA_RETRY_ATTEMPTS
    compensation_retry_attempts: int = defaults.SAGA_COMPENSATION_RETRY_ATTEMPTS
    compensation_max_delay: Duration = defaults.SAGA_COMPENSATION_RETRY_MAX_DELAY
    approval: Optional["SagaApproval"] = None
    approval_topic: Optional[sns.ITopic] = None


def build_state_graph(scope: Construct, graph: SagaGraph) -> sfn.IChainable:
    """Create the saga's states under ``scope`` and return the start state.

    A failure at step *k* (after its retries) records the failure and enters one
    linear compensation chain at the first compensation of a step before *k*
    (or of *k* itself with ``compensate_on_own_failure``), so exactly the
    compensations of the completed steps run, last first, then ``Saga-Failed``.
    """
    # The cause names the failed step and its error, never the payload: execution
    # input, results and error messages stay out of ExecutionFailed events, the
    # DescribeExecution answer and logs (FAILURE_CAUSE_FORMAT).
    fail = sfn.Fail(
        scope,
        FAIL_STATE,
        error_path=sfn.JsonPath.string_at("$.failure.name"),
        cause_path=sfn.JsonPath.format(
            FAILURE_CAUSE_FORMAT, sfn.JsonPath.string_at("$.failure.step"), sfn.JsonPath.string_at("$.failure.error.Error")
        ),
    )
    entry_after: list[sfn.IChainable] = []  # entry_after[i]: chain start covering steps[0..i]
    chain: sfn.IChainable = fail
    for step in graph.steps:
        if step.name in graph.compensations:
            compensate = _compensation_task(scope, graph, step.name)
            compensate.next(chain)
            chain = compensate
        entry_after.append(chain)

    def entry_for_failure_at(index: int, include_own: bool) -> sfn.IChainable:
        last_completed = index if include_own else index - 1
        return entry_after[last_completed] if last_completed >= 0 else fail

    start = sfn.Pass(
        scope,
        START_STATE,
        parameters={"input": sfn.JsonPath.object_at("$"), "results": {}, "compensations": {}},
    )
    head: sfn.INextable = start
    for index, step in enumerate(graph.steps):
        action = _action_task(scope, graph, step.name)
        record = _record_failure(scope, failure_state_name(step.name), step.name, step_failed_error(step.name))
        record.next(entry_for_failure_at(index, step.compensate_on_own_failure))
        action.add_catch(record, errors=[sfn.Errors.ALL], result_path="$.failure.error")
        if graph.approval is not None and graph.approval.before == step.name:
            head.next(_approval(scope, graph, entry_for_failure_at(index, False), action))
        else:
            head.next(action)
        head = action
    head.next(sfn.Succeed(scope, SUCCEED_STATE))
    return start


def _payload(step: str, phase: str) -> sfn.TaskInput:
    """What a step's function receives: identity of the call plus the whole saga state."""
    saga: dict[str, Any] = {
        "step": step,
        "phase": phase,
        "execution_id": sfn.JsonPath.execution_id,
    }
    if phase == "compensate":
        saga["failure"] = sfn.JsonPath.object_at("$.failure")
    return sfn.TaskInput.from_object(
        {
            "saga": saga,
            "input": sfn.JsonPath.object_at("$.input"),
            "results": sfn.JsonPath.object_at("$.results"),
        }
    )


def _record_failure(scope: Construct, state_name: str, step: str, error_name: str) -> sfn.Pass:
    """A Pass state that completes ``$.failure`` after a Catch put the caught error in ``$.failure.error``."""
    return sfn.Pass(
        scope,
        state_name,
        parameters={"step": step, "name": error_name, "error": sfn.JsonPath.object_at("$.failure.error")},
        result_path="$.failure",
    )


def _action_task(scope: Construct, graph: SagaGraph, step: str) -> tasks.LambdaInvoke:
    task = tasks.LambdaInvoke(
        scope,
        step,
        lambda_function=graph.actions[step],
        payload=_payload(step, "action"),
        payload_response_only=True,
        retry_on_service_exceptions=False,
        result_path=f"$.results.{step}",
        comment=f"Action of step {step}",
    )
    task.add_retry(
        errors=list(defaults.SAGA_TRANSIENT_LAMBDA_ERRORS),
        interval=defaults.SAGA_RETRY_INTERVAL,
        backoff_rate=defaults.SAGA_RETRY_BACKOFF_RATE,
        max_delay=defaults.SAGA_RETRY_MAX_DELAY,
        max_attempts=graph.retry_attempts,
        jitter_strategy=sfn.JitterType.FULL,
    )
    return task


def _compensation_task(scope: Construct, graph: SagaGraph, step: str) -> tasks.LambdaInvoke:
    task = tasks.LambdaInvoke(
        scope,
        compensation_state_name(step),
        lambda_function=graph.compensations[step],
        payload=_payload(step, "compensate"),
        payload_response_only=True,
        retry_on_service_exceptions=False,
        result_path=f"$.compensations.{step}",
        comment=f"Undo step {step}",
    )
    # One retrier for every error, transient ones included: only the first
    # matching retrier applies, so a transient-error retrier listed first
    # would cap transient failures at retry_attempts.
    task.add_retry(
        errors=[sfn.Errors.ALL],
        interval=defaults.SAGA_COMPENSATION_RETRY_INTERVAL,
        backoff_rate=defaults.SAGA_RETRY_BACKOFF_RATE,
        max_delay=graph.compensation_max_delay,
        max_attempts=graph.compensation_retry_attempts,
        jitter_strategy=sfn.JitterType.FULL,
    )
    return task


def _approval(
    scope: Construct, graph: SagaGraph, on_reject: sfn.IChainable, on_approve: sfn.IChainable
) -> tasks.SnsPublish:
    approval = graph.approval
    if approval is None or graph.approval_topic is None:
        raise ValueError("SagaGraph: an approval needs its approval_topic")
    wait = tasks.SnsPublish(
        scope,
        APPROVAL_STATE,
        topic=graph.approval_topic,
        subject=f"Approval needed before step {approval.before}",
        integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        message=sfn.TaskInput.from_object(
            {
                "taskToken": sfn.JsonPath.task_token,
                "execution_id": sfn.JsonPath.execution_id,
                "before_step": approval.before,
                "input": sfn.JsonPath.object_at("$.input"),
                "results": sfn.JsonPath.object_at("$.results"),
                "how_to_answer": "SendTaskSuccess with output {\"approved\": true} to continue; "
                "{\"approved\": false} or SendTaskFailure to reject (the saga compensates).",
            }
        ),
        task_timeout=sfn.Timeout.duration(
            approval.timeout if approval.timeout is not None else defaults.SAGA_APPROVAL_TIMEOUT
        ),
        result_path="$.approval",
        comment=f"Human approval before {approval.before}; timeout counts as rejection",
    )
    failed = _record_failure(scope, APPROVAL_FAILED_STATE, APPROVAL_STATE, APPROVAL_REJECTED_ERROR)
    failed.next(on_reject)
    wait.add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.failure.error")
    rejected = sfn.Pass(
        scope,
        APPROVAL_REJECTED_STATE,
        parameters={
            "step": APPROVAL_STATE,
            "name": APPROVAL_REJECTED_ERROR,
            "error": {
                "Error": APPROVAL_REJECTED_ERROR,
                "Cause": sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$.approval")),
            },
        },
        result_path="$.failure",
    )
    rejected.next(on_reject)
    approved = sfn.Condition.and_(
        sfn.Condition.is_present("$.approval.approved"),
        sfn.Condition.is_boolean("$.approval.approved"),
        sfn.Condition.boolean_equals("$.approval.approved", True),
    )
    wait.next(sfn.Choice(scope, APPROVAL_CHOICE_STATE).when(approved, on_approve).otherwise(rejected))
    return wait
