"""EdgeSite: one synthesized app (three stacks) for behaviour, one test per validation rule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, assertions
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from constructs import Construct

from cdk_serverless_patterns.checks import acknowledge
from cdk_serverless_patterns import (
    set_default_alarm_topic,
    ApiBackend,
    EdgeSite,
    FunctionSpec,
    PatternConfigError,
    defaults,
    enable_checks,
)
from cdk_serverless_patterns.building_blocks.function import (
    EdgeFunction,
    Invocation,
    ServerlessFunction,
)
from tests.support import (
    TEST_ALARM_TOPIC_ARN,
    HANDLER_DIR,
    config_error,
    read_template,
    report_violations,
    synth_keeping_error,
)

US_EAST_1 = cdk.Environment(account="123456789012", region="us-east-1")
EU_WEST_1 = cdk.Environment(account="123456789012", region="eu-west-1")
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
WEB_ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/site/abcd"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
CFN_LINT = str(Path(sys.executable).with_name("cfn-lint"))


def edge_spec(**changes) -> FunctionSpec:
    base = FunctionSpec(
        code=HANDLER_DIR,
        handler="app.handler",
        memory_size=128,
        timeout=Duration.seconds(5),
    )
    return base.replace(**changes)


@pytest.fixture(scope="module")
def js_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cff") / "headers.js"
    path.write_text("function handler(event) { return event.response; }\n")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory, js_file):
    outdir = tmp_path_factory.mktemp("edge-out")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    default_stack = cdk.Stack(app, "Default", env=US_EAST_1)
    default_site = EdgeSite(default_stack, "Site")

    full = cdk.Stack(app, "Full", env=US_EAST_1)
    backend = ApiBackend(full, "Backend", routes={"GET /api/hello": FunctionSpec(code=HANDLER_DIR, handler="app.handler")})
    full_site = EdgeSite(
        full,
        "Site",
        api=backend,
        edge_functions={
            "viewer-request": edge_spec(),
            "origin-response": edge_spec(memory_size=512, timeout=Duration.seconds(30)),
        },
        cloudfront_functions={"viewer-response": js_file},
        domain_name="www.example.com",
        certificate=acm.Certificate.from_certificate_arn(full, "Cert", CERT_ARN),
        web_acl_arn=WEB_ACL_ARN,
        geo_restriction=cloudfront.GeoRestriction.allowlist("DE", "FR"),
        price_class=cloudfront.PriceClass.PRICE_CLASS_ALL,
        error_responses=[cloudfront.ErrorResponse(http_status=404, response_http_status=404, response_page_path="/404.html")],
    )

    existing = cdk.Stack(app, "Existing", env=US_EAST_1)
    existing_site = EdgeSite(existing, "Site", bucket=s3.Bucket.from_bucket_name(existing, "Content", "my-site-content"))

    remote = cdk.Stack(app, "Remote", env=EU_WEST_1)
    remote_site = EdgeSite(remote, "Site", edge_functions={"viewer-request": edge_spec()})
    # Without a domain the owner must acknowledge SP-CLOUDFRONT-TLS (tests/test_front_doors.py shows the finding).
    for site in (default_site, existing_site, remote_site):
        acknowledge(site.distribution, "ServerlessPatterns::SP-CLOUDFRONT-TLS", "Test site without a domain: synthesized only")
    error = synth_keeping_error(app)


    return {
        "outdir": outdir,
        "error": error,
        "default": default_site,
        "full": full_site,
        "remote": remote_site,
        "existing": existing_site,
        "t_existing": read_template(outdir, "Existing"),
        "remote_stack": remote,
        "t_default": read_template(outdir, "Default"),
        "t_full": read_template(outdir, "Full"),
        "t_remote": read_template(outdir, "Remote"),
        "t_companion": read_template(outdir, "RemoteEdgeFunctions"),
    }


def _distribution(template: Template) -> dict:
    (dist,) = template.find_resources("AWS::CloudFront::Distribution").values()
    return dist["Properties"]["DistributionConfig"]


# --- behaviour -----------------------------------------------------------------


def test_default_site_has_no_unacknowledged_findings(built):
    assert report_violations(built["outdir"] / "validation-report.json", ["Default"]) == []


def test_full_site_has_no_unacknowledged_findings(built):
    assert report_violations(built["outdir"] / "validation-report.json", ["Full"]) == []


def test_existing_bucket_served_as_is_and_no_findings(built):
    assert report_violations(built["outdir"] / "validation-report.json", ["Existing"]) == []
    template = built["t_existing"]
    template.resource_count_is("AWS::S3::Bucket", 1)  # the log bucket only
    assert built["existing"].origin_bucket is None
    assert built["existing"].bucket.bucket_name == "my-site-content"
    (origin,) = _distribution(template)["Origins"]
    assert "my-site-content" in json.dumps(origin["DomainName"])


def test_outside_us_east_1_only_the_missing_waf_is_reported(built):
    violations = report_violations(built["outdir"] / "validation-report.json", ["Remote", "RemoteEdgeFunctions"])
    assert violations == ["AwsSolutions: AwsSolutions-CFR2 at Remote/Site/Distribution/Resource"]


def test_every_template_is_cfn_lint_clean(built):
    names = ["Default", "Full", "Existing", "Remote", "RemoteEdgeFunctions"]
    templates = [str(built["outdir"] / f"{name}.template.json") for name in names]
    result = subprocess.run([CFN_LINT, "--format", "parseable", *templates], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_https_http2_and_3_logging_price_class_root_object(built):
    config = _distribution(built["t_default"])
    assert config["HttpVersion"] == "http2and3"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_OPTIMIZED
    assert config["DefaultCacheBehavior"]["AllowedMethods"] == ["GET", "HEAD"]
    assert config["PriceClass"] == "PriceClass_100"
    assert config["DefaultRootObject"] == "index.html"
    assert config["Logging"]["Prefix"] == "cloudfront/"
    assert config["Logging"]["Bucket"]["Fn::GetAtt"][1] == "RegionalDomainName"
    assert "Restrictions" not in config


def test_private_bucket_through_origin_access_control_not_oai(built):
    template = built["t_default"]
    config = _distribution(template)
    (origin,) = config["Origins"]
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert "OriginAccessControlId" in origin
    template.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    template.resource_count_is("AWS::CloudFront::CloudFrontOriginAccessIdentity", 0)
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject"})]
                )
            }
        },
    )
    for bucket in template.find_resources("AWS::S3::Bucket").values():
        assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert bucket["DeletionPolicy"] == "Retain"


def test_log_bucket_keeps_acls_for_cloudfront_but_grants_s3_logging_by_policy(built):
    template = built["t_default"]
    site = built["default"]
    log_id = site.node.find_child("AccessLogs").node.default_child
    props = template.to_json()["Resources"][cdk.Stack.of(site).get_logical_id(log_id)]["Properties"]
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    assert "AccessControl" not in props
    assert props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == defaults.ACCESS_LOG_EXPIRATION.to_days()
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"})]
                )
            }
        },
    )


def test_security_headers_policy(built):
    built["t_default"].has_resource_properties(
        "AWS::CloudFront::ResponseHeadersPolicy",
        {
            "ResponseHeadersPolicyConfig": {
                "SecurityHeadersConfig": {
                    "StrictTransportSecurity": {
                        "AccessControlMaxAgeSec": 63072000,
                        "IncludeSubdomains": True,
                        "Override": True,
                    },
                    "ContentTypeOptions": {"Override": True},
                    "FrameOptions": {"FrameOption": "DENY", "Override": True},
                    "ReferrerPolicy": {"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": True},
                    "XSSProtection": {"Protection": True, "ModeBlock": True, "Override": True},
                }
            }
        },
    )


def test_default_web_acl_in_us_east_1(built):
    template = built["t_default"]
    template.has_resource_properties("AWS::WAFv2::WebACL", {"Scope": "CLOUDFRONT", "DefaultAction": {"Allow": {}}})
    (acl,) = template.find_resources("AWS::WAFv2::WebACL").values()
    names = [rule["Name"] for rule in acl["Properties"]["Rules"]]
    assert "AWSManagedRulesCommonRuleSet" in names and "RateLimitPerIp" in names
    assert _distribution(template)["WebACLId"]["Fn::GetAtt"][1] == "Arn"


def test_5xx_alarm_on_global_distribution_metric(built):
    built["t_default"].has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/CloudFront",
            "MetricName": "5xxErrorRate",
            "Threshold": 5,
            "Dimensions": Match.array_with([{"Name": "Region", "Value": "Global"}]),
        },
    )
    assert len(built["default"].alarms) == 1


def test_custom_domain_certificate_tls_1_2_2021_sni(built):
    config = _distribution(built["t_full"])
    assert config["Aliases"] == ["www.example.com"]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERT_ARN,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }


def test_options_geo_restriction_price_class_errors_existing_web_acl(built):
    config = _distribution(built["t_full"])
    assert config["Restrictions"]["GeoRestriction"] == {"RestrictionType": "whitelist", "Locations": ["DE", "FR"]}
    assert config["PriceClass"] == "PriceClass_All"
    assert config["WebACLId"] == WEB_ACL_ARN
    assert config["CustomErrorResponses"][0]["ResponsePagePath"] == "/404.html"
    built["t_full"].resource_count_is("AWS::WAFv2::WebACL", 1)  # the ApiBackend's regional one only
    assert built["full"].web_acl is None


def test_api_behavior_uncached_forwarding_all_but_host(built):
    config = _distribution(built["t_full"])
    (api_behavior,) = config["CacheBehaviors"]
    assert api_behavior["PathPattern"] == "/api/*"
    assert api_behavior["CachePolicyId"] == CACHING_DISABLED
    assert api_behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert api_behavior["ViewerProtocolPolicy"] == "https-only"
    assert set(api_behavior["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    api_origin = next(o for o in config["Origins"] if o["Id"] == api_behavior["TargetOriginId"])
    assert api_origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert api_origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    assert api_origin["OriginPath"]  # the stage, e.g. /prod


def test_edge_functions_associated_by_published_version(built):
    config = _distribution(built["t_full"])
    associations = {a["EventType"]: a["LambdaFunctionARN"] for a in config["DefaultCacheBehavior"]["LambdaFunctionAssociations"]}
    assert set(associations) == {"viewer-request", "origin-response"}
    versions = built["t_full"].find_resources("AWS::Lambda::Version")
    for arn in associations.values():
        assert arn["Ref"] in versions
    (cff,) = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert cff["EventType"] == "viewer-response"
    built["t_full"].has_resource_properties(
        "AWS::CloudFront::Function", {"FunctionConfig": Match.object_like({"Runtime": "cloudfront-js-2.0"})}
    )


def test_edge_function_is_x86_without_environment_or_tracing_and_trusts_edgelambda(built):
    site = built["full"]
    template = built["t_full"].to_json()["Resources"]
    fn = site.edge_functions["viewer-request"]
    props = template[cdk.Stack.of(site).get_logical_id(fn.function.node.default_child)]["Properties"]
    assert props["Architectures"] == ["x86_64"]
    assert props["MemorySize"] == 128 and props["Timeout"] == 5
    assert "Environment" not in props and "TracingConfig" not in props
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    role = template[cdk.Stack.of(site).get_logical_id(fn.role.node.default_child)]["Properties"]
    principals = [s["Principal"]["Service"] for s in role["AssumeRolePolicyDocument"]["Statement"]]
    assert set(principals) == {"lambda.amazonaws.com", "edgelambda.amazonaws.com"}
    assert "ManagedPolicyArns" not in role
    assert isinstance(fn, EdgeFunction) and not hasattr(fn, "alias") and not hasattr(fn, "alarms")


def test_cloudfront_function_error_alarm(built):
    built["t_full"].has_resource_properties(
        "AWS::CloudWatch::Alarm", {"Namespace": "AWS/CloudFront", "MetricName": "FunctionExecutionErrors"}
    )


def test_outside_us_east_1_functions_go_to_a_companion_stack(built):
    companion = built["t_companion"]
    companion.resource_count_is("AWS::Lambda::Function", 1)
    companion.resource_count_is("AWS::IAM::Role", 1)
    companion.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})
    companion.has_resource_properties("AWS::SSM::Parameter", {"Name": Match.string_like_regexp("^/cdk/EdgeFunctionArn/eu-west-1/")})
    remote = built["t_remote"]
    remote.resource_count_is("Custom::CrossRegionStringParameterReader", 1)
    association = _distribution(remote)["DefaultCacheBehavior"]["LambdaFunctionAssociations"][0]
    assert association["LambdaFunctionARN"]["Fn::GetAtt"][1] == "FunctionArn"


def test_outside_us_east_1_no_waf_or_alarms_and_a_warning_says_why(built):
    remote = built["t_remote"]
    remote.resource_count_is("AWS::WAFv2::WebACL", 0)
    remote.resource_count_is("AWS::CloudWatch::Alarm", 0)
    assert built["remote"].alarms == []
    warnings = cdk.assertions.Annotations.from_stack(built["remote_stack"]).find_warning(
        "/Remote/Site", Match.string_like_regexp("this stack is in eu-west-1")
    )
    assert len(warnings) == 2


# --- validation: one test per rule ------------------------------------------------


def test_comments_fit_cloudfronts_128_characters_under_a_long_path(js_file):
    # CloudFront rejects comments over 128 characters at deploy time; CDK trims only
    # the distribution's, so the function's and the headers policy's must be cut too.
    stack = cdk.Stack(cdk.App(), "S", env=US_EAST_1)
    parent = stack
    for index in range(6):
        parent = Construct(parent, f"AVeryLongConstructIdForNesting{index}")
    EdgeSite(parent, "Site", cloudfront_functions={"viewer-response": js_file}, create_alarms=False)
    template = Template.from_stack(stack)
    comments = [
        *(f["Properties"]["FunctionConfig"]["Comment"] for f in template.find_resources("AWS::CloudFront::Function").values()),
        *(
            p["Properties"]["ResponseHeadersPolicyConfig"]["Comment"]
            for p in template.find_resources("AWS::CloudFront::ResponseHeadersPolicy").values()
        ),
    ]
    assert len(comments) == 2
    for comment in comments:
        assert len(comment) <= 128, comment
        assert comment.endswith("..."), comment


def _error(env: cdk.Environment | None = US_EAST_1, **options) -> str:
    message = str(config_error(EdgeSite, "Site", env=env, **options))
    assert "V/Site" in message and "Fix:" in message, message
    return message


def test_unknown_edge_event_type():
    message = _error(edge_functions={"viewer_request": edge_spec()})
    assert "edge_functions='viewer_request'" in message
    assert "viewer-request, viewer-response, origin-request, origin-response" in message


def test_edge_spec_with_environment_variables():
    message = _error(edge_functions={"viewer-request": edge_spec(environment={"STAGE": "prod"})})
    assert "edge_functions['viewer-request'].environment=['STAGE']" in message
    assert "no environment variables" in message


def test_viewer_event_memory_above_128_mb():
    message = _error(edge_functions={"viewer-response": edge_spec(memory_size=256)})
    assert "edge_functions['viewer-response'].memory_size=256" in message
    assert "at most 128 MB" in message


def test_viewer_event_timeout_above_5_s():
    message = _error(edge_functions={"viewer-request": edge_spec(timeout=Duration.seconds(6))})
    assert "edge_functions['viewer-request'].timeout='6 s'" in message
    assert "at most 5 s" in message


def test_origin_event_timeout_above_30_s():
    message = _error(edge_functions={"origin-request": edge_spec(memory_size=1024, timeout=Duration.seconds(31))})
    assert "edge_functions['origin-request'].timeout='31 s'" in message
    assert "at most 30 s" in message


def test_origin_event_allows_lambda_memory_range():
    stack = cdk.Stack(cdk.App(), "V", env=US_EAST_1)
    EdgeSite(stack, "Site", edge_functions={"origin-request": edge_spec(memory_size=10240, timeout=Duration.seconds(30))})


def test_arm64_edge_function():
    message = _error(edge_functions={"viewer-request": edge_spec(architecture=lambda_.Architecture.ARM_64)})
    assert "edge_functions['viewer-request'].architecture='arm64'" in message
    assert "X86_64 or unset" in message
    assert "leave architecture out" in message


@pytest.mark.parametrize("architecture", [None, lambda_.Architecture.X86_64])
def test_edge_function_architecture_unset_or_x86_64_gives_x86_64(architecture):
    """Unset means "the pattern chooses": x86_64 for Lambda@Edge (issue 15 item 9)."""
    stack = cdk.Stack(cdk.App(), "V", env=US_EAST_1)
    EdgeSite(stack, "Site", edge_functions={"viewer-request": edge_spec(architecture=architecture)})
    functions = assertions.Template.from_stack(stack).find_resources("AWS::Lambda::Function")
    edge = [p["Properties"] for p in functions.values() if p["Properties"].get("Handler") == "app.handler"]
    assert [f["Architectures"] for f in edge] == [["x86_64"]]


def test_edge_function_with_layers():
    stack = cdk.Stack(cdk.App(), "L", env=US_EAST_1)
    layer = lambda_.LayerVersion.from_layer_version_arn(stack, "Layer", "arn:aws:lambda:us-east-1:123456789012:layer:x:1")
    message = _error(edge_functions={"viewer-request": edge_spec(layers=[layer])})
    assert "edge_functions['viewer-request'].layers='1 layer(s)'" in message


def test_edge_function_with_provisioned_concurrency():
    message = _error(edge_functions={"viewer-request": edge_spec(provisioned_concurrency=1, reserved_concurrency=5)})
    assert "edge_functions['viewer-request'].provisioned_concurrency=1" in message


def test_edge_function_with_reserved_concurrency():
    message = _error(edge_functions={"viewer-request": edge_spec(reserved_concurrency=5)})
    assert "edge_functions['viewer-request'].reserved_concurrency=5" in message


def test_edge_function_with_snap_start():
    message = _error(edge_functions={"origin-request": edge_spec(snap_start=True)})
    assert "edge_functions['origin-request'].snap_start=True" in message


def test_edge_function_runtime_not_node_or_python():
    message = _error(edge_functions={"origin-request": edge_spec(runtime=lambda_.Runtime.JAVA_21)})
    assert "edge_functions['origin-request'].runtime='java21'" in message


def test_edge_functions_need_a_concrete_region():
    message = _error(env=None, edge_functions={"viewer-request": edge_spec()})
    assert "a stack with a concrete Region" in message


def test_cloudfront_function_on_origin_event(js_file):
    message = _error(cloudfront_functions={"origin-request": js_file})
    assert "cloudfront_functions='origin-request'" in message
    assert "do not run on origin events" in message


def test_cloudfront_function_and_lambda_edge_on_same_event(js_file):
    message = _error(edge_functions={"viewer-request": edge_spec()}, cloudfront_functions={"viewer-request": js_file})
    assert "not both" in message


def test_cloudfront_function_file_missing(tmp_path):
    message = _error(cloudfront_functions={"viewer-request": tmp_path / "missing.js"})
    assert "an existing JavaScript file" in message


def test_cloudfront_function_above_10_kb(tmp_path):
    big = tmp_path / "big.js"
    big.write_text("// x\n" * 3000)
    message = _error(cloudfront_functions={"viewer-request": big})
    assert "at most 10240 bytes" in message


def test_domain_without_certificate():
    message = _error(domain_name="www.example.com")
    assert "certificate=None" in message and "whenever domain_name is set" in message


def test_certificate_without_domain():
    stack = cdk.Stack(cdk.App(), "C", env=US_EAST_1)
    cert = acm.Certificate.from_certificate_arn(stack, "Cert", CERT_ARN)
    message = _error(certificate=cert)
    assert "domain_name=None" in message and "whenever certificate is set" in message


def test_invalid_domain_name():
    stack = cdk.Stack(cdk.App(), "C", env=US_EAST_1)
    cert = acm.Certificate.from_certificate_arn(stack, "Cert", CERT_ARN)
    message = _error(domain_name="https://www.example.com/", certificate=cert)
    assert "domain_name='https://www.example.com/'" in message


def test_certificate_arn_outside_us_east_1():
    stack = cdk.Stack(cdk.App(), "C", env=US_EAST_1)
    cert = acm.Certificate.from_certificate_arn(stack, "Cert", CERT_ARN.replace("us-east-1", "eu-west-1"))
    message = _error(domain_name="www.example.com", certificate=cert)
    assert "certificate='a certificate in eu-west-1'" in message


def test_certificate_created_in_a_stack_outside_us_east_1():
    stack = cdk.Stack(cdk.App(), "C", env=EU_WEST_1)
    cert = acm.Certificate(stack, "Cert", domain_name="www.example.com")
    message = _error(domain_name="www.example.com", certificate=cert)
    assert "certificate='a certificate in eu-west-1'" in message


def test_web_acl_not_cloudfront_scope_in_us_east_1():
    message = _error(web_acl_arn="arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/site/abcd")
    assert "web_acl_arn=" in message and "CLOUDFRONT-scope" in message


def test_default_root_object_with_leading_slash():
    message = _error(default_root_object="/index.html")
    assert "default_root_object='/index.html'" in message


def test_api_that_is_not_an_api_backend():
    message = _error(api=s3.Bucket)
    assert "an ApiBackend" in message


def test_lambda_edge_function_invoked_asynchronously():
    stack = cdk.Stack(cdk.App(), "V", env=US_EAST_1)
    with pytest.raises(PatternConfigError) as info, pytest.deprecated_call():
        ServerlessFunction(stack, "Fn", edge_spec(), lambda_edge=True, invocation=Invocation.ASYNC)
    assert "invocation='ASYNC'" in str(info.value)
    assert stack.node.try_find_child("Fn") is None


def test_all_problems_reported_at_once():
    message = _error(
        edge_functions={"viewer-request": edge_spec(memory_size=512, environment={"A1": "b"})},
        domain_name="www.example.com",
    )
    assert message.count("Fix:") == 3


def test_lambda_edge_function_needs_a_concrete_region():
    stack = cdk.Stack(cdk.App(), "V")
    with pytest.raises(PatternConfigError) as info:
        EdgeFunction(stack, "Fn", edge_spec())
    assert "stack region=" in str(info.value) and "a concrete Region" in str(info.value)
    assert stack.node.try_find_child("Fn") is None
