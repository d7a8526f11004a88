"""Saga(workflow_type=WorkflowType.EXPRESS): template, checks, and one test per Express rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, assertions

from cdk_serverless_patterns import FunctionSpec, Saga, SagaApproval, SagaStep, WorkflowType, enable_checks, set_default_alarm_topic
from tests.support import HANDLER_DIR, TEST_ALARM_TOPIC_ARN, config_error, report_violations, synth_keeping_error
from tests.test_saga import definition_of


def spec(**changes) -> FunctionSpec:
    return FunctionSpec(code=str(HANDLER_DIR), handler="app.handler", **changes)


def steps() -> list[SagaStep]:
    return [SagaStep("reserve", action=spec(), compensation=spec()), SagaStep("charge", action=spec())]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cdk-out-saga-express")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    stack = cdk.Stack(app, "Express")
    saga = Saga(stack, "Order", steps=steps(), workflow_type=WorkflowType.EXPRESS, removal_policy=cdk.RemovalPolicy.DESTROY)
    error = synth_keeping_error(app)
    return saga, assertions.Template.from_stack(stack), Path(outdir), error


def test_express_state_machine_with_full_logging_and_five_minute_timeout(built):
    saga, template, _, _ = built
    assert saga.workflow_type is WorkflowType.EXPRESS
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineType": "EXPRESS",
            "LoggingConfiguration": assertions.Match.object_like({"Level": "ALL", "IncludeExecutionData": False}),
            "TracingConfiguration": {"Enabled": True},
        },
    )
    definition = definition_of(template.to_json())
    assert definition["TimeoutSeconds"] == 300


def test_express_compensation_retries_fit_five_minutes(built):
    definition = definition_of(built[1].to_json())
    retries = definition["States"]["Compensate-reserve"]["Retry"]
    catch_all = [r for r in retries if r["ErrorEquals"] == ["States.ALL"]]
    assert catch_all and catch_all[0]["MaxDelaySeconds"] == 20


def test_express_saga_has_zero_findings_and_is_cfn_lint_clean(built):
    _, _, outdir, error = built
    assert report_violations(outdir / "validation-report.json") == []
    assert error is None, str(error)
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    result = subprocess.run(
        [cfn_lint, "--format", "parseable", str(outdir / "Express.template.json")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_standard_is_the_default():
    stack = cdk.Stack(cdk.App(), "Std")
    saga = Saga(stack, "Order", steps=steps())
    assert saga.workflow_type is WorkflowType.STANDARD
    assertions.Template.from_stack(stack).has_resource_properties(
        "AWS::StepFunctions::StateMachine", {"StateMachineType": "STANDARD"}
    )


# --- validation: one test per rule ----------------------------------------------------------
def _error(**options) -> str:
    options.setdefault("steps", steps())
    options.setdefault("workflow_type", WorkflowType.EXPRESS)
    message = str(config_error(Saga, "Order", **options))
    assert "V/Order" in message and "Fix:" in message, message
    return message


def test_express_has_no_task_token_approval():
    message = _error(approval=SagaApproval(before="charge"))
    assert "approval=" in message and "waitForTaskToken" in message and "WorkflowType.STANDARD" in message


def test_express_timeout_at_most_five_minutes():
    message = _error(timeout=Duration.minutes(6))
    assert "timeout='6 minutes'" in message and "at most 5 minutes" in message


def test_express_step_function_timeout_below_five_minutes():
    message = _error(steps=[SagaStep("crunch", action=spec(timeout=Duration.minutes(5)))])
    assert "steps[0].action.timeout" in message and "less than 5 minutes" in message


def test_workflow_type_must_be_a_workflow_type():
    message = _error(workflow_type="EXPRESS")
    assert "workflow_type='EXPRESS'" in message and "WorkflowType.EXPRESS" in message
