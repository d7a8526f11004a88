"""Past 500 resources: ApiBackend counts what it will add before adding it, names the
ways out, and per_function_alarms=False is one of them."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Template

from cdk_serverless_patterns import (
    ApiAuth,
    ApiBackend,
    ApiType,
    FunctionSpec,
    PatternConfigError,
    enable_checks,
    set_default_alarm_topic,
)
from cdk_serverless_patterns.patterns.api.scale import resources_in
from tests.support import HANDLER_DIR, TEST_ALARM_TOPIC_ARN, report_violations, synth_keeping_error


def spec(**changes) -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler").replace(**changes)


def sixty_routes(functions: int) -> dict[str, FunctionSpec]:
    """60 routes over ``functions`` functions (routes i and i+functions share a spec)."""
    specs = [spec() for _ in range(functions)]
    return {f"{'GET' if i % 2 else 'POST'} /resource{i}/{{id}}": specs[i % functions] for i in range(60)}


def test_plan_counts_with_existing_pool_waf_arn_and_two_origins(monkeypatch):
    from aws_cdk import aws_cognito as cognito

    for api_type in (ApiType.REST, ApiType.HTTP):
        stack = cdk.Stack(cdk.App(), "Existing")
        pool = cognito.UserPool.from_user_pool_id(stack, "Pool", "eu-west-1_abc123")
        options = {"waf": "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shared/0c1d2e3f"} if api_type is ApiType.REST else {}
        _assert_counted(
            monkeypatch,
            stack,
            api_type=api_type,
            auth=ApiAuth.cognito(pool),
            cors_allow_origins=["https://a.example.com", "https://b.example.com"],
            **options,
        )


def _assert_counted(monkeypatch, stack, **options):
    import cdk_serverless_patterns.patterns.api.backend as backend_module

    counted: list[int] = []
    original = backend_module.check_stack_capacity

    def spy(path, scope, plan):
        counted.append(resources_in(stack) + plan.count() + 2)  # + the runtime layer and the X-Ray policy
        return original(path, scope, plan)

    monkeypatch.setattr(backend_module, "check_stack_capacity", spy)
    shared = spec()
    ApiBackend(stack, "Api", routes={"GET /items": shared, "GET /items/{id}": shared, "POST /items": spec()}, **options)
    assert counted == [resources_in(stack)]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"api_type": ApiType.HTTP},
        {"per_function_alarms": False, "table": True},
        {
            "auth": ApiAuth.lambda_authorizer(spec()),
            "cors_allow_origins": ["https://app.example.com"],
            "request_schemas": {"POST /items": {"type": "object"}},
            "api_key_required": True,
            "waf": False,
        },
        {"api_type": ApiType.HTTP, "auth": ApiAuth.lambda_authorizer(spec()), "table": True, "dashboard": True},
        {"api_type": ApiType.HTTP, "auth": ApiAuth.none("Public catalogue, read-only, no personal data"), "create_alarms": False},
        {"api_type": ApiType.HTTP, "auth": ApiAuth.jwt("https://issuer.example.com/", ["a"]), "per_function_alarms": False},
    ],
    ids=["rest", "http", "rest-aggregate-alarms", "rest-everything", "http-lambda", "http-public", "http-jwt-aggregate"],
)
def test_plan_counts_exactly_what_is_created(options, monkeypatch):
    import cdk_serverless_patterns.patterns.api.backend as backend_module

    counted: list[int] = []
    original = backend_module.check_stack_capacity

    def spy(path, scope, plan):
        # + the stack's runtime layer and X-Ray policy, created with the first function
        counted.append(plan.count() + 2)
        return original(path, scope, plan)

    monkeypatch.setattr(backend_module, "check_stack_capacity", spy)
    stack = cdk.Stack(cdk.App(), "Count")
    shared = spec()
    ApiBackend(stack, "Api", routes={"GET /items": shared, "GET /items/{id}": shared, "POST /items": spec()}, **options)
    assert counted == [resources_in(stack)]


def test_sixty_routes_over_500_resources_name_the_ways_out():
    stack = cdk.Stack(cdk.App(), "Big")
    with pytest.raises(PatternConfigError) as info:
        ApiBackend(stack, "Api", api_type=ApiType.HTTP, routes=sixty_routes(45))
    message = str(info.value)
    assert "Big/Api" in message and "at most 500 CloudFormation resources per stack" in message
    assert "60 routes, 45 functions" in message
    assert "same FunctionSpec object" in message and "per_function_alarms=False" in message
    assert "split the routes over several ApiBackends" in message
    assert stack.node.try_find_child("Api") is None


def test_capacity_counts_what_the_stack_already_has():
    stack = cdk.Stack(cdk.App(), "Crowded")
    ApiBackend(stack, "First", api_type=ApiType.HTTP, routes=sixty_routes(30), per_function_alarms=False)
    before = resources_in(stack)
    with pytest.raises(PatternConfigError, match=f"the stack has {before}"):
        ApiBackend(stack, "Second", api_type=ApiType.HTTP, routes=sixty_routes(30), per_function_alarms=False)


@pytest.fixture(scope="module")
def sixty(tmp_path_factory):
    """60 routes, 45 functions: too many with per-function alarms, fits with aggregate ones."""
    outdir = tmp_path_factory.mktemp("cdk-out-scale")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    stack = cdk.Stack(app, "Sixty")
    backend = ApiBackend(
        stack, "Api", api_type=ApiType.HTTP, routes=sixty_routes(45), per_function_alarms=False, table=True,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    error = synth_keeping_error(app)
    return backend, Template.from_stack(stack), outdir, error


def test_sixty_routes_synthesize_with_aggregate_alarms(sixty):
    backend, template, outdir, error = sixty
    assert error is None, str(error)
    # an HTTP API cannot take a web ACL: that warning is the only finding
    assert report_violations(outdir / "validation-report.json") == ["ServerlessPatterns: SP-HTTPAPI-WAF at Sixty/Api/Api/Resource"]
    resources = template.to_json()["Resources"]
    assert len(resources) <= 500
    template.resource_count_is("AWS::ApiGatewayV2::Route", 60)
    template.resource_count_is("AWS::Lambda::Function", 45)
    # 3 API alarms + errors and throttles per 10 functions (5 groups)
    template.resource_count_is("AWS::CloudWatch::Alarm", 3 + 2 * 5)
    assert len(backend.alarms) == 13


def test_aggregate_alarm_sums_at_most_ten_functions(sixty):
    alarms = sixty[1].find_resources("AWS::CloudWatch::Alarm")
    errors = [a for lid, a in alarms.items() if lid.startswith("ApiFunctionErrorsAlarm")]
    assert len(errors) == 5
    for alarm in errors:
        metrics = alarm["Properties"]["Metrics"]
        expression = [m for m in metrics if "Expression" in m]
        assert expression[0]["Expression"] == "SUM(METRICS())" and expression[0]["ReturnData"] is True
        inputs = [m for m in metrics if "MetricStat" in m]
        assert 1 <= len(inputs) <= 10
        assert {m["MetricStat"]["Metric"]["MetricName"] for m in inputs} == {"Errors"}
