"""ApiBackend behaviour: one app with every auth flavour, synthesized once with all checks."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk.assertions import Annotations, Match, Template

from cdk_serverless_patterns import (
    set_default_alarm_topic,
    ApiAuth,
    ApiBackend,
    ApiCache,
    FunctionSpec,
    enable_checks,
)
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic
from cdk_serverless_patterns.checks.acknowledge import acknowledge
from tests.support import HANDLER_DIR, TEST_ALARM_TOPIC_ARN, report_violations, synth_keeping_error

WAF_ARN = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shared/0c1d2e3f"


def spec(**changes) -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler").replace(**changes)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cdk-out-api")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    backends = {}

    stack = cdk.Stack(app, "Default")
    topic = EncryptedTopic(stack, "Alarms", service_publishers=["cloudwatch.amazonaws.com"]).topic
    read = spec()
    backends["Default"] = ApiBackend(
        stack,
        "Api",
        routes={
            "GET /items/{id}": read,
            "get /items": read,
            "POST /items": spec(timeout=Duration.seconds(29)),
            "ANY /admin/{proxy+}": spec(),
        },
        table=True,
        environment={"STAGE_LABEL": "test"},
        alarm_topic=topic,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )

    stack = cdk.Stack(app, "LambdaAuth")
    existing = dynamodb.Table.from_table_name(stack, "Existing", "existing-items")
    backends["LambdaAuth"] = ApiBackend(
        stack,
        "Api",
        routes={"GET /items/{id}": spec(), "PUT /items/{id}": spec()},
        auth=ApiAuth.lambda_authorizer(spec(), results_cache_ttl=Duration.minutes(1)),
        table=existing,
        cache=ApiCache(routes=["GET /items/{id}"], ttl=Duration.minutes(2), query_parameters=["view"]),
        api_key_required=True,
        usage_plan_quota_per_day=1000,
        cors_allow_origins=["https://a.example.com", "https://b.example.com"],
        waf=WAF_ARN,
        throttling_rate_limit=50,
        throttling_burst_limit=100,
        latency_slo=Duration.millis(300),
        create_alarms=False,
    )

    stack = cdk.Stack(app, "RequestAuth")
    backends["RequestAuth"] = ApiBackend(
        stack,
        "Api",
        routes={"GET /": spec()},
        auth=ApiAuth.lambda_authorizer(spec(), identity_sources=["method.request.header.X-Api-Token"]),
        cache=ApiCache(routes=["GET /"]),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )

    stack = cdk.Stack(app, "Iam")
    backends["Iam"] = ApiBackend(stack, "Api", routes={"POST /jobs": spec()}, auth=ApiAuth.iam(), waf=False)

    stack = cdk.Stack(app, "Public")
    backends["Public"] = ApiBackend(
        stack,
        "Api",
        routes={"GET /catalogue": spec()},
        auth=ApiAuth.none("Public product catalogue: read-only, no personal data"),
    )

    stack = cdk.Stack(app, "ExistingPool")
    pool = cognito.UserPool.from_user_pool_id(stack, "Pool", "eu-west-1_abcdefghi")
    backends["ExistingPool"] = ApiBackend(
        stack, "Api", routes={"GET /me": spec()}, auth=ApiAuth.cognito(pool, scopes=["orders/read"])
    )

    stack = cdk.Stack(app, "Tuned")
    backends["Tuned"] = ApiBackend(
        stack,
        "Api",
        routes={"GET /": spec()},
        auth=ApiAuth.cognito(mfa_required=False, feature_plan=cognito.FeaturePlan.ESSENTIALS),
        cache=ApiCache(routes=["GET /"]),
        dashboard=True,
        stage_name="v1",
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    # The owner of an opt-out acknowledges the finding it causes (COG8 is an error).
    acknowledge(
        backends["Tuned"].user_pool,
        "AwsSolutions::AwsSolutions-COG8",
        "Internal tool with few users; threat protection is not worth the Plus plan here.",
    )

    error = synth_keeping_error(app)
    templates = {name: Template.from_stack(b.node.scope) for name, b in backends.items()}
    return backends, templates, outdir / "validation-report.json", error


def test_default_and_variants_have_no_unacknowledged_findings(built):
    _, _, report, _ = built
    violations = report_violations(report)
    # Only explicit opt-outs of secure defaults are left for their owners to acknowledge.
    assert sorted(violations) == [
        "AwsSolutions: AwsSolutions-APIG3 at Iam/Api/Api/DeploymentStage.prod/Resource",
        "AwsSolutions: AwsSolutions-COG2 at Tuned/Api/UserPool/Resource",
    ], violations


def test_synth_succeeds(built):
    assert built[3] is None, str(built[3])


# --- routes and functions -----------------------------------------------------


def test_functions_are_keyed_by_normalised_route_and_shared_by_spec(built):
    backend = built[0]["Default"]
    assert list(backend.functions) == ["GET /items/{id}", "GET /items", "POST /items", "ANY /admin/{proxy+}"]
    assert backend.functions["GET /items/{id}"] is backend.functions["GET /items"]
    assert len(set(backend.functions.values())) == 3
    built[1]["Default"].resource_count_is("AWS::Lambda::Function", 3)


def test_integrations_target_the_live_alias(built):
    template = built[1]["Default"]
    methods = template.find_resources("AWS::ApiGateway::Method", {"Properties": {"Integration": {"Type": "AWS_PROXY"}}})
    assert len(methods) == 4
    for method in methods.values():
        uri = json.dumps(method["Properties"]["Integration"]["Uri"])
        assert "Alias" in uri, uri


def test_lambda_permissions_only_for_deployed_methods(built):
    template = built[1]["Default"]
    permissions = template.find_resources("AWS::Lambda::Permission")
    assert len(permissions) == 4  # one per method, no test-invoke permissions
    for permission in permissions.values():
        assert "test-invoke-stage" not in json.dumps(permission)


def test_proxy_and_path_parameters(built):
    built[1]["Default"].has_resource_properties("AWS::ApiGateway::Resource", {"PathPart": "{proxy+}"})
    built[1]["Default"].has_resource_properties(
        "AWS::ApiGateway::Method", {"HttpMethod": "ANY", "RequestParameters": {"method.request.path.proxy": True}}
    )


def test_every_function_gets_table_name_and_extra_environment(built):
    functions = built[1]["Default"].find_resources("AWS::Lambda::Function")
    for function in functions.values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["STAGE_LABEL"] == "test"
        assert "Ref" in variables["TABLE_NAME"]


def _actions(template: Template, role_fragment: str) -> set[str]:
    actions: set[str] = set()
    for logical_id, policy in template.find_resources("AWS::IAM::Policy").items():
        if role_fragment in logical_id:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                found = statement["Action"]
                actions.update([found] if isinstance(found, str) else found)
    return actions


def test_read_routes_get_read_only_grants(built):
    template = built[1]["Default"]
    read = _actions(template, "GetItemsId")
    write = _actions(template, "PostItems")
    proxy = _actions(template, "AnyAdmin")
    assert "dynamodb:GetItem" in read and "dynamodb:PutItem" not in read and "dynamodb:DeleteItem" not in read
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem"} <= write
    # never Scan, DeleteItem or BatchWriteItem unless a route declares them (TableAccess)
    assert not {"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"} & (read | write | proxy)
    assert "dynamodb:PutItem" in proxy  # ANY may write


def test_created_table_is_on_demand_with_pitr(built):
    backend = built[0]["Default"]
    assert backend.table is not None
    built[1]["Default"].has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
        },
    )


def test_existing_table_is_used_and_granted(built):
    backend = built[0]["LambdaAuth"]
    assert backend.table is not None
    template = built[1]["LambdaAuth"]
    template.resource_count_is("AWS::DynamoDB::Table", 0)
    assert "existing-items" in json.dumps(template.find_resources("AWS::IAM::Policy"))


# --- stage ----------------------------------------------------------------------


def test_stage_defaults(built):
    template = built[1]["Default"]
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "prod",
            "TracingEnabled": True,
            "MethodSettings": Match.array_with(
                [
                    Match.object_like(
                        {
                            "HttpMethod": "*",
                            "ResourcePath": "/*",
                            "ThrottlingRateLimit": 1000,
                            "ThrottlingBurstLimit": 2000,
                            "LoggingLevel": "ERROR",
                            "DataTraceEnabled": False,
                            "MetricsEnabled": True,
                        }
                    )
                ]
            ),
        },
    )
    stage = next(iter(template.find_resources("AWS::ApiGateway::Stage").values()))
    log_format = json.loads(stage["Properties"]["AccessLogSetting"]["Format"])
    assert log_format["requestId"] == "$context.requestId" and log_format["status"] == "$context.status"


def test_regional_endpoint_and_no_account_cloudwatch_role(built):
    template = built[1]["Default"]
    template.has_resource_properties("AWS::ApiGateway::RestApi", {"EndpointConfiguration": {"Types": ["REGIONAL"]}})
    template.resource_count_is("AWS::ApiGateway::Account", 0)


def test_request_validator_checks_body_and_parameters(built):
    template = built[1]["Default"]
    template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator", {"ValidateRequestBody": True, "ValidateRequestParameters": True}
    )
    for method in template.find_resources("AWS::ApiGateway::Method").values():
        assert "RequestValidatorId" in method["Properties"]


def test_custom_throttling(built):
    built[1]["LambdaAuth"].has_resource_properties(
        "AWS::ApiGateway::Stage",
        {"MethodSettings": Match.array_with([Match.object_like({"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100})])},
    )


def test_cache_is_encrypted_and_keyed_per_caller(built):
    template = built[1]["LambdaAuth"]
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "CacheClusterEnabled": True,
            "CacheClusterSize": "0.5",
            "MethodSettings": Match.array_with(
                [
                    Match.object_like(
                        {
                            "HttpMethod": "GET",
                            "ResourcePath": "/~1items~1{id}",
                            "CachingEnabled": True,
                            "CacheDataEncrypted": True,
                            "CacheTtlInSeconds": 120,
                        }
                    )
                ]
            ),
        },
    )
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "HttpMethod": "GET",
            "Integration": {
                "CacheKeyParameters": [
                    "method.request.path.id",
                    "method.request.querystring.view",
                    "method.request.header.Authorization",
                ]
            },
        },
    )


def test_api_key_and_usage_plan(built):
    backend = built[0]["LambdaAuth"]
    assert backend.usage_plan is not None and backend.api_key is not None
    template = built[1]["LambdaAuth"]
    template.has_resource_properties(
        "AWS::ApiGateway::UsagePlan",
        {"Quota": {"Limit": 1000, "Period": "DAY"}, "Throttle": {"RateLimit": 50, "BurstLimit": 100}},
    )
    template.resource_count_is("AWS::ApiGateway::UsagePlanKey", 1)
    template.has_resource_properties("AWS::ApiGateway::Method", {"HttpMethod": "PUT", "ApiKeyRequired": True})


def test_cors_preflight_and_handler_origins(built):
    template = built[1]["LambdaAuth"]
    template.has_resource_properties("AWS::ApiGateway::Method", {"HttpMethod": "OPTIONS", "AuthorizationType": "NONE"})
    origins = [
        function["Properties"].get("Environment", {}).get("Variables", {}).get("CORS_ALLOW_ORIGINS")
        for function in template.find_resources("AWS::Lambda::Function").values()
    ]
    # Both route functions get the list; the authorizer answers no browser directly.
    assert sorted(origins, key=str) == [None] + ["https://a.example.com,https://b.example.com"] * 2
    template.resource_count_is("AWS::ApiGateway::GatewayResponse", 0)  # several origins: no static header


# --- auth -----------------------------------------------------------------------


def test_default_auth_creates_a_strict_user_pool(built):
    backend = built[0]["Default"]
    assert backend.user_pool is not None and backend.user_pool_client is not None
    template = built[1]["Default"]
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "MfaConfiguration": "ON",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
            "UserPoolTier": "PLUS",
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "Policies": {
                "PasswordPolicy": Match.object_like(
                    {
                        "MinimumLength": 12,
                        "RequireLowercase": True,
                        "RequireUppercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": True,
                    }
                )
            },
            "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"},
        },
    )
    template.has_resource_properties("AWS::ApiGateway::Authorizer", {"Type": "COGNITO_USER_POOLS"})
    for method in template.find_resources("AWS::ApiGateway::Method").values():
        assert method["Properties"]["AuthorizationType"] == "COGNITO_USER_POOLS"


def test_existing_pool_with_scopes(built):
    backend = built[0]["ExistingPool"]
    assert backend.user_pool is not None and backend.user_pool_client is None
    template = built[1]["ExistingPool"]
    template.resource_count_is("AWS::Cognito::UserPool", 0)
    template.has_resource_properties(
        "AWS::ApiGateway::Method", {"AuthorizationType": "COGNITO_USER_POOLS", "AuthorizationScopes": ["orders/read"]}
    )


def test_token_lambda_authorizer_through_alias(built):
    backend = built[0]["LambdaAuth"]
    assert backend.authorizer_function is not None and backend.user_pool is None
    template = built[1]["LambdaAuth"]
    template.has_resource_properties(
        "AWS::ApiGateway::Authorizer",
        {
            "Type": "TOKEN",
            "IdentitySource": "method.request.header.Authorization",
            "AuthorizerResultTtlInSeconds": 60,
        },
    )
    authorizer = next(iter(template.find_resources("AWS::ApiGateway::Authorizer").values()))
    assert "AuthorizerFunctionAlias" in json.dumps(authorizer["Properties"]["AuthorizerUri"])
    template.has_resource_properties("AWS::ApiGateway::Method", {"HttpMethod": "PUT", "AuthorizationType": "CUSTOM"})


def test_request_lambda_authorizer(built):
    built[1]["RequestAuth"].has_resource_properties(
        "AWS::ApiGateway::Authorizer",
        {"Type": "REQUEST", "IdentitySource": "method.request.header.X-Api-Token", "AuthorizerResultTtlInSeconds": 300},
    )


def test_iam_and_public_auth(built):
    built[1]["Iam"].has_resource_properties("AWS::ApiGateway::Method", {"AuthorizationType": "AWS_IAM"})
    built[1]["Public"].has_resource_properties("AWS::ApiGateway::Method", {"AuthorizationType": "NONE"})
    built[1]["Iam"].resource_count_is("AWS::ApiGateway::Authorizer", 0)
    assert built[0]["Iam"].user_pool is None


# --- WAF ------------------------------------------------------------------------


def test_default_web_acl_with_managed_rules_and_rate_limit(built):
    backend = built[0]["Default"]
    assert backend.web_acl is not None
    template = built[1]["Default"]
    acl = next(iter(template.find_resources("AWS::WAFv2::WebACL").values()))["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    names = [rule["Name"] for rule in acl["Rules"]]
    assert names == [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
        "RateLimitPerIp",
    ]
    assert acl["Rules"][-1]["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": 300,
        "Limit": 2000,
    }
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)


def test_existing_web_acl_is_associated(built):
    template = built[1]["LambdaAuth"]
    template.resource_count_is("AWS::WAFv2::WebACL", 0)
    template.has_resource_properties("AWS::WAFv2::WebACLAssociation", {"WebACLArn": WAF_ARN})


def test_waf_can_be_turned_off(built):
    assert built[0]["Iam"].web_acl is None
    built[1]["Iam"].resource_count_is("AWS::WAFv2::WebACLAssociation", 0)


# --- alarms ---------------------------------------------------------------------


def test_alarms(built):
    backend = built[0]["Default"]
    # 3 functions x (errors in quiet periods, error rate, throttles, duration) + 5XX rate, 4XX rate, latency.
    assert len(backend.alarms) == 15
    template = built[1]["Default"]
    template.resource_count_is("AWS::CloudWatch::Alarm", 15)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "5XXError", "Statistic": "Average", "Threshold": 0.01, "AlarmActions": Match.any_value()},
    )
    template.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "4XXError", "Threshold": 0.1})
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "Latency", "ExtendedStatistic": "p95", "Threshold": 1000}
    )


def test_api_names_are_unique_and_the_alarms_watch_their_own_api(built):
    # API Gateway metrics are keyed by ApiName: two APIs named alike (CDK's default
    # is the construct id, "Api") would share one set of metrics and alarms.
    names = {}
    for key, template in built[1].items():
        (api,) = template.find_resources("AWS::ApiGateway::RestApi").values()
        names[key] = api["Properties"]["Name"]
    assert len(set(names.values())) == len(names), names
    assert names["RequestAuth"].startswith("RequestAuth-Api-"), names
    alarms = built[1]["RequestAuth"].find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"Namespace": "AWS/ApiGateway"}}
    )
    assert len(alarms) == 3
    for alarm in alarms.values():
        assert {"Name": "ApiName", "Value": names["RequestAuth"]} in alarm["Properties"]["Dimensions"]


def _deployment_ids(template: Template) -> set[str]:
    return set(template.find_resources("AWS::ApiGateway::Deployment"))


def test_a_changed_request_schema_is_deployed():
    # A stage serves the API as of its last deployment: a schema change must make
    # a new Deployment, or the stage keeps validating against the old schema.
    def deployments(schema):
        stack = cdk.Stack(cdk.App(), "S")
        ApiBackend(
            stack,
            "Api",
            routes={"POST /items": spec()},
            request_schemas={"POST /items": schema},
            create_alarms=False,
        )
        return _deployment_ids(Template.from_stack(stack))

    before = deployments({"type": "object", "required": ["sku"]})
    assert before == deployments({"type": "object", "required": ["sku"]})
    assert before != deployments({"type": "object", "required": ["sku", "quantity"]})


def test_alarms_off_keeps_none(built):
    assert built[0]["LambdaAuth"].alarms == []
    built[1]["LambdaAuth"].resource_count_is("AWS::CloudWatch::Alarm", 0)


def test_authorizer_function_alarms_are_included(built):
    backend = built[0]["RequestAuth"]
    assert len(backend.alarms) == 4 + 4 + 3  # route function, authorizer function, API


def test_url_is_a_string(built):
    assert isinstance(built[0]["Default"].url, str)


def test_opt_outs_of_secure_defaults_warn(built):
    warnings = Annotations.from_stack(built[0]["Tuned"].node.scope)
    warnings.has_warning("/Tuned/Api", Match.string_like_regexp("mfa_required=False"))
    warnings.has_warning("/Tuned/Api", Match.string_like_regexp("no threat protection"))
    Annotations.from_stack(built[0]["Iam"].node.scope).has_warning("/Iam/Api", Match.string_like_regexp("no WAF"))
    built[1]["Tuned"].has_resource_properties("AWS::Cognito::UserPool", {"MfaConfiguration": "OPTIONAL"})


def test_root_route_cache_stage_name_and_dashboard(built):
    backend = built[0]["Tuned"]
    assert backend.dashboard is not None and backend.stage_name == "v1"
    template = built[1]["Tuned"]
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "v1",
            "MethodSettings": Match.array_with(
                [Match.object_like({"HttpMethod": "GET", "ResourcePath": "/", "CachingEnabled": True})]
            ),
        },
    )


def test_execute_api_domain_name_for_cloudfront(built):
    stack = built[0]["Default"].node.scope
    resolved = json.dumps(stack.resolve(built[0]["Default"].execute_api_domain_name))
    assert "ApiF70053CD" in resolved or "Ref" in resolved
    assert ".execute-api." in resolved and "AWS::URLSuffix" in resolved


def test_every_variant_is_cfn_lint_clean(built):
    import subprocess
    import sys
    from pathlib import Path

    templates = sorted(str(p) for p in built[2].parent.glob("*.template.json"))
    assert len(templates) == 7
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    result = subprocess.run([cfn_lint, "--format", "parseable", *templates], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cache_key_uses_request_authorizer_identity_sources(built):
    built[1]["RequestAuth"].has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "HttpMethod": "GET",
            "RequestParameters": {"method.request.header.X-Api-Token": True},
            "Integration": {"CacheKeyParameters": ["method.request.header.X-Api-Token"]},
        },
    )


def test_public_cache_has_no_identity_key():
    from cdk_serverless_patterns.patterns.api.auth import ApiAuth as Auth

    assert Auth.none("Public catalogue with no personal data").identity_cache_keys == ()
    assert Auth.iam().identity_cache_keys == ("method.request.header.Authorization",)


@pytest.mark.parametrize(
    "named_for_routes, routes, expected",
    [
        (None, ["POST /orders", "GET /orders", "GET /orders/{id}"], "PostOrders"),  # what 0.1.0 apps have
        (True, ["POST /orders", "GET /orders", "GET /orders/{id}"], "OrdersRoutes"),
        (True, ["GET /", "POST /"], "RootRoutes"),
        (True, ["GET /orders", "GET /customers"], "ApiRoutes"),
    ],
)
def test_a_shared_function_is_named_for_what_it_serves_only_in_apps_that_opt_in(named_for_routes, routes, expected):
    from cdk_serverless_patterns.patterns.api.backend import SHARED_FUNCTION_IDS_CONTEXT

    context = {SHARED_FUNCTION_IDS_CONTEXT: named_for_routes} if named_for_routes else {}
    stack = cdk.Stack(cdk.App(context=context), "Ids")
    shared, alone = spec(), spec()
    api = ApiBackend(stack, "Api", routes={**{r: shared for r in routes}, "DELETE /orders/{id}": alone}, auth=ApiAuth.iam())
    assert {api.functions[r].node.id for r in routes} == {expected}
    assert api.functions["DELETE /orders/{id}"].node.id == "DeleteOrdersId"  # a one-route function keeps its route's id
