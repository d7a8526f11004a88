"""Saga: the generated state machine, walked state by state, plus one test per validation rule.

The definition is read back from the synthesized template (an ``Fn::Join`` of
string parts and ``Ref``/``GetAtt`` tokens), so these tests check what Step
Functions will actually run, not what the construct meant to build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam

from cdk_serverless_patterns import (
    set_default_alarm_topic,
    ApiAuth,
    FunctionSpec,
    PatternConfigError,
    Saga,
    SagaApproval,
    SagaStep,
    defaults,
    enable_checks,
)
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic
from cdk_serverless_patterns.patterns.saga.start_api import SagaStartApi
from cdk_serverless_patterns.patterns.saga.workflow import STEP_NAME_MAX
from tests.support import HANDLER_DIR, TEST_ALARM_TOPIC_ARN, report_violations

TRANSIENT = list(defaults.SAGA_TRANSIENT_LAMBDA_ERRORS)


def spec(**changes: Any) -> FunctionSpec:
    return FunctionSpec(code=str(HANDLER_DIR), handler="app.handler", **changes)


# --- reading the definition back ----------------------------------------------


def _token(part: dict[str, Any]) -> str:
    if "Ref" in part:
        return f"<Ref:{part['Ref']}>"
    if "Fn::GetAtt" in part:
        return "<GetAtt:{}.{}>".format(*part["Fn::GetAtt"])
    raise AssertionError(f"unexpected token in the definition: {part}")


def definition_of(template: dict[str, Any], logical_id: str | None = None) -> dict[str, Any]:
    """The state machine's definition as JSON, tokens replaced by placeholders."""
    machines = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::StepFunctions::StateMachine"}
    assert machines, "no state machine in the template"
    resource = machines[logical_id] if logical_id else next(iter(machines.values()))
    body = resource["Properties"]["DefinitionString"]
    if isinstance(body, str):
        return json.loads(body)
    separator, parts = body["Fn::Join"]
    text = separator.join(p if isinstance(p, str) else _token(p) for p in parts)
    return json.loads(text)


def _catch_target(state: dict[str, Any]) -> str:
    catchers = state.get("Catch", [])
    assert [c["ErrorEquals"] for c in catchers] == [["States.ALL"]], state
    return catchers[0]["Next"]


def walk(definition: dict[str, Any], start: str, *, approve: bool = True, incomplete: bool = False) -> list[str]:
    """State names from ``start`` to a terminal state, following Next (Choice: approve or not;
    Check-Compensations: whether a compensation failed for good)."""
    states = definition["States"]
    path, name = [], start
    for _ in range(len(states) + 1):
        path.append(name)
        state = states[name]
        if state["Type"] in ("Succeed", "Fail"):
            return path
        if state["Type"] == "Choice":
            taken = incomplete if name == "Check-Compensations" else approve
            name = state["Choices"][0]["Next"] if taken else state["Default"]
        else:
            name = state["Next"]
    raise AssertionError(f"no terminal state reached from {start}: {path}")


def happy_path(definition: dict[str, Any]) -> list[str]:
    return walk(definition, definition["StartAt"])


def failure_path(definition: dict[str, Any], failing_state: str) -> list[str]:
    """What runs when ``failing_state`` fails: its catcher's target to the end."""
    return walk(definition, _catch_target(definition["States"][failing_state]))


def tasks_of(definition: dict[str, Any], path: list[str]) -> list[str]:
    return [name for name in path if definition["States"][name]["Type"] == "Task"]


# --- fixtures: one app, synthesized once ---------------------------------------


class Built:
    def __init__(self) -> None:
        self.app = cdk.App()
        enable_checks(self.app)
        set_default_alarm_topic(self.app, TEST_ALARM_TOPIC_ARN)
        self.basic_stack = cdk.Stack(self.app, "SagaBasic")
        shared = spec()
        self.basic = Saga(
            self.basic_stack,
            "Saga",
            steps=[
                SagaStep("a", action=spec(), compensation=spec()),
                SagaStep("b", action=spec()),
                SagaStep("c", action=shared, compensation=shared, compensate_on_own_failure=True),
                SagaStep("d", action=spec()),
            ],
        )
        self.approval_stack = cdk.Stack(self.app, "SagaApproval")
        self.approval_alarm_topic = EncryptedTopic(
            self.approval_stack, "AlarmTopic", service_publishers=["cloudwatch.amazonaws.com"]
        ).topic
        self.approval = Saga(
            self.approval_stack,
            "Saga",
            steps=[
                SagaStep("reserve", action=spec(), compensation=spec()),
                SagaStep("charge", action=spec(), compensation=spec()),
                SagaStep("ship", action=spec()),
            ],
            approval=SagaApproval(before="ship", timeout=cdk.Duration.hours(2)),
            timeout=cdk.Duration.days(3),
            alarm_topic=self.approval_alarm_topic,
            retry_attempts=2,
            compensation_retry_attempts=7,
            start_api=SagaStartApi(
                input_schema={
                    "type": "object",
                    "required": ["order_id", "items"],
                    "properties": {"order_id": {"type": "string"}, "items": {"type": "array", "minItems": 1}},
                },
                execution_name_field="order_id",
                rate_limit=50,
                burst_limit=100,
            ),
        )
        self.caller = iam.Role(self.approval_stack, "Caller", assumed_by=iam.AccountRootPrincipal())
        self.approval.start_api.grant_start(self.caller)
        self.quiet_stack = cdk.Stack(self.app, "SagaQuiet")
        self.existing_topic = EncryptedTopic(self.quiet_stack, "Approvers").topic
        self.quiet = Saga(
            self.quiet_stack,
            "Saga",
            steps=[SagaStep("only", action=spec())],
            approval=SagaApproval(before="only", topic=self.existing_topic),
            create_alarms=False,
        )
        self.cognito_stack = cdk.Stack(self.app, "SagaCognito")
        pool = cognito.UserPool.from_user_pool_id(self.cognito_stack, "Pool", "eu-west-1_abcdefghi")
        self.cognito = Saga(
            self.cognito_stack,
            "Saga",
            steps=[SagaStep("only", action=spec())],
            start_api=SagaStartApi(auth=ApiAuth.cognito(pool, scopes=["orders/start"])),
            create_alarms=False,
        )
        self.new_pool = Saga(
            self.cognito_stack,
            "NewPoolSaga",
            steps=[SagaStep("only", action=spec())],
            start_api=SagaStartApi(auth=ApiAuth.cognito()),
            create_alarms=False,
        )
        self.synth_error: Exception | None = None
        try:
            self.assembly = self.app.synth()
        except Exception as exc:  # ValidationFailed: the report lists the findings
            self.synth_error = exc
        self.basic_template = assertions.Template.from_stack(self.basic_stack)
        self.approval_template = assertions.Template.from_stack(self.approval_stack)
        self.quiet_template = assertions.Template.from_stack(self.quiet_stack)
        self.cognito_template = assertions.Template.from_stack(self.cognito_stack)
        self.basic_definition = definition_of(self.basic_template.to_json())
        self.approval_definition = definition_of(self.approval_template.to_json())


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


# --- the happy path and every failure path --------------------------------------


def test_happy_path_runs_every_step_in_order_then_succeeds(built):
    path = happy_path(built.basic_definition)
    assert path == ["Start-Saga", "a", "b", "c", "d", "Saga-Succeeded"]
    assert tasks_of(built.basic_definition, path) == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    "failing, expected",
    [
        # a may have committed before failing: its own compensation runs
        ("a", ["a-Failed", "Compensate-a", "Check-Compensations", "Saga-Failed"]),
        # a completed; b has no compensation of its own
        ("b", ["b-Failed", "Compensate-a", "Check-Compensations", "Saga-Failed"]),
        # c's own compensation first; b has none
        ("c", ["c-Failed", "Compensate-c", "Compensate-a", "Check-Compensations", "Saga-Failed"]),
        # d fails: c then a, in reverse order
        ("d", ["d-Failed", "Compensate-c", "Compensate-a", "Check-Compensations", "Saga-Failed"]),
    ],
)
def test_failure_at_each_step_compensates_completed_steps_in_reverse(built, failing, expected):
    assert failure_path(built.basic_definition, failing) == expected


def test_failure_record_names_the_failed_step_and_keeps_the_error(built):
    states = built.basic_definition["States"]
    for step in "abcd":
        assert states[step]["Catch"][0]["ResultPath"] == "$.failure.error"
        record = states[f"{step}-Failed"]
        assert (record["Type"], record["ResultPath"]) == ("Pass", "$.failure")
        assert record["Parameters"] == {"step": step, "name": f"Saga.{step}.Failed", "error.$": "$.failure.error"}


def test_fail_state_error_and_cause_name_the_failed_step(built):
    fail = built.basic_definition["States"]["Saga-Failed"]
    assert fail["Type"] == "Fail"
    # the error is the name the failure record chose; the cause is the whole state
    # (a FAILED execution has no output, so input/results/compensations live here)
    assert fail["ErrorPath"] == "$.failure.name"
    assert fail["CausePath"] == "States.JsonToString($)"


def test_input_is_kept_and_each_step_result_has_its_own_path(built):
    states = built.basic_definition["States"]
    assert states["Start-Saga"]["Parameters"] == {"input.$": "$", "results": {}, "compensations": {}}
    for step in "abcd":
        assert states[step]["ResultPath"] == f"$.results.{step}"
        assert states[step]["Parameters"] == {
            "saga": {"step": step, "phase": "action", "execution_id.$": "$$.Execution.Id"},
            "input.$": "$.input",
            "results.$": "$.results",
        }
    compensate = states["Compensate-a"]
    assert compensate["ResultPath"] == "$.compensations.a"
    assert compensate["Parameters"]["saga"] == {
        "step": "a",
        "phase": "compensate",
        "execution_id.$": "$$.Execution.Id",
        "failure.$": "$.failure",
    }


def test_actions_retry_only_transient_lambda_errors_with_full_jitter(built):
    states = built.basic_definition["States"]
    for step in "abcd":
        assert states[step]["Retry"] == [
            {
                "ErrorEquals": TRANSIENT,
                "IntervalSeconds": 2,
                "MaxAttempts": defaults.SAGA_RETRY_ATTEMPTS,
                "BackoffRate": 2,
                "MaxDelaySeconds": 30,
                "JitterStrategy": "FULL",
            }
        ]


def test_compensations_retry_every_error_including_transient_ones_with_their_own_budget(built):
    # One retrier: only the first matching retrier applies, so a transient-error
    # retrier before it would give transient errors retry_attempts instead.
    retry = built.basic_definition["States"]["Compensate-c"]["Retry"]
    assert retry == [{
        "ErrorEquals": ["States.ALL"],
        "IntervalSeconds": 10,
        "MaxAttempts": defaults.SAGA_COMPENSATION_RETRY_ATTEMPTS,
        "BackoffRate": 2,
        "MaxDelaySeconds": 300,
        "JitterStrategy": "FULL",
    }]
    # A compensation that exhausts its retries is noted and the next one runs anyway.
    states = built.basic_definition["States"]
    assert states["Compensate-c"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.incomplete.c", "Next": "Compensate-a"}
    ]
    assert states["Compensate-a"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.incomplete.a", "Next": "Check-Compensations"}
    ]


def test_a_compensation_failing_for_good_ends_in_its_own_fail_state_with_a_metric(built):
    definition = built.basic_definition
    states = definition["States"]
    assert walk(definition, "Check-Compensations", incomplete=True) == [
        "Check-Compensations", "Report-CompensationIncomplete", "Saga-CompensationIncomplete"
    ]
    assert states["Check-Compensations"]["Choices"][0]["Or"] == [
        {"Variable": "$.incomplete.a", "IsPresent": True},
        {"Variable": "$.incomplete.c", "IsPresent": True},
    ]
    fail = states["Saga-CompensationIncomplete"]
    assert (fail["Error"], fail["CausePath"]) == ("Saga.CompensationIncomplete", "States.JsonToString($)")
    report = states["Report-CompensationIncomplete"]
    assert report["Resource"].endswith(":states:::aws-sdk:cloudwatch:putMetricData")
    [datum] = report["Parameters"]["MetricData"]
    assert datum["MetricName"] == "CompensationsIncomplete" and datum["Dimensions"] == [{"Name": "saga", "Value": "SagaBasic/Saga"}]
    assert report["Parameters"]["Namespace"] == "CdkServerlessPatterns/Saga"
    # losing the metric must not lose the outcome
    assert report["Catch"][0]["Next"] == "Saga-CompensationIncomplete"


def test_retry_options_reach_the_definition(built):
    states = built.approval_definition["States"]
    assert states["charge"]["Retry"][0]["MaxAttempts"] == 2
    assert states["Compensate-charge"]["Retry"][0]["MaxAttempts"] == 7


def test_tasks_invoke_the_live_aliases_synchronously(built):
    states = built.basic_definition["States"]
    aliases = {
        step: built.basic_stack.get_logical_id(fns.action.alias.node.default_child)
        for step, fns in built.basic.functions.items()
    }
    for step in "abcd":
        assert states[step]["Resource"] == f"<Ref:{aliases[step]}>"
    comp_c = built.basic_stack.get_logical_id(built.basic.functions["c"].compensation.alias.node.default_child)
    assert states["Compensate-c"]["Resource"] == f"<Ref:{comp_c}>"


def test_one_function_per_spec_object(built):
    functions = built.basic.functions
    assert functions["c"].action is functions["c"].compensation
    assert functions["b"].compensation is None
    # a, a-compensation, b, c (shared), d
    built.basic_template.resource_count_is("AWS::Lambda::Function", 5)


def test_state_machine_role_invokes_only_the_aliases(built):
    policies = built.basic_template.find_resources("AWS::IAM::Policy")
    machine_policy = next(p for k, p in policies.items() if k.startswith("SagaStateMachineRole"))
    statements = machine_policy["Properties"]["PolicyDocument"]["Statement"]
    invoke = [s for s in statements if s["Action"] == "lambda:InvokeFunction"]
    assert len(invoke) == 5
    assert all(set(s["Resource"]) == {"Ref"} and "Alias" in s["Resource"]["Ref"] for s in invoke)
    wildcard = [s for s in statements if s["Resource"] == "*"]
    actions = [a for s in wildcard for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert {a.split(":")[0] for a in actions} == {"logs", "xray", "cloudwatch"}
    assert [a for a in actions if a.startswith("cloudwatch:")] == ["cloudwatch:PutMetricData"]


def test_standard_workflow_with_all_logs_and_tracing(built):
    built.basic_template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineType": "STANDARD",
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": {
                "Level": "ALL",
                "IncludeExecutionData": True,
                "Destinations": [
                    {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": [assertions.Match.any_value(), "Arn"]}}}
                ],
            },
        },
    )
    groups = built.basic_template.find_resources(
        "AWS::Logs::LogGroup", {"Properties": {"LogGroupName": assertions.Match.string_like_regexp("^/aws/vendedlogs/states/")}}
    )
    assert len(groups) == 1
    (group,) = groups.values()
    assert group["Properties"]["RetentionInDays"] == 30
    assert group["DeletionPolicy"] == "Retain"
    assert "TimeoutSeconds" not in built.basic_definition


def test_state_machine_alarms(built):
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionThrottled"):
        built.approval_template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "Namespace": "AWS/States",
                "MetricName": metric,
                "Statistic": "Sum",
                "Threshold": 1,
                "AlarmActions": [{"Ref": assertions.Match.string_like_regexp("^AlarmTopic")}],
            },
        )
    built.approval_template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "CdkServerlessPatterns/Saga",
            "MetricName": "CompensationsIncomplete",
            "Dimensions": [{"Name": "saga", "Value": "SagaApproval/Saga"}],
            "Statistic": "Sum",
            "Threshold": 1,
        },
    )
    # 5 functions x (errors in quiet periods, error rate, throttles, duration) + 4 state machine alarms
    # + start API 5XX
    assert len(built.approval.alarms) == 25
    built.approval_template.resource_count_is("AWS::CloudWatch::Alarm", 25)


def test_create_alarms_false_creates_none(built):
    built.quiet_template.resource_count_is("AWS::CloudWatch::Alarm", 0)
    assert built.quiet.alarms == []


def test_timeout_option_and_its_warning(built):
    assert built.approval_definition["TimeoutSeconds"] == 3 * 24 * 3600
    warnings = assertions.Annotations.from_stack(built.approval_stack).find_warning(
        "/SagaApproval/Saga", assertions.Match.string_like_regexp("execution timeout stops the saga")
    )
    assert len(warnings) == 1


# --- human approval ---------------------------------------------------------------


def test_approval_sits_before_its_step_on_the_happy_path(built):
    path = happy_path(built.approval_definition)
    assert path == [
        "Start-Saga", "reserve", "charge", "Await-Approval", "Check-Approval", "ship", "Saga-Succeeded"
    ]


def test_failure_at_every_step_of_the_approval_saga(built):
    definition = built.approval_definition
    end = ["Check-Compensations", "Saga-Failed"]
    assert failure_path(definition, "reserve") == ["reserve-Failed", "Compensate-reserve", *end]
    assert failure_path(definition, "charge") == ["charge-Failed", "Compensate-charge", "Compensate-reserve", *end]
    assert failure_path(definition, "ship") == ["ship-Failed", "Compensate-charge", "Compensate-reserve", *end]
    # SendTaskFailure or the timeout: caught
    assert failure_path(definition, "Await-Approval") == [
        "Approval-Failed", "Compensate-charge", "Compensate-reserve", *end
    ]
    # an answer other than {"approved": true}: the Choice's default
    rejected = walk(definition, "Check-Approval", approve=False)
    assert rejected == ["Check-Approval", "Approval-Rejected", "Compensate-charge", "Compensate-reserve", *end]


def test_approval_waits_for_a_task_token_with_a_timeout(built):
    states = built.approval_definition["States"]
    wait = states["Await-Approval"]
    assert wait["Resource"] == "arn:<Ref:AWS::Partition>:states:::sns:publish.waitForTaskToken"
    assert wait["TimeoutSeconds"] == 2 * 3600
    assert wait["ResultPath"] == "$.approval"
    assert wait["Parameters"]["Message"]["taskToken.$"] == "$$.Task.Token"
    assert wait["Parameters"]["TopicArn"].startswith("<Ref:SagaApprovalTopic")
    check = states["Check-Approval"]
    assert check["Choices"][0]["And"] == [
        {"Variable": "$.approval.approved", "IsPresent": True},
        {"Variable": "$.approval.approved", "IsBoolean": True},
        {"Variable": "$.approval.approved", "BooleanEquals": True},
    ]
    rejected = states["Approval-Rejected"]
    assert rejected["Parameters"]["error"]["Error"] == "Saga.ApprovalRejected"
    assert rejected["ResultPath"] == "$.failure"
    # every way of not approving fails the execution with Saga.ApprovalRejected
    assert rejected["Parameters"]["name"] == "Saga.ApprovalRejected"
    assert states["Approval-Failed"]["Parameters"]["name"] == "Saga.ApprovalRejected"


def test_approval_topic_is_encrypted_and_the_machine_may_use_its_key(built):
    built.approval_template.has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [assertions.Match.string_like_regexp("^SagaApprovalTopicKey"), "Arn"]}}
    )
    built.approval_template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": assertions.Match.array_with(
                    [
                        {
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Effect": "Allow",
                            "Resource": {"Fn::GetAtt": [assertions.Match.string_like_regexp("^SagaApprovalTopicKey"), "Arn"]},
                        }
                    ]
                )
            }
        },
    )
    assert built.approval.approval_topic is not None
    assert built.basic.approval_topic is None


def test_approval_publishes_to_an_existing_topic_and_may_use_its_key(built):
    assert built.quiet.approval_topic is built.existing_topic
    built.quiet_template.resource_count_is("AWS::SNS::Topic", 1)
    wait = definition_of(built.quiet_template.to_json())["States"]["Await-Approval"]
    assert wait["Parameters"]["TopicArn"].startswith("<Ref:ApproversTopic")
    assert wait["TimeoutSeconds"] == int(defaults.SAGA_APPROVAL_TIMEOUT.to_seconds())
    built.quiet_template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": assertions.Match.array_with(
                    [
                        {
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Effect": "Allow",
                            "Resource": {"Fn::GetAtt": [assertions.Match.string_like_regexp("^ApproversKey"), "Arn"]},
                        }
                    ]
                )
            }
        },
    )


# --- start API ----------------------------------------------------------------------


def _logical_id(stack: cdk.Stack, construct: Any) -> str:
    return stack.get_logical_id(construct.node.default_child)


def test_start_api_posts_straight_to_step_functions_with_iam_auth(built):
    stack, saga = built.approval_stack, built.approval
    machine = _logical_id(stack, saga.state_machine)
    methods = built.approval_template.find_resources("AWS::ApiGateway::Method")
    (method,) = methods.values()
    props = method["Properties"]
    assert (props["HttpMethod"], props["AuthorizationType"]) == ("POST", "AWS_IAM")
    integration = props["Integration"]
    assert integration["Type"] == "AWS"
    assert integration["Uri"]["Fn::Join"][1][-1] == ":states:action/StartExecution"
    assert integration["PassthroughBehavior"] == "NEVER"
    template = integration["RequestTemplates"]["application/json"]["Fn::Join"][1]
    assert template[1] == {"Ref": machine}
    assert "\"name\": \"$util.escapeJavaScript($input.path('$.order_id'))" in template[2]
    assert "\"input\": \"$util.escapeJavaScript($input.json('$'))" in template[2]
    assert [r["StatusCode"] for r in integration["IntegrationResponses"]] == ["200", "400", "500"]
    built.approval_template.has_resource_properties(
        "AWS::ApiGateway::Resource", {"PathPart": "executions"}
    )


def test_start_api_validates_the_body_against_the_schema(built):
    built.approval_template.has_resource_properties(
        "AWS::ApiGateway::Model",
        {
            "ContentType": "application/json",
            "Schema": {
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object",
                "required": ["order_id", "items"],
            },
        },
    )
    built.approval_template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator", {"ValidateRequestBody": True, "ValidateRequestParameters": True}
    )


def test_start_api_role_may_only_start_this_state_machine(built):
    stack, saga = built.approval_stack, built.approval
    role = _logical_id(stack, saga.start_api.role)
    policies = built.approval_template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role}]}}
    )
    (policy,) = policies.values()
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "states:StartExecution", "Effect": "Allow", "Resource": {"Ref": _logical_id(stack, saga.state_machine)}}
    ]


def test_start_api_stage_is_throttled_logged_traced_and_behind_waf(built):
    built.approval_template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "TracingEnabled": True,
            "MethodSettings": [
                {
                    "HttpMethod": "*",
                    "ResourcePath": "/*",
                    "LoggingLevel": "ERROR",
                    "DataTraceEnabled": False,
                    "MetricsEnabled": False,
                    "ThrottlingRateLimit": 50,
                    "ThrottlingBurstLimit": 100,
                }
            ],
            "AccessLogSetting": {"Format": assertions.Match.string_like_regexp('^\\{"requestId"')},
        },
    )
    built.approval_template.has_resource_properties(
        "AWS::WAFv2::WebACL", {"Scope": "REGIONAL", "DefaultAction": {"Allow": {}}}
    )
    built.approval_template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)


def test_start_api_has_its_own_name_and_its_alarm_watches_it(built):
    # API Gateway metrics are keyed by ApiName; CDK's default name ("Api") would be
    # shared with every other API of the account (ApiBackend's included).
    (api,) = built.approval_template.find_resources("AWS::ApiGateway::RestApi").values()
    name = api["Properties"]["Name"]
    assert name.startswith("SagaApproval-Saga-StartApi-"), name
    alarms = built.approval_template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"Namespace": "AWS/ApiGateway"}}
    )
    assert alarms
    for alarm in alarms.values():
        assert {"Name": "ApiName", "Value": name} in alarm["Properties"]["Dimensions"]


def test_a_changed_start_api_schema_is_deployed():
    # The stage serves the API as of its last deployment: a schema change must make
    # a new Deployment, or the stage keeps validating starts against the old schema.
    def deployments(required):
        stack = cdk.Stack(cdk.App(), "S")
        Saga(
            stack,
            "Saga",
            steps=[SagaStep("a", action=spec())],
            start_api=SagaStartApi(input_schema={"type": "object", "required": required}),
            create_alarms=False,
        )
        return set(assertions.Template.from_stack(stack).find_resources("AWS::ApiGateway::Deployment"))

    assert deployments(["order_id"]) == deployments(["order_id"])
    assert deployments(["order_id"]) != deployments(["order_id", "items"])


def test_start_api_with_cognito_auth_checks_the_pool_token_and_scopes(built):
    template = built.cognito_template
    authorizers = template.find_resources("AWS::ApiGateway::Authorizer")
    assert len(authorizers) == 2
    assert {a["Properties"]["Type"] for a in authorizers.values()} == {"COGNITO_USER_POOLS"}
    assert any("eu-west-1_abcdefghi" in json.dumps(a["Properties"]["ProviderARNs"]) for a in authorizers.values())
    methods = template.find_resources("AWS::ApiGateway::Method", {"Properties": {"HttpMethod": "POST"}})
    assert sorted(m["Properties"]["AuthorizationType"] for m in methods.values()) == ["COGNITO_USER_POOLS"] * 2
    scoped = [m for m in methods.values() if m["Properties"].get("AuthorizationScopes")]
    assert [m["Properties"]["AuthorizationScopes"] for m in scoped] == [["orders/start"]]
    assert built.cognito.start_api.user_pool is not None and built.cognito.start_api.user_pool_client is None
    # ApiAuth.cognito() without a pool creates one, with ApiBackend's secure defaults.
    template.resource_count_is("AWS::Cognito::UserPool", 1)
    template.has_resource_properties("AWS::Cognito::UserPool", {"MfaConfiguration": "ON"})
    assert built.new_pool.start_api.user_pool_client is not None


def test_start_api_grant_start_allows_invoking_only_that_method(built):
    caller = _logical_id(built.approval_stack, built.caller)
    policies = built.approval_template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": caller}]}}
    )
    (policy,) = policies.values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "execute-api:Invoke"
    stage = _logical_id(built.approval_stack, built.approval.start_api.api.deployment_stage)
    assert statement["Resource"]["Fn::Join"][1][-2:] == [{"Ref": stage}, "/POST/executions"]


def test_no_start_api_unless_asked(built):
    assert built.basic.start_api is None
    built.basic_template.resource_count_is("AWS::ApiGateway::RestApi", 0)


def test_every_saga_passes_cdk_nag_and_library_checks(built):
    assert built.synth_error is None, str(built.synth_error)
    assert report_violations(Path(built.assembly.directory) / "validation-report.json") == []


# --- the example: every failure path of the order saga ------------------------------


def test_order_saga_example_paths(synthesized_example):
    example = synthesized_example("order_saga")
    template = json.loads(example.template_path("OrderSagaExample").read_text())
    definition = definition_of(template)
    assert tasks_of(definition, happy_path(definition)) == ["reserve_inventory", "charge_payment", "ship_order"]
    end = ["Check-Compensations", "Saga-Failed"]
    assert failure_path(definition, "reserve_inventory") == [
        "reserve_inventory-Failed", "Compensate-reserve_inventory", *end
    ]
    assert failure_path(definition, "charge_payment") == [
        "charge_payment-Failed", "Compensate-charge_payment", "Compensate-reserve_inventory", *end
    ]
    assert failure_path(definition, "ship_order") == [
        "ship_order-Failed", "Compensate-ship_order", "Compensate-charge_payment", "Compensate-reserve_inventory", *end
    ]


def test_step_names_cannot_collide_with_the_sagas_own_constructs():
    stack = cdk.Stack(cdk.App(), "S")
    names = ["StateMachine", "ExecutionLogs", "States", "x", "xAction"]
    saga = Saga(stack, "Saga", steps=[SagaStep(n, action=spec()) for n in names], create_alarms=False)
    definition = definition_of(assertions.Template.from_stack(stack).to_json())
    assert tasks_of(definition, happy_path(definition)) == names
    assert list(saga.functions) == names


# --- validation: one test per rule ----------------------------------------------------


def _error(**options: Any) -> str:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(PatternConfigError) as caught:
        Saga(stack, "Saga", **options)
    assert stack.node.children == [], "nothing may be created from invalid input"
    message = str(caught.value)
    assert message.startswith("Invalid configuration for 'S/Saga':")
    return message


def test_rejects_no_steps():
    message = _error(steps=[])
    assert "steps=[] is invalid: allowed a non-empty list of SagaStep" in message


def test_rejects_something_that_is_not_a_saga_step():
    message = _error(steps=[("a", spec())])
    assert "steps[0]=('a', FunctionSpec(code=" in message


def test_rejects_duplicate_step_names():
    message = _error(steps=[SagaStep("a", action=spec()), SagaStep("a", action=spec())])
    assert "steps[1].name='a' is invalid: allowed a name no other step uses" in message
    assert "steps[0].name" not in message


def test_rejects_a_step_name_that_is_too_long():
    name = "x" * (STEP_NAME_MAX + 1)
    message = _error(steps=[SagaStep(name, action=spec())])
    assert f"steps[0].name='{name}' is invalid: allowed at most {STEP_NAME_MAX} characters" in message
    assert "Step Functions state names are at most 80" in message
    # the longest allowed name is fine: its compensation state is exactly 80 characters
    Saga(cdk.Stack(cdk.App(), "S"), "Saga", steps=[SagaStep("y" * STEP_NAME_MAX, action=spec())])


@pytest.mark.parametrize("name", ["charge payment", "charge/payment", "a$b", "ship-order", "1st", "é"])
def test_rejects_step_names_with_characters_step_functions_or_json_paths_reject(name):
    message = _error(steps=[SagaStep(name, action=spec())])
    assert f"steps[0].name={name!r} is invalid: allowed letters, digits and '_', starting with a letter" in message


def test_rejects_an_empty_step_name():
    message = _error(steps=[SagaStep("", action=spec())])
    assert "steps[0].name='' is invalid: allowed a non-empty string" in message


def test_opting_a_step_out_of_its_own_compensation_warns():
    stack = cdk.Stack(cdk.App(), "S")
    Saga(
        stack,
        "Saga",
        steps=[SagaStep("a", action=spec(), compensation=spec(), compensate_on_own_failure=False), SagaStep("b", action=spec())],
        create_alarms=False,
    )
    warnings = assertions.Annotations.from_stack(stack).find_warning("*", assertions.Match.string_like_regexp("compensate_on_own_failure=False"))
    assert len(warnings) == 1 and "Steps a have" in warnings[0].entry.data
    # a step without a compensation has nothing to opt out of: no rule, no warning
    Saga(cdk.Stack(cdk.App(), "T"), "Saga", steps=[SagaStep("a", action=spec(), compensate_on_own_failure=True)])


def test_rejects_a_compensation_on_the_last_step_that_could_never_run():
    message = _error(
        steps=[SagaStep("a", action=spec()), SagaStep("b", action=spec(), compensation=spec(), compensate_on_own_failure=False)]
    )
    assert "steps[1].compensation='b' is invalid: allowed a compensation only where it can run" in message
    assert "set compensate_on_own_failure=True" in message


def test_rejects_an_invalid_function_spec_with_its_field():
    message = _error(steps=[SagaStep("a", action=spec(memory_size=64))])
    assert "steps[0].action.memory_size=64 is invalid: allowed 128-10240 MB" in message


def test_rejects_an_approval_before_an_unknown_step():
    message = _error(steps=[SagaStep("a", action=spec())], approval=SagaApproval(before="ship"))
    assert "approval.before='ship' is invalid: allowed the name of a step (a)" in message


def test_rejects_an_approval_timeout_beyond_one_year():
    message = _error(
        steps=[SagaStep("a", action=spec())], approval=SagaApproval(before="a", timeout=cdk.Duration.days(366))
    )
    assert "approval.timeout='366 days' is invalid: allowed 1 s - 365 days" in message


def test_rejects_an_approval_that_outlasts_the_execution_timeout():
    message = _error(
        steps=[SagaStep("a", action=spec())],
        approval=SagaApproval(before="a"),
        timeout=cdk.Duration.hours(12),
    )
    assert "approval.timeout='1 day' is invalid: allowed shorter than the execution timeout (12 hours)" in message


def test_rejects_a_start_api_that_is_not_a_saga_start_api():
    message = _error(steps=[SagaStep("a", action=spec())], start_api=True)
    assert "start_api=True is invalid: allowed a SagaStartApi" in message


def test_rejects_an_execution_name_field_that_is_not_a_field_name():
    message = _error(steps=[SagaStep("a", action=spec())], start_api=SagaStartApi(execution_name_field="order.id"))
    assert "start_api.execution_name_field='order.id' is invalid: allowed a top-level JSON field name" in message


def test_rejects_an_input_schema_that_does_not_require_the_name_field():
    message = _error(
        steps=[SagaStep("a", action=spec())],
        start_api=SagaStartApi(input_schema={"type": "object"}, execution_name_field="order_id"),
    )
    assert "start_api.input_schema='required=[]' is invalid: allowed a schema that requires the execution name field 'order_id'" in message


def test_rejects_an_input_schema_that_is_not_an_object_schema():
    message = _error(steps=[SagaStep("a", action=spec())], start_api=SagaStartApi(input_schema={"type": "array"}))
    assert "start_api.input_schema={'type': 'array'} is invalid: allowed a JSON schema (draft 4) mapping for an object" in message


def test_rejects_non_positive_start_api_throttling():
    message = _error(steps=[SagaStep("a", action=spec())], start_api=SagaStartApi(rate_limit=0, burst_limit=-1))
    assert "start_api.rate_limit=0 is invalid: allowed a number of requests per second > 0" in message
    assert "start_api.burst_limit=-1 is invalid: allowed an integer number of requests >= 0" in message


@pytest.mark.parametrize(
    ("auth", "shown"),
    [
        (ApiAuth.none("Anyone may start an order saga, really, on purpose"), "ApiAuth.none"),
        (ApiAuth.lambda_authorizer(spec()), "ApiAuth.lambda"),
        ("iam", "iam"),
    ],
)
def test_rejects_a_start_api_auth_other_than_iam_or_cognito(auth, shown):
    message = _error(steps=[SagaStep("a", action=spec())], start_api=SagaStartApi(auth=auth))
    assert f"start_api.auth={shown!r} is invalid: allowed ApiAuth.iam() or ApiAuth.cognito(...)" in message


def test_rejects_a_cognito_start_api_auth_with_a_bad_pool():
    message = _error(steps=[SagaStep("a", action=spec())], start_api=SagaStartApi(auth=ApiAuth.cognito("pool-id")))
    assert "start_api.auth.user_pool='pool-id' is invalid: allowed an IUserPool" in message


def test_rejects_a_waf_rate_limit_outside_aws_wafs_range():
    message = _error(steps=[SagaStep("a", action=spec())], start_api=SagaStartApi(waf_rate_limit=5))
    assert (
        "start_api.waf_rate_limit=5 is invalid: allowed an integer 10-2,000,000,000 (requests per IP per 5 minutes)"
        in message
    )


def test_rejects_something_that_is_not_an_approval():
    message = _error(steps=[SagaStep("a", action=spec())], approval="a")
    assert "approval='a' is invalid: allowed a SagaApproval" in message


def test_rejects_an_execution_timeout_beyond_one_year():
    message = _error(steps=[SagaStep("a", action=spec())], timeout=cdk.Duration.days(366))
    assert "timeout='366 days' is invalid: allowed 1 s - 365 days (a Standard workflow runs at most one year)" in message


def test_rejects_an_execution_timeout_that_is_not_a_duration():
    message = _error(steps=[SagaStep("a", action=spec())], timeout=3600)
    assert "timeout=3600 is invalid: allowed an aws_cdk.Duration" in message


def test_rejects_negative_retry_attempts():
    message = _error(steps=[SagaStep("a", action=spec())], retry_attempts=-1, compensation_retry_attempts=-2)
    assert "retry_attempts=-1 is invalid: allowed an integer 0-99999999" in message
    assert "compensation_retry_attempts=-2 is invalid" in message


def test_reports_every_problem_at_once():
    error = None
    try:
        Saga(
            cdk.Stack(cdk.App(), "S"),
            "Saga",
            steps=[SagaStep("a b", action=spec()), SagaStep("a b", action=spec(timeout=cdk.Duration.minutes(20)))],
            timeout=cdk.Duration.days(400),
        )
    except PatternConfigError as exc:
        error = exc
    assert error is not None and len(error.problems) == 5
