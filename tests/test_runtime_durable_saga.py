"""The durable saga orchestrator, run by the durable execution SDK's local runner
(``aws-durable-execution-sdk-python-testing``: in-memory checkpoint store, replay,
virtual time) with the step functions faked at the invoke boundary.

The fake step functions behave like examples/order_saga's handlers: idempotent per
order (an action returns what it already committed; a compensation undoes only
what was applied and treats "nothing to undo" as success). Faults are injected the
way AWS produces them: an error before anything is written, and a crash or timeout
*after* the write (``Lambda.Unknown``, as the invoke boundary reports it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

import pytest

pytest.importorskip("aws_durable_execution_sdk_python_testing")

from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner  # noqa: E402

from cdk_serverless_patterns.runtime import durable_saga as ds  # noqa: E402

STEPS = ("reserve", "charge", "ship")
FAST = ds.RetryPolicy(attempts=2, initial_delay_s=1, max_delay_s=1)


@dataclass
class World:
    """What the step functions change, per order; and the faults to inject."""

    applied: dict[str, dict[str, str]] = field(default_factory=dict)  # order -> step -> APPLIED|UNDONE
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail_before: dict[tuple[str, str], int] = field(default_factory=dict)  # (step, phase) -> times
    crash_after: dict[str, int] = field(default_factory=dict)  # step -> times it crashes after committing
    fail_error: str = "PaymentDeclined"

    def invoke(self, target: str, payload: Mapping[str, Any]) -> Any:
        step, phase = target.split(":")
        order = payload["input"]["order_id"]
        assert payload["saga"]["step"] == step and payload["saga"]["phase"] == phase
        assert payload["saga"]["execution_id"]
        self.calls.append((step, phase))
        records = self.applied.setdefault(order, {})
        if self.fail_before.get((step, phase), 0) > 0:
            self.fail_before[(step, phase)] -= 1
            raise ds.StepInvocationError(self.fail_error if phase == "action" else "DownstreamUnavailable", "no")
        if phase == "action":
            if records.get(step) == "UNDONE":
                raise ds.StepInvocationError("AlreadyUndone", f"{step} of {order} was compensated")
            records.setdefault(step, "APPLIED")  # idempotent: a retry finds its own write
            if self.crash_after.get(step, 0) > 0:
                self.crash_after[step] -= 1
                raise ds.StepInvocationError("Lambda.Unknown", "Task timed out after the write")
            return {"step": step, "order": order}
        assert "failure" in payload["saga"]
        if records.get(step) == "APPLIED":
            records[step] = "UNDONE"
            return {"undone": True}
        return {"undone": False}  # nothing to undo


def _definition() -> ds.SagaDefinition:
    return ds.SagaDefinition(
        steps=tuple(
            ds.StepTarget(s, f"{s}:action", f"{s}:compensate" if s != "ship" else None) for s in STEPS
        ),
        action_retry=FAST,
        compensation_retry=FAST,
        name="test-saga",
    )


def _run(world: World, order: str = "o-1", *, name: str = "o-1", runner: Any = None) -> Any:
    handler = ds.build_handler(_definition(), invoke=world.invoke)
    if runner is not None:
        return runner.run(input=json.dumps({"order_id": order}), execution_name=name, execution_timeout=60)
    with DurableFunctionTestRunner(handler=handler) as local:
        return local.run(input=json.dumps({"order_id": order}), execution_name=name, execution_timeout=60)


def _error(result: Any) -> tuple[str, dict[str, Any]]:
    assert result.error is not None
    return result.error.type, json.loads(result.error.message)


def test_success_runs_every_action_once_and_no_compensation():
    world = World()
    result = _run(world)
    assert result.status.name == "SUCCEEDED"
    assert json.loads(result.result)["results"]["ship"] == {"step": "ship", "order": "o-1"}
    assert world.calls == [("reserve", "action"), ("charge", "action"), ("ship", "action")]
    assert world.applied["o-1"] == {s: "APPLIED" for s in STEPS}


@pytest.mark.parametrize("failing", STEPS)
def test_failure_at_each_step_compensates_it_and_the_completed_steps_in_reverse(failing):
    world = World(fail_before={(failing, "action"): 1})
    result = _run(world)
    error, state = _error(result)
    assert error == ds.STEP_FAILED_ERROR
    assert state["failure"]["step"] == failing
    assert state["failure"]["error"]["Error"] == "PaymentDeclined"
    index = STEPS.index(failing)
    expected = [s for s in reversed(STEPS[: index + 1]) if s != "ship"]
    assert [c for c in world.calls if c[1] == "compensate"] == [(s, "compensate") for s in expected]
    # a business error is not retried
    assert world.calls.count((failing, "action")) == 1
    # the failing action wrote nothing: its compensation found nothing to undo
    assert world.applied["o-1"] == {s: "UNDONE" for s in STEPS[:index]}
    if failing != "ship":
        assert state["compensations"][failing] == {"undone": False}


@pytest.mark.parametrize("crashing", STEPS)
def test_crash_after_commit_is_retried_and_the_saga_succeeds_with_one_effect(crashing):
    world = World(crash_after={crashing: 1})
    result = _run(world)
    assert result.status.name == "SUCCEEDED"
    assert world.calls.count((crashing, "action")) == 2
    assert world.applied["o-1"] == {s: "APPLIED" for s in STEPS}
    assert not [c for c in world.calls if c[1] == "compensate"]


@pytest.mark.parametrize("crashing", ["reserve", "charge"])
def test_crash_after_commit_past_retries_compensates_the_failing_step_too(crashing):
    world = World(crash_after={crashing: 10})
    result = _run(world)
    error, state = _error(result)
    assert error == ds.STEP_FAILED_ERROR
    assert state["failure"] == {"step": crashing, "error": {"Error": "Lambda.Unknown", "Cause": "Task timed out after the write"}}
    assert world.calls.count((crashing, "action")) == 1 + FAST.attempts
    # the failing step committed: its own compensation undid it, then the earlier ones
    index = STEPS.index(crashing)
    assert world.applied["o-1"] == {s: "UNDONE" for s in STEPS[: index + 1]}
    assert state["compensations"][crashing] == {"undone": True}


def test_a_compensation_failing_for_good_does_not_strand_the_others():
    world = World(fail_before={("ship", "action"): 1, ("charge", "compensate"): 99})
    result = _run(world)
    error, state = _error(result)
    assert error == ds.COMPENSATION_INCOMPLETE_ERROR
    assert state["incomplete"] == ["charge"]
    assert state["compensations"]["charge"]["failed"]["Error"] == "DownstreamUnavailable"
    # reserve's compensation still ran after charge's failed past its retries
    assert world.applied["o-1"]["reserve"] == "UNDONE"
    assert world.applied["o-1"]["charge"] == "APPLIED"
    assert world.calls.count(("charge", "compensate")) == 1 + FAST.attempts
    assert world.calls[-1] == ("reserve", "compensate")


def test_a_compensation_that_recovers_within_its_retries_completes_the_saga_as_step_failed():
    world = World(fail_before={("ship", "action"): 1, ("charge", "compensate"): 1})
    error, state = _error(_run(world))
    assert error == ds.STEP_FAILED_ERROR
    assert world.applied["o-1"] == {"reserve": "UNDONE", "charge": "UNDONE"}


def test_duplicate_starts_with_the_same_name_apply_each_effect_once():
    """Lambda de-duplicates starts by DurableExecutionName; the local runner does not, so
    this also shows the fallback: a second execution for the same order changes nothing."""
    world = World()
    handler = ds.build_handler(_definition(), invoke=world.invoke)
    with DurableFunctionTestRunner(handler=handler) as local:
        first = _run(world, runner=local)
        second = _run(world, runner=local)
    assert first.status.name == second.status.name == "SUCCEEDED"
    assert world.applied == {"o-1": {s: "APPLIED" for s in STEPS}}
    assert not [c for c in world.calls if c[1] == "compensate"]


def test_invoke_lambda_maps_errors_like_step_functions():
    import io

    from botocore.exceptions import ClientError

    class Client:
        def __init__(self, response: Any) -> None:
            self.response = response

        def invoke(self, **kwargs: Any) -> Any:
            assert kwargs["FunctionName"] == "arn:fn:live"
            if isinstance(self.response, Exception):
                raise self.response
            return self.response

    ok = {"Payload": io.BytesIO(b'{"a": 1}')}
    assert ds.invoke_lambda("arn:fn:live", {}, client=Client(ok)) == {"a": 1}
    crashed = {"FunctionError": "Unhandled", "Payload": io.BytesIO(b'{"errorType": "Sandbox.Timedout", "errorMessage": "t"}')}
    with pytest.raises(ds.StepInvocationError) as info:
        ds.invoke_lambda("arn:fn:live", {}, client=Client(crashed))
    assert info.value.error == "Lambda.Unknown"
    declined = {"FunctionError": "Unhandled", "Payload": io.BytesIO(b'{"errorType": "PaymentDeclined", "errorMessage": "no"}')}
    with pytest.raises(ds.StepInvocationError) as info:
        ds.invoke_lambda("arn:fn:live", {}, client=Client(declined))
    assert (info.value.error, info.value.cause) == ("PaymentDeclined", "no")
    throttled = ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow"}}, "Invoke")
    with pytest.raises(ds.StepInvocationError) as info:
        ds.invoke_lambda("arn:fn:live", {}, client=Client(throttled))
    assert info.value.error == "Lambda.TooManyRequestsException" and info.value.error in ds.TRANSIENT_ERRORS


def test_start_execution_names_the_execution():
    seen: dict[str, Any] = {}

    class Client:
        def invoke(self, **kwargs: Any) -> Any:
            seen.update(kwargs)
            return {"StatusCode": 202}

    ds.start_execution("arn:fn:live", {"order_id": "o-1"}, "o-1", client=Client())
    assert seen["InvocationType"] == "Event" and seen["DurableExecutionName"] == "o-1"
    assert json.loads(seen["Payload"]) == {"order_id": "o-1"}


def test_definition_round_trips_through_the_environment():
    text = json.dumps(
        {"name": "s", "steps": [{"name": "a", "action": "arn:a", "compensation": None}],
         "action_retry": {"attempts": 1, "initial_delay_s": 2, "max_delay_s": 3}}
    )
    definition = ds.definition_from_env({ds.DEFINITION_ENV: text})
    assert definition.steps == (ds.StepTarget("a", "arn:a", None),)
    assert definition.action_retry == ds.RetryPolicy(1, 2, 3)
    assert definition.compensation_retry == ds.COMPENSATION_RETRY
    with pytest.raises(RuntimeError, match=ds.DEFINITION_ENV):
        ds.definition_from_env({})
