"""ApiBackend(api_type=ApiType.HTTP): one app with every auth flavour, synthesized once
with all checks; then one test per HTTP-specific validation rule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from aws_cdk.assertions import Match, Template

from cdk_serverless_patterns import (
    ApiAuth,
    ApiBackend,
    ApiCache,
    ApiType,
    FunctionSpec,
    enable_checks,
    set_default_alarm_topic,
)
from tests.support import HANDLER_DIR, TEST_ALARM_TOPIC_ARN, config_error, report_violations, synth_keeping_error

HTTP = ApiType.HTTP


def spec(**changes) -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler").replace(**changes)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cdk-out-api-http")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    backends = {}

    stack = cdk.Stack(app, "HttpCognito")
    read = spec()
    backends["HttpCognito"] = ApiBackend(
        stack,
        "Api",
        api_type=HTTP,
        routes={
            "GET /items/{id}": read,
            "get /items": read,
            "POST /items": spec(timeout=Duration.seconds(30)),
            "ANY /admin/{proxy+}": spec(),
        },
        auth=ApiAuth.cognito(scopes=["items/read"]),
        table=True,
        cors_allow_origins=["https://app.example.com"],
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )

    stack = cdk.Stack(app, "HttpJwt")
    backends["HttpJwt"] = ApiBackend(
        stack,
        "Api",
        api_type=HTTP,
        routes={"GET /orders": spec()},
        auth=ApiAuth.jwt("https://example.eu.auth0.com/", ["orders-api"], scopes=["orders:read"]),
        stage_name="$default",
        throttling_rate_limit=50,
        throttling_burst_limit=100,
    )

    stack = cdk.Stack(app, "HttpLambda")
    backends["HttpLambda"] = ApiBackend(
        stack,
        "Api",
        api_type=HTTP,
        routes={"PUT /items/{id}": spec()},
        auth=ApiAuth.lambda_authorizer(spec(timeout=Duration.seconds(5)), identity_sources=["$request.header.X-Api-Token"]),
        create_alarms=False,
    )

    stack = cdk.Stack(app, "HttpIam")
    pool = cognito.UserPool.from_user_pool_id(stack, "Pool", "eu-west-1_abc123")
    backends["HttpIam"] = ApiBackend(stack, "Api", api_type=HTTP, routes={"DELETE /items/{id}": spec()}, auth=ApiAuth.iam())
    backends["HttpExistingPool"] = ApiBackend(
        stack, "PoolApi", api_type=HTTP, routes={"GET /me": spec()}, auth=ApiAuth.cognito(pool)
    )

    stack = cdk.Stack(app, "HttpPublic")
    backends["HttpPublic"] = ApiBackend(
        stack,
        "Api",
        api_type=HTTP,
        routes={"GET /catalogue": spec()},
        auth=ApiAuth.none("Public product catalogue: read-only, no personal data"),
    )

    error = synth_keeping_error(app)
    templates = {name: Template.from_stack(b.node.scope) for name, b in backends.items()}
    return backends, templates, Path(outdir), error


def test_zero_unacknowledged_findings(built):
    _, _, outdir, error = built
    # HTTP APIs cannot take a web ACL: each is reported (a warning, with its fix), nothing else
    violations = report_violations(outdir / "validation-report.json")
    assert violations and all(v.startswith("ServerlessPatterns: SP-HTTPAPI-WAF at ") for v in violations), violations
    assert error is None, str(error)


def test_cfn_lint_clean(built):
    templates = sorted(str(p) for p in built[2].glob("*.template.json"))
    assert len(templates) == 5
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    result = subprocess.run([cfn_lint, "--format", "parseable", *templates], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_http_api_and_no_rest_resources(built):
    t = built[1]["HttpCognito"]
    t.resource_count_is("AWS::ApiGatewayV2::Api", 1)
    t.resource_count_is("AWS::ApiGateway::RestApi", 0)
    t.resource_count_is("AWS::WAFv2::WebACLAssociation", 0)
    t.has_resource_properties(
        "AWS::ApiGatewayV2::Api",
        {
            "ProtocolType": "HTTP",
            "CorsConfiguration": {
                "AllowOrigins": ["https://app.example.com"],
                "AllowMethods": Match.array_with(["*"]),
                "MaxAge": 3600,
            },
        },
    )
    backend = built[0]["HttpCognito"]
    assert backend.api_type is ApiType.HTTP
    assert backend.request_validator is None and backend.web_acl is None and backend.usage_plan is None


def test_stage_throttles_and_logs_json(built):
    t = built[1]["HttpCognito"]
    stage = next(iter(t.find_resources("AWS::ApiGatewayV2::Stage").values()))["Properties"]
    assert stage["StageName"] == "prod" and stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"] == {
        "DetailedMetricsEnabled": True,
        "ThrottlingBurstLimit": 2000,
        "ThrottlingRateLimit": 1000,
    }
    log_format = json.loads(stage["AccessLogSettings"]["Format"])
    assert log_format["routeKey"] == "$context.routeKey" and log_format["status"] == "$context.status"
    built[1]["HttpJwt"].has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {"StageName": "$default", "DefaultRouteSettings": Match.object_like({"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100})},
    )


def test_routes_share_one_function_and_use_payload_2(built):
    backend = built[0]["HttpCognito"]
    assert backend.functions["GET /items"] is backend.functions["GET /items/{id}"]
    assert len(set(backend.functions.values())) == 3
    t = built[1]["HttpCognito"]
    t.resource_count_is("AWS::ApiGatewayV2::Route", 4)
    # one integration per function, one invoke permission per route
    t.resource_count_is("AWS::ApiGatewayV2::Integration", 3)
    t.all_resources_properties(
        "AWS::ApiGatewayV2::Integration", {"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"}
    )
    keys = {r["Properties"]["RouteKey"] for r in t.find_resources("AWS::ApiGatewayV2::Route").values()}
    assert keys == {"GET /items/{id}", "GET /items", "POST /items", "ANY /admin/{proxy+}"}
    # integrations point at the live alias
    for integration in t.find_resources("AWS::ApiGatewayV2::Integration").values():
        assert "Alias" in json.dumps(integration["Properties"]["IntegrationUri"])


def test_cognito_becomes_a_jwt_authorizer_with_scopes(built):
    t = built[1]["HttpCognito"]
    authorizer = next(iter(t.find_resources("AWS::ApiGatewayV2::Authorizer").values()))["Properties"]
    assert authorizer["AuthorizerType"] == "JWT"
    assert "cognito-idp." in json.dumps(authorizer["JwtConfiguration"]["Issuer"])
    t.all_resources_properties(
        "AWS::ApiGatewayV2::Route", {"AuthorizationType": "JWT", "AuthorizationScopes": ["items/read"]}
    )
    t.resource_count_is("AWS::Cognito::UserPool", 1)
    assert built[0]["HttpCognito"].user_pool_client is not None


def test_existing_pool_gets_an_app_client_for_the_audience(built):
    t = built[1]["HttpExistingPool"]
    t.resource_count_is("AWS::Cognito::UserPool", 0)
    t.has_resource_properties("AWS::Cognito::UserPoolClient", {"UserPoolId": "eu-west-1_abc123"})


def test_any_oidc_issuer(built):
    built[1]["HttpJwt"].has_resource_properties(
        "AWS::ApiGatewayV2::Authorizer",
        {
            "AuthorizerType": "JWT",
            "JwtConfiguration": {"Issuer": "https://example.eu.auth0.com/", "Audience": ["orders-api"]},
            "IdentitySource": ["$request.header.Authorization"],
        },
    )
    built[1]["HttpJwt"].has_resource_properties(
        "AWS::ApiGatewayV2::Route", {"AuthorizationType": "JWT", "AuthorizationScopes": ["orders:read"]}
    )


def test_lambda_authorizer_uses_simple_responses(built):
    t = built[1]["HttpLambda"]
    t.has_resource_properties(
        "AWS::ApiGatewayV2::Authorizer",
        {
            "AuthorizerType": "REQUEST",
            "AuthorizerPayloadFormatVersion": "2.0",
            "EnableSimpleResponses": True,
            "IdentitySource": ["$request.header.X-Api-Token"],
            "AuthorizerResultTtlInSeconds": 300,
        },
    )
    t.has_resource_properties("AWS::ApiGatewayV2::Route", {"AuthorizationType": "CUSTOM"})
    assert built[0]["HttpLambda"].authorizer_function is not None
    t.resource_count_is("AWS::CloudWatch::Alarm", 0)


def test_iam_and_explicit_none(built):
    built[1]["HttpIam"].has_resource_properties(
        "AWS::ApiGatewayV2::Route", {"RouteKey": "DELETE /items/{id}", "AuthorizationType": "AWS_IAM"}
    )
    built[1]["HttpPublic"].has_resource_properties("AWS::ApiGatewayV2::Route", {"AuthorizationType": "NONE"})


def test_public_api_acknowledges_apig4_with_the_reason(built):
    report = json.loads((built[2] / "validation-report.json").read_text())
    suppressed = [
        (v["ruleName"], c["constructPath"])
        for p in report["pluginReports"]
        for v in p.get("suppressedViolations", [])
        for c in v["violatingConstructs"]
        if c["constructPath"].startswith("HttpPublic/")
    ]
    assert ("AwsSolutions-APIG4", "HttpPublic/Api/Routes/GetCatalogue/Resource") in suppressed or any(
        "APIG4" in rule and path.startswith("HttpPublic/Api/Routes/") for rule, path in suppressed
    ), suppressed


def test_table_grants_follow_the_method(built):
    t = built[1]["HttpCognito"]
    policies = {
        lid: json.dumps(res["Properties"]["PolicyDocument"])
        for lid, res in t.find_resources("AWS::IAM::Policy").items()
    }
    read = [p for lid, p in policies.items() if lid.startswith("ApiGetItemsId")]
    write = [p for lid, p in policies.items() if lid.startswith("ApiPostItems")]
    assert read and "dynamodb:GetItem" in read[0] and "dynamodb:PutItem" not in read[0]
    assert write and "dynamodb:PutItem" in write[0]


def test_alarms_on_5xx_4xx_and_latency_of_the_stage(built):
    t = built[1]["HttpCognito"]
    for metric, statistic in (("5xx", "Average"), ("4xx", "Average"), ("Latency", None)):
        props = {"Namespace": "AWS/ApiGateway", "MetricName": metric}
        if statistic:
            props["Statistic"] = statistic
        else:
            props["ExtendedStatistic"] = "p95"
        t.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {**props, "Dimensions": Match.array_with([Match.object_like({"Name": "ApiId"}), Match.object_like({"Name": "Stage", "Value": "prod"})])},
        )


def test_function_timeout_30_s_allowed_and_url(built):
    backend = built[0]["HttpCognito"]
    assert backend.functions["POST /items"].timeout.to_seconds() == 30
    resolved = json.dumps(backend.node.scope.resolve(backend.url))
    assert ".execute-api." in resolved and resolved.endswith('"/prod"]]}')


# --- validation: one test per rule ----------------------------------------------------------
def _error(**options) -> str:
    options.setdefault("routes", {"GET /items": spec()})
    options.setdefault("api_type", HTTP)
    message = str(config_error(ApiBackend, "Api", **options))
    assert "V/Api" in message and "Fix:" in message, message
    return message


def test_http_function_timeout_above_30_s():
    message = _error(routes={"GET /slow": spec(timeout=Duration.seconds(31))})
    assert "routes['GET /slow'].timeout" in message and "30 s" in message and "HTTP API" in message


def test_rest_still_holds_29_s():
    message = _error(api_type=ApiType.REST, routes={"GET /slow": spec(timeout=Duration.seconds(30))})
    assert "29 s" in message and "REST" in message


@pytest.mark.parametrize(
    "option, value",
    [
        ("waf", True),
        ("request_schemas", {"POST /items": {"type": "object"}}),
        ("cache", ApiCache(routes=["GET /items"])),
        ("api_key_required", True),
        ("usage_plan_quota_per_day", 1000),
    ],
)
def test_rest_only_option_named(option, value):
    routes = {"GET /items": spec(), "POST /items": spec()}
    message = _error(routes=routes, **{option: value})
    assert f"{option}=" in message and "REST-only option" in message and "ApiType.REST" in message


def test_waf_arn_rejected_on_http():
    message = _error(waf="arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shared/0c1d2e3f")
    assert "waf=" in message and "CloudFront" in message


def test_api_type_must_be_an_api_type():
    message = _error(api_type="HTTP")
    assert "api_type='HTTP'" in message and "ApiType.HTTP" in message


def test_jwt_only_on_http():
    message = _error(api_type=ApiType.REST, auth=ApiAuth.jwt("https://issuer.example.com/", ["aud"]))
    assert "auth=" in message and "HTTP APIs only" in message


def test_jwt_issuer_must_be_https():
    message = _error(auth=ApiAuth.jwt("http://issuer.example.com/", ["aud"]))
    assert "auth.issuer='http://issuer.example.com/'" in message


def test_jwt_needs_an_audience():
    message = _error(auth=ApiAuth.jwt("https://issuer.example.com/", []))
    assert "auth.audience=[]" in message and "1-50" in message


def test_http_scopes_at_most_ten():
    message = _error(auth=ApiAuth.jwt("https://issuer.example.com/", ["a"], scopes=[f"s{i}" for i in range(11)]))
    assert "auth.scopes" in message and "at most 10" in message


def test_http_lambda_authorizer_answers_within_10_s():
    message = _error(auth=ApiAuth.lambda_authorizer(spec(timeout=Duration.seconds(11))))
    assert "auth.authorizer.timeout" in message and "10 s" in message


def test_http_identity_sources_use_request_syntax():
    message = _error(auth=ApiAuth.lambda_authorizer(spec(), identity_sources=["method.request.header.X"]))
    assert "auth.identity_sources='method.request.header.X'" in message and "$request.header" in message


def test_http_routes_at_most_300():
    shared = spec()
    message = _error(routes={f"GET /r{i}": shared for i in range(301)})
    assert "301 routes" in message and "300 routes per HTTP API" in message


def test_http_latency_slo_within_30_s():
    message = _error(latency_slo=Duration.seconds(31))
    assert "latency_slo" in message and "30 s" in message


def test_new_names_are_exported_three_ways():
    """_EXPORTS (runtime), __all__ and the TYPE_CHECKING block (type checkers) list each name."""
    import ast
    import importlib

    import cdk_serverless_patterns as package

    source = Path(package.__file__).read_text()
    tree = ast.parse(source)
    typed = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
        for stmt in node.body
        if isinstance(stmt, ast.ImportFrom)
        for alias in stmt.names
    }
    for name in ("ApiType", "WorkflowType", "FunctionUrlEndpoint", "FunctionUrlOptions", "FunctionUrlAuth"):
        assert name in package._EXPORTS and name in package.__all__ and name in typed, name
        assert getattr(importlib.import_module("cdk_serverless_patterns"), name).__name__ == name
