"""Lambda durable functions: executions checkpointed and replayed, waits in virtual time.

A function whose template resource has a ``DurableConfig`` is durable: the
Lambda service hands every invocation of it here (``ctx.durable``). Like the
service, this one

* refuses an unqualified ARN (``InvalidParameterValueException``: "You cannot
  invoke a durable function using an unqualified ARN") — callers go through an
  alias or a version, as aws-cdk #36463 found for EventBridge targets;
* starts one execution per ``DurableExecutionName``: the same name and payload
  return the existing execution, another payload fails with
  ``DurableExecutionAlreadyStartedException``;
* invokes the handler with the invocation input Lambda sends
  (``DurableExecutionArn``, ``CheckpointToken``, ``InitialExecutionState``) and
  answers the SDK's ``CheckpointDurableExecution`` / ``GetDurableExecutionState``
  calls — made with boto3 from inside the handler, so checked against the
  function's role like any other call — with the checkpoint store of AWS's
  testing library (``aws-durable-execution-sdk-python-testing``: its
  ``Execution`` model and ``CheckpointProcessor``);
* re-invokes the function (a replay) when the handler suspends on a wait, a
  step retry or a callback that completed, and when an invocation fails
  (crash, timeout), up to the testing library's bound of consecutive failures.

Time is virtual: a wait of an hour or a retry back-off of minutes moves the
execution's clock (``LocalDurableExecution.virtual_seconds``) instead of being
slept, and the ``ExecutionTimeout`` is measured on that clock. Callbacks wait
for the test (``LocalCloud.send_durable_callback``), and ``LocalCloud.waiting``
lists them after a drain.

Faults: ``LocalCloud.fail(durable_function, after_commit=True)`` crashes the
next invocation right after its next step commits (the checkpoint lands, the
invocation ends without another word, as a timeout or an out-of-memory crash
after the step would): the replay that follows must not run the checkpointed
step again. Other faults of ``fail`` and ``fail_call`` apply as to any function.

Why not the testing library's ``DurableFunctionTestRunner``: it runs the
handler it is given on its own scheduler threads, outside the function's
sandbox (code asset, environment, role), and ends executions on wall-clock
timers. Its checkpoint model is the part that is the service's behaviour, and
that part is used as it is.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from ..functions import HandlerError, LocalFunction
from ..service import Service

if TYPE_CHECKING:
    from ..context import CloudContext

#: The invocation status the SDK returns (``DurableExecutionInvocationOutput.Status``).
_SUCCEEDED, _FAILED, _PENDING = "SUCCEEDED", "FAILED", "PENDING"
#: What an invocation that crashed after its step committed reports (a timeout after the write).
_CRASH_ERROR = "Sandbox.Timedout"


def _sdk_missing() -> str:
    return (
        "LocalCloud runs durable functions with aws-durable-execution-sdk-python-testing (its checkpoint model): "
        "pip install 'cdk-serverless-patterns[local]'"
    )


@dataclass
class LocalDurableExecution:
    """One durable execution (contract of ``LocalCloud.start_durable_execution``).

    ``status`` is RUNNING, SUCCEEDED, FAILED, TIMED_OUT or STOPPED; ``output``
    the parsed result; ``error``/``cause`` the error type and message of a failed
    execution; ``operations`` the checkpointed operations (``{"name", "type",
    "status", "attempt", "result", "error"}``) in order; ``callbacks`` the ids
    of callbacks waiting for ``send_durable_callback``; ``invocations`` how many
    times the function was invoked (replays included); ``virtual_seconds`` the
    time waits and back-offs took on the virtual clock.
    """

    arn: str
    name: str
    function_name: str
    input: Any
    status: str = "RUNNING"
    output: Any = None
    error: Optional[str] = None
    cause: Optional[str] = None
    operations: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[str] = field(default_factory=list)
    invocations: int = 0
    virtual_seconds: float = 0.0

    def step(self, name: str) -> dict[str, Any]:
        """The last checkpointed operation named ``name`` (KeyError when there is none)."""
        for operation in reversed(self.operations):
            if operation["name"] == name:
                return dict(operation)
        raise KeyError(f"execution {self.name} has no operation named {name!r}: {[o['name'] for o in self.operations]}")

    def callback_id(self, name: Optional[str] = None) -> str:
        """The id of the callback waiting (the one named ``name``); LookupError when none waits."""
        for operation in self.operations:
            if operation["type"] == "CALLBACK" and operation["status"] == "STARTED" and name in (None, operation["name"]):
                return str(operation["callback_id"])
        raise LookupError(f"execution {self.name} waits for no callback" + (f" named {name!r}" if name else ""))


class _VirtualClock:
    """The durable executions' clock (the testing library's ``Clock``): moves only when a wait is skipped."""

    def __init__(self) -> None:
        self._now = datetime.datetime.now(datetime.timezone.utc)

    def now(self) -> datetime.datetime:
        return self._now

    def arm(self, wake: datetime.datetime) -> float:
        return 0.0

    def advance_to(self, moment: datetime.datetime) -> None:
        self._now = max(self._now, moment)


class _ContextPool(ThreadPoolExecutor):
    """The SDK's handler and checkpoint threads, run in the invoking thread's context.

    The SDK runs the user's code and its checkpoint loop on threads of its own;
    in Lambda they share the sandbox's process. Here a sandbox is a context
    (environment, the function the IAM check and fault injection read, the
    invocation-lock level), so the threads must carry it.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


@dataclass
class _Run:
    """What the service keeps about one execution."""

    function: LocalFunction
    invoked_arn: str
    view: LocalDurableExecution
    input_text: str
    deadline: datetime.datetime
    started: datetime.datetime
    crash_armed: Optional[str] = None  # error type: crash after the next step commit
    crashed: bool = False
    queued: bool = False


class DurableFunctions(Service):
    """Durable executions of the template's functions that have a ``DurableConfig``."""

    handles = ()  # DurableConfig is a property of AWS::Lambda::Function, which the Lambda service runs

    def __init__(self, ctx: "CloudContext") -> None:
        super().__init__(ctx)
        self.configs: dict[str, dict[str, Any]] = {}  # function logical id -> resolved DurableConfig
        self._runs: dict[str, _Run] = {}  # execution ARN -> run
        self._by_name: dict[tuple[str, str], str] = {}  # (function name, execution name) -> ARN
        self._lock = threading.RLock()
        self.clock = _VirtualClock()
        self._store: Any = None
        self._processor: Any = None
        self._saved_pool: Any = None
        ctx.provide_durable(self)
        for operation in ("CheckpointDurableExecution", "GetDurableExecutionState", "GetDurableExecution",
                          "SendDurableExecutionCallbackSuccess", "SendDurableExecutionCallbackFailure",
                          "SendDurableExecutionCallbackHeartbeat"):
            ctx.intercept("lambda", operation, self._api(operation))
        ctx.add_background(self.background)

    def provision(self) -> None:
        t = self.ctx.template
        for function in t.of_type("AWS::Lambda::Function"):
            config = function.properties.get("DurableConfig")
            if config is not None:
                self.configs[function.logical_id] = dict(t.resolve(config))
                self.ctx.functions.function_for_arn(function.name)[0].durable = True
        if not self.configs:
            return
        try:
            from aws_durable_execution_sdk_python import execution as sdk_execution
            from aws_durable_execution_sdk_python_testing.checkpoint.processor import CheckpointProcessor
            from aws_durable_execution_sdk_python_testing.stores.memory import InMemoryExecutionStore
        except ImportError:
            for logical_id in self.configs:
                self.ctx.skip(logical_id, "durable executions", _sdk_missing())
            self.configs.clear()
            return
        self._store = InMemoryExecutionStore()
        self._processor = CheckpointProcessor(store=self._store, scheduler=None, clock=self.clock)  # type: ignore[arg-type]
        self._processor.add_execution_observer(_Observer(self))
        self._saved_pool = getattr(sdk_execution, "ThreadPoolExecutor")  # noqa: B009 - the SDK's module-level import
        setattr(sdk_execution, "ThreadPoolExecutor", _ContextPool)  # noqa: B010 - the SDK's module-level import

    def close(self) -> None:
        if self._saved_pool is not None:
            from aws_durable_execution_sdk_python import execution as sdk_execution

            setattr(sdk_execution, "ThreadPoolExecutor", self._saved_pool)  # noqa: B010
            self._saved_pool = None

    # -- the Lambda service's hand-off -----------------------------------------------------
    def is_durable(self, function: LocalFunction) -> bool:
        return function.logical_id in self.configs

    def invoke(self, function: LocalFunction, event: Any, *, invoked_arn: str, invocation_type: str,
               name: Optional[str]) -> tuple[int, Any, Optional[str], str]:
        """Start (or join) an execution; a synchronous invocation also runs it until it ends or waits on the test."""
        if invoked_arn.count(":") < 7:
            raise _client_error("InvalidParameterValueException",
                                f"You cannot invoke a durable function using an unqualified ARN ({invoked_arn}): "
                                "invoke a version or an alias, e.g. its 'live' alias", 400)
        run = self.start(function, event, invoked_arn=invoked_arn, name=name)
        if invocation_type == "Event":
            return 202, None, None, run.view.arn
        self._work(run.view.arn)
        view = self.describe(run.view.arn)
        if view.status == "SUCCEEDED":
            return 200, view.output, None, view.arn
        if view.status == "RUNNING":
            raise _client_error("ServiceException", f"LocalCloud: execution {view.arn} waits on callbacks "
                                "(send_durable_callback); a synchronous invocation cannot wait for the test", 500)
        return 200, {"errorType": view.error, "errorMessage": view.cause}, "Unhandled", view.arn

    def start(self, function: LocalFunction, event: Any, *, invoked_arn: str, name: Optional[str]) -> _Run:
        """A new execution (queued to run), or the existing one of the same name and payload."""
        from aws_durable_execution_sdk_python_testing.execution import Execution
        from aws_durable_execution_sdk_python_testing.model import StartDurableExecutionInput

        input_text = json.dumps(event)
        execution_name = name or str(uuid.uuid4())
        with self._lock:
            existing = self._by_name.get((function.name, execution_name))
            if existing is not None:
                run = self._runs[existing]
                if json.loads(run.input_text) != event:
                    raise _client_error("DurableExecutionAlreadyStartedException",
                                        f"Execution {execution_name} already started with a different payload", 409)
                return run
            config = self.configs[function.logical_id]
            qualifier = invoked_arn.split(":")[7]
            # the last segment names the EXECUTION operation (the SDK finds the input there)
            execution_id = str(uuid.uuid4())
            arn = f"{function.arn}:{qualifier}/durable-execution/{execution_name}/{execution_id}"
            start_input = StartDurableExecutionInput(
                account_id=self.ctx.template.account,
                function_name=function.name,
                function_qualifier=qualifier,
                execution_name=execution_name,
                execution_timeout_seconds=int(config.get("ExecutionTimeout", 900)),
                execution_retention_period_days=int(config.get("RetentionPeriodInDays", 14)),
                invocation_id=execution_id,
                input=input_text,
            )
            execution = Execution(durable_execution_arn=arn, start_input=start_input, operations=[])
            execution.region = self.ctx.template.region
            now = self.clock.now()
            execution.start(now=now)
            self._store.save(execution)
            run = _Run(
                function=function,
                invoked_arn=invoked_arn,
                view=LocalDurableExecution(arn=arn, name=execution_name, function_name=function.name, input=event),
                input_text=input_text,
                deadline=now + datetime.timedelta(seconds=start_input.execution_timeout_seconds),
                started=now,
            )
            self._runs[arn] = run
            self._by_name[(function.name, execution_name)] = arn
        self._schedule(run)
        return run

    # -- running an execution ----------------------------------------------------------------
    def _schedule(self, run: _Run) -> None:
        if not run.queued:
            run.queued = True
            self.ctx.enqueue(lambda: self._work(run.view.arn))

    def _work(self, arn: str) -> None:
        """Invoke the function until the execution ends or waits on the test; waits and back-offs skip ahead."""
        from aws_durable_execution_sdk_python.lambda_service import ErrorObject
        from aws_durable_execution_sdk_python_testing.executor import Executor

        run = self._runs[arn]
        run.queued = False
        execution = self._store.load(arn)
        while not execution.is_complete:
            if execution.has_pending_operations(execution) and not execution.has_unseen_changes():
                moment = _earliest_due(execution)
                if moment is None:
                    break  # a callback: the test answers it
                if moment > run.deadline:
                    self.clock.advance_to(run.deadline)
                    execution.complete_timeout(
                        ErrorObject.from_message(
                            f"Execution timed out after {execution.start_input.execution_timeout_seconds} seconds."
                        ),
                        now=self.clock.now(),
                    )
                    break
                self.clock.advance_to(moment)
                execution.complete_due_operations(self.clock.now())
            error = self._invoke_once(run, execution)
            if error is not None:
                execution.consecutive_failed_invocation_attempts += 1
                if execution.consecutive_failed_invocation_attempts >= Executor.MAX_CONSECUTIVE_FAILED_ATTEMPTS:
                    execution.complete_fail(error, now=self.clock.now())
                    break
                self.clock.advance_to(self.clock.now() + datetime.timedelta(seconds=Executor.RETRY_BACKOFF_SECONDS))
            else:
                execution.consecutive_failed_invocation_attempts = 0
        self._store.update(execution)
        self._refresh(run, execution)

    def _invoke_once(self, run: _Run, execution: Any) -> Any:
        """One invocation of the function (a replay after the first); returns the error of a failed one, else None."""
        from aws_durable_execution_sdk_python.execution import DurableExecutionInvocationInput, InitialExecutionState
        from aws_durable_execution_sdk_python.lambda_service import DurableExecutionInvocationOutput, ErrorObject
        from aws_durable_execution_sdk_python_testing.checkpoint.processor import DEFAULT_MAX_INVOCATION_PAGE_BYTES
        from aws_durable_execution_sdk_python_testing.execution import OperationPaginatorState

        execution.begin_new_invocation()
        operations, marker = OperationPaginatorState.pin(execution).page(None, DEFAULT_MAX_INVOCATION_PAGE_BYTES)
        event = DurableExecutionInvocationInput(
            durable_execution_arn=execution.durable_execution_arn,
            checkpoint_token=execution.get_new_checkpoint_token(),
            initial_execution_state=InitialExecutionState(operations=operations, next_marker=marker or ""),
            updated_operation_ids=list(execution.updated_operation_ids),
        ).to_json_dict()
        execution.mark_state_delivered()
        self._store.update(execution)
        fault = run.function.take_after_commit_fault()
        run.crash_armed, run.crashed = (fault.error if fault is not None else None), False
        run.view.invocations += 1
        try:
            result = self.ctx.functions.run(run.function, event, invoked_arn=run.invoked_arn)
        except HandlerError as error:
            return ErrorObject(message=error.error_message, type=error.error_type, data=None, stack_trace=None)
        finally:
            crashed, armed = run.crashed, run.crash_armed
            run.crash_armed, run.crashed = None, False
        if armed is not None:  # the crash came after the step commit, or (no step committed) after the handler
            crash = HandlerError(_CRASH_ERROR if armed in ("Timeout", "TimeoutError") else armed,
                                 f"injected by LocalCloud.fail({run.function.name!r}, after_commit=True): the invocation "
                                 + ("crashed after its step committed" if crashed else "crashed after the handler ran"))
            run.function.invocations[-1].error = crash
            return ErrorObject(message=crash.error_message, type=crash.error_type, data=None, stack_trace=None)
        output = DurableExecutionInvocationOutput.from_dict(dict(result) if isinstance(result, Mapping) else {})
        if execution.is_complete:
            return None
        status = getattr(output.status, "value", output.status)
        if status == _SUCCEEDED:
            execution.complete_success(output.result, now=self.clock.now())
        elif status == _FAILED:
            execution.complete_fail(output.error, now=self.clock.now())
        elif status != _PENDING:
            return ErrorObject(message=f"invalid invocation output {result!r}", type="InvalidParameterValueException",
                               data=None, stack_trace=None)
        return None

    def _refresh(self, run: _Run, execution: Any) -> LocalDurableExecution:
        view = run.view
        status = execution.current_status()
        view.status = getattr(status, "value", str(status))
        view.virtual_seconds = (self.clock.now() - run.started).total_seconds()
        view.operations = [_summary(op) for op in execution.get_assertable_operations()]
        view.callbacks = [o["callback_id"] for o in view.operations if o["type"] == "CALLBACK" and o["status"] == "STARTED"]
        result = execution.result
        if result is not None and result.result is not None:
            view.output = json.loads(result.result) if result.result else None
        if result is not None and result.error is not None:
            view.error, view.cause = result.error.type, result.error.message
        return view

    def describe(self, arn: str) -> LocalDurableExecution:
        run = self._runs[arn]
        return self._refresh(run, self._store.load(arn))

    def executions(self, function: Optional[LocalFunction] = None) -> list[LocalDurableExecution]:
        return [self.describe(arn) for arn, run in list(self._runs.items()) if function is None or run.function is function]

    def background(self) -> tuple[bool, list[str]]:
        """Never busy (executions run as queued work); lists the executions waiting on a callback."""
        waiting = []
        for arn, run in list(self._runs.items()):
            execution = self._store.load(arn)
            if execution.is_complete:
                continue
            for op in execution.operations:
                if _kind(op) == "CALLBACK" and _status(op) == "STARTED":
                    waiting.append(
                        f"durable execution {arn} waits for callback {op.callback_details.callback_id} at operation "
                        f"{op.name!r} (send_durable_callback)"
                    )
        return False, waiting

    # -- the durable-execution API the SDK and callers use ----------------------------------
    def _api(self, operation: str) -> Callable[[Mapping[str, Any]], tuple[AWSResponse, dict[str, Any]]]:
        def answer(params: Mapping[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
            try:
                parsed = getattr(self, f"_{operation}")(params)
            except ClientError as error:
                from ..hooks import error_response

                model = self.ctx.client("lambda").meta.service_model.operation_model(operation)
                return error_response(model, error.response["Error"]["Code"], error.response["Error"]["Message"])
            parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": 200, "HTTPHeaders": {}})
            return AWSResponse("https://lambda.local", 200, {}, None), parsed

        return answer

    def _CheckpointDurableExecution(self, params: Mapping[str, Any]) -> dict[str, Any]:  # noqa: N802 - the API's name
        from aws_durable_execution_sdk_python.lambda_service import OperationUpdate

        updates = [OperationUpdate.from_dict(u) for u in params.get("Updates") or []]
        arn = str(params["DurableExecutionArn"])
        with self._lock:
            try:
                output = self._processor.process_checkpoint(str(params["CheckpointToken"]), updates, params.get("ClientToken"))
            except Exception as error:  # noqa: BLE001 - the library's validation errors are the service's 400s
                raise _client_error("InvalidParameterValueException", str(error), 400) from None
            run = self._runs.get(arn)
            token: Optional[str] = output.checkpoint_token
            if run is not None and run.crash_armed is not None and any(
                getattr(u.operation_type, "value", u.operation_type) == "STEP"
                and getattr(u.action, "value", u.action) in ("SUCCEED", "FAIL") for u in updates
            ):
                # The step committed; the invocation now dies: it may checkpoint nothing more.
                run.crashed = True
                self._store.load(arn).begin_new_invocation()
                token = None
        parsed: dict[str, Any] = {"NewExecutionState": {"Operations": [op.to_dict() for op in output.new_execution_state.operations]}}
        if token is not None:
            parsed["CheckpointToken"] = token
        return parsed

    def _GetDurableExecutionState(self, params: Mapping[str, Any]) -> dict[str, Any]:  # noqa: N802
        state = self._processor.get_execution_state(str(params["CheckpointToken"]), str(params.get("Marker") or ""))
        return {"Operations": [op.to_dict() for op in state.operations]}

    def _GetDurableExecution(self, params: Mapping[str, Any]) -> dict[str, Any]:  # noqa: N802
        arn = str(params["DurableExecutionArn"])
        if arn not in self._runs:
            raise _client_error("ResourceNotFoundException", f"Durable execution not found: {arn}", 404)
        view = self.describe(arn)
        described: dict[str, Any] = {
            "DurableExecutionArn": arn, "DurableExecutionName": view.name, "FunctionArn": self._runs[arn].invoked_arn,
            "Status": view.status, "StartTimestamp": self._runs[arn].started, "InputPayload": self._runs[arn].input_text,
        }
        if view.output is not None:
            described["Result"] = json.dumps(view.output)
        if view.error is not None:
            described["Error"] = {"ErrorType": view.error, "ErrorMessage": view.cause or ""}
        return described

    def _SendDurableExecutionCallbackSuccess(self, params: Mapping[str, Any]) -> dict[str, Any]:  # noqa: N802
        result = params.get("Result")
        payload = result.encode() if isinstance(result, str) else (bytes(result) if result is not None else None)
        return self._callback(str(params["CallbackId"]), lambda execution, cid, now: execution.complete_callback_success(cid, payload, now=now))

    def _SendDurableExecutionCallbackFailure(self, params: Mapping[str, Any]) -> dict[str, Any]:  # noqa: N802
        from aws_durable_execution_sdk_python.lambda_service import ErrorObject

        raw = params.get("Error") or {}
        error = ErrorObject(message=raw.get("ErrorMessage"), type=raw.get("ErrorType"), data=raw.get("ErrorData"),
                            stack_trace=raw.get("StackTrace"))
        return self._callback(str(params["CallbackId"]), lambda execution, cid, now: execution.complete_callback_failure(cid, error, now=now))

    def _SendDurableExecutionCallbackHeartbeat(self, params: Mapping[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self._callback(str(params["CallbackId"]), None)

    def _callback(self, callback_id: str, complete: Optional[Callable[[Any, str, datetime.datetime], Any]]) -> dict[str, Any]:
        from aws_durable_execution_sdk_python_testing.token import CallbackToken

        try:
            arn = CallbackToken.from_str(callback_id).execution_arn
            run = self._runs[arn]
        except (ValueError, KeyError):
            raise _client_error("InvalidParameterValueException", f"Invalid callback id {callback_id!r}", 400) from None
        with self._lock:
            execution = self._store.load(arn)
            try:
                _, operation = execution.find_callback_operation(callback_id)
            except Exception:  # noqa: BLE001 - the library's IllegalStateException: no such callback
                raise _client_error("InvalidParameterValueException", f"No callback {callback_id!r}", 400) from None
            if execution.is_complete or _status(operation) != "STARTED":
                raise _client_error("CallbackTimeoutException",
                                    "The callback ID token has either expired or the callback associated with the token "
                                    "has already been closed.", 400)
            if complete is not None:
                complete(execution, callback_id, self.clock.now())
                execution._record_updated_operation(operation.operation_id)  # noqa: SLF001 - reported on the replay
                self._store.update(execution)
                self._schedule(run)
        return {}


class _Observer:
    """What the checkpoint processor reports: the execution's own terminal checkpoint, callbacks created."""

    def __init__(self, service: DurableFunctions) -> None:
        self.service = service

    def on_completed(self, execution_arn: str, result: Optional[str] = None) -> None:
        execution = self.service._store.load(execution_arn)  # noqa: SLF001
        if not execution.is_complete:
            execution.complete_success(result, now=self.service.clock.now())

    def on_failed(self, execution_arn: str, error: Any) -> None:
        execution = self.service._store.load(execution_arn)  # noqa: SLF001
        if not execution.is_complete:
            execution.complete_fail(error, now=self.service.clock.now())

    def on_timed_out(self, execution_arn: str, error: Any) -> None:
        execution = self.service._store.load(execution_arn)  # noqa: SLF001
        execution.complete_timeout(error, now=self.service.clock.now())

    def on_stopped(self, execution_arn: str, error: Any) -> None:
        execution = self.service._store.load(execution_arn)  # noqa: SLF001
        execution.complete_stopped(error, now=self.service.clock.now())

    def on_callback_created(self, execution_arn: str, operation_id: str, callback_options: Any, callback_token: Any) -> None:
        """Nothing to arm: a callback waits for the test (its timeout is not simulated)."""

    def on_chained_invoke_started(self, execution_arn: str, operation_id: str, function_name: str,
                                  tenant_id: Optional[str], payload: Optional[str]) -> None:
        self.service.ctx.skip(
            self.service._runs[execution_arn].function.logical_id,  # noqa: SLF001
            f"chained invoke of {function_name}", "LocalCloud does not run context.invoke of another durable function",
        )


def _kind(op: Any) -> str:
    return str(getattr(op.operation_type, "value", op.operation_type))


def _status(op: Any) -> str:
    return str(getattr(op.status, "value", op.status))


def _earliest_due(execution: Any) -> Optional[datetime.datetime]:
    """The next moment a wait ends or a step retry is due, or None when only callbacks are pending."""
    moments = []
    for op in execution.operations:
        if _kind(op) == "WAIT" and _status(op) == "STARTED" and op.wait_details is not None:
            moments.append(op.wait_details.scheduled_end_timestamp)
        elif _kind(op) == "STEP" and _status(op) == "PENDING" and op.step_details is not None:
            moments.append(op.step_details.next_attempt_timestamp)
    found = [m for m in moments if m is not None]
    return min(found) if found else None


def _summary(op: Any) -> dict[str, Any]:
    details = op.step_details or op.callback_details or op.context_details or op.chained_invoke_details
    result = getattr(details, "result", None)
    error = getattr(details, "error", None)
    summary: dict[str, Any] = {
        "name": op.name,
        "type": _kind(op),
        "status": _status(op),
        "attempt": getattr(op.step_details, "attempt", None),
        "result": json.loads(result) if isinstance(result, str) and result else result,
        "error": {"Error": error.type, "Cause": error.message} if error is not None else None,
    }
    if op.callback_details is not None:
        summary["callback_id"] = op.callback_details.callback_id
    return summary


def _client_error(code: str, message: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Invoke")
