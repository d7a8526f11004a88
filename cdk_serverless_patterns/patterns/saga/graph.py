"""The saga's state graph: steps in order, compensations in reverse, as a function of declarations.

:func:`build_state_graph` needs no :class:`~.workflow.Saga`: given the steps, the
functions each state invokes and the retry settings, it creates the states under
a scope and returns the start state (``sfn.StateGraph(start, ...)`` renders it).
``Saga`` calls it with its own functions; a test can call it with imported ones.

::

    Start-Saga ─▶ step1 ─▶ step2 ─▶ ... ─▶ Saga-Succeeded
                   │ catch   │ catch
                   ▼         ▼
             step1-Failed  step2-Failed ─▶ Compensate-step2 ─▶ Compensate-step1 ─▶ Check-Compensations
                   └──────────────────────────────────────────▲   (catch: next one)    │ all ran ─▶ Saga-Failed
                                                                                        └ one failed ─▶ Report-CompensationIncomplete
                                                                                                       ─▶ Saga-CompensationIncomplete

The failing step is compensated too (its action may have committed before it
failed: a timeout after the write); a compensation that fails past its retries
is recorded in ``$.incomplete.<step>`` and the remaining compensations still run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

from aws_cdk import Duration
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_lambda as lambda_,
    aws_sns as sns,
    aws_stepfunctions as sfn,
    aws_stepfunctions_tasks as tasks,
)
from cdk_serverless_patterns import defaults

if TYPE_CHECKING:
    from .options import SagaApproval, SagaStep


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
#: approval timed out (the cause names the original error).
APPROVAL_REJECTED_ERROR = "Saga.ApprovalRejected"
CHECK_COMPENSATIONS_STATE = "Check-Compensations"
REPORT_INCOMPLETE_STATE = "Report-CompensationIncomplete"
INCOMPLETE_STATE = "Saga-CompensationIncomplete"
#: Error of a failed execution where a compensation failed past its retries; the
#: other compensations ran, and the cause maps each step left to undo to the
#: error name its compensation ended with.
COMPENSATION_INCOMPLETE_ERROR = "Saga.CompensationIncomplete"
#: Cause of a failed execution (``States.Format``): the failed state and the error
#: it caught, never the payload.
FAILURE_CAUSE_FORMAT = "{} failed with {}; the compensations of the completed steps ran"
#: Cause of a ``Saga.CompensationIncomplete`` execution: the failed state, its
#: error, and ``{"<step>": {"Error": ...}}`` for each compensation left to run.
INCOMPLETE_CAUSE_FORMAT = "{} failed with {}; compensations that failed past their retries, to run again: {}"
_INCOMPLETE_PREFIX = "Incomplete-"
#: Custom metric the state machine emits (namespace :data:`METRIC_NAMESPACE`,
#: dimension ``saga``) once per execution that ends :data:`INCOMPLETE_STATE`;
#: the same name ``DurableSaga`` emits.
COMPENSATIONS_INCOMPLETE_METRIC = "CompensationsIncomplete"
METRIC_NAMESPACE = "CdkServerlessPatterns/Saga"


def step_failed_error(step: str) -> str:
    """Error of a failed execution whose step ``step`` failed."""
    return f"Saga.{step}.Failed"


def compensation_state_name(step: str) -> str:
    """Name of the state that runs ``step``'s compensation."""
    return f"{_COMPENSATE_PREFIX}{step}"


def incomplete_state_name(step: str) -> str:
    """Name of the state that records that ``step``'s compensation failed past its retries."""
    return f"{_INCOMPLETE_PREFIX}{step}"


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
    :param saga_name: the ``saga`` dimension of :data:`COMPENSATIONS_INCOMPLETE_METRIC`;
        None: the graph emits no metric (the distinct Fail state remains).
    """

    steps: Sequence["SagaStep"]
    actions: Mapping[str, lambda_.IFunction]
    compensations: Mapping[str, lambda_.IFunction] = field(default_factory=dict)
    retry_attempts: int = defaults.SAGA_RETRY_ATTEMPTS
    compensation_retry_attempts: int = defaults.SAGA_COMPENSATION_RETRY_ATTEMPTS
    compensation_max_delay: Duration = defaults.SAGA_COMPENSATION_RETRY_MAX_DELAY
    approval: Optional["SagaApproval"] = None
    approval_topic: Optional[sns.ITopic] = None
    saga_name: Optional[str] = None


def _failed_state_and_error() -> tuple[str, str]:
    """The ``States.Format`` arguments naming the failed state and the error it caught."""
    return sfn.JsonPath.string_at("$.failure.step"), sfn.JsonPath.string_at("$.failure.error.Error")


def build_state_graph(scope: Construct, graph: SagaGraph) -> sfn.IChainable:
    """Create the saga's states under ``scope`` and return the start state.

    A failure at step *k* (after its retries) records the failure and enters one
    linear compensation chain at step *k*'s own compensation (unless it has
    ``compensate_on_own_failure=False``), else at the last compensation before
    *k*, so the failing step and the completed steps are undone, last first. A
    compensation that fails past its retries is caught into
    ``$.incomplete.<step>`` and the chain goes on; at its end
    ``Check-Compensations`` ends in ``Saga-Failed`` when every compensation ran,
    else in ``Saga-CompensationIncomplete`` (:data:`COMPENSATION_INCOMPLETE_ERROR`).
    """
    # The cause names the failed step and its error, never the payload: execution
    # input, results and error messages stay out of the ExecutionFailed event, the
    # DescribeExecution answer and the status-change event on the default bus (all
    # of the state is still in the execution history, behind GetExecutionHistory).
    fail = sfn.Fail(
        scope,
        FAIL_STATE,
        error_path=sfn.JsonPath.string_at("$.failure.name"),
        cause_path=sfn.JsonPath.format(FAILURE_CAUSE_FORMAT, *_failed_state_and_error()),
    )
    entry_after: list[sfn.IChainable] = []  # entry_after[i]: chain start covering steps[0..i]
    chain: sfn.IChainable = _end_of_compensations(scope, graph, fail)
    for step in graph.steps:
        if step.name in graph.compensations:
            compensate = _compensation_task(scope, graph, step.name)
            compensate.next(chain)
            # Past its retries: note what is left (the error's name; its message may quote
            # the payload) and undo the rest anyway.
            left = sfn.Pass(
                scope,
                incomplete_state_name(step.name),
                parameters={"Error": sfn.JsonPath.string_at(f"$.incomplete.{step.name}.Error")},
                result_path=f"$.incomplete.{step.name}",
            )
            left.next(chain)
            compensate.add_catch(left, errors=[sfn.Errors.ALL], result_path=f"$.incomplete.{step.name}")
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


def _end_of_compensations(scope: Construct, graph: SagaGraph, fail: sfn.Fail) -> sfn.IChainable:
    """Where the compensation chain ends: ``fail``, or a choice between it and the incomplete outcome."""
    compensated = [step.name for step in graph.steps if step.name in graph.compensations]
    if not compensated:
        return fail
    incomplete = sfn.Fail(
        scope,
        INCOMPLETE_STATE,
        error=COMPENSATION_INCOMPLETE_ERROR,
        cause_path=sfn.JsonPath.format(
            INCOMPLETE_CAUSE_FORMAT,
            *_failed_state_and_error(),
            sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$.incomplete")),
        ),
        comment="A compensation failed past its retries: $.incomplete lists the steps left to undo",
    )
    outcome: sfn.IChainable = incomplete
    if graph.saga_name is not None:
        report = tasks.CallAwsService(
            scope,
            REPORT_INCOMPLETE_STATE,
            service="cloudwatch",
            action="putMetricData",
            iam_action="cloudwatch:PutMetricData",
            # PutMetricData has no resource-level permissions.
            iam_resources=["*"],
            parameters={
                "Namespace": METRIC_NAMESPACE,
                "MetricData": [
                    {
                        "MetricName": COMPENSATIONS_INCOMPLETE_METRIC,
                        "Dimensions": [{"Name": "saga", "Value": graph.saga_name}],
                        "Value": 1,
                        "Unit": "Count",
                    }
                ],
            },
            result_path=sfn.JsonPath.DISCARD,
            comment="Count the execution for the CompensationsIncomplete alarm",
        )
        report.add_retry(
            errors=[sfn.Errors.ALL],
            interval=defaults.SAGA_RETRY_INTERVAL,
            backoff_rate=defaults.SAGA_RETRY_BACKOFF_RATE,
            max_attempts=defaults.SAGA_RETRY_ATTEMPTS,
            jitter_strategy=sfn.JitterType.FULL,
        )
        # The execution still ends distinctly (and ExecutionsFailed alarms) if the metric is lost.
        report.add_catch(incomplete, errors=[sfn.Errors.ALL], result_path=sfn.JsonPath.DISCARD)
        report.next(incomplete)
        outcome = report
    conditions = [sfn.Condition.is_present(f"$.incomplete.{name}") for name in compensated]
    any_incomplete = conditions[0] if len(conditions) == 1 else sfn.Condition.or_(*conditions)
    return sfn.Choice(scope, CHECK_COMPENSATIONS_STATE).when(any_incomplete, outcome).otherwise(fail)


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


def _invoke(
    scope: Construct, name: str, function: lambda_.IFunction, step: str, phase: str, result_path: str, comment: str
) -> tasks.LambdaInvoke:
    """A state invoking a step's function with the saga payload; the caller adds its retrier
    (the SDK's service-exception retrier is off: each task retries by its own rules)."""
    return tasks.LambdaInvoke(
        scope,
        name,
        lambda_function=function,
        payload=_payload(step, phase),
        payload_response_only=True,
        retry_on_service_exceptions=False,
        result_path=result_path,
        comment=comment,
    )


def _action_task(scope: Construct, graph: SagaGraph, step: str) -> tasks.LambdaInvoke:
    task = _invoke(scope, step, graph.actions[step], step, "action", f"$.results.{step}", f"Action of step {step}")
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
    task = _invoke(
        scope,
        compensation_state_name(step),
        graph.compensations[step],
        step,
        "compensate",
        f"$.compensations.{step}",
        f"Undo step {step}",
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
            approval.wait
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
