"""Saga executions on LocalCloud (moto's ASL engine): what docs/patterns/saga.md promises
(issue 15 item 11).

Checked: a failed execution's error and its cause (the failed state and its
error, never the payload), compensations retrying transient Lambda
errors with ``compensation_retry_attempts``, and every way of not approving
failing with ``Saga.ApprovalRejected``. Handlers are the fixture's echo handler;
faults are injected with ``LocalCloud.fail``.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import aws_cdk as cdk
import pytest
from aws_cdk import Duration

pytest.importorskip("moto.stepfunctions.parser")
from cdk_serverless_patterns import FunctionSpec, Saga, SagaApproval, SagaStep  # noqa: E402
from cdk_serverless_patterns.local import LocalCloud  # noqa: E402
from tests.support import HANDLER_DIR  # noqa: E402


def spec() -> FunctionSpec:
    return FunctionSpec(code=str(HANDLER_DIR), handler="app.handler")


@pytest.fixture(scope="module")
def stack() -> cdk.Stack:
    app = cdk.App()
    stack = cdk.Stack(app, "SagaRun", env=cdk.Environment(account="123456789012", region="us-east-1"))
    shared = spec()
    stack.basic = Saga(  # type: ignore[attr-defined]
        stack,
        "Basic",
        steps=[
            SagaStep("a", action=spec(), compensation=spec()),
            SagaStep("b", action=spec()),
            SagaStep("c", action=shared, compensation=shared, compensate_on_own_failure=True),
            SagaStep("d", action=spec()),
        ],
        create_alarms=False,
    )
    stack.retried = Saga(  # type: ignore[attr-defined]
        stack,
        "Retried",
        steps=[SagaStep("reserve", action=spec(), compensation=spec()), SagaStep("charge", action=spec())],
        retry_attempts=1,
        compensation_retry_attempts=5,
        create_alarms=False,
    )
    stack.approved = Saga(  # type: ignore[attr-defined]
        stack,
        "Approved",
        steps=[SagaStep("reserve", action=spec(), compensation=spec()), SagaStep("ship", action=spec())],
        approval=SagaApproval(before="ship", timeout=Duration.hours(1)),
        create_alarms=False,
    )
    return stack


@pytest.fixture()
def cloud(stack: cdk.Stack) -> Any:
    with LocalCloud(stack) as local:
        yield local


def test_a_failed_step_fails_the_execution_with_its_name_and_a_cause_without_the_payload(cloud, stack):
    functions = stack.basic.functions
    cloud.fail(functions["b"].action)
    execution = cloud.start_execution(stack.basic, {"order_id": "o-1"}, name="o-1")
    assert execution.status == "FAILED"
    assert execution.error == "Saga.b.Failed"
    assert execution.output is None
    assert execution.cause == "b failed with RuntimeError; the compensations of the completed steps ran"
    assert "o-1" not in execution.cause
    assert len(cloud.invocations(functions["a"].compensation)) == 1


def test_compensations_retry_transient_lambda_errors_with_compensation_retry_attempts(cloud, stack):
    functions = stack.retried.functions  # retry_attempts=1, compensation_retry_attempts=5
    cloud.fail(functions["charge"].action)
    # throttled three times: more than retry_attempts, fewer than compensation_retry_attempts
    cloud.fail(functions["reserve"].compensation, times=3, error="Lambda.TooManyRequestsException")
    execution = cloud.start_execution(stack.retried, {"order_id": "o-2"}, name="o-2")
    assert execution.status == "FAILED"
    assert execution.error == "Saga.charge.Failed", (execution.error, execution.cause)
    assert execution.cause.startswith("charge failed with ")
    assert len(cloud.invocations(functions["reserve"].compensation)) == 4  # three throttled, then done
    assert execution.virtual_seconds > 0  # the back-offs were counted, not slept


def _answer_approval(cloud: Any, stack: Any, answer: Callable[[Any, str], None], name: str) -> Any:
    execution = cloud.start_execution(stack.approved, {"order_id": name}, name=name)
    assert execution.status == "RUNNING", "parked on the approval's task token"
    (request,) = cloud.published(stack.approved.approval_topic)
    answer(cloud.client("stepfunctions"), json.loads(request["Message"])["taskToken"])
    return execution.wait()


@pytest.mark.parametrize(
    "answer, original_error",
    [
        (lambda sfn, token: sfn.send_task_success(taskToken=token, output=json.dumps({"approved": False})),
         "Saga.ApprovalRejected"),
        (lambda sfn, token: sfn.send_task_failure(taskToken=token, error="Declined", cause="out of stock"),
         "Declined"),
    ],
    ids=["approved-false", "send-task-failure"],
)
def test_every_way_of_not_approving_fails_with_approval_rejected(cloud, stack, answer, original_error):
    execution = _answer_approval(cloud, stack, answer, "o-3")
    assert execution.status == "FAILED"
    assert execution.error == "Saga.ApprovalRejected"
    assert execution.cause == f"Await-Approval failed with {original_error}; the compensations of the completed steps ran"
    assert len(cloud.invocations(stack.approved.functions["reserve"].compensation)) == 1
    assert cloud.invocations(stack.approved.functions["ship"].action) == []


def test_an_approval_lets_the_saga_finish(cloud, stack):
    execution = _answer_approval(
        cloud, stack,
        lambda sfn, token: sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True})), "o-4",
    )
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert set(execution.output["results"]) == {"reserve", "ship"} and execution.output["compensations"] == {}
