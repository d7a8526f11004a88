"""The saga's state graph as a pure function: built and checked without a Saga construct."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk_serverless_patterns import FunctionSpec, SagaApproval, SagaStep
from cdk_serverless_patterns.patterns.saga.graph import SagaGraph, build_state_graph
from tests.support import HANDLER_DIR

SPEC = FunctionSpec(code=str(HANDLER_DIR), handler="app.handler")
ARN = "arn:aws:lambda:eu-west-1:123456789012:function:"


@pytest.fixture(scope="module")
def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Graph")


def graph_of(stack: cdk.Stack, name: str, steps: list[SagaStep], **options: Any) -> dict[str, Any]:
    """Build the graph under a fresh scope and return its States Language JSON."""
    scope = Construct(stack, name)
    functions = {s.name: lambda_.Function.from_function_arn(scope, f"Fn{s.name}", ARN + s.name) for s in steps}
    compensations = {
        s.name: lambda_.Function.from_function_arn(scope, f"Undo{s.name}", ARN + "undo-" + s.name)
        for s in steps
        if s.compensation is not None
    }
    start = build_state_graph(scope, SagaGraph(steps=steps, actions=functions, compensations=compensations, **options))
    assert isinstance(start, sfn.State)
    return stack.resolve(sfn.StateGraph(start, name).to_graph_json())


def next_of(states: dict[str, Any], name: str) -> str:
    return states[name]["Next"]


def catch_of(states: dict[str, Any], name: str) -> str:
    (catcher,) = states[name]["Catch"]
    assert catcher["ErrorEquals"] == ["States.ALL"]
    return catcher["Next"]


def test_steps_run_in_order_and_failures_compensate_completed_steps_in_reverse(stack):
    steps = [
        SagaStep("Reserve", action=SPEC, compensation=SPEC),
        SagaStep("Charge", action=SPEC, compensation=SPEC),
        SagaStep("Notify", action=SPEC),
        SagaStep("Ship", action=SPEC),
    ]
    states = graph_of(stack, "Plain", steps, retry_attempts=2, compensation_retry_attempts=7)["States"]
    assert [next_of(states, s) for s in ("Start-Saga", "Reserve", "Charge", "Notify", "Ship")] == [
        "Reserve", "Charge", "Notify", "Ship", "Saga-Succeeded",
    ]
    # a failing step records its failure, then undoes itself (it may have committed)
    # and exactly the steps before it, last first
    assert {s: next_of(states, catch_of(states, s)) for s in ("Reserve", "Charge", "Notify", "Ship")} == {
        "Reserve": "Compensate-Reserve",
        "Charge": "Compensate-Charge",
        "Notify": "Compensate-Charge",
        "Ship": "Compensate-Charge",
    }
    # a compensation that fails for good is noted, and the chain goes on
    # (Incomplete-Charge keeps only the error's name: its message may quote the payload)
    assert next_of(states, "Compensate-Charge") == "Compensate-Reserve"
    assert catch_of(states, "Compensate-Charge") == "Incomplete-Charge"
    assert next_of(states, "Incomplete-Charge") == "Compensate-Reserve"
    assert next_of(states, "Compensate-Reserve") == next_of(states, "Incomplete-Reserve") == "Check-Compensations"
    assert catch_of(states, "Compensate-Reserve") == "Incomplete-Reserve"
    assert states["Check-Compensations"]["Default"] == "Saga-Failed"
    # no saga_name: no metric, straight to the distinct Fail state
    assert states["Check-Compensations"]["Choices"][0]["Next"] == "Saga-CompensationIncomplete"
    assert "Report-CompensationIncomplete" not in states
    assert "Compensate-Notify" not in states and "Compensate-Ship" not in states
    # payload_response_only: the state invokes the function directly
    assert states["Reserve"]["Resource"] == ARN + "Reserve"
    assert states["Compensate-Charge"]["Resource"] == ARN + "undo-Charge"
    assert states["Reserve"]["Retry"][0]["MaxAttempts"] == 2
    assert states["Compensate-Reserve"]["Retry"] == [
        {**states["Compensate-Reserve"]["Retry"][0], "ErrorEquals": ["States.ALL"], "MaxAttempts": 7}
    ]
    assert states["Saga-Failed"]["Type"] == "Fail" and states["Saga-Succeeded"]["Type"] == "Succeed"


def test_a_step_opted_out_of_its_own_compensation_enters_the_chain_before_itself(stack):
    steps = [
        SagaStep("Reserve", action=SPEC, compensation=SPEC, compensate_on_own_failure=False),
        SagaStep("Charge", action=SPEC, compensation=SPEC, compensate_on_own_failure=False),
        SagaStep("Ship", action=SPEC),
    ]
    states = graph_of(stack, "OwnFailure", steps)["States"]
    assert next_of(states, catch_of(states, "Charge")) == "Compensate-Reserve"
    assert next_of(states, catch_of(states, "Reserve")) == "Saga-Failed"


def test_without_compensations_a_failure_goes_straight_to_fail(stack):
    states = graph_of(stack, "NoUndo", [SagaStep("Read", action=SPEC), SagaStep("Notify", action=SPEC)])["States"]
    assert next_of(states, catch_of(states, "Notify")) == "Saga-Failed"
    assert "Check-Compensations" not in states


def test_approval_waits_before_its_step_and_rejection_compensates(stack):
    topic = sns.Topic.from_topic_arn(stack, "ApprovalTopic", "arn:aws:sns:eu-west-1:123456789012:approvals")
    steps = [SagaStep("Reserve", action=SPEC, compensation=SPEC), SagaStep("Ship", action=SPEC)]
    states = graph_of(
        stack, "Approval", steps, approval=SagaApproval(before="Ship"), approval_topic=topic
    )["States"]
    assert next_of(states, "Reserve") == "Await-Approval"
    assert next_of(states, "Await-Approval") == "Check-Approval"
    choice = states["Check-Approval"]
    assert choice["Choices"][0]["Next"] == "Ship" and choice["Default"] == "Approval-Rejected"
    assert next_of(states, "Approval-Rejected") == "Compensate-Reserve"
    assert next_of(states, catch_of(states, "Await-Approval")) == "Compensate-Reserve"
