"""DurableSaga: the orchestrator's durable config, alias-only invocation, checkpoint
policy, grants, KMS, alarms and metrics; one test per validation rule."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from cdk_serverless_patterns import (
    DurableSaga,
    FunctionSpec,
    Idempotency,
    PatternConfigError,
    SagaApproval,
    SagaStartApi,
    SagaStep,
)
from cdk_serverless_patterns.runtime import durable_saga as runtime
from cdk_serverless_patterns.template.metadata import IDEMPOTENCY as IDEMPOTENCY_METADATA

HANDLER = "tests/fixtures/saga_steps"


def _spec(name: str, **kwargs) -> FunctionSpec:
    return FunctionSpec(code=HANDLER, handler=f"app.{name}", **kwargs)


def _steps() -> list[SagaStep]:
    return [
        SagaStep("reserve", action=_spec("reserve"), compensation=_spec("release")),
        SagaStep("charge", action=_spec("charge", timeout=cdk.Duration.minutes(2)), compensation=_spec("refund")),
        SagaStep("ship", action=_spec("ship")),
    ]


@pytest.fixture(scope="module")
def built():
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    saga = DurableSaga(stack, "Orders", steps=_steps(), retention_period=cdk.Duration.days(30), encryption_key=key)
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    saga.grant_start(caller)
    answerer = iam.Role(stack, "Answerer", assumed_by=iam.AccountRootPrincipal())
    saga.grant_send_callback(answerer)
    return stack, saga, Template.from_stack(stack)


def _orchestrator(template: Template) -> tuple[str, dict]:
    functions = template.find_resources("AWS::Lambda::Function", {"Properties": {"DurableConfig": Match.any_value()}})
    assert len(functions) == 1
    return next(iter(functions.items()))


def _policy_statements(template: Template, role_id: str) -> list[dict]:
    out = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            out.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return out


def test_orchestrator_is_a_durable_function_with_timeout_retention_and_key(built):
    stack, saga, template = built
    _, fn = _orchestrator(template)
    config = fn["Properties"]["DurableConfig"]
    assert config["ExecutionTimeout"] == 86400
    assert config["RetentionPeriodInDays"] == 30
    assert "Fn::GetAtt" in config["KMSKeyArn"]
    assert fn["Properties"]["Runtime"] in ("python3.13", "python3.14")
    assert fn["Properties"]["Architectures"] == ["arm64"]
    # waits for the longest step (2 min) plus its margin
    assert fn["Properties"]["Timeout"] == 150


def test_steps_are_invoked_only_through_their_live_alias(built):
    stack, saga, template = built
    _, orchestrator = _orchestrator(template)
    rendered = json.dumps(orchestrator["Properties"]["Environment"]["Variables"][runtime.DEFINITION_ENV])
    aliases = {
        stack.get_logical_id(fn.alias.node.default_child)
        for step in saga.functions.values()
        for fn in (step.action, step.compensation)
        if fn is not None
    }
    assert len(aliases) == 5  # 3 actions + 2 compensations
    for alias_id in aliases:
        assert json.dumps({"Ref": alias_id}) in rendered
    role_id = stack.get_logical_id(saga.orchestrator.role.node.default_child)
    invoke = [s for s in _policy_statements(template, role_id) if s["Action"] == "lambda:InvokeFunction"]
    assert {s["Resource"]["Ref"] for s in invoke} == aliases


def test_checkpoint_permissions_are_our_own_inline_policy_scoped_to_the_function(built):
    stack, saga, template = built
    orchestrator_id, _ = _orchestrator(template)
    statements = saga.checkpoint_policy.document.to_json()["Statement"]
    assert statements[0]["Action"] == ["lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState"]
    resource = stack.resolve(statements[0]["Resource"])
    assert resource == {"Fn::Join": ["", [{"Fn::GetAtt": [orchestrator_id, "Arn"]}, ":*"]]}
    role = template.find_resources("AWS::IAM::Role")[stack.get_logical_id(saga.orchestrator.role.node.default_child)]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_start_and_callback_grants_target_the_alias_and_the_executions(built):
    stack, saga, template = built
    caller_id = next(k for k in template.find_resources("AWS::IAM::Role") if k.startswith("Caller"))
    answerer_id = next(k for k in template.find_resources("AWS::IAM::Role") if k.startswith("Answerer"))
    start = _policy_statements(template, caller_id)
    assert [s["Action"] for s in start] == ["lambda:InvokeFunction"]
    assert start[0]["Resource"] == stack.resolve(saga.start_target.function_arn)
    callbacks = _policy_statements(template, answerer_id)
    assert callbacks[0]["Action"] == [
        "lambda:SendDurableExecutionCallbackSuccess",
        "lambda:SendDurableExecutionCallbackFailure",
        "lambda:SendDurableExecutionCallbackHeartbeat",
    ]
    assert any("kms:GenerateDataKey" in json.dumps(s["Action"]) for s in callbacks)


def test_alarms_watch_durable_execution_metrics_and_incomplete_compensations(built):
    stack, saga, template = built
    metrics = {
        (a["Properties"].get("Namespace"), a["Properties"].get("MetricName"))
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
    }
    assert ("AWS/Lambda", "DurableExecutionFailed") in metrics
    assert ("AWS/Lambda", "DurableExecutionTimedOut") in metrics
    assert (runtime.METRIC_NAMESPACE, runtime.COMPENSATIONS_INCOMPLETE_METRIC) in metrics
    assert saga.metric_failed().metric_name == "DurableExecutionFailed"
    assert saga.metric_started().metric_name == "DurableExecutionStarted"
    assert saga.metric_succeeded().metric_name == "DurableExecutionSucceeded"
    assert saga.metric_compensations_incomplete().namespace == runtime.METRIC_NAMESPACE
    assert len(saga.alarms) == len(template.find_resources("AWS::CloudWatch::Alarm"))


def test_a_failed_saga_is_not_started_again_by_async_retries(built):
    stack, saga, template = built
    configs = template.find_resources("AWS::Lambda::EventInvokeConfig")
    assert [c["Properties"]["MaximumRetryAttempts"] for c in configs.values()] == [0]
    assert saga.orchestrator.dead_letter_queue is not None


# --- validation: one test per rule -------------------------------------------------


def _make(**kwargs):
    app = cdk.App()
    stack = cdk.Stack(app, "V")
    kwargs.setdefault("steps", [SagaStep("a", action=_spec("a"))])
    return DurableSaga(stack, "Saga", **kwargs)


@pytest.mark.parametrize(
    "kwargs, field, allowed",
    [
        ({"steps": []}, "steps", "a non-empty list of SagaStep"),
        ({"steps": ["a"]}, "steps[0]", "a SagaStep"),
        ({"steps": [SagaStep("bad name", action=FunctionSpec(code=HANDLER, handler="app.a"))]}, "steps[0].name", "letters"),
        (
            {"steps": [SagaStep("a", action=FunctionSpec(code=HANDLER, handler="app.a")),
                       SagaStep("a", action=FunctionSpec(code=HANDLER, handler="app.b"))]},
            "steps[1].name",
            "no other step uses",
        ),
        (
            {"steps": [SagaStep("a", action=FunctionSpec(code=HANDLER, handler="app.a", timeout=cdk.Duration.minutes(15)))]},
            "steps[0].action.timeout",
            "",
        ),
        ({"execution_timeout": cdk.Duration.days(367)}, "execution_timeout", "31,622,400 s"),
        ({"execution_timeout": cdk.Duration.millis(1500)}, "execution_timeout", "whole seconds"),
        ({"retention_period": cdk.Duration.days(91)}, "retention_period", "1 - 90 days"),
        ({"retention_period": cdk.Duration.hours(36)}, "retention_period", "whole days"),
        ({"retry_attempts": -1}, "retry_attempts", "0-1000"),
        ({"compensation_retry_attempts": True}, "compensation_retry_attempts", "0-1000"),
        ({"orchestrator_runtime": lambda_.Runtime.PYTHON_3_12}, "orchestrator_runtime", "python3.13, python3.14"),
        ({"approval": "yes"}, "approval", "a SagaApproval"),
        ({"approval": SagaApproval(before="ship")}, "approval.before", "the name of a step (a)"),
        ({"approval": SagaApproval(before="a", timeout=cdk.Duration.millis(2500))}, "approval.timeout", "whole seconds"),
        (
            # the engine cannot wait longer than the execution lives
            {"approval": SagaApproval(before="a", timeout=cdk.Duration.days(2)), "execution_timeout": cdk.Duration.days(1)},
            "approval.timeout",
            "shorter than the execution timeout (1 day)",
        ),
        ({"start_api": SagaStartApi(execution_name_field="order id")}, "start_api.execution_name_field", "top-level JSON field"),
    ],
)
def test_invalid_settings_raise_pattern_config_error(kwargs, field, allowed):
    with pytest.raises(PatternConfigError) as info:
        _make(**kwargs)
    message = str(info.value)
    assert field in message and allowed in message
    assert "Fix:" in message or "fix" in message.lower()


@pytest.mark.parametrize(
    "kwargs, field, allowed",
    [
        ({"retry_attempts": 186}, "retry_attempts", "0-185"),
        ({"max_event_age": cdk.Duration.seconds(30)}, "max_event_age", "60-86400 s"),
        ({"idempotency": None}, "idempotency", "an Idempotency declaration"),
    ],
)
def test_invalid_start_on_settings_raise_pattern_config_error(kwargs, field, allowed):
    from aws_cdk import aws_events as events

    saga = _make()
    rule = events.Rule(saga, "Rule", event_pattern=events.EventPattern(source=["x"]))
    kwargs = {"idempotency": Idempotency.natural("the steps write per order"), **kwargs}
    with pytest.raises(PatternConfigError) as info:
        saga.start_on(rule, **kwargs)
    message = str(info.value)
    assert field in message and allowed in message


def test_start_api_rule_targets_and_approval_go_through_the_alias():
    from aws_cdk import aws_events as events

    app = cdk.App()
    stack = cdk.Stack(app, "Wired")
    saga = DurableSaga(
        stack, "Orders", steps=_steps(),
        start_api=SagaStartApi(execution_name_field="order_id"),
        approval=SagaApproval(before="ship", timeout=cdk.Duration.hours(4)),
    )
    rule = events.Rule(stack, "Placed", event_pattern=events.EventPattern(source=["shop"]))
    saga.start_on(rule, idempotency=Idempotency.conditional_write("order id"))
    template = Template.from_stack(stack)
    alias = stack.resolve(saga.start_target.function_arn)
    assert alias == {"Ref": stack.get_logical_id(saga.orchestrator.alias.node.default_child)}
    # EventBridge invokes the alias's qualified ARN (aws-cdk #36463), with a DLQ
    [target] = next(iter(template.find_resources("AWS::Events::Rule").values()))["Properties"]["Targets"]
    assert target["Arn"] == alias and "DeadLetterConfig" in target
    # POST /executions: Lambda Invoke of the alias, asynchronously, named by the body's order_id
    [method] = [m for m in template.find_resources("AWS::ApiGateway::Method").values() if m["Properties"]["HttpMethod"] == "POST"]
    integration = method["Properties"]["Integration"]
    assert alias in integration["Uri"]["Fn::Join"][1]
    assert integration["RequestParameters"] == {
        "integration.request.header.X-Amz-Invocation-Type": "'Event'",
        "integration.request.header.X-Amz-Durable-Execution-Name": "method.request.body.order_id",
    }
    # the orchestrator declares how a redelivered event stays harmless (SP-IDEMPOTENCY reads it)
    orchestrator_id, orchestrator = _orchestrator(template)
    assert orchestrator["Metadata"][IDEMPOTENCY_METADATA]["key"] == "order id"
    definition = json.dumps(orchestrator["Properties"]["Environment"]["Variables"][runtime.DEFINITION_ENV])
    assert '\\"approval\\":{\\"before\\":\\"ship\\",\\"timeout_s\\":14400' in definition
    role_id = stack.get_logical_id(saga.orchestrator.role.node.default_child)
    assert any(s["Action"] == "sns:Publish" for s in _policy_statements(template, role_id))
def test_step_functions_and_the_orchestrator_share_a_tenth_of_the_account(built):
    stack, saga, template = built
    _, orchestrator = _orchestrator(template)
    # 5 distinct step functions + the orchestrator: 100 // 6 each
    assert orchestrator["Properties"]["ReservedConcurrentExecutions"] == 16
    resources = template.to_json()["Resources"]
    reserve = resources[stack.get_logical_id(saga.functions["reserve"].action.function.node.default_child)]
    assert reserve["Properties"]["ReservedConcurrentExecutions"] == 16
    assert "LambdaConcurrency" not in json.dumps(reserve.get("Metadata", {}))


def test_reserved_concurrency_zero_on_a_durable_step_is_a_config_error():
    app = cdk.App()
    stack = cdk.Stack(app, "Zero")
    steps = [SagaStep("reserve", action=_spec("reserve", reserved_concurrency=0))]
    with pytest.raises(PatternConfigError) as info:
        DurableSaga(stack, "Orders", steps=steps)
    assert "steps[0].action.reserved_concurrency=0 is invalid" in str(info.value)
