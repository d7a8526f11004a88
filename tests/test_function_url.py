"""FunctionUrlEndpoint: IAM by default, a public URL only with a reason (acknowledged on
that URL only), CORS, the URL 5XX alarm; one test per validation rule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from cdk_serverless_patterns import (
    FunctionSpec,
    FunctionUrlAuth,
    FunctionUrlEndpoint,
    FunctionUrlOptions,
    enable_checks,
    set_default_alarm_topic,
)
from tests.support import HANDLER_DIR, TEST_ALARM_TOPIC_ARN, config_error, report_violations, synth_keeping_error

REASON = "Payment provider webhook: every request is verified against its HMAC signature header"


def spec(**changes) -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler").replace(**changes)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cdk-out-url")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    stack = cdk.Stack(app, "Urls")
    private = FunctionUrlEndpoint(stack, "Report", handler=spec(timeout=Duration.minutes(2)))
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    private.grant_invoke_url(caller)
    public = FunctionUrlEndpoint(
        stack,
        "Webhook",
        handler=spec(),
        url=FunctionUrlOptions(
            auth=FunctionUrlAuth.NONE, reason=REASON, cors_allow_origins=["https://app.example.com"], cors_allow_methods=["POST"]
        ),
    )
    error = synth_keeping_error(app)
    return private, public, Template.from_stack(stack), Path(outdir), error


def test_zero_unacknowledged_findings_and_cfn_lint(built):
    outdir, error = built[3], built[4]
    assert report_violations(outdir / "validation-report.json") == []
    assert error is None, str(error)
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    result = subprocess.run([cfn_lint, "--format", "parseable", str(outdir / "Urls.template.json")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_iam_is_the_default_and_the_url_is_on_the_live_alias(built):
    t = built[2]
    t.has_resource_properties("AWS::Lambda::Url", {"AuthType": "AWS_IAM", "Qualifier": "live", "InvokeMode": "BUFFERED"})
    t.has_resource_properties(
        "AWS::IAM::Policy",
        {"PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Action": "lambda:InvokeFunctionUrl"})])}},
    )


def test_public_url_has_cors_and_only_its_url_is_acknowledged(built):
    t = built[2]
    t.has_resource_properties(
        "AWS::Lambda::Url",
        {"AuthType": "NONE", "Cors": Match.object_like({"AllowOrigins": ["https://app.example.com"], "AllowMethods": ["POST"]})},
    )
    report = json.loads((built[3] / "validation-report.json").read_text())
    suppressed = [
        (v["ruleName"], c["constructPath"])
        for p in report["pluginReports"]
        for v in p.get("suppressedViolations", [])
        for c in v["violatingConstructs"]
        if v["ruleName"] == "SP-LAMBDA-PUBLIC-URL"
    ]
    assert [path for _, path in suppressed] == ["Urls/Webhook/Function/Alias/FunctionUrl/Resource"]


def test_url_5xx_alarm_and_function_alarms(built):
    private = built[0]
    assert len(private.alarms) == 5  # Url5xxCount + the function's errors, error rate, throttles, duration
    built[2].has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "Url5xxCount", "Statistic": "Sum", "Dimensions": Match.array_with([Match.object_like({"Name": "Resource"})])},
    )


def test_url_attribute_resolves_to_the_function_url(built):
    resolved = json.dumps(built[0].node.scope.resolve(built[0].url))
    assert "FunctionUrl" in resolved


# --- validation: one test per rule -----------------------------------------------------------
def _error(**options) -> str:
    options.setdefault("handler", spec())
    message = str(config_error(FunctionUrlEndpoint, "Hook", **options))
    assert "V/Hook" in message and "Fix:" in message, message
    return message


def test_public_url_needs_a_reason():
    message = _error(url=FunctionUrlOptions(auth=FunctionUrlAuth.NONE))
    assert "url.reason=''" in message and "why the URL is public" in message


def test_auth_must_be_a_function_url_auth():
    message = _error(url=FunctionUrlOptions(auth="NONE"))
    assert "url.auth='NONE'" in message


def test_cors_origin_must_be_an_origin():
    message = _error(url=FunctionUrlOptions(cors_allow_origins=["https://app.example.com/"]))
    assert "url.cors_allow_origins='https://app.example.com/'" in message


def test_cors_methods_must_be_http_methods():
    message = _error(url=FunctionUrlOptions(cors_allow_origins=["*"], cors_allow_methods=["FETCH"]))
    assert "url.cors_allow_methods='FETCH'" in message


def test_url_must_be_function_url_options():
    message = _error(url={"auth": "NONE"})
    assert "url='dict'" in message and "FunctionUrlOptions" in message


def test_handler_spec_is_validated():
    message = _error(handler=spec(timeout=Duration.minutes(16)))
    assert "handler.timeout" in message


def test_common_options_are_type_checked():
    message = _error(create_alarms="yes", alarm_topic="arn:aws:sns:eu-west-1:123456789012:alarms")
    assert "create_alarms='yes' is invalid" in message and "alarm_topic=" in message


def test_public_urls_invoke_permissions_carry_the_reason_for_the_compliance_packs(built):
    permissions = built[2].find_resources("AWS::Lambda::Permission", {"Properties": {"Principal": "*"}})
    assert len(permissions) == 2  # lambda:InvokeFunctionUrl and lambda:InvokeFunction, both for the URL
    for permission in permissions.values():
        suppressed = {r["id"]: r["reason"] for r in permission["Metadata"]["cdk_nag"]["rules_to_suppress"]}
        for pack in ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"):
            assert REASON in suppressed[f"{pack}-LambdaFunctionPublicAccessProhibited"]
