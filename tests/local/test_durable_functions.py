"""LocalCloud runs Lambda durable functions: checkpoint and replay, waits in virtual time,
callbacks from the test, the qualified-ARN rule, one execution per name, checkpoint IAM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aws_durable_execution_sdk_python_testing")

from botocore.exceptions import ClientError  # noqa: E402

from cdk_serverless_patterns.local import LocalCloud  # noqa: E402

HANDLER_DIR = Path(__file__).parent.parent / "fixtures" / "durable_handler"


def _stack(grant_checkpoints: bool) -> Any:
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_lambda as lambda_

    app = cdk.App()
    stack = cdk.Stack(app, "Durable" + ("" if grant_checkpoints else "NoGrant"))
    fn = lambda_.Function(
        stack,
        "Fn",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="app.handler",
        code=lambda_.Code.from_asset(str(HANDLER_DIR)),
        durable_config=lambda_.DurableConfig(execution_timeout=cdk.Duration.days(1)),
    )
    lambda_.Alias(stack, "Live", alias_name="live", version=fn.current_version)
    if grant_checkpoints:
        iam.Policy(
            stack,
            "Checkpoints",
            roles=[fn.role],
            statements=[
                iam.PolicyStatement(
                    actions=["lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState"],
                    resources=[f"{fn.function_arn}:*"],
                )
            ],
        )
    stack.fn = fn  # type: ignore[attr-defined]
    return stack


@pytest.fixture(scope="module")
def stack() -> Any:
    return _stack(grant_checkpoints=True)


def _module(cloud: Any, stack: Any) -> Any:
    """The handler module as the function's sandbox loaded it."""
    local = cloud.functions[stack.resolve(stack.fn.node.default_child.logical_id)]
    return local._modules["app"]  # noqa: SLF001 - the sandbox's own module table


@pytest.mark.filterwarnings("ignore::cdk_serverless_patterns.local.LocalCloudWarning")
def test_a_wait_is_virtual_and_a_callback_resumes_the_replay_without_rerunning_steps(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        execution = cloud.start_durable_execution(stack.fn, {"n": 21}, name="e-1")
        assert execution.status == "RUNNING"
        assert execution.virtual_seconds >= 2 * 3600  # the two-hour wait passed on the virtual clock
        callback_id = execution.callback_id("approve")
        assert any(callback_id in line for line in cloud.waiting)
        cloud.send_durable_callback(callback_id, {"approved_by": "ada"})
        [done] = cloud.durable_executions(stack.fn)
        assert done.status == "SUCCEEDED", (done.error, done.cause)
        assert done.output["doubled"] == 42
        assert json.loads(done.output["approval"]) == {"approved_by": "ada"}  # the callback's Result, as sent
        assert _module(cloud, stack).DOUBLED == [21]  # checkpointed once, replayed from the checkpoint
        assert done.invocations >= 3  # first run, after the wait, after the callback
        assert [o["name"] for o in done.operations] == ["double", "cool_off", "approve"]
        with pytest.raises(ClientError, match="CallbackTimeoutException"):
            cloud.send_durable_callback(callback_id, {"again": True})


@pytest.mark.filterwarnings("ignore::cdk_serverless_patterns.local.LocalCloudWarning")
def test_a_failed_callback_fails_the_execution(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        execution = cloud.start_durable_execution(stack.fn, {"n": 1}, name="e-2")
        cloud.send_durable_callback(execution.callback_id(), error="Rejected", cause="not today")
        [done] = cloud.durable_executions(stack.fn)
        assert done.status == "FAILED"
        assert "not today" in f"{done.error} {done.cause}"


@pytest.mark.filterwarnings("ignore::cdk_serverless_patterns.local.LocalCloudWarning")
def test_a_crash_after_the_step_commits_replays_without_running_it_again(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        cloud.fail(stack.fn, after_commit=True, error="Timeout")
        execution = cloud.start_durable_execution(stack.fn, {"n": 5}, name="e-3")
        assert execution.step("double")["status"] == "SUCCEEDED"
        assert _module(cloud, stack).DOUBLED == [5]
        first = cloud.invocations(stack.fn)[0][1]
        assert first.error_type == "Sandbox.Timedout" and "after its step committed" in first.error_message


@pytest.mark.filterwarnings("ignore::cdk_serverless_patterns.local.LocalCloudWarning")
def test_one_execution_per_name_and_only_through_a_qualified_arn(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        first = cloud.start_durable_execution(stack.fn, {"n": 2}, name="e-4")
        again = cloud.start_durable_execution(stack.fn, {"n": 2}, name="e-4")
        assert first.arn == again.arn and len(cloud.durable_executions()) == 1
        assert _module(cloud, stack).DOUBLED == [2]
        with pytest.raises(ClientError, match="DurableExecutionAlreadyStartedException"):
            cloud.start_durable_execution(stack.fn, {"n": 3}, name="e-4")
        name = cloud.functions[stack.resolve(stack.fn.node.default_child.logical_id)].name
        with pytest.raises(ClientError, match="unqualified ARN"):
            cloud.client("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')
        assert first.arn.startswith(f"arn:aws:lambda:") and ":live/durable-execution/e-4/" in first.arn


@pytest.mark.filterwarnings("ignore::cdk_serverless_patterns.local.LocalCloudWarning")
def test_checkpoints_need_the_checkpoint_permission() -> None:
    stack = _stack(grant_checkpoints=False)
    with LocalCloud(stack) as cloud:
        execution = cloud.start_durable_execution(stack.fn, {"n": 2}, name="e-5")
        assert execution.status == "FAILED"
        assert "CheckpointDurableExecution" in f"{execution.error} {execution.cause}"


# --- DurableSaga's approval: a durable callback the approver answers ---------------------


@pytest.fixture(scope="module")
def approval_stack() -> Any:
    import aws_cdk as cdk

    from cdk_serverless_patterns import DurableSaga, FunctionSpec, SagaApproval, SagaStep

    steps_dir = Path(__file__).parent.parent / "fixtures" / "saga_steps"

    def spec(name: str) -> FunctionSpec:
        return FunctionSpec(code=steps_dir, handler=f"app.{name}")

    app = cdk.App()
    stack = cdk.Stack(app, "DurableApproval")
    stack.saga = DurableSaga(  # type: ignore[attr-defined]
        stack, "Saga",
        steps=[SagaStep("reserve", action=spec("reserve"), compensation=spec("release")), SagaStep("ship", action=spec("ship"))],
        approval=SagaApproval(before="ship", timeout=cdk.Duration.hours(2)),
        create_alarms=False, removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    return stack


@pytest.mark.filterwarnings("ignore::cdk_serverless_patterns.local.LocalCloudWarning")
@pytest.mark.parametrize("answer", [{"approved": True}, {"approved": False}, "failure"])
def test_a_durable_saga_waits_for_its_approval_and_compensates_a_rejection(approval_stack: Any, answer: Any) -> None:
    saga = approval_stack.saga
    with LocalCloud(approval_stack) as cloud:
        execution = cloud.start_durable_execution(saga, {"order_id": "o-1"}, name="o-1")
        assert execution.status == "RUNNING"
        [request] = cloud.published(saga.approval_topic)
        message = json.loads(request["Message"])
        assert message["step"] == "ship" and message["results"]["reserve"] == {"ok": True}
        assert message["callback_id"] == execution.callback_id("approve-ship")
        if answer == "failure":
            cloud.send_durable_callback(message["callback_id"], error="Rejected", cause="out of stock")
        else:
            cloud.send_durable_callback(message["callback_id"], answer)
        [done] = cloud.durable_executions(saga)
        ship, release = saga.functions["ship"].action, saga.functions["reserve"].compensation
        if answer == {"approved": True}:
            assert done.status == "SUCCEEDED", (done.error, done.cause)
            assert (len(cloud.invocations(ship)), len(cloud.invocations(release))) == (1, 0)
        else:
            assert (done.status, done.error) == ("FAILED", "cdk_serverless_patterns.runtime.durable_saga.SagaStepFailed")
            assert json.loads(done.cause)["failure"]["error"]["Error"] == "Saga.ApprovalRejected"
            assert (len(cloud.invocations(ship)), len(cloud.invocations(release))) == (0, 1)
        assert len(cloud.invocations(saga.functions["reserve"].action)) == 1  # the replays did not re-run it
