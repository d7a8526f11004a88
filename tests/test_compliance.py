"""Issue 17: compliance packs, the acknowledgement helper's template metadata,
alarms without actions, and the security defaults the packs asked for.

One small app per concern, synthesized once per module.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from cdk_serverless_patterns import (
    ApiBackend,
    ApiAuth,
    Cqrs,
    EdgeSite,
    EventProcessing,
    FunctionSpec,
    PatternConfigError,
    Saga,
    SagaStartApi,
    SagaStep,
    ServerlessFunction,
    enable_checks,
    set_default_alarm_topic,
)
from cdk_serverless_patterns.building_blocks.alarms import NO_ACTION_WARNING
from cdk_serverless_patterns.building_blocks.queues import FailureQueue
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic
from cdk_serverless_patterns.checks import COMPLIANCE_PACKS
from cdk_serverless_patterns.checks.acknowledge import acknowledgements_of
from tests.support import HANDLER_DIR, TEST_ALARM_TOPIC_ARN, config_error, report_violations, synth_keeping_error

SPEC = FunctionSpec(code=HANDLER_DIR, handler="app.handler")
#: A function nothing else bounds (the compliance packs' LambdaConcurrency wants a limit).
BOUNDED = SPEC.replace(reserved_concurrency=2)
#: For at-least-once consumers (SP-IDEMPOTENCY wants the declaration).
IDEMPOTENT = SPEC.replace(environment={"IDEMPOTENCY": "writes keyed by the event id"})


def _resource(stack: cdk.Stack, construct, template: Template | None = None) -> dict:
    """``construct``'s resource, from ``template`` (already synthesized) or a fresh synthesis."""
    resources = (template if template is not None else Template.from_stack(stack)).to_json()["Resources"]
    return resources[stack.get_logical_id(construct.node.default_child)]


# --- enable_checks(compliance=...) ----------------------------------------------------


def test_unknown_compliance_pack_is_rejected_with_the_valid_names():
    app = cdk.App()
    with pytest.raises(PatternConfigError) as info:
        enable_checks(app, compliance=("NIST.800.53.R5", "SOC2"))
    message = str(info.value)
    assert "compliance='SOC2'" in message
    for name in ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"):
        assert name in message
    assert "NIST.800.53.R5" not in message.split("compliance=")[0]  # only the bad name is reported


def test_compliance_packs_report_under_cdk_nag_names(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    enable_checks(app, compliance=tuple(COMPLIANCE_PACKS))
    stack = cdk.Stack(app, "Raw")
    # A raw log group without encryption: every compliance pack flags it.
    cdk.aws_logs.LogGroup(stack, "Logs", retention=cdk.aws_logs.RetentionDays.ONE_WEEK)
    synth_keeping_error(app)
    flagged = {line.split(":")[0] for line in report_violations(tmp_path / "validation-report.json")}
    assert flagged >= {"NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"}


def test_default_enable_checks_adds_no_compliance_pack(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    enable_checks(app)
    stack = cdk.Stack(app, "Raw")
    cdk.aws_logs.LogGroup(stack, "Logs", retention=cdk.aws_logs.RetentionDays.ONE_WEEK)
    synth_keeping_error(app)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert not {p["pluginName"] for p in report["pluginReports"]} & set(COMPLIANCE_PACKS)


# --- one app for the construct-level defaults ------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("compliance")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app, compliance=tuple(COMPLIANCE_PACKS))
    result = {"app": app, "outdir": Path(outdir)}

    stack = cdk.Stack(app, "Defaults")
    set_default_alarm_topic(stack, TEST_ALARM_TOPIC_ARN)
    result["stack"] = stack
    result["function"] = ServerlessFunction(stack, "Fn", BOUNDED)
    own = EncryptedTopic(stack, "Own", service_publishers=["cloudwatch.amazonaws.com"])
    result["own_topic"] = own
    result["with_own_topic"] = ServerlessFunction(stack, "FnOwnTopic", BOUNDED, alarm_topic=own.topic)
    result["api"] = ApiBackend(stack, "Api", routes={"GET /items": SPEC}, auth=ApiAuth.iam())
    result["failures"] = FailureQueue(stack, "Failures", purpose="tests of the failure queue")
    result["sandbox_failures"] = FailureQueue(
        stack, "SandboxFailures", purpose="tests of the failure queue", removal_policy=RemovalPolicy.DESTROY
    )
    result["events"] = EventProcessing(stack, "Ingest", processor=IDEMPOTENT, prefix="in/")
    result["cqrs"] = Cqrs(
        stack,
        "Orders",
        commands={"POST /orders": SPEC},
        projections={"summary": IDEMPOTENT},
        auth=ApiAuth.iam(),
    )

    silent = cdk.Stack(app, "Silent")
    result["silent"] = silent
    ServerlessFunction(silent, "Fn", SPEC)

    opt_out = cdk.Stack(app, "OptOut")
    set_default_alarm_topic(opt_out, TEST_ALARM_TOPIC_ARN)
    result["quiet_api"] = ApiBackend(opt_out, "QuietApi", routes={"GET /items": SPEC}, auth=ApiAuth.iam(), waf_logging=False)

    result["error"] = synth_keeping_error(app)
    result["template"] = Template.from_json(json.loads((Path(outdir) / "Defaults.template.json").read_text()))
    return result


def test_library_stack_has_no_unacknowledged_findings_in_any_pack(built):
    assert report_violations(built["outdir"] / "validation-report.json", ["Defaults"]) == []


# (1) alarm topic once ------------------------------------------------------------------


def test_default_alarm_topic_reaches_every_alarm_without_its_own(built):
    alarms = built["template"].find_resources("AWS::CloudWatch::Alarm")
    own_topic_id = built["stack"].get_logical_id(built["own_topic"].topic.node.default_child)
    for logical_id, alarm in alarms.items():
        actions = alarm["Properties"].get("AlarmActions")
        if logical_id.startswith("FnOwnTopic"):
            assert actions == [{"Ref": own_topic_id}], logical_id
        else:
            assert actions == [TEST_ALARM_TOPIC_ARN], logical_id
            assert alarm["Properties"]["OKActions"] == [TEST_ALARM_TOPIC_ARN]


def _warnings(outdir: Path, stack_name: str) -> list[tuple[str, str]]:
    """(construct path, message) of the CDK warnings recorded for ``stack_name``."""
    metadata = json.loads((outdir / f"{stack_name}.metadata.json").read_text())
    return [
        (path, str(entry["data"]))
        for path, entries in metadata.items()
        for entry in entries
        if entry.get("type") == "aws:cdk:warning"
    ]


def test_alarms_without_action_warn_once_per_stack_and_are_reported(built):
    warnings = [w for w in _warnings(built["outdir"], "Silent") if "have no action" in w[1]]
    assert len(warnings) == 1 and warnings[0][0] == "/Silent"
    assert "set_default_alarm_topic" in warnings[0][1] and NO_ACTION_WARNING in warnings[0][1]
    silent = [line for line in report_violations(built["outdir"] / "validation-report.json", ["Silent"])]
    assert sum("SP-ALARM-ACTION" in line for line in silent) == 4  # errors, error rate, throttles, duration
    assert not [w for w in _warnings(built["outdir"], "Defaults") if "have no action" in w[1]]


def test_default_alarm_topic_rejects_what_is_not_a_topic():
    stack = cdk.Stack(cdk.App(), "Bad")
    with pytest.raises(PatternConfigError) as info:
        set_default_alarm_topic(stack, "alarms")
    assert "topic='alarms'" in str(info.value) and "arn:aws:sns" in str(info.value)


# (2) WAF logging -------------------------------------------------------------------


def test_web_acl_is_logged_to_a_retained_aws_waf_logs_group(built):
    t = built["template"]
    api = built["api"]
    acl_id = built["stack"].get_logical_id(api.web_acl)
    group_id = built["stack"].get_logical_id(api.web_acl_log_group.node.default_child)
    configs = [
        c for c in t.find_resources("AWS::WAFv2::LoggingConfiguration").values()
        if c["Properties"]["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    ]
    assert len(configs) == 1
    (config,) = configs
    assert config["Properties"]["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert group_id in json.dumps(config["Properties"]["LogDestinationConfigs"])
    assert {"SingleHeader": {"Name": "authorization"}} in config["Properties"]["RedactedFields"]
    group = t.to_json()["Resources"][group_id]
    assert group["Properties"]["LogGroupName"].startswith("aws-waf-logs-")
    assert group["Properties"]["RetentionInDays"] == 30
    assert group["DeletionPolicy"] == "Retain"
    assert built["quiet_api"].web_acl_log_group is None
    opted_out = report_violations(built["outdir"] / "validation-report.json", ["OptOut"])
    assert "PCI.DSS.321: PCI.DSS.321-WAFv2LoggingEnabled at OptOut/QuietApi/WebAcl" in opted_out


# (3) X-Ray permissions in their own policy ------------------------------------------------


def test_xray_permissions_live_only_in_the_tracing_policy(built):
    fn = built["function"]
    stack = built["stack"]
    resources = built["template"].to_json()["Resources"]
    default = resources[stack.get_logical_id(fn.role.node.find_child("DefaultPolicy").node.default_child)]
    tracing = resources[stack.get_logical_id(fn.tracing_policy.node.default_child)]
    assert "xray" not in json.dumps(default)
    assert tracing["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Effect": "Allow", "Resource": "*"}
    ]
    function = resources[stack.get_logical_id(fn.function.node.default_child)]
    assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}


def test_a_later_wildcard_grant_is_not_covered_by_the_xray_acknowledgement(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    enable_checks(app)
    stack = cdk.Stack(app, "Wild")
    set_default_alarm_topic(stack, TEST_ALARM_TOPIC_ARN)
    fn = ServerlessFunction(stack, "Fn", SPEC)
    fn.role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    synth_keeping_error(app)
    violations = report_violations(tmp_path / "validation-report.json")
    assert violations == ["AwsSolutions: AwsSolutions-IAM5[Resource::*] at Wild/Fn/Role/DefaultPolicy/Resource"]


# (4) service principals with source conditions ------------------------------------------


def test_cloudwatch_may_publish_and_use_the_key_only_for_this_accounts_alarms(built):
    own = built["own_topic"]
    stack = built["stack"]
    resources = built["template"].to_json()["Resources"]
    key_statements = resources[stack.get_logical_id(own.key.node.default_child)]["Properties"]["KeyPolicy"]["Statement"]
    service = [s for s in key_statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(service) == 1  # no second GenerateDataKey* statement from grant_publish
    assert service[0]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    conditions = service[0]["Condition"]
    assert conditions["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":alarm:*" in json.dumps(conditions["ArnLike"]["aws:SourceArn"])
    policies = [
        r for r in resources.values()
        if r["Type"] == "AWS::SNS::TopicPolicy" and stack.get_logical_id(own.topic.node.default_child) in json.dumps(r)
    ]
    publish = [
        s
        for p in policies
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Action") == "sns:Publish" and s["Effect"] == "Allow"
    ]
    assert len(publish) == 1 and publish[0]["Condition"] == conditions


# (5) failure queues and the event archive are kept --------------------------------------


def test_failure_queues_follow_the_stateful_removal_policy(built):
    assert _resource(built["stack"], built["failures"].queue, built["template"])["DeletionPolicy"] == "Retain"
    assert _resource(built["stack"], built["sandbox_failures"].queue, built["template"])["DeletionPolicy"] == "Delete"
    function_dlq = built["events"].processor.dead_letter_queue
    assert _resource(built["stack"], function_dlq, built["template"])["DeletionPolicy"] == "Retain"
    assert _resource(built["stack"], built["events"].dead_letter_queue, built["template"])["DeletionPolicy"] == "Retain"


def test_cqrs_archive_is_retained(built):
    archive = built["template"].find_resources("AWS::Events::Archive")
    assert [a["DeletionPolicy"] for a in archive.values()] == ["Retain"]


def test_event_archives_accept_a_customer_managed_key():
    """What the Cqrs docstring now says (it used to say archives cannot use one)."""
    stack = cdk.Stack(cdk.App(), "Archive")
    bus = events.EventBus(stack, "Bus")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    events.Archive(stack, "Archive", source_event_bus=bus, event_pattern=events.EventPattern(source=["x"]), kms_key=key)
    Template.from_stack(stack).has_resource_properties(
        "AWS::Events::Archive", {"KmsKeyIdentifier": Match.any_value()}
    )


# (6) concurrency bounds ---------------------------------------------------------------


def test_rule_consumers_get_a_reserved_concurrency_unless_their_spec_sets_one(built):
    stack = built["stack"]
    processor = _resource(stack, built["events"].processor.function, built["template"])
    assert processor["Properties"]["ReservedConcurrentExecutions"] == 10
    projector = _resource(stack, built["cqrs"].projectors["summary"].function, built["template"])
    assert projector["Properties"]["ReservedConcurrentExecutions"] == 10
    api_function = _resource(stack, built["api"].functions["GET /items"].function, built["template"])
    # API functions reserve min(ceil(rate x timeout), 200 / functions): the throttle bounds rate only
    assert 1 <= api_function["Properties"]["ReservedConcurrentExecutions"] <= 200


def test_rule_consumer_keeps_its_own_reserved_concurrency():
    stack = cdk.Stack(cdk.App(), "Own")
    ingest = EventProcessing(stack, "Ingest", processor=SPEC.replace(reserved_concurrency=3))
    assert _resource(stack, ingest.processor.function)["Properties"]["ReservedConcurrentExecutions"] == 3


# (7) acknowledgements in template metadata --------------------------------------------


def test_acknowledgements_are_written_for_cdk_nag_and_checkov_with_the_same_reason(built):
    resources = built["template"].to_json()["Resources"]
    fn = built["function"]
    metadata = resources[built["stack"].get_logical_id(fn.function.node.default_child)]["Metadata"]
    rules = {r["id"]: r["reason"] for r in metadata["cdk_nag"]["rules_to_suppress"]}
    assert {"Serverless-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ", "HIPAA.Security-LambdaDLQ"} <= set(rules)
    assert "PCI.DSS.321-LambdaDLQ" not in rules  # the PCI pack has no such rule
    assert "PCI.DSS.321-LambdaInsideVPC" in rules
    skips = {s["id"]: s["comment"] for s in metadata["checkov"]["skip"]}
    assert skips["CKV_AWS_116"] == rules["Serverless-LambdaDLQ"]
    assert skips["CKV_AWS_117"] == rules["NIST.800.53.R5-LambdaInsideVPC"]


def test_finding_level_acknowledgement_keeps_its_finding(built):
    fn = built["function"]
    nag, skips = acknowledgements_of(fn.tracing_policy.node.default_child)
    iam5 = [r for r in nag if r["id"] == "AwsSolutions-IAM5"]
    assert iam5 and iam5[0]["applies_to"] == ["Resource::*"]
    assert skips == []  # a policy-level checkov skip would also hide later grants


def test_queue_acknowledgements_reach_the_queue_resource(built):
    metadata = _resource(built["stack"], built["failures"].queue, built["template"])["Metadata"]
    assert {r["id"] for r in metadata["cdk_nag"]["rules_to_suppress"]} >= {"AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"}
    assert {s["id"] for s in metadata["checkov"]["skip"]} == {"CKV_AWS_27"}
    assert all(len(s["comment"]) > 40 for s in metadata["checkov"]["skip"])


def test_inline_policies_are_acknowledged_on_the_roles_the_library_owns(built):
    nag, _ = acknowledgements_of(built["function"].role.node.find_child("DefaultPolicy").node.default_child)
    assert "NIST.800.53.R5-IAMNoInlinePolicy" in {r["id"] for r in nag}


@pytest.mark.parametrize(
    ("construct", "options", "field"),
    [
        (ApiBackend, {"routes": {"GET /items": SPEC}, "waf_logging": "no"}, "waf_logging"),
        (EdgeSite, {"waf_logging": 0}, "waf_logging"),
        (Saga, {"steps": [SagaStep("a", action=SPEC)], "start_api": SagaStartApi(waf_logging="off")}, "start_api.waf_logging"),
    ],
    ids=["api", "edge", "saga"],
)
def test_waf_logging_must_be_a_bool(construct, options, field):
    error = config_error(construct, "X", env=cdk.Environment(account="111111111111", region="us-east-1"), **options)
    assert f"{field}={options.get('waf_logging', 'off')!r}" in str(error)
    assert "True (log the web ACL's requests, the default) or False" in str(error)
