"""SP-CLOUDFRONT-TLS and SP-HTTPAPI-WAF on plain templates; EdgeSite's origin header and TLS warning."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from cdk_serverless_patterns import ApiAuth, ApiBackend, EdgeSite, FunctionSpec
from cdk_serverless_patterns.checks.graph import TemplateGraph
from cdk_serverless_patterns.checks.rules.front_doors import cloudfront_tls, http_api_without_waf
from tests.support import HANDLER_DIR


def _distribution(lid: str, **config: Any) -> dict[str, Any]:
    return {lid: {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": config}}}


@pytest.mark.parametrize(
    ("config", "flagged"),
    [
        ({}, True),  # no ViewerCertificate: the default certificate
        ({"ViewerCertificate": {"CloudFrontDefaultCertificate": True}}, True),
        ({"ViewerCertificate": {"AcmCertificateArn": "arn", "MinimumProtocolVersion": "TLSv1.1_2016"}}, True),
        ({"ViewerCertificate": {"AcmCertificateArn": "arn", "MinimumProtocolVersion": "TLSv1.2_2021"}}, False),
    ],
)
def test_cloudfront_tls_flags_what_lets_viewers_use_tls_below_1_2(config, flagged):
    graph = TemplateGraph({"Resources": _distribution("Cdn", **config)})
    assert [f.logical_id for f in cloudfront_tls(graph)] == (["Cdn"] if flagged else [])


def test_http_api_without_a_web_acl_in_front_is_a_finding_rest_and_fronted_ones_are_not():
    http = {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP"}}
    websocket = {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}}
    bare = TemplateGraph({"Resources": {"Http": http, "Ws": websocket}})
    assert [f.logical_id for f in http_api_without_waf(bare)] == ["Http"]
    origin = {"DomainName": {"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": ["Http", "ApiEndpoint"]}]}]}}
    fronted = {"Http": http, **_distribution("Cdn", WebACLId="arn:acl", Origins=[origin])}
    assert list(http_api_without_waf(TemplateGraph({"Resources": fronted}))) == []
    unprotected_front = {"Http": http, **_distribution("Cdn", Origins=[origin])}
    assert [f.logical_id for f in http_api_without_waf(TemplateGraph({"Resources": unprotected_front}))] == ["Http"]


def _api(stack: cdk.Stack, **options: Any) -> ApiBackend:
    return ApiBackend(
        stack,
        "Api",
        routes={"GET /api/hello": FunctionSpec(code=HANDLER_DIR, handler="app.handler")},
        auth=ApiAuth.none("Synthesized only: no users in this test"),
        removal_policy=cdk.RemovalPolicy.DESTROY,
        **options,
    )


@pytest.fixture(scope="module")
def site() -> Any:
    stack = cdk.Stack(cdk.App(), "Edge", env=cdk.Environment(region="us-east-1"))
    site = EdgeSite(stack, "Site", api=_api(stack), removal_policy=cdk.RemovalPolicy.DESTROY)
    return stack, site, Template.from_stack(stack)


def test_the_api_origin_gets_the_secret_header_and_its_web_acl_requires_it(site):
    stack, edge, template = site
    secret = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    assert edge.origin_verify_header == "x-origin-verify"
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {"DistributionConfig": {"Origins": Match.array_with([Match.object_like(
            {"OriginCustomHeaders": [{"HeaderName": "x-origin-verify", "HeaderValue": secret}]}
        )])}},
    )
    rule = {
        "Name": "RequireCloudFrontOriginHeader",
        "Action": {"Block": {}},
        "Statement": {"NotStatement": {"Statement": {"ByteMatchStatement": Match.object_like(
            {"FieldToMatch": {"SingleHeader": {"Name": "x-origin-verify"}}, "PositionalConstraint": "EXACTLY",
             "SearchString": secret}
        )}}},
    }
    template.has_resource_properties(
        "AWS::WAFv2::WebACL", {"Scope": "REGIONAL", "Rules": Match.array_with([Match.object_like(rule)])}
    )


def test_without_a_certificate_the_site_warns_that_viewers_may_use_tls_1_0(site):
    stack, _, _ = site
    warnings = Annotations.from_stack(stack).find_warning("/Edge/Site", Match.string_like_regexp("TLS 1.0 and 1.1"))
    assert len(warnings) == 1


def test_an_api_without_its_own_web_acl_warns_that_it_can_be_bypassed():
    stack = cdk.Stack(cdk.App(), "Bypass", env=cdk.Environment(region="us-east-1"))
    edge = EdgeSite(stack, "Site", api=_api(stack, waf=False), removal_policy=cdk.RemovalPolicy.DESTROY)
    assert edge.origin_verify_header is None
    warnings = Annotations.from_stack(stack).find_warning("/Bypass/Site", Match.string_like_regexp("bypass"))
    assert len(warnings) == 1


def test_a_site_without_a_certificate_fails_synthesis_until_its_tls_is_acknowledged(tmp_path):
    from cdk_serverless_patterns import enable_checks
    from tests.support import report_violations, synth_keeping_error

    app = cdk.App(outdir=str(tmp_path))
    enable_checks(app)
    EdgeSite(cdk.Stack(app, "Bare", env=cdk.Environment(region="us-east-1")), "Site", removal_policy=cdk.RemovalPolicy.DESTROY)
    error = synth_keeping_error(app)
    assert error is not None and "SP-CLOUDFRONT-TLS" in str(error)
    assert "ServerlessPatterns: SP-CLOUDFRONT-TLS at Bare/Site/Distribution/Resource" in report_violations(
        tmp_path / "validation-report.json"
    )
