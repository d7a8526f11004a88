"""Step Functions: the synthesized definition, run by moto's ASL interpreter, in virtual time.

moto's engine (a port of LocalStack's) executes the state machine; its Lambda
tasks call ``lambda:Invoke``, which the Lambda service answers by running the
in-process handlers. Retry back-offs (``IntervalSeconds``/``BackoffRate``, minutes in a
real saga) are added to a virtual clock instead of slept.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Mapping, Optional, Protocol, cast

from ..context import CloudContext, body_of
from ..service import Service
from ..template import Resource

#: How long (real seconds) an execution that waits for a task token (or in a Wait
#: state) may go without a new history event before ``wait`` returns it RUNNING.
_QUIET_SECONDS = 0.5
#: The bound on an execution that keeps working (handlers running, retries).
_MAX_SECONDS = 120.0
#: How long closing the cloud waits for moto's engine threads after stopping their executions.
_JOIN_SECONDS = 30.0


class _Clients(Protocol):
    def client(self, service: str) -> Any: ...


@dataclass
class LocalExecution:
    """The outcome of one execution: ``status``, ``output`` (parsed), ``error``/``cause`` and ``history``."""

    cloud: _Clients = field(repr=False)
    arn: str
    status: str = "RUNNING"
    output: Any = None
    error: Optional[str] = None
    cause: Optional[str] = None
    history: list[dict[str, Any]] = field(default_factory=list)
    virtual_seconds: float = 0.0

    def wait(self) -> "LocalExecution":
        """Wait (bounded) until the execution leaves RUNNING, then refresh every field."""
        sfn = self.cloud.client("stepfunctions")
        started = time.monotonic()
        last_change, seen = time.monotonic(), -1
        polls = 0
        while True:
            described = sfn.describe_execution(executionArn=self.arn)
            if described["status"] != "RUNNING":
                break
            events = sfn.get_execution_history(executionArn=self.arn, maxResults=1000)["events"]
            if len(events) != seen:
                seen, last_change = len(events), time.monotonic()
            now = time.monotonic()
            if (_waits_outside(events) is not None and now - last_change > _QUIET_SECONDS) or now - started > _MAX_SECONDS:
                break
            # back off (2 ms doubling to 32 ms): each look is two API calls that compete with the engine's thread for the GIL
            time.sleep(min(0.002 * 2 ** min(polls, 4), 0.032))
            polls += 1
        self.status = described["status"]
        self.output = json.loads(described["output"]) if described.get("output") else None
        self.history = [
            {k: v for k, v in e.items() if k not in ("timestamp",)}
            for e in sfn.get_execution_history(executionArn=self.arn, maxResults=1000)["events"]
        ]
        self.error = described.get("error")
        self.cause = described.get("cause")
        for event in reversed(self.history):
            details = event.get("executionFailedEventDetails")
            if details:
                self.error = self.error or details.get("error")
                self.cause = self.cause or details.get("cause")
                break
        return self


def _waits_outside(events: list[dict[str, Any]]) -> Optional[str]:
    """Why the execution is parked on something outside it (a task token, a Wait state), or None when it is working."""
    if events and events[-1].get("type") == "WaitStateEntered":
        return f"is in the Wait state {events[-1].get('stateEnteredEventDetails', {}).get('name')!r} (real time)"
    for index in range(len(events) - 1, -1, -1):
        details = events[index].get("taskScheduledEventDetails")
        if details is not None:
            finished = any(e.get("type") in ("TaskSucceeded", "TaskFailed", "TaskTimedOut") for e in events[index:])
            if finished or not str(details.get("resource", "")).endswith(".waitForTaskToken"):
                return None
            state = next(
                (e["stateEnteredEventDetails"].get("name") for e in reversed(events[:index]) if "stateEnteredEventDetails" in e),
                None,
            )
            return f"waits for a task token (SendTaskSuccess/SendTaskFailure) at state {state!r}"
    return None


class LambdaServiceErrors:
    """Maps a failed ``lambda:Invoke`` (throttling, service errors) to ``Lambda.<Code>`` in function-ARN tasks.

    AWS names a Lambda *service* failure ``Lambda.TooManyRequestsException``
    (etc.) whether the task's resource is ``arn:aws:states:::lambda:invoke`` or
    the function's ARN, which is what saga retriers match. moto 5.2's engine
    does so for the former but reports ``Exception`` for the latter; this
    restores AWS's name while a LocalCloud runs.
    """

    def __init__(self) -> None:
        self._saved: Optional[Any] = None

    def install(self) -> None:
        from botocore.exceptions import ClientError
        from moto.stepfunctions.parser.api import (
            HistoryEventType,
            LambdaFunctionFailedEventDetails,
        )
        from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
            CustomErrorName,
        )
        from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
            FailureEvent,
        )
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
            StateTaskLambda,
        )
        from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

        original = StateTaskLambda._from_error
        self._saved = original

        def from_error(task: Any, env: Any, ex: Exception) -> Any:
            if isinstance(ex, ClientError):
                error = f"Lambda.{ex.response['Error']['Code']}"
                details = LambdaFunctionFailedEventDetails(error=error, cause=ex.response["Error"]["Message"])
                return FailureEvent(
                    env=env,
                    error_name=CustomErrorName(error),
                    event_type=HistoryEventType.LambdaFunctionFailed,
                    event_details=cast(EventDetails, {"lambdaFunctionFailedEventDetails": details}),
                )
            return original(task, env, ex)

        setattr(StateTaskLambda, "_from_error", from_error)  # noqa: B010 - replacing a method on moto's class

    def uninstall(self) -> None:
        if self._saved is not None:
            from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
                StateTaskLambda,
            )

            setattr(StateTaskLambda, "_from_error", self._saved)  # noqa: B010
            self._saved = None


class VirtualClock:
    """Replaces the ASL engine's sleeps (retry back-off) with a counter."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._saved: Optional[Any] = None
        self._module: Optional[Any] = None

    def sleep(self, seconds: float) -> None:
        self.seconds += seconds

    def install(self) -> None:
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

        self._module = retrier_decl
        self._saved = getattr(retrier_decl, "time")  # noqa: B009 - the module's `time` import, which it sleeps with
        setattr(retrier_decl, "time", SimpleNamespace(sleep=self.sleep, time=time.time, monotonic=time.monotonic))  # noqa: B010

    def uninstall(self) -> None:
        if self._module is not None:
            setattr(self._module, "time", self._saved)  # noqa: B010


#: Definitions moto's parser has accepted, process-wide (see :func:`_validate_each_definition_once`).
_VALID_DEFINITIONS: set[str] = set()


def _validate_each_definition_once() -> None:
    """Make moto's ``CreateStateMachine`` validation parse a given definition text once per process.

    moto validates by parsing the whole definition with its ANTLR grammar (a
    few hundred milliseconds for a saga), and every LocalCloud opened on the
    same stack creates the same state machines again. Whether a text parses
    depends on the text alone, so a text that passed passes again; a text that
    failed is parsed (and fails) every time. Executions are untouched: moto
    parses a fresh program for each. Installed once and left in place (it
    answers as moto does).
    """
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    validate = StepFunctionsParserBackend._validate_definition
    if getattr(validate, "validates_each_definition_once", False):
        return

    def validate_once(definition: str) -> None:
        if definition not in _VALID_DEFINITIONS:
            validate(definition)
            _VALID_DEFINITIONS.add(definition)

    setattr(validate_once, "validates_each_definition_once", True)  # noqa: B010
    setattr(StepFunctionsParserBackend, "_validate_definition", staticmethod(validate_once))  # noqa: B010


class StepFunctions(Service):
    """State machines created in moto from their definitions; executions run in virtual time."""

    handles = ("AWS::StepFunctions::StateMachine",)

    def __init__(self, ctx: CloudContext) -> None:
        super().__init__(ctx)
        self.clock = VirtualClock()
        self._lambda_errors = LambdaServiceErrors()
        self.clock.install()
        self._lambda_errors.install()
        _validate_each_definition_once()
        ctx.register_sender("states", self.send)
        self._executions: list[str] = []
        ctx.on_call("states", "StartExecution", self._started)
        ctx.add_background(self.background)

    def close(self) -> None:
        """Stop the executions still running and join moto's engine threads (bounded), then undo the patches."""
        from moto.stepfunctions.parser.utils import TMP_THREADS

        sfn = self.ctx.client("stepfunctions")
        for arn in self._executions:
            try:
                if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                    sfn.stop_execution(executionArn=arn, error="LocalCloud.Closed", cause="the LocalCloud was closed")
            except Exception:  # noqa: BLE001 - closing must go on: moto may already be torn down
                continue
        deadline = time.monotonic() + _JOIN_SECONDS
        for thread in list(TMP_THREADS):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        TMP_THREADS[:] = [t for t in TMP_THREADS if t.is_alive()]
        self.clock.uninstall()
        self._lambda_errors.uninstall()

    def _started(self, params: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
        if parsed.get("executionArn"):
            self._executions.append(str(parsed["executionArn"]))

    def background(self) -> tuple[bool, list[str]]:
        """``(busy, waiting)``: is an execution still working, and which wait on something only the test can give."""
        sfn = self.ctx.client("stepfunctions")
        busy, waiting = False, []
        for arn in list(self._executions):
            if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
                self._executions.remove(arn)
                continue
            events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
            reason = _waits_outside(events)
            if reason is None:
                busy = True
            else:
                waiting.append(f"execution {arn} {reason}")
        return busy, waiting

    def provision(self) -> None:
        for machine in self.ctx.template.of_type("AWS::StepFunctions::StateMachine"):
            self._create_state_machine(machine)

    def _create_state_machine(self, machine: Resource) -> None:
        t = self.ctx.template
        props = t.resolve(machine.properties)
        definition = props.get("DefinitionString")
        if definition is None and props.get("Definition") is not None:
            definition = json.dumps(props["Definition"])
        for key, value in (props.get("DefinitionSubstitutions") or {}).items():
            definition = str(definition).replace("${" + key + "}", str(value))
        self.ctx.client("stepfunctions").create_state_machine(
            name=machine.name,
            definition=str(definition),
            roleArn=str(props.get("RoleArn", f"arn:aws:iam::{t.account}:role/local")),
            type=str(props.get("StateMachineType", "STANDARD")),
        )

    def send(self, arn: str, payload: Any, *, attributes: Optional[Mapping[str, str]] = None,
             group_id: Optional[str] = None) -> None:
        """A state machine as a target: ``StartExecution`` with the payload as input."""
        self.ctx.client("stepfunctions").start_execution(stateMachineArn=arn, name=uuid.uuid4().hex, input=body_of(payload))

    def start(self, state_machine_arn: str, execution_input: Any, name: Optional[str]) -> LocalExecution:
        """Start an execution and wait (bounded) until it leaves RUNNING."""
        sfn = self.ctx.client("stepfunctions")
        before = self.clock.seconds
        response = sfn.start_execution(
            stateMachineArn=state_machine_arn,
            name=name or uuid.uuid4().hex,
            input=json.dumps(execution_input if execution_input is not None else {}),
        )
        execution = LocalExecution(self.ctx, response["executionArn"]).wait()
        execution.virtual_seconds = self.clock.seconds - before
        return execution
