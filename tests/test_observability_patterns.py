"""metric_*, grant_* and dashboard=True on every pattern.

One app with checks on: every pattern once (dashboard=True), one caller role
per grant. Each ``metric_*`` is compared with the alarm that watches it, each
``grant_*`` with the exact statement it must produce, and the synthesized app
must have no unacknowledged finding.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam

from cdk_serverless_patterns.checks import acknowledge
from cdk_serverless_patterns import (
    ApiAuth,
    ApiBackend,
    Cqrs,
    EdgeSite,
    EventProcessing,
    FanOutFanIn,
    FunctionSpec,
    Idempotency,
    PatternConfigError,
    Saga,
    SagaApproval,
    SagaStep,
    ScheduledJob,
    StreamProcessing,
    enable_checks,
    set_default_alarm_topic,
)
from tests.support import HANDLER_DIR, TEST_ALARM_TOPIC_ARN, report_violations, synth_keeping_error

US_EAST_1 = cdk.Environment(account="111111111111", region="us-east-1")


def fn(**options) -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler", **options)


def idempotent_fn() -> FunctionSpec:
    """An at-least-once consumer that says how it handles redelivery (SP-IDEMPOTENCY)."""
    return fn(idempotency=Idempotency.conditional_write("event id"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("observability-out")
    js = tmp_path_factory.mktemp("cff") / "headers.js"
    js.write_text("function handler(event) { return event.response; }\n")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    stack = cdk.Stack(app, "Ops", env=US_EAST_1)
    d = dict(dashboard=True, removal_policy=RemovalPolicy.DESTROY)
    p = {
        "api": ApiBackend(stack, "Api", routes={"GET /orders/{id}": fn(), "POST /orders": fn()}, auth=ApiAuth.iam(), **d),
        "events": EventProcessing(stack, "Ingest", processor=idempotent_fn(), prefix="uploads/", suffix=".csv", **d),
        "streams": StreamProcessing(stack, "Clicks", processor=fn(), **d),
        "fan_out": FanOutFanIn(stack, "Jobs", workers={"resize": fn()}, aggregator=fn(), **d),
        "saga": Saga(
            stack,
            "Order",
            steps=[SagaStep("reserve", action=fn(), compensation=fn()), SagaStep("ship", action=fn())],
            approval=SagaApproval(before="ship"),
            **d,
        ),
        "cqrs": Cqrs(stack, "Orders", commands={"POST /orders": fn()}, projections={"summary": idempotent_fn()}, **d),
        "schedule": ScheduledJob(stack, "Nightly", schedule="rate(1 hour)", job=idempotent_fn(), **d),
        "edge": EdgeSite(stack, "Site", cloudfront_functions={"viewer-response": str(js)}, **d),
    }
    acknowledge(p["edge"].distribution, "ServerlessPatterns::SP-CLOUDFRONT-TLS", "Test site without a domain: synthesized only")
    callers = {}
    for name, grant in (
        ("ApiInvoke", lambda r: p["api"].grant_invoke(r, "GET /orders/{id}")),
        ("ApiInvokeAll", lambda r: p["api"].grant_invoke(r)),
        ("Uploader", lambda r: p["events"].grant_put(r)),
        ("Producer", lambda r: p["streams"].grant_put_records(r)),
        ("JobStarter", lambda r: p["fan_out"].grant_start_jobs(r)),
        ("SagaStarter", lambda r: p["saga"].grant_start_execution(r)),
        ("Approver", lambda r: p["saga"].grant_task_response(r)),
        ("Appender", lambda r: p["cqrs"].grant_append(r)),
        ("ViewReader", lambda r: p["cqrs"].grant_read_model(r)),
        ("Backfiller", lambda r: p["schedule"].grant_run(r)),
        ("Deployer", lambda r: p["edge"].grant_create_invalidation(r)),
    ):
        role = iam.Role(stack, name, assumed_by=iam.AccountRootPrincipal())
        grant(role)
        callers[name] = role
    error = synth_keeping_error(app)
    template = json.loads((outdir / "Ops.template.json").read_text())
    return {"stack": stack, "p": p, "callers": callers, "template": template, "outdir": outdir, "error": error}


# --- metric_* == the alarm's metric ----------------------------------------------
def _same_metric(stack: cdk.Stack, alarm, metric) -> None:
    cfn = alarm.node.default_child
    config = metric.to_metric_config().metric_stat
    assert stack.resolve(cfn.namespace) == config.namespace
    assert stack.resolve(cfn.metric_name) == config.metric_name
    dims = sorted((d["name"], json.dumps(d["value"], sort_keys=True)) for d in stack.resolve(cfn.dimensions) or [])
    expected = sorted((d.name, json.dumps(stack.resolve(d.value), sort_keys=True)) for d in config.dimensions or [])
    assert dims == expected
    assert cfn.period == config.period.to_seconds()
    assert (cfn.statistic or cfn.extended_statistic) == config.statistic


def _alarm(construct, alarm_id):
    found = [a for a in construct.alarms if a.node.id == alarm_id]
    assert found, f"{alarm_id} not in {[a.node.id for a in construct.alarms]}"
    return found[0]


def _alarm_at(construct, *path):
    node = construct
    for part in path:
        node = node.node.find_child(part)
    return node


CASES = [
    ("api", "metric_server_error_rate", (), ("ServerErrorRateAlarm",)),
    ("api", "metric_client_error_rate", (), ("ClientErrorRateAlarm",)),
    ("api", "metric_latency", (), ("LatencyAlarm",)),
    ("events", "metric_failed_invocations", (), ("FailedInvocationsAlarm",)),
    ("events", "metric_invocations_failed_to_dlq", (), ("DeadLetterDeliveryAlarm",)),
    ("events", "metric_dead_letter_messages", (), ("TargetDeadLetter", "DepthAlarm")),
    ("streams", "metric_iterator_age", (), ("IteratorAgeAlarm",)),
    ("streams", "metric_failed_records", (), ("OnFailure", "DepthAlarm")),
    ("fan_out", "metric_oldest_message_age", (), ("AggregatorQueue", "OldestMessageAlarm")),
    ("fan_out", "metric_dead_letter_messages", (), ("AggregatorQueue", "DeadLetter", "DepthAlarm")),
    ("fan_out", "metric_oldest_message_age", ("resize",), ("Workers", "resize", "Queue", "OldestMessageAlarm")),
    ("fan_out", "metric_dead_letter_messages", ("resize",), ("Workers", "resize", "Queue", "DeadLetter", "DepthAlarm")),
    ("fan_out", "metric_undeliverable_messages", ("resize",), ("Workers", "resize", "SubscriptionDeadLetter", "DepthAlarm")),
    ("saga", "metric_failed", (), ("ExecutionsFailedAlarm",)),
    ("saga", "metric_timed_out", (), ("ExecutionsTimedOutAlarm",)),
    ("saga", "metric_throttled", (), ("ExecutionThrottledAlarm",)),
    ("saga", "metric_compensations_incomplete", (), ("CompensationsIncompleteAlarm",)),
    ("cqrs", "metric_pipe_failures", (), ("PipeExecutionFailedAlarm",)),
    ("cqrs", "metric_pipe_throttled", (), ("PipeExecutionThrottledAlarm",)),
    ("cqrs", "metric_pipe_dead_letter_messages", (), ("PipeFailures", "DepthAlarm")),
    ("cqrs", "metric_projection_lag", ("summary",), ("Projections", "summary", "LagAlarm")),
    ("cqrs", "metric_projection_dead_letter_messages", ("summary",), ("Projections", "summary", "DeliveryFailures", "DepthAlarm")),
    ("cqrs", "metric_projection_failed_invocations", ("summary",), ("Projections", "summary", "FailedInvocationsAlarm")),
    ("cqrs", "metric_projection_invocations_failed_to_dlq", ("summary",), ("Projections", "summary", "DeadLetterDeliveryAlarm")),
    ("schedule", "metric_runs", (), ("DidNotRunAlarm",)),
    ("schedule", "metric_undelivered_runs", (), ("DeadLetter", "DepthAlarm")),
    ("schedule", "metric_failed_runs", (), ("Job", "AsyncFailures", "DepthAlarm")),
    ("edge", "metric_5xx_error_rate", (), ("ErrorRateAlarm",)),
]

#: (namespace, metric name, statistic) each method returns (docs/observability.md).
EXPECTED = {
    'metric_compensations_incomplete': ('CdkServerlessPatterns/Saga', 'CompensationsIncomplete', 'Sum'),
    'metric_server_error_rate': ('AWS/ApiGateway', '5XXError', 'Average'),
    'metric_client_error_rate': ('AWS/ApiGateway', '4XXError', 'Average'),
    'metric_latency': ('AWS/ApiGateway', 'Latency', 'p95'),
    'metric_failed_invocations': ('AWS/Events', 'FailedInvocations', 'Sum'),
    'metric_invocations_failed_to_dlq': ('AWS/Events', 'InvocationsFailedToBeSentToDlq', 'Sum'),
    'metric_dead_letter_messages': ('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum'),
    'metric_iterator_age': ('AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', 'Maximum'),
    'metric_failed_records': ('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum'),
    'metric_oldest_message_age': ('AWS/SQS', 'ApproximateAgeOfOldestMessage', 'Maximum'),
    'metric_undeliverable_messages': ('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum'),
    'metric_failed': ('AWS/States', 'ExecutionsFailed', 'Sum'),
    'metric_timed_out': ('AWS/States', 'ExecutionsTimedOut', 'Sum'),
    'metric_throttled': ('AWS/States', 'ExecutionThrottled', 'Sum'),
    'metric_pipe_failures': ('AWS/EventBridge/Pipes', 'ExecutionFailed', 'Sum'),
    'metric_pipe_throttled': ('AWS/EventBridge/Pipes', 'ExecutionThrottled', 'Sum'),
    'metric_pipe_dead_letter_messages': ('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum'),
    'metric_projection_lag': ('AWS/Lambda', 'AsyncEventAge', 'Maximum'),
    'metric_projection_dead_letter_messages': ('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum'),
    'metric_projection_failed_invocations': ('AWS/Events', 'FailedInvocations', 'Sum'),
    'metric_projection_invocations_failed_to_dlq': ('AWS/Events', 'InvocationsFailedToBeSentToDlq', 'Sum'),
    'metric_runs': ('AWS/Lambda', 'Invocations', 'Sum'),
    'metric_undelivered_runs': ('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum'),
    'metric_failed_runs': ('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum'),
    'metric_5xx_error_rate': ('AWS/CloudFront', '5xxErrorRate', 'Average'),
}


@pytest.mark.parametrize("pattern, method, args, alarm_path", CASES, ids=[f"{c[0]}.{c[1]}{c[2]}" for c in CASES])
def test_metric_matches_its_alarm(built, pattern, method, args, alarm_path):
    construct = built["p"][pattern]
    alarm = _alarm_at(construct, *alarm_path)
    assert alarm in construct.alarms
    metric = getattr(construct, method)(*args)
    _same_metric(built["stack"], alarm, metric)
    # and it is the metric the docs promise, not just whatever the alarm happens to use
    assert (metric.namespace, metric.metric_name, metric.statistic) == EXPECTED[method]


def test_edge_function_errors_metric_matches_its_alarm(built):
    site = built["p"]["edge"]
    alarm = next(a for a in site.alarms if a.node.id.endswith("ErrorsAlarm") and a.node.id != "ErrorRateAlarm")
    _same_metric(built["stack"], alarm, site.metric_function_errors("viewer-response"))


def test_every_pattern_alarm_has_a_metric_method(built):
    """No alarm of a pattern is left without a metric_*: its own (CASES), its
    functions' (metric_errors/throttles/duration/async_failures) or, in Cqrs,
    its ApiBackend's."""
    from cdk_serverless_patterns import ServerlessFunction

    covered = {_alarm_at(built["p"][c[0]], *c[3]).node.path for c in CASES}
    edge = built["p"]["edge"]
    covered |= {a.node.path for a in edge.alarms if a.node.id != "ErrorRateAlarm"}  # metric_function_errors
    covered |= {a.node.path for a in built["p"]["cqrs"].api_backend.alarms}
    for construct in built["p"].values():
        for alarm in construct.alarms:
            owner = alarm.node.scope
            by_function = isinstance(owner, ServerlessFunction) or (
                owner.node.id == "AsyncFailures" and isinstance(owner.node.scope, ServerlessFunction)
            )
            assert by_function or alarm.node.path in covered, alarm.node.path


@pytest.mark.parametrize(
    "pattern, call, message",
    [
        ("fan_out", lambda p: p.metric_oldest_message_age("nope"), "worker='nope' is invalid: allowed 'resize'"),
        ("cqrs", lambda p: p.metric_projection_lag("nope"), "projection='nope' is invalid: allowed 'summary'"),
        ("edge", lambda p: p.metric_function_errors("viewer-request"), "event='viewer-request' is invalid"),
        ("events", lambda p: p.metric_buffer_oldest_message_age(), "buffer=False is invalid"),
    ],
)
def test_metric_arguments_are_checked(built, pattern, call, message):
    with pytest.raises(PatternConfigError, match=message):
        call(built["p"][pattern])


# --- dashboards ------------------------------------------------------------------
@pytest.mark.parametrize("pattern", ["api", "events", "streams", "fan_out", "saga", "cqrs", "schedule", "edge"])
def test_dashboard_has_metric_graphs_and_alarms(built, pattern):
    construct = built["p"][pattern]
    assert construct.dashboard is not None
    cfn = construct.dashboard.node.default_child
    body = json.dumps(built["stack"].resolve(cfn.dashboard_body))
    assert '\\"type\\":\\"metric\\"' in body or '"type":"metric"' in body
    assert body.count("\\\"view\\\":\\\"timeSeries\\\"") >= 1 or "timeSeries" in body
    assert "alarms" in body


def test_edge_dashboard_reads_cloudfront_in_us_east_1(built):
    for _, metrics in built["p"]["edge"].dashboard_graphs():
        for _, metric in metrics:
            assert metric.region == "us-east-1"


# --- grants: exactly the statement ----------------------------------------------
def _statements(built, role_name):
    stack, template = built["stack"], built["template"]
    role = built["callers"][role_name]
    policy_id = stack.get_logical_id(role.node.find_child("DefaultPolicy").node.default_child)
    return template["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"]


def _ref(built, construct) -> dict:
    return {"Ref": built["stack"].get_logical_id(construct.node.default_child)}


def _getatt(built, construct, attribute) -> dict:
    return {"Fn::GetAtt": [built["stack"].get_logical_id(construct.node.default_child), attribute]}


def test_api_grant_invoke_names_the_route(built):
    [statement] = _statements(built, "ApiInvoke")
    assert statement["Action"] == "execute-api:Invoke" and statement["Effect"] == "Allow"
    arn = json.dumps(statement["Resource"])
    assert "/prod/GET/orders/*" in arn and _ref(built, built["p"]["api"].api)["Ref"] in arn


def test_api_grant_invoke_without_routes_is_the_stage(built):
    [statement] = _statements(built, "ApiInvokeAll")
    assert statement["Action"] == "execute-api:Invoke"
    assert "/prod/*/*" in json.dumps(statement["Resource"])


def test_api_grant_invoke_needs_iam_auth_and_known_routes(built):
    stack = cdk.Stack(cdk.App(), "NoIam")
    api = ApiBackend(stack, "Api", routes={"GET /x": fn()}, auth=ApiAuth.none("public test API without any data behind it"), waf=False)
    role = iam.Role(stack, "R", assumed_by=iam.AccountRootPrincipal())
    with pytest.raises(PatternConfigError, match="auth=NONE is invalid: allowed only with ApiAuth.iam"):
        api.grant_invoke(role)
    with pytest.raises(PatternConfigError, match=r"routes=\['GET /nope'\] is invalid"):
        built["p"]["api"].grant_invoke(role, "GET /nope")


def test_events_grant_put_is_put_object_under_the_prefix(built):
    [statement] = _statements(built, "Uploader")
    assert statement["Action"] == "s3:PutObject"
    assert statement["Resource"] == {
        "Fn::Join": ["", [_getatt(built, built["p"]["events"].bucket, "Arn"), "/uploads/*"]]
    }


def test_streams_grant_put_records(built):
    [statement] = _statements(built, "Producer")
    assert statement["Action"] == ["kinesis:PutRecord", "kinesis:PutRecords"]
    assert statement["Resource"] == _getatt(built, built["p"]["streams"].stream, "Arn")


def test_fan_out_grant_start_jobs(built):
    statements = _statements(built, "JobStarter")
    assert {json.dumps(s["Action"]) for s in statements} == {'"sns:Publish"', '["kms:GenerateDataKey", "kms:Decrypt"]'}


def test_saga_grants(built):
    machine = {"Ref": built["stack"].get_logical_id(built["p"]["saga"].state_machine.node.default_child)}
    assert _statements(built, "SagaStarter") == [{"Action": "states:StartExecution", "Effect": "Allow", "Resource": machine}]
    assert _statements(built, "Approver") == [
        {
            "Action": ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
            "Effect": "Allow",
            "Resource": machine,
        }
    ]


def test_saga_task_response_needs_an_approval_step(built):
    stack = cdk.Stack(cdk.App(), "NoApproval")
    saga = Saga(stack, "S", steps=[SagaStep("one", action=fn())])
    with pytest.raises(PatternConfigError, match="approval=None is invalid"):
        saga.grant_task_response(iam.Role(stack, "R", assumed_by=iam.AccountRootPrincipal()))


def test_cqrs_grants(built):
    cqrs = built["p"]["cqrs"]
    assert _statements(built, "Appender") == [
        {"Action": ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"], "Effect": "Allow",
         "Resource": _getatt(built, cqrs.event_store, "Arn")}
    ]
    assert _statements(built, "ViewReader") == [
        {"Action": "dynamodb:GetItem", "Effect": "Allow", "Resource": _getatt(built, cqrs.read_model, "Arn")}
    ]


def test_schedule_grant_run_is_the_live_alias(built):
    [statement] = _statements(built, "Backfiller")
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == {"Ref": built["stack"].get_logical_id(built["p"]["schedule"].job.alias.node.default_child)}


def test_edge_grant_create_invalidation(built):
    [statement] = _statements(built, "Deployer")
    assert statement["Action"] == "cloudfront:CreateInvalidation"
    assert "distribution/" in json.dumps(statement["Resource"])


def test_no_unacknowledged_findings(built):
    assert report_violations(built["outdir"] / "validation-report.json") == []
    assert built["error"] is None


def test_dashboards_and_grants_are_cfn_lint_clean(built):
    import subprocess
    import sys
    from pathlib import Path

    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    result = subprocess.run(
        [cfn_lint, "--format", "parseable", str(built["outdir"] / "Ops.template.json")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_grants_add_the_customer_key_when_there_is_one():
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3
    from aws_cdk.assertions import Template

    stack = cdk.Stack(cdk.App(), "Keys")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    streams = StreamProcessing(stack, "Clicks", processor=fn(), encryption_key=key)
    bucket = s3.Bucket(stack, "Uploads", encryption=s3.BucketEncryption.KMS, encryption_key=key)
    events = EventProcessing(stack, "Ingest", processor=idempotent_fn(), bucket=bucket, prefix="in/")
    producer = iam.Role(stack, "Producer", assumed_by=iam.AccountRootPrincipal())
    uploader = iam.Role(stack, "Uploader", assumed_by=iam.AccountRootPrincipal())
    streams.grant_put_records(producer)
    events.grant_put(uploader)
    resources = Template.from_stack(stack).to_json()["Resources"]
    key_arn = {"Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]}
    for role in (producer, uploader):
        policy = resources[stack.get_logical_id(role.node.find_child("DefaultPolicy").node.default_child)]
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert {"Action": "kms:GenerateDataKey", "Effect": "Allow", "Resource": key_arn} in statements
        assert len(statements) == 2


def test_http_api_metrics_match_alarms_and_grant_invoke_names_the_route():
    from aws_cdk.assertions import Template

    from cdk_serverless_patterns import ApiType

    stack = cdk.Stack(cdk.App(), "Http")
    api = ApiBackend(
        stack, "Api", routes={"GET /orders/{id}": fn()}, auth=ApiAuth.iam(), api_type=ApiType.HTTP, dashboard=True
    )
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    api.grant_invoke(caller, "GET /orders/{id}")
    for method, alarm_id in (
        ("metric_server_error_rate", "ServerErrorRateAlarm"),
        ("metric_client_error_rate", "ClientErrorRateAlarm"),
        ("metric_latency", "LatencyAlarm"),
    ):
        _same_metric(stack, _alarm(api, alarm_id), getattr(api, method)())
    resources = Template.from_stack(stack).to_json()["Resources"]
    policy = resources[stack.get_logical_id(caller.node.find_child("DefaultPolicy").node.default_child)]
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "execute-api:Invoke"
    assert "/prod/GET/orders/*" in json.dumps(statement["Resource"])
    assert api.dashboard is not None


def test_function_url_metric_matches_its_alarm_and_dashboard():
    from cdk_serverless_patterns import FunctionUrlEndpoint

    stack = cdk.Stack(cdk.App(), "Url")
    endpoint = FunctionUrlEndpoint(stack, "Hook", handler=fn(), dashboard=True)
    _same_metric(stack, _alarm(endpoint, "Url5xxAlarm"), endpoint.metric_url_5xx())
    assert endpoint.metric_url_5xx().metric_name == "Url5xxCount"
    body = json.dumps(stack.resolve(endpoint.dashboard.node.default_child.dashboard_body))
    assert "UrlRequestCount" in body and "Url4xxCount" in body
