"""A saga on Lambda durable functions: the orchestrator handler and its helpers.

:class:`~cdk_serverless_patterns.DurableSaga` deploys :func:`handler` as a
durable function (``aws-durable-execution-sdk-python``). One durable execution
runs one saga; every action and compensation invocation is a checkpointed
``context.step``, so a replay (after a wait, a retry or a crash of the
orchestrator itself) never invokes a step function again once its result is
checkpointed.

Semantics (docs/patterns/saga.md, "Durable"):

1. Steps run in order. Each action is retried on *transient* errors only
   (:data:`TRANSIENT_ERRORS`: Lambda could not run it, or it crashed or timed
   out, which may have happened after it committed), with exponential backoff
   and full jitter. Anything else (the function raised ``PaymentDeclined``) fails
   the step at once.
2. When step *k* fails, the saga compensates step *k* too — a failed action
   may have committed before it failed — then steps *k-1* ... *1*, in reverse.
   A compensation receives ``saga.failure`` and, for the failing step, no
   ``results.<k>``; it must be idempotent and treat "nothing to undo" as success.
3. A compensation is retried on *any* error. One that still fails does not
   strand the others: the remaining compensations run, and the execution ends
   FAILED with error :data:`COMPENSATION_INCOMPLETE_ERROR` (not
   :data:`STEP_FAILED_ERROR`) whose cause lists what is left to undo; the
   orchestrator also emits the ``CompensationsIncomplete`` metric, which
   ``DurableSaga`` alarms on. Redrive: fix the cause, then run the listed
   compensations by hand (or start a new execution with the same input under
   a new name: every action and compensation is idempotent per order).

What each step function receives is the :class:`~cdk_serverless_patterns.Saga`
payload, so the same handlers serve both engines::

    {"saga": {"step": "charge_payment", "phase": "action" | "compensate",
              "execution_id": "<durable execution ARN>", "failure": {...}},  # failure: compensations only
     "input": <execution input>, "results": {"<step>": <action result>, ...}}

For your own durable handler, :func:`run_saga` runs the same algorithm with
any step invoker (a Python callable, ``context.invoke`` of another durable
function...). Nothing here imports the SDK, boto3 or aws_cdk at import time:
the SDK loads on the first invocation (import budget), and the invoker is
injectable, so a local checkpoint store (the SDK testing library's
``DurableFunctionTestRunner`` and its ``ExecutionStore``) can drive the same
code without AWS.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence

from . import clients

if TYPE_CHECKING:  # pragma: no cover - typing only
    from aws_durable_execution_sdk_python import DurableContext

#: Environment variable with the saga definition (:func:`definition_from_env`).
DEFINITION_ENV = "DURABLE_SAGA_DEFINITION"
#: Error type of a failed execution whose step failed and whose compensations all ran
#: (the SDK reports an execution's error as the qualified name of what the handler raised).
STEP_FAILED_ERROR = f"{__name__}.SagaStepFailed"
#: Error type of a failed execution where a compensation failed past its retries.
COMPENSATION_INCOMPLETE_ERROR = f"{__name__}.SagaCompensationIncomplete"
#: Error of the failure an approval that was rejected, failed or timed out records
#: (``state["failure"]["error"]["Error"]``); the execution then ends :data:`STEP_FAILED_ERROR`.
APPROVAL_REJECTED_ERROR = "Saga.ApprovalRejected"
#: Custom metric (namespace :data:`METRIC_NAMESPACE`, dimension ``saga``) the
#: orchestrator emits once per execution that ends with compensations left.
COMPENSATIONS_INCOMPLETE_METRIC = "CompensationsIncomplete"
METRIC_NAMESPACE = "CdkServerlessPatterns/DurableSaga"
#: Errors that mean "the function did not run to the end this time" — Lambda
#: could not run it (service error, throttling, client-side failure), or it
#: crashed or timed out (``Lambda.Unknown``), possibly after committing. The
#: same names Step Functions retries in :class:`~cdk_serverless_patterns.Saga`.
TRANSIENT_ERRORS = frozenset(
    {
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
        "Lambda.Unknown",
    }
)
#: Lambda Invoke API error codes and the saga error each maps to.
_INVOKE_ERROR_NAMES = {
    "ServiceException": "Lambda.ServiceException",
    "TooManyRequestsException": "Lambda.TooManyRequestsException",
    "EC2ThrottledException": "Lambda.TooManyRequestsException",
    "ResourceNotReadyException": "Lambda.ServiceException",
    "SnapStartNotReadyException": "Lambda.ServiceException",
}
#: Function error types raised by the Lambda runtime rather than the handler:
#: a timeout or crash, which may come after the handler's writes.
_RUNTIME_ERROR_PREFIXES = ("Sandbox.", "Runtime.")


class StepInvocationError(Exception):
    """A step function failed: ``error`` is its error name, ``cause`` the message.

    ``str()`` is ``{"Error": ..., "Cause": ...}`` as JSON, which survives the
    SDK's checkpoint of the error.
    """

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(json.dumps({"Error": error, "Cause": cause}))
        self.error = error
        self.cause = cause


class SagaFailed(Exception):
    """The saga did not succeed; the message is the final state as JSON."""

    def __init__(self, state: Mapping[str, Any]) -> None:
        super().__init__(json.dumps(state, default=str))
        self.state = dict(state)


class SagaStepFailed(SagaFailed):
    """A step failed and every compensation ran (:data:`STEP_FAILED_ERROR`)."""


class SagaCompensationIncomplete(SagaFailed):
    """A compensation failed past its retries; ``state["incomplete"]`` lists what is
    left to undo (:data:`COMPENSATION_INCOMPLETE_ERROR`)."""


@dataclass(frozen=True)
class StepTarget:
    """One saga step as the orchestrator sees it: function names or ARNs (qualified)."""

    name: str
    action: str
    compensation: Optional[str] = None


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of one kind of call: ``attempts`` retries after the first try,
    ``initial_delay_s`` doubling up to ``max_delay_s`` with full jitter."""

    attempts: int
    initial_delay_s: int
    max_delay_s: int


#: Actions: 4 retries of transient errors, 2 s doubling to 30 s (as Saga).
ACTION_RETRY = RetryPolicy(attempts=4, initial_delay_s=2, max_delay_s=30)
#: Compensations: 5 retries of any error, 10 s doubling to 5 min (as Saga).
COMPENSATION_RETRY = RetryPolicy(attempts=5, initial_delay_s=10, max_delay_s=300)


@dataclass(frozen=True)
class Approval:
    """A human approval before step ``before``: a durable callback the approver answers.

    The orchestrator creates a callback (timeout ``timeout_s``), publishes
    ``{"callback_id", "execution_id", "step", "input", "results"}`` to
    ``topic_arn`` (when set) in a checkpointed step, and waits without billing.
    The approver calls ``SendDurableExecutionCallbackSuccess`` with
    ``{"approved": true}`` to go on; anything else, a
    ``SendDurableExecutionCallbackFailure`` or the timeout compensates the
    completed steps (:data:`APPROVAL_REJECTED_ERROR`).
    """

    before: str
    timeout_s: int
    topic_arn: Optional[str] = None


@dataclass(frozen=True)
class SagaDefinition:
    """The steps, retry policies and optional approval the orchestrator runs."""

    steps: tuple[StepTarget, ...]
    action_retry: RetryPolicy = ACTION_RETRY
    compensation_retry: RetryPolicy = COMPENSATION_RETRY
    name: str = "saga"
    approval: Optional[Approval] = None

    @classmethod
    def from_json(cls, text: str) -> "SagaDefinition":
        """Parse what ``DurableSaga`` puts in :data:`DEFINITION_ENV`."""
        raw = json.loads(text)
        return cls(
            steps=tuple(StepTarget(s["name"], s["action"], s.get("compensation")) for s in raw["steps"]),
            action_retry=RetryPolicy(**raw.get("action_retry", ACTION_RETRY.__dict__)),
            compensation_retry=RetryPolicy(**raw.get("compensation_retry", COMPENSATION_RETRY.__dict__)),
            name=raw.get("name", "saga"),
            approval=Approval(**raw["approval"]) if raw.get("approval") else None,
        )


def definition_from_env(environ: Optional[Mapping[str, str]] = None) -> SagaDefinition:
    """The definition in :data:`DEFINITION_ENV` (``os.environ`` by default)."""
    source = os.environ if environ is None else environ
    text = source.get(DEFINITION_ENV)
    if not text:
        raise RuntimeError(f"{DEFINITION_ENV} is not set: deploy this handler with DurableSaga")
    return SagaDefinition.from_json(text)


Invoker = Callable[[str, Mapping[str, Any]], Any]


def invoke_lambda(function: str, payload: Mapping[str, Any], *, client: Any = None) -> Any:
    """Invoke ``function`` (a qualified ARN) synchronously and return its JSON result.

    Raises :class:`StepInvocationError` named like Step Functions' Lambda
    errors: ``Lambda.TooManyRequestsException`` and friends for Invoke API
    errors, ``Lambda.Unknown`` for timeouts and runtime crashes, else the
    handler's own ``errorType``.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = clients.client("lambda", client).invoke(
            FunctionName=function, InvocationType="RequestResponse", Payload=json.dumps(payload).encode()
        )
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        raise StepInvocationError(_INVOKE_ERROR_NAMES.get(code, "Lambda.AWSLambdaException"), str(err)) from err
    except BotoCoreError as err:
        raise StepInvocationError("Lambda.SdkClientException", str(err)) from err
    body = response["Payload"].read()
    result = json.loads(body) if body else None
    if response.get("FunctionError"):
        error = result.get("errorType", "Lambda.Unknown") if isinstance(result, dict) else "Lambda.Unknown"
        cause = result.get("errorMessage", "") if isinstance(result, dict) else str(result)
        if error.startswith(_RUNTIME_ERROR_PREFIXES):
            error = "Lambda.Unknown"
        raise StepInvocationError(error, cause)
    return result


def _error_name(error: BaseException) -> tuple[str, str]:
    if isinstance(error, StepInvocationError):
        return error.error, error.cause
    text = getattr(error, "message", None) or str(error)
    try:
        parsed = json.loads(text)
        if isinstance(parsed, dict) and "Error" in parsed:
            return str(parsed["Error"]), str(parsed.get("Cause", ""))
    except (TypeError, ValueError):
        pass
    return getattr(error, "error_type", None) or type(error).__name__, text


def _retry_strategy(policy: RetryPolicy, *, transient_only: bool) -> Callable[[Exception, int], Any]:
    from aws_durable_execution_sdk_python.config import Duration
    from aws_durable_execution_sdk_python.retries import RetryDecision

    def decide(error: Exception, attempts_made: int) -> Any:
        if attempts_made > policy.attempts:
            return RetryDecision.no_retry()
        if transient_only and _error_name(error)[0] not in TRANSIENT_ERRORS:
            return RetryDecision.no_retry()
        ceiling = min(policy.initial_delay_s * 2 ** (attempts_made - 1), policy.max_delay_s)
        # Full jitter, at least 1 s (the SDK's smallest wait).
        delay = max(1, int(_random() * ceiling))
        return RetryDecision.retry(Duration(seconds=delay))

    return decide


def _random() -> float:
    import random

    return random.random()


def _payload(step: str, phase: str, execution_id: str, state: Mapping[str, Any]) -> dict[str, Any]:
    saga: dict[str, Any] = {"step": step, "phase": phase, "execution_id": execution_id}
    if phase == "compensate":
        saga["failure"] = state["failure"]
    return {"saga": saga, "input": state["input"], "results": dict(state["results"])}


def _call(invoke: Invoker, target: str, payload: Mapping[str, Any]) -> Callable[[Any], Any]:
    """The body of one durable step: invoke ``target`` with ``payload``."""

    def body(_step_context: Any) -> Any:
        return invoke(target, payload)

    return body


Publisher = Callable[[str, Mapping[str, Any]], Any]


def publish_sns(topic_arn: str, message: Mapping[str, Any], *, client: Any = None) -> Any:
    """Publish ``message`` (JSON) to ``topic_arn``: the approval request."""
    return clients.client("sns", client).publish(TopicArn=topic_arn, Subject="Saga approval request", Message=json.dumps(message, default=str))


def _await_approval(context: Any, approval: Approval, state: Mapping[str, Any], execution_id: str,
                    publish: Publisher) -> Optional[dict[str, Any]]:
    """None when approved, else the failure's error (rejected, failed or timed out)."""
    from aws_durable_execution_sdk_python.config import CallbackConfig, Duration
    from aws_durable_execution_sdk_python.exceptions import CallbackError

    callback = context.create_callback(
        name=f"approve-{approval.before}", config=CallbackConfig(timeout=Duration(seconds=approval.timeout_s))
    )
    request = {"callback_id": callback.callback_id, "execution_id": execution_id, "step": approval.before,
               "input": state["input"], "results": dict(state["results"])}
    if approval.topic_arn:
        topic = approval.topic_arn

        def send(_ctx: Any) -> None:
            publish(topic, request)

        context.step(send, name=f"request-approval-{approval.before}")
    try:
        answer = callback.result()
    except CallbackError as err:
        return {"Error": APPROVAL_REJECTED_ERROR, "Cause": f"the approval failed or timed out: {err}"}
    try:
        decision = json.loads(answer) if isinstance(answer, (str, bytes)) else answer
    except ValueError:
        decision = answer
    if isinstance(decision, Mapping) and decision.get("approved") is True:
        return None
    return {"Error": APPROVAL_REJECTED_ERROR, "Cause": json.dumps(decision, default=str)}


def run_saga(
    context: "DurableContext",
    event: Any,
    steps: Sequence[StepTarget],
    *,
    invoke: Invoker = invoke_lambda,
    action_retry: RetryPolicy = ACTION_RETRY,
    compensation_retry: RetryPolicy = COMPENSATION_RETRY,
    on_incomplete: Optional[Callable[[list[str]], None]] = None,
    approval: Optional[Approval] = None,
    publish: Publisher = publish_sns,
) -> dict[str, Any]:
    """Run a saga inside a durable handler; return the final state or raise :class:`SagaFailed`.

    :param context: the handler's ``DurableContext``.
    :param event: the execution input (``state["input"]``).
    :param steps: the steps, in order.
    :param invoke: calls one step function: ``invoke(target, payload) -> result``;
        raise (ideally :class:`StepInvocationError`) to fail. Default
        :func:`invoke_lambda`.
    :param action_retry: retries of transient action errors. Default :data:`ACTION_RETRY`.
    :param compensation_retry: retries of any compensation error. Default :data:`COMPENSATION_RETRY`.
    :param on_incomplete: called (inside a checkpointed step, so once per
        execution in practice) with the compensations left undone. Default: none.
    :param approval: wait for a human approval (a durable callback) before
        step ``approval.before``; a rejection compensates the completed steps.
        Default: none.
    :param publish: sends the approval request: ``publish(topic_arn, message)``.
        Default :func:`publish_sns`.
    :returns: ``{"input", "results", "compensations"}`` when every step succeeded.
    :raises SagaStepFailed: a step failed; every compensation ran.
    :raises SagaCompensationIncomplete: a compensation failed past its retries;
        the others ran; ``state["incomplete"]`` lists the steps left to undo.
    """
    from aws_durable_execution_sdk_python import StepError
    from aws_durable_execution_sdk_python.config import StepConfig, StepSemantics

    execution_id = context.execution_context.durable_execution_arn
    state: dict[str, Any] = {"input": event, "results": {}, "compensations": {}}
    # At-least-once per attempt: a crash of the orchestrator mid-call re-invokes
    # the step function, which is idempotent anyway; at-most-once would turn
    # that crash into a failure and compensate a step that may have succeeded.
    action_config = StepConfig(
        retry_strategy=_retry_strategy(action_retry, transient_only=True),
        step_semantics=StepSemantics.AT_LEAST_ONCE_PER_RETRY,
    )
    compensation_config = StepConfig(
        retry_strategy=_retry_strategy(compensation_retry, transient_only=False),
        step_semantics=StepSemantics.AT_LEAST_ONCE_PER_RETRY,
    )
    failed_index: Optional[int] = None
    for index, step in enumerate(steps):
        if approval is not None and step.name == approval.before:
            refused = _await_approval(context, approval, state, execution_id, publish)
            if refused is not None:
                # the step never ran: compensate the completed ones only
                state["failure"] = {"step": step.name, "error": refused}
                failed_index = index - 1
                break
        payload = _payload(step.name, "action", execution_id, state)
        try:
            state["results"][step.name] = context.step(
                _call(invoke, step.action, payload), name=step.name, config=action_config
            )
        except StepError as err:
            error, cause = _error_name(err)
            state["failure"] = {"step": step.name, "error": {"Error": error, "Cause": cause}}
            failed_index = index
            break
    if failed_index is None and "failure" not in state:
        return state
    failed_index = failed_index if failed_index is not None else -1

    incomplete: list[str] = []
    # The failing step first (it may have committed), then the completed ones in reverse.
    for step in reversed(steps[: failed_index + 1]):
        if step.compensation is None:
            continue
        payload = _payload(step.name, "compensate", execution_id, state)
        try:
            state["compensations"][step.name] = context.step(
                _call(invoke, step.compensation, payload), name=f"compensate-{step.name}", config=compensation_config
            )
        except StepError as err:
            error, cause = _error_name(err)
            state["compensations"][step.name] = {"failed": {"Error": error, "Cause": cause}}
            incomplete.append(step.name)
    if incomplete:
        state["incomplete"] = incomplete
        if on_incomplete is not None:
            context.step(lambda _ctx: on_incomplete(list(incomplete)), name="report-incomplete")
        raise SagaCompensationIncomplete(state)
    raise SagaStepFailed(state)


def emit_incomplete_metric(saga: str) -> Callable[[list[str]], None]:
    """An ``on_incomplete`` that emits :data:`COMPENSATIONS_INCOMPLETE_METRIC` (EMF)."""

    def report(incomplete: list[str]) -> None:
        from cdk_serverless_patterns.runtime import metrics

        metrics.emit(
            COMPENSATIONS_INCOMPLETE_METRIC,
            1,
            dimensions={"saga": saga},
            namespace=METRIC_NAMESPACE,
        )

    return report


def build_handler(
    definition: Optional[SagaDefinition] = None, *, invoke: Optional[Invoker] = None
) -> Callable[[Any, Any], Any]:
    """The durable handler for ``definition`` (default: from the environment).

    ``invoke`` replaces :func:`invoke_lambda` (tests fake the step functions
    at this boundary).
    """
    from aws_durable_execution_sdk_python import DurableContext, durable_execution

    resolved = definition if definition is not None else definition_from_env()
    invoker = invoke if invoke is not None else invoke_lambda

    @durable_execution
    def orchestrate(event: Any, context: DurableContext) -> dict[str, Any]:
        return run_saga(
            context,
            event,
            resolved.steps,
            invoke=invoker,
            action_retry=resolved.action_retry,
            compensation_retry=resolved.compensation_retry,
            on_incomplete=emit_incomplete_metric(resolved.name),
            approval=resolved.approval,
        )

    return orchestrate


_handler: Optional[Callable[[Any, Any], Any]] = None


def handler(event: Any, context: Any) -> Any:
    """Lambda entry point of ``DurableSaga``'s orchestrator (built on first call)."""
    global _handler
    if _handler is None:
        _handler = build_handler()
    return _handler(event, context)


def start_execution(
    function: str, execution_input: Any, name: str, *, client: Any = None
) -> Mapping[str, Any]:
    """Start a saga asynchronously; one execution per ``name`` (1-64 of ``[A-Za-z0-9_-]``).

    Lambda de-duplicates starts by ``DurableExecutionName``: a second start with
    the same name and input does not run the saga again. ``function`` must be
    the orchestrator's qualified ARN (``DurableSaga.start_target``).
    """
    response: Mapping[str, Any] = clients.client("lambda", client).invoke(
        FunctionName=function,
        InvocationType="Event",
        DurableExecutionName=name,
        Payload=json.dumps(execution_input).encode(),
    )
    return response
