"""ServerlessPatternsChecks: one violating and one compliant raw stack per rule.

Raw aws-cdk-lib constructs only (users mix those with the library's), two
synthesized apps for the whole module: every violating stack in one, every
compliant stack in the other. Each stack is named after the rule it exercises,
so each assertion reads the findings under that stack's path.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, RemovalPolicy, Validations
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as apigwv2_integrations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources as cr

from cdk_serverless_patterns.checks import (
    ACK_PREFIX,
    ERROR,
    PLUGIN_NAME,
    RULES,
    RULES_BY_ID,
    WARNING,
    ServerlessPatternsChecks,
    TemplateGraph,
)
from cdk_serverless_patterns.checks.acknowledge import acknowledge
from cdk_serverless_patterns.runtime import env
from tests.support import synth_keeping_error

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
US_EAST_1 = cdk.Environment(region="us-east-1")


# --- builders -----------------------------------------------------------------
def good_function(scope, construct_id: str, **overrides: Any) -> lambda_.Function:
    """A function that passes every rule on its own: arm64, sized, own log group."""
    options: dict[str, Any] = dict(
        code=CODE,
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        architecture=lambda_.Architecture.ARM_64,
        memory_size=256,
        timeout=Duration.seconds(10),
    )
    options.update(overrides)
    if "log_group" not in options:
        options["log_group"] = logs.LogGroup(
            scope, f"{construct_id}Logs", retention=logs.RetentionDays.ONE_WEEK, removal_policy=RemovalPolicy.DESTROY
        )
    return lambda_.Function(scope, construct_id, **options)


def live_alias(fn: lambda_.Function, **options: Any) -> lambda_.Alias:
    return lambda_.Alias(fn, "Live", alias_name="live", version=fn.current_version, **options)


def failure_queue(scope, construct_id: str) -> sqs.Queue:
    return sqs.Queue(scope, construct_id)


def edge_role(scope, construct_id: str) -> iam.Role:
    return iam.Role(
        scope,
        construct_id,
        assumed_by=iam.CompositePrincipal(
            iam.ServicePrincipal("lambda.amazonaws.com"), iam.ServicePrincipal("edgelambda.amazonaws.com")
        ),
    )


def distribution(scope, construct_id: str, edge_lambdas: list[cloudfront.EdgeLambda]) -> cloudfront.Distribution:
    return cloudfront.Distribution(
        scope,
        construct_id,
        default_behavior=cloudfront.BehaviorOptions(
            origin=origins.HttpOrigin("origin.example.com"), edge_lambdas=edge_lambdas
        ),
    )


def rest_api_with(scope, fn: lambda_.IFunction, **integration: Any) -> apigw.RestApi:
    api = apigw.RestApi(scope, "Api", deploy=False)
    api.root.add_method("GET", apigw.LambdaIntegration(fn, **integration))
    return api


# --- violating stacks ------------------------------------------------------------
def build_violations(app: cdk.App) -> None:
    s = cdk.Stack(app, "Arm64")
    good_function(s, "X86", architecture=lambda_.Architecture.X86_64)

    s = cdk.Stack(app, "Sizing")
    good_function(s, "Unsized", memory_size=None, timeout=None)

    s = cdk.Stack(app, "LogsRetention")
    logs.LogGroup(s, "Forever", retention=logs.RetentionDays.INFINITE, removal_policy=RemovalPolicy.DESTROY)
    lambda_.Function(
        s,
        "ImplicitLogs",
        code=CODE,
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        architecture=lambda_.Architecture.ARM_64,
        memory_size=256,
        timeout=Duration.seconds(10),
    )

    s = cdk.Stack(app, "AsyncFailure")
    # The destination is configured for $LATEST, but the rule invokes the alias:
    # Lambda applies event-invoke configs per qualifier, so failures are dropped.
    latest_only = good_function(s, "LatestOnly", on_failure=destinations.SqsDestination(failure_queue(s, "Failed")))
    events.Rule(
        s, "Every5", schedule=events.Schedule.rate(Duration.minutes(5)), targets=[targets.LambdaFunction(live_alias(latest_only))]
    )
    no_destination = good_function(s, "NoDestination")
    s3.Bucket(s, "Uploads").add_object_created_notification(s3n.LambdaDestination(no_destination))

    s = cdk.Stack(app, "SyncChain")
    callee = good_function(s, "Callee")
    caller = good_function(s, "Caller")
    callee.grant_invoke(caller)
    rest_api_with(s, caller)

    s = cdk.Stack(app, "SqsVisibility")
    consumer = good_function(s, "Consumer", timeout=Duration.seconds(10))
    short = sqs.Queue(s, "Short", visibility_timeout=Duration.seconds(30))
    consumer.add_event_source(event_sources.SqsEventSource(short, report_batch_item_failures=True))

    s = cdk.Stack(app, "Idempotency")
    consumer = good_function(s, "Consumer")
    queue = sqs.Queue(s, "Work", visibility_timeout=Duration.seconds(60))
    consumer.add_event_source(event_sources.SqsEventSource(queue))
    unmarked = good_function(s, "Nightly", on_failure=destinations.SqsDestination(failure_queue(s, "NightlyFailures")))
    events.Rule(s, "NightlyRule", schedule=events.Schedule.rate(Duration.days(1)), targets=[targets.LambdaFunction(unmarked)])

    s = cdk.Stack(app, "ApiTimeout")
    rest_api_with(s, good_function(s, "Slow", timeout=Duration.seconds(60)))
    http = apigwv2.HttpApi(s, "Http")
    http.add_routes(
        path="/slow",
        methods=[apigwv2.HttpMethod.GET],
        integration=apigwv2_integrations.HttpLambdaIntegration("SlowHttp", good_function(s, "SlowHttp", timeout=Duration.seconds(31))),
    )
    s2 = cdk.Stack(app, "ApiIntegrationTimeout")
    rest_api_with(s2, good_function(s2, "Fast"), timeout=Duration.seconds(40))

    s = cdk.Stack(app, "EdgeLimits", env=US_EAST_1)
    viewer = good_function(
        s, "Viewer", role=edge_role(s, "ViewerRole"), memory_size=512, timeout=Duration.seconds(10)
    )
    viewer.node.default_child.add_property_override("Environment.Variables.STAGE", "prod")
    distribution(
        s,
        "Cdn",
        [cloudfront.EdgeLambda(function_version=viewer.current_version, event_type=cloudfront.LambdaEdgeEventType.VIEWER_REQUEST)],
    )
    # Hand-built, not yet associated here (e.g. used by a distribution in another
    # stack): the role's edgelambda trust marks it, origin limits apply.
    good_function(s, "Unassociated", role=edge_role(s, "UnassociatedRole"), timeout=Duration.seconds(60))

    s = cdk.Stack(app, "PublicUrl")
    good_function(s, "Open").add_function_url(auth_type=lambda_.FunctionUrlAuthType.NONE)

    s = cdk.Stack(app, "AlarmAction")
    cloudwatch.Alarm(s, "Silent", metric=_metric(), threshold=1, evaluation_periods=1)

    s = cdk.Stack(app, "VpcNoRoute")
    isolated = isolated_vpc(s)
    reader = good_function(s, "Reader", vpc=isolated)
    dynamodb.Table(s, "Data", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)).grant_read_data(reader)
    sqs.Queue(s, "Out").grant_send_messages(reader)
    isolated.add_gateway_endpoint("Dynamodb", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB)  # sqs still has none

    s = cdk.Stack(app, "Acknowledged")
    acknowledged = good_function(s, "LegacyX86", architecture=lambda_.Architecture.X86_64)
    acknowledge(
        acknowledged,
        ACK_PREFIX + "SP-LAMBDA-ARM64",
        "Links a vendor binary that ships for x86_64 only; arm64 build requested from the vendor.",
    )


def _metric() -> cloudwatch.Metric:
    return cloudwatch.Metric(namespace="App", metric_name="Failures", statistic="Sum")


# --- compliant stacks -------------------------------------------------------------
def build_compliant(app: cdk.App) -> None:
    build_compliant_vpc(app)
    s = cdk.Stack(app, "AlarmAction")
    topic = sns.Topic(s, "Alarms")
    notifying = cloudwatch.Alarm(s, "Notifying", metric=_metric(), threshold=1, evaluation_periods=1)
    notifying.add_alarm_action(cw_actions.SnsAction(topic))
    # Actions switched off on purpose (a muted alarm) are the owner's decision.
    cloudwatch.Alarm(s, "Muted", metric=_metric(), threshold=1, evaluation_periods=1, actions_enabled=False)

    s = cdk.Stack(app, "Arm64")
    good_function(s, "Graviton")
    # CDK's own handlers (x86, unsized, implicit logs) are not the user's to fix.
    bucket = s3.Bucket(s, "Scratch", auto_delete_objects=True, removal_policy=RemovalPolicy.DESTROY)
    cr.AwsCustomResource(
        s,
        "LookUp",
        on_create=cr.AwsSdkCall(service="S3", action="listBuckets", physical_resource_id=cr.PhysicalResourceId.of("x")),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=[bucket.bucket_arn]),
    )
    cr.Provider(s, "Provider", on_event_handler=good_function(s, "OnEvent"))

    s = cdk.Stack(app, "Sizing")
    good_function(s, "Sized")

    s = cdk.Stack(app, "LogsRetention")
    logs.LogGroup(s, "Month", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY)
    classic = lambda_.Function(
        s,
        "ClassicLogs",
        code=CODE,
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        architecture=lambda_.Architecture.ARM_64,
        memory_size=256,
        timeout=Duration.seconds(10),
    )
    logs.LogRetention(
        s, "ClassicLogsRetention", log_group_name=f"/aws/lambda/{classic.function_name}", retention=logs.RetentionDays.ONE_WEEK
    )

    s = cdk.Stack(app, "AsyncFailure")
    on_alias = good_function(s, "OnAlias", environment={env.IDEMPOTENCY: "upsert keyed by the event id"})
    alias = live_alias(on_alias, on_failure=destinations.SqsDestination(failure_queue(s, "AliasFailures")))
    events.Rule(s, "Every5", schedule=events.Schedule.rate(Duration.minutes(5)), targets=[targets.LambdaFunction(alias)])
    latest = good_function(
        s,
        "Latest",
        environment={env.IDEMPOTENCY: "claim marker keyed by object key and version id"},
        on_failure=destinations.SqsDestination(failure_queue(s, "LatestFailures")),
    )
    s3.Bucket(s, "Uploads").add_object_created_notification(s3n.LambdaDestination(latest))
    with_dlq = good_function(
        s, "WithDlq", dead_letter_queue_enabled=True, environment={env.IDEMPOTENCY: "conditional put on message id"}
    )
    sns.Topic(s, "Topic").add_subscription(subscriptions.LambdaSubscription(with_dlq))

    s = cdk.Stack(app, "SyncChain")
    # API -> function -> fire-and-forget to a function with an on-failure destination.
    audit = good_function(s, "Audit", on_failure=destinations.SqsDestination(failure_queue(s, "AuditFailures")))
    front = good_function(s, "Front")
    audit.grant_invoke(front)
    rest_api_with(s, front)
    # Background functions calling each other: no caller waits on either.
    worker = good_function(s, "Worker")
    good_function(s, "Planner").grant_invoke(worker)

    s = cdk.Stack(app, "SqsVisibility")
    consumer = good_function(s, "Consumer", timeout=Duration.seconds(10))
    consumer.add_event_source(
        event_sources.SqsEventSource(sqs.Queue(s, "Long", visibility_timeout=Duration.seconds(60)), report_batch_item_failures=True)
    )

    s = cdk.Stack(app, "Idempotency")
    table = dynamodb.Table(
        s,
        "Events",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_IMAGE,
        removal_policy=RemovalPolicy.DESTROY,
    )
    good_function(s, "StreamConsumer").add_event_source(
        event_sources.DynamoEventSource(
            table, starting_position=lambda_.StartingPosition.LATEST, report_batch_item_failures=True
        )
    )
    marked = good_function(s, "Marked", environment={env.IDEMPOTENCY: "conditional put on message id"})
    marked.add_event_source(event_sources.SqsEventSource(sqs.Queue(s, "Work", visibility_timeout=Duration.seconds(60))))
    tagged = good_function(s, "Tagged")
    cdk.Tags.of(tagged).add("idempotency", "dedupe table keyed by message id")
    tagged.add_event_source(event_sources.SqsEventSource(sqs.Queue(s, "Other", visibility_timeout=Duration.seconds(60))))
    nightly = good_function(
        s,
        "Nightly",
        environment={env.IDEMPOTENCY: "report keyed by scheduled time"},
        on_failure=destinations.SqsDestination(failure_queue(s, "NightlyFailures")),
    )
    events.Rule(s, "NightlyRule", schedule=events.Schedule.rate(Duration.days(1)), targets=[targets.LambdaFunction(nightly)])

    s = cdk.Stack(app, "ApiTimeout")
    rest_api_with(s, good_function(s, "Quick", timeout=Duration.seconds(29)), timeout=Duration.seconds(29))
    http = apigwv2.HttpApi(s, "Http")
    acknowledge(http, "ServerlessPatterns::SP-HTTPAPI-WAF", "Test API checked for its timeouts only; never deployed")
    http.add_routes(
        path="/quick",
        methods=[apigwv2.HttpMethod.GET],
        integration=apigwv2_integrations.HttpLambdaIntegration("QuickHttp", good_function(s, "QuickHttp", timeout=Duration.seconds(30))),
    )

    s = cdk.Stack(app, "PublicUrl")
    good_function(s, "Signed").add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)

    s = cdk.Stack(app, "EdgeLimits", env=US_EAST_1)
    viewer = good_function(
        s,
        "Viewer",
        role=edge_role(s, "ViewerRole"),
        architecture=lambda_.Architecture.X86_64,
        memory_size=128,
        timeout=Duration.seconds(5),
    )
    origin = good_function(
        s,
        "Origin",
        role=edge_role(s, "OriginRole"),
        architecture=lambda_.Architecture.X86_64,
        memory_size=1024,
        timeout=Duration.seconds(30),
    )
    cdn = distribution(
        s,
        "Cdn",
        [
            cloudfront.EdgeLambda(function_version=viewer.current_version, event_type=cloudfront.LambdaEdgeEventType.VIEWER_REQUEST),
            cloudfront.EdgeLambda(function_version=origin.current_version, event_type=cloudfront.LambdaEdgeEventType.ORIGIN_REQUEST),
        ],
    )
    acknowledge(cdn, "ServerlessPatterns::SP-CLOUDFRONT-TLS", "Test distribution checked for its edge functions only; never deployed")


def isolated_vpc(scope) -> ec2.Vpc:
    return ec2.Vpc(scope, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    ])


def build_compliant_vpc(app: cdk.App) -> None:
    """A VPC function with an endpoint per service it calls; another behind a NAT gateway."""
    s = cdk.Stack(app, "VpcRouted")
    isolated = isolated_vpc(s)
    reader = good_function(s, "Reader", vpc=isolated)
    dynamodb.Table(s, "Data", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)).grant_read_data(reader)
    sqs.Queue(s, "Out").grant_send_messages(reader)
    isolated.add_gateway_endpoint("Dynamodb", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB)
    isolated.add_interface_endpoint("Sqs", service=ec2.InterfaceVpcEndpointAwsService.SQS)
    natted = ec2.Vpc(s, "Natted", max_azs=1, nat_gateways=1)
    sender = good_function(s, "Sender", vpc=natted)
    sqs.Queue(s, "Other").grant_send_messages(sender)


# --- synthesis, once per app ----------------------------------------------------------
def _synth(tmp_path_factory: pytest.TempPathFactory, name: str, build) -> SimpleNamespace:
    outdir = tmp_path_factory.mktemp(name)
    app = cdk.App(outdir=str(outdir))
    Validations.of(app).add_plugins(ServerlessPatternsChecks())
    build(app)
    error = synth_keeping_error(app)
    report = json.loads((Path(outdir) / "validation-report.json").read_text()) if (Path(outdir) / "validation-report.json").exists() else {}
    plugin = next((p for p in report.get("pluginReports", []) if p["pluginName"] == PLUGIN_NAME), {})
    return SimpleNamespace(outdir=Path(outdir), error=error, plugin=plugin)


@pytest.fixture(scope="module")
def violating(tmp_path_factory):
    return _synth(tmp_path_factory, "violating", build_violations)


@pytest.fixture(scope="module")
def compliant(tmp_path_factory):
    return _synth(tmp_path_factory, "compliant", build_compliant)


def findings(result: SimpleNamespace, rule_id: str, stack: str, key: str = "violations") -> dict[str, str]:
    """construct path -> description of ``rule_id``'s findings under ``stack``."""
    found = {}
    for violation in result.plugin.get(key) or []:
        if violation["ruleName"] != rule_id:
            continue
        for construct in violation["violatingConstructs"]:
            if construct["constructPath"].startswith(f"{stack}/"):
                found[construct["constructPath"]] = violation["description"]
    return found


# --- per rule -----------------------------------------------------------------------------
def test_alarm_action_flags_alarm_that_notifies_nobody(violating, compliant):
    found = findings(violating, "SP-ALARM-ACTION", "AlarmAction")
    assert list(found) == ["AlarmAction/Silent/Resource"]
    assert "no AlarmActions" in found["AlarmAction/Silent/Resource"]
    assert findings(compliant, "SP-ALARM-ACTION", "AlarmAction") == {}


def test_arm64_flags_x86_function(violating, compliant):
    assert list(findings(violating, "SP-LAMBDA-ARM64", "Arm64")) == ["Arm64/X86/Resource"]
    assert findings(compliant, "SP-LAMBDA-ARM64", "Arm64") == {}


def test_arm64_exempts_cdk_internal_handlers_without_paths(compliant):
    """Without construct paths (no tree), internal handlers are told by logical id."""
    template = json.loads((compliant.outdir / "Arm64.template.json").read_text())
    graph = TemplateGraph(template)
    internal = {lid for lid in graph.functions if graph.is_cdk_internal(lid)}
    assert any(lid.startswith("CustomS3AutoDeleteObjectsCustomResourceProvider") for lid in internal)
    assert any(lid.startswith("AWS679f53fac002430cb0da5b7982bd2287") for lid in internal)
    assert any("frameworkonEvent" in lid for lid in internal)
    assert not any(lid.startswith(("Graviton", "OnEvent")) for lid in internal)


def test_sizing_flags_memory_and_timeout_left_to_lambda(violating, compliant):
    found = findings(violating, "SP-LAMBDA-SIZING", "Sizing")
    assert list(found) == ["Sizing/Unsized/Resource"]
    assert "128 MB" in found["Sizing/Unsized/Resource"] and "3 s" in found["Sizing/Unsized/Resource"]
    assert findings(compliant, "SP-LAMBDA-SIZING", "Sizing") == {}


def test_logs_retention_flags_forever_log_group_and_implicit_function_logs(violating, compliant):
    found = findings(violating, "SP-LOGS-RETENTION", "LogsRetention")
    assert set(found) == {"LogsRetention/Forever/Resource", "LogsRetention/ImplicitLogs/Resource"}
    assert findings(compliant, "SP-LOGS-RETENTION", "LogsRetention") == {}


def test_async_failure_destination_is_checked_per_invoked_qualifier(violating, compliant):
    found = findings(violating, "SP-ASYNC-FAILURE-DEST", "AsyncFailure")
    assert set(found) == {"AsyncFailure/LatestOnly/Resource", "AsyncFailure/NoDestination/Resource"}
    assert "alias 'live'" in found["AsyncFailure/LatestOnly/Resource"]
    assert "S3 event notification" in found["AsyncFailure/NoDestination/Resource"]
    assert findings(compliant, "SP-ASYNC-FAILURE-DEST", "AsyncFailure") == {}


def test_sync_chain_flags_api_function_invoking_another(violating, compliant):
    found = findings(violating, "SP-SYNC-CHAIN", "SyncChain")
    assert list(found) == ["SyncChain/Caller/Resource"]
    assert "Callee" in found["SyncChain/Caller/Resource"]
    assert findings(compliant, "SP-SYNC-CHAIN", "SyncChain") == {}


def test_sqs_visibility_flags_queue_shorter_than_six_timeouts(violating, compliant):
    found = findings(violating, "SP-SQS-VISIBILITY", "SqsVisibility")
    assert list(found) == ["SqsVisibility/Short/Resource"]
    assert "30 s < 6 x 10 s" in found["SqsVisibility/Short/Resource"]
    assert findings(compliant, "SP-SQS-VISIBILITY", "SqsVisibility") == {}


def test_idempotency_flags_consumer_without_partial_batch_or_marker(violating, compliant):
    found = findings(violating, "SP-IDEMPOTENCY", "Idempotency")
    assert len(found) == 2, found
    assert any(path.startswith("Idempotency/Consumer/SqsEventSource") for path in found)
    assert "Idempotency/NightlyRule/Resource" in found
    assert "delivered at least once" in found["Idempotency/NightlyRule/Resource"]
    assert findings(compliant, "SP-IDEMPOTENCY", "Idempotency") == {}


def test_api_timeout_flags_function_and_integration_over_the_limit(violating, compliant):
    found = findings(violating, "SP-APIGW-TIMEOUT", "ApiTimeout")
    assert set(found) == {"ApiTimeout/Slow/Resource", "ApiTimeout/SlowHttp/Resource"}
    assert "REST API" in found["ApiTimeout/Slow/Resource"]
    assert "HTTP API" in found["ApiTimeout/SlowHttp/Resource"]
    found = findings(violating, "SP-APIGW-TIMEOUT", "ApiIntegrationTimeout")
    assert list(found) == ["ApiIntegrationTimeout/Api/Default/GET/Resource"]
    assert "40000 ms" in found["ApiIntegrationTimeout/Api/Default/GET/Resource"]
    assert findings(compliant, "SP-APIGW-TIMEOUT", "ApiTimeout") == {}


def test_edge_limits_flag_each_broken_restriction(violating, compliant):
    found = findings(violating, "SP-EDGE-LIMITS", "EdgeLimits")
    assert set(found) == {"EdgeLimits/Viewer/Resource", "EdgeLimits/Unassociated/Resource"}
    viewer = found["EdgeLimits/Viewer/Resource"]
    for expected in ("arm64", "['STAGE']", "512 MB > 128 MB", "10 s > 5 s"):
        assert expected in viewer
    assert "60 s > 30 s" in found["EdgeLimits/Unassociated/Resource"]
    # Edge functions are exempt from the arm64 rule (they must be x86_64).
    assert findings(compliant, "SP-LAMBDA-ARM64", "EdgeLimits") == {}
    assert findings(compliant, "SP-EDGE-LIMITS", "EdgeLimits") == {}


def test_public_url_flags_function_url_without_auth(violating, compliant):
    found = findings(violating, "SP-LAMBDA-PUBLIC-URL", "PublicUrl")
    assert list(found) == ["PublicUrl/Open/FunctionUrl/Resource"]
    assert "AuthType NONE" in found["PublicUrl/Open/FunctionUrl/Resource"]
    assert findings(compliant, "SP-LAMBDA-PUBLIC-URL", "PublicUrl") == {}


# --- the plugin as a whole ---------------------------------------------------------------
def test_vpc_no_route_flags_a_granted_service_without_endpoint_or_nat(violating, compliant):
    found = findings(violating, "SP-VPC-NO-ROUTE", "VpcNoRoute")
    assert list(found) == ["VpcNoRoute/Reader/Resource"]
    [description] = found.values()
    assert "grants reach sqs but VPC" in description  # dynamodb has its gateway endpoint; logs and ec2 need none
    assert findings(compliant, "SP-VPC-NO-ROUTE", "VpcRouted") == {}


def test_compliant_app_has_no_findings_and_synthesizes(compliant):
    # CDK leaves a plugin with nothing to report out of the report altogether.
    assert compliant.plugin.get("violations", []) == []
    assert compliant.error is None, str(compliant.error)


def test_every_rule_has_a_violating_stack(violating):
    flagged = {v["ruleName"] for v in violating.plugin["violations"]}
    assert flagged == {rule.id for rule in RULES}


def test_error_findings_fail_synthesis(violating):
    assert violating.plugin["conclusion"] == "failure"
    assert violating.error is not None and "SP-LOGS-RETENTION" in str(violating.error)


def test_acknowledgement_suppresses_one_construct(violating):
    assert findings(violating, "SP-LAMBDA-ARM64", "Acknowledged") == {}
    suppressed = findings(violating, "SP-LAMBDA-ARM64", "Acknowledged", key="suppressedViolations")
    assert list(suppressed) == ["Acknowledged/LegacyX86/Resource"]


def _validate(tmp_path: Path, template: dict) -> Any:
    path = tmp_path / "T.template.json"
    path.write_text(json.dumps(template))
    context = SimpleNamespace(template_paths=[str(path)], stack_templates=[], app_construct=None)
    return ServerlessPatternsChecks().validate(context)


def test_warnings_alone_keep_success(tmp_path):
    """CDK fails synthesis when a report is unsuccessful, so warnings must not make it so."""
    x86 = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"MemorySize": 256, "Timeout": 10, "LoggingConfig": {"LogGroup": "l"}},
    }
    report = _validate(tmp_path, {"Resources": {"Fn": x86}})
    assert [v.rule_name for v in report.violations] == ["SP-LAMBDA-ARM64"]
    assert report.violations[0].severity == WARNING
    assert report.success is True

    report = _validate(tmp_path, {"Resources": {"Fn": x86, "Logs": {"Type": "AWS::Logs::LogGroup"}}})
    assert report.success is False
    assert {v.severity for v in report.violations} == {WARNING, ERROR}


def test_rules_are_documented():
    doc = (Path(__file__).parents[1] / "docs" / "checks.md").read_text()
    for rule in RULES:
        assert f"`{rule.id}`" in doc, f"{rule.id} missing from docs/checks.md"
        assert rule.severity in (ERROR, WARNING)
    assert set(RULES_BY_ID) == {rule.id for rule in RULES}


# --- reference resolution (plain templates, no synthesis) ---------------------------------
_GRAPH = TemplateGraph(
    {
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 10}},
            "V1": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
            "Live": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {"FunctionName": {"Ref": "Fn"}, "FunctionVersion": {"Fn::GetAtt": ["V1", "Version"]}, "Name": "live"},
            },
            "OnAlias": {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "Qualifier": {"Fn::Select": [7, {"Fn::Split": [":", {"Ref": "Live"}]}]},
                    "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:eu-west-1:1:q"}},
                },
            },
        }
    }
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Fn"}, {("Fn", None)}),
        ({"Fn::GetAtt": "Fn.Arn"}, {("Fn", None)}),
        ({"Fn::Sub": "arn:${AWS::Partition}:x/${Fn.Arn}/invocations"}, {("Fn", None)}),
        ({"Ref": "Live"}, {("Fn", "live")}),
        ({"Ref": "V1"}, {("Fn", "#version:V1")}),
        ({"Fn::Join": ["", [{"Fn::GetAtt": ["Fn", "Arn"]}, ":*"]]}, {("Fn", "*")}),
        ({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":apigateway:path/functions/", {"Ref": "Live"}, "/invocations"]]}, {("Fn", "live")}),
        ({"Ref": "AWS::Region"}, set()),
        ("arn:aws:lambda:eu-west-1:1:function:elsewhere", set()),
    ],
)
def test_function_targets_follow_references(value, expected):
    assert {(t.function, t.qualifier) for t in _GRAPH.function_targets(value)} == expected


def test_async_failure_handling_is_per_qualifier():
    from cdk_serverless_patterns.checks.graph import Target

    assert _GRAPH.handles_async_failures(Target("Fn", "live"))
    assert not _GRAPH.handles_async_failures(Target("Fn", None))


def test_values_known_only_at_deploy_time_are_skipped(tmp_path):
    template = {
        "Parameters": {"Visibility": {"Type": "Number"}},
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Architectures": ["arm64"], "MemorySize": 256, "Timeout": 10, "LoggingConfig": {"LogGroup": "l"}}},
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": {"Ref": "Visibility"}}},
            "Esm": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {"FunctionName": {"Ref": "Fn"}, "EventSourceArn": {"Fn::GetAtt": ["Q", "Arn"]}, "FunctionResponseTypes": ["ReportBatchItemFailures"]},
            },
        },
    }
    report = _validate(tmp_path, template)
    assert report.violations == [] and report.success is True


def test_graph_finds_every_kind_of_front_and_trigger():
    fn = {"Type": "AWS::Lambda::Function", "Properties": {}}
    arn = lambda lid: {"Fn::GetAtt": [lid, "Arn"]}  # noqa: E731
    graph = TemplateGraph(
        {
            "Resources": {
                **{name: fn for name in ("Url", "Alb", "AppSync", "Http", "Auth", "Sched", "Topic", "Sub", "Native")},
                "U": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": arn("Url")}},
                "TG": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"TargetType": "lambda", "Targets": [{"Id": arn("Alb")}]}},
                "DS": {"Type": "AWS::AppSync::DataSource", "Properties": {"LambdaConfig": {"LambdaFunctionArn": arn("AppSync")}}},
                "I": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {"IntegrationType": "AWS_PROXY", "IntegrationUri": arn("Http")}},
                "A": {"Type": "AWS::ApiGateway::Authorizer", "Properties": {"AuthorizerUri": {"Fn::Sub": "arn:x:path/functions/${Auth.Arn}/invocations"}}},
                "S": {"Type": "AWS::Scheduler::Schedule", "Properties": {"Target": {"Arn": arn("Sched")}}},
                "T": {"Type": "AWS::SNS::Topic", "Properties": {"Subscription": [{"Protocol": "lambda", "Endpoint": arn("Topic")}]}},
                "TS": {"Type": "AWS::SNS::Subscription", "Properties": {"Protocol": "lambda", "Endpoint": arn("Sub")}},
                "Q": {"Type": "AWS::SNS::Subscription", "Properties": {"Protocol": "sqs", "Endpoint": arn("Native")}},
                "B": {"Type": "AWS::S3::Bucket", "Properties": {"NotificationConfiguration": {"LambdaConfigurations": [{"Function": arn("Native")}]}}},
            }
        }
    )
    assert set(graph.sync_fronts) == {"Url", "Alb", "AppSync", "Http", "Auth"}
    assert {(t.kind, t.target.function) for t in graph.async_triggers} == {
        ("EventBridge Scheduler schedule", "Sched"),
        ("SNS subscription", "Topic"),
        ("SNS subscription", "Sub"),
        ("S3 event notification", "Native"),
    }
