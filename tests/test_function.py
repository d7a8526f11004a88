"""ServerlessFunction defaults: one synthesized stack, many assertions."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from cdk_serverless_patterns import FunctionSpec, Invocation, ServerlessFunction
from cdk_serverless_patterns.defaults import newest_python_runtime
from tests.support import HANDLER_DIR


@pytest.fixture(scope="module")
def built():
    app = cdk.App()
    stack = cdk.Stack(app, "Fn")
    topic = sns.Topic(stack, "AlarmTopic")
    sync = ServerlessFunction(stack, "Sync", FunctionSpec(code=HANDLER_DIR, handler="app.handler"), alarm_topic=topic)
    asynchronous = ServerlessFunction(
        stack,
        "Async",
        FunctionSpec(code=HANDLER_DIR, handler="app.handler", timeout=cdk.Duration.seconds(30)),
        invocation=Invocation.ASYNC,
        async_retry_attempts=1,
    )
    tuned = ServerlessFunction(
        stack,
        "Tuned",
        FunctionSpec(
            code=HANDLER_DIR,
            handler="app.handler",
            memory_size=1024,
            architecture=lambda_.Architecture.X86_64,
            reserved_concurrency=10,
            provisioned_concurrency=2,
            environment={"GREETING": "hi"},
        ),
        create_alarms=False,
    )
    return {"stack": stack, "template": Template.from_stack(stack), "sync": sync, "async": asynchronous, "tuned": tuned}


def _function_props(built, name):
    fn = built[name].function.node.default_child
    resources = built["template"].to_json()["Resources"]
    return resources[built["stack"].get_logical_id(fn)]["Properties"]


def test_defaults_arm64_newest_python_256mb_10s(built):
    props = _function_props(built, "sync")
    assert props["Architectures"] == ["arm64"]
    assert props["Runtime"] == newest_python_runtime().name
    assert props["MemorySize"] == 256
    assert props["Timeout"] == 10


def test_json_logs_to_its_own_log_group_with_retention(built):
    props = _function_props(built, "sync")
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    log_group_id = built["stack"].get_logical_id(built["sync"].log_group.node.default_child)
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": log_group_id}
    log_group = built["template"].to_json()["Resources"][log_group_id]
    assert log_group["Properties"]["RetentionInDays"] == 30
    assert log_group["DeletionPolicy"] == "Retain"


def test_active_tracing(built):
    assert _function_props(built, "sync")["TracingConfig"] == {"Mode": "Active"}


def test_own_role_without_managed_policies_and_logs_scoped_to_own_group(built):
    template = built["template"].to_json()
    role_id = built["stack"].get_logical_id(built["sync"].role.node.default_child)
    role = template["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    policies = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
    ]
    # the default policy, and X-Ray's own policy (its '*' kept apart from real grants)
    assert len(policies) == 2
    default = next(p for p in policies if any("logs:PutLogEvents" in s["Action"] for s in p))
    log_statement = next(s for s in default if "logs:PutLogEvents" in s["Action"])
    log_group_id = built["stack"].get_logical_id(built["sync"].log_group.node.default_child)
    assert log_statement["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    # every function has its own role
    fn_roles = {str(_function_props(built, n)["Role"]) for n in ("sync", "async", "tuned")}
    assert len(fn_roles) == 3


def test_live_alias_points_at_a_published_version(built):
    built["template"].has_resource_properties(
        "AWS::Lambda::Alias",
        {
            "Name": "live",
            "FunctionName": {"Ref": built["stack"].get_logical_id(built["sync"].function.node.default_child)},
            "FunctionVersion": {"Fn::GetAtt": [Match.string_like_regexp("SyncFunctionCurrentVersion"), "Version"]},
        },
    )


def test_provisioned_concurrency_lives_on_the_alias(built):
    built["template"].has_resource_properties(
        "AWS::Lambda::Alias",
        {"Name": "live", "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 2}},
    )
    props = _function_props(built, "tuned")
    assert props["ReservedConcurrentExecutions"] == 10
    assert props["Architectures"] == ["x86_64"]
    assert props["Environment"]["Variables"] == {"GREETING": "hi"}


def test_x86_override_warns(built):
    warnings = [
        m for m in built["tuned"].node.metadata if m.type == "aws:cdk:warning"
    ]
    assert any("arm64" in str(m.data) for m in warnings)


def test_sync_function_has_no_dead_letter_queue(built):
    assert built["sync"].dead_letter_queue is None
    assert "DeadLetterConfig" not in _function_props(built, "sync")


def test_async_function_has_failure_destination_and_retry_settings(built):
    queue_id = built["stack"].get_logical_id(built["async"].dead_letter_queue.node.default_child)
    built["template"].has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "MaximumRetryAttempts": 1,
            "MaximumEventAgeInSeconds": 3600,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}},
        },
    )
    queue = built["template"].to_json()["Resources"][queue_id]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_failure_queue_is_ssl_only(built):
    queue_id = built["stack"].get_logical_id(built["async"].dead_letter_queue.node.default_child)
    built["template"].has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": queue_id}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            },
        },
    )


def test_alarms_errors_throttles_duration_routed_to_topic(built):
    sync = built["sync"]
    assert len(sync.alarms) == 4
    topic_ref = {"Ref": built["stack"].get_logical_id(built["stack"].node.find_child("AlarmTopic").node.default_child)}
    alarms = [
        r["Properties"]
        for r in built["template"].to_json()["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("AlarmActions") == [topic_ref]
    ]
    by_metric = {a["MetricName"]: a for a in alarms if "MetricName" in a}
    assert set(by_metric) == {"Throttles", "Duration"}
    # errors: a count alarm for quiet periods and a rate alarm above them (metric math on Errors and Invocations)
    math = [a for a in alarms if "Metrics" in a]
    assert len(math) == 2
    for alarm in math:
        assert {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m} == {
            "Errors", "Invocations"}
    # p95 duration alarm at 80% of the 10 s timeout
    assert by_metric["Duration"]["ExtendedStatistic"] == "p95"
    assert by_metric["Duration"]["Threshold"] == 8000
    assert all(a["OKActions"] == [topic_ref] for a in math)


def test_async_alarms_include_failure_queue_depth(built):
    metrics = [getattr(a.metric, "metric_name", None) for a in built["async"].alarms]
    assert "ApproximateNumberOfMessagesVisible" in metrics
    assert len(built["async"].alarms) == 5


def test_create_alarms_false_creates_none(built):
    assert built["tuned"].alarms == []


def test_function_depends_on_its_policy_not_redundantly_on_its_role(built):
    fn_id = built["stack"].get_logical_id(built["sync"].function.node.default_child)
    depends = built["template"].to_json()["Resources"][fn_id]["DependsOn"]
    assert len(depends) == 2 and depends[0].startswith("SyncRoleDefaultPolicy"), depends
    assert depends[1].startswith("ServerlessPatternsTracingPolicy"), depends


def test_one_runtime_layer_per_stack_attached_to_every_python_function(built):
    layers = built["template"].find_resources("AWS::Lambda::LayerVersion")
    assert len(layers) == 1
    layer_ref = {"Ref": next(iter(layers))}
    for name in ("sync", "async", "tuned"):
        assert layer_ref in _function_props(built, name)["Layers"]


def test_runtime_layer_content_imports_without_the_library(tmp_path):
    import subprocess
    import sys

    from cdk_serverless_patterns.building_blocks.runtime_layer import stage_layer_content

    stage_layer_content(tmp_path)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import cdk_serverless_patterns.runtime.batch as b, cdk_serverless_patterns.runtime.env; print(b.__file__)"
    )
    # -S: no site-packages, so only the layer's copy can be imported
    out = subprocess.run([sys.executable, "-S", "-c", probe, str(tmp_path / "python")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith(str(tmp_path / "python" / "cdk_serverless_patterns" / "runtime"))


def test_async_settings_live_on_the_alias_that_triggers_invoke(built):
    configs = built["template"].find_resources("AWS::Lambda::EventInvokeConfig")
    assert len(configs) == 1, "one config, on the alias; none on $LATEST"
    props = next(iter(configs.values()))["Properties"]
    alias_id = built["stack"].get_logical_id(built["async"].alias.node.default_child)
    # the alias ARN's 8th field is its name
    assert props["Qualifier"] == {"Fn::Select": [7, {"Fn::Split": [":", {"Ref": alias_id}]}]}
