"""One test per ApiBackend / ApiAuth / route validation rule.

Each asserts PatternConfigError, the field and value in the message, and that
nothing was created (validation runs before any child construct exists).
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import Duration

from cdk_serverless_patterns import (
    ApiAuth,
    ApiBackend,
    ApiCache,
    FunctionSpec,
    PatternConfigError,
)
from cdk_serverless_patterns.errors import Problems
from cdk_serverless_patterns.patterns.api.routes import (
    Route,
    RouteError,
    parse_route,
    routes_by_value,
    validate_routes,
)
from tests.support import HANDLER_DIR, config_error

SPEC = FunctionSpec(code=HANDLER_DIR, handler="app.handler")


def _error(**options) -> str:
    options.setdefault("routes", {"GET /items": SPEC})
    message = str(config_error(ApiBackend, "Api", **options))
    assert "V/Api" in message and "Fix:" in message, message
    return message


# --- route keys -----------------------------------------------------------


def test_parse_route_normalises_method_case_and_spaces():
    assert parse_route("  get   /orders/{id} ") == Route("GET", "/orders/{id}")
    assert parse_route("any /{proxy+}").key == "ANY /{proxy+}"
    assert parse_route("GET /").segments == ()
    assert parse_route("GET /a/{b}/c/{d+}").path_parameters == ("b", "d")


def test_read_only_methods():
    assert parse_route("GET /a").is_read_only and parse_route("HEAD /a").is_read_only
    assert not parse_route("POST /a").is_read_only and not parse_route("ANY /a").is_read_only


@pytest.mark.parametrize(
    "key, allowed",
    [
        ("FETCH /orders", "a method among GET, POST"),
        ("GET orders", "a path starting with '/'"),
        ("GET /orders/", "without a trailing '/'"),
        ("GET /orders//x", "no empty path segments"),
        ("GET /{proxy+}/x", "only as the last segment"),
        ("GET /a/{id}/b/{id}", "each path parameter name once"),
        ("GET /orders?x=1", "path segments of [a-zA-Z0-9:._-$]"),
        ("GET", "'METHOD /path'"),
        ("GET /a /b", "'METHOD /path'"),
    ],
)
def test_parse_route_rejects(key, allowed):
    with pytest.raises(RouteError) as info:
        parse_route(key)
    assert allowed in str(info.value) and "Fix:" in str(info.value)


def test_parse_route_rejects_non_strings():
    with pytest.raises(RouteError):
        parse_route(42)  # type: ignore[arg-type]


def test_validate_routes_reports_collisions_with_taken_routes():
    problems = Problems("S/Cqrs")
    parsed = validate_routes(
        problems, {"POST /orders": 1, "GET /orders": 2}, field_name="queries", taken={Route("POST", "/orders"): "commands"}
    )
    assert list(parsed) == [Route("GET", "/orders")]
    assert "queries['POST /orders']" in problems.items[0] and "already in commands" in problems.items[0]


def test_validate_routes_may_allow_empty():
    problems = Problems("S")
    assert validate_routes(problems, {}, allow_empty=True) == {}
    assert problems.items == []


def test_routes_by_value_groups_by_identity():
    a, b = object(), object()
    groups = list(routes_by_value({Route("GET", "/x"): a, Route("POST", "/x"): b, Route("GET", "/y"): a}).values())
    assert groups == [(a, [Route("GET", "/x"), Route("GET", "/y")]), (b, [Route("POST", "/x")])]


# --- ApiBackend: routes ---------------------------------------------------


def test_empty_routes():
    assert "routes={} is invalid: allowed at least one route" in _error(routes={})


def test_routes_must_be_a_mapping():
    assert "a mapping of 'METHOD /path'" in _error(routes=[("GET /a", SPEC)])


def test_unknown_method():
    message = _error(routes={"FETCH /items": SPEC})
    assert "routes['FETCH /items']" in message and "a method among" in message


def test_path_without_leading_slash():
    assert "a path starting with '/'" in _error(routes={"GET items": SPEC})


def test_same_route_twice_after_normalising_case():
    message = _error(routes={"GET /items": SPEC, "get /items": SPEC})
    assert "routes['get /items']" in message and "each route once" in message


def test_sibling_parameters_with_different_names():
    message = _error(routes={"GET /items/{id}": SPEC, "DELETE /items/{itemId}": SPEC})
    assert "one parameter name per path level" in message and "'/items'" in message


def test_route_value_must_be_a_function_spec():
    assert "routes['GET /items']={} is invalid: allowed a FunctionSpec" in _error(routes={"GET /items": {}})


def test_function_timeout_above_api_gateway_limit():
    message = _error(routes={"GET /items": SPEC.replace(timeout=Duration.seconds(30))})
    assert "routes['GET /items'].timeout='30 s'" in message
    assert "at most 29 s (API Gateway REST integration timeout)" in message


def test_too_many_resources():
    routes = {f"GET /r{i}": SPEC for i in range(301)}
    assert "at most 300 path resources" in _error(routes=routes)


def test_environment_must_be_a_mapping():
    assert "environment=['A=b']" in _error(environment=["A=b"])


def test_environment_keys_are_checked_for_every_function():
    message = _error(environment={"AWS_REGION": "eu-west-1"})
    assert "routes['GET /items'].environment['AWS_REGION']" in message


# --- ApiBackend: auth -----------------------------------------------------


def test_authorizer_spec_passed_as_auth():
    message = _error(auth=SPEC)
    assert "auth='FunctionSpec'" in message and "ApiAuth.lambda_authorizer(spec)" in message


def test_auth_must_be_an_api_auth():
    assert "auth='cognito' is invalid" in _error(auth="cognito")


def test_authorizer_spec_passed_as_user_pool():
    message = _error(auth=ApiAuth.cognito(user_pool=SPEC))
    assert "auth.user_pool='FunctionSpec'" in message and "ApiAuth.lambda_authorizer(spec)" in message


def test_user_pool_must_be_an_iuserpool():
    assert "auth.user_pool='eu-west-1_abc'" in _error(auth=ApiAuth.cognito(user_pool="eu-west-1_abc"))


def test_pool_settings_need_a_created_pool():
    stack = cdk.Stack(cdk.App(), "P")
    from aws_cdk import aws_cognito as cognito

    pool = cognito.UserPool.from_user_pool_id(stack, "Pool", "eu-west-1_abc")
    with pytest.raises(PatternConfigError) as info:
        ApiBackend(stack, "Api", routes={"GET /a": SPEC}, auth=ApiAuth.cognito(pool, mfa_required=False))
    assert "auth.mfa_required/feature_plan" in str(info.value)


def test_scopes_without_spaces():
    assert "auth.scopes='orders read'" in _error(auth=ApiAuth.cognito(scopes=["orders read"]))


def test_public_api_needs_a_reason():
    message = _error(auth=ApiAuth.none("public"))
    assert "auth.reason='public'" in message and "at least 20 characters" in message


def test_lambda_authorizer_spec_is_validated():
    message = _error(auth=ApiAuth.lambda_authorizer(SPEC.replace(timeout=Duration.seconds(40))))
    assert "auth.authorizer.timeout='40 s'" in message and "at most 29 s" in message


def test_lambda_authorizer_needs_a_function_spec():
    assert "auth.authorizer='fn' is invalid: allowed a FunctionSpec" in _error(auth=ApiAuth.lambda_authorizer("fn"))


def test_lambda_authorizer_identity_sources():
    message = _error(auth=ApiAuth.lambda_authorizer(SPEC, identity_sources=["X-Token"]))
    assert "auth.identity_sources='X-Token'" in message and "method.request.header.<name>" in message


def test_lambda_authorizer_cache_ttl_range():
    message = _error(auth=ApiAuth.lambda_authorizer(SPEC, results_cache_ttl=Duration.hours(2)))
    assert "auth.results_cache_ttl='7200 s'" in message and "0-3600 s" in message


# --- ApiBackend: table and stage --------------------------------------------


def test_table_must_be_true_or_an_itable():
    message = _error(table="orders")
    assert "table='orders'" in message and "an existing ITable" in message


@pytest.mark.parametrize("rate", [0, -5])
def test_throttling_rate_must_be_positive(rate):
    assert f"throttling_rate_limit={rate}" in _error(throttling_rate_limit=rate)


@pytest.mark.parametrize("burst", [-1, 2.5, True, float("inf")])
def test_throttling_burst_must_be_a_non_negative_integer(burst):
    assert f"throttling_burst_limit={burst}" in _error(throttling_burst_limit=burst)


def test_stage_name_characters():
    message = _error(stage_name="my stage")
    assert "stage_name='my stage' is invalid: allowed 1-128 letters, digits, '-' or '_'" in message


def test_stage_name_may_hold_hyphens():
    # API Gateway allows alphanumerics, '-' and '_'; another rule makes construction fail cheaply.
    assert "stage_name" not in _error(stage_name="prod-eu_1", throttling_rate_limit=0)


def test_latency_slo_above_integration_timeout():
    message = _error(latency_slo=Duration.seconds(30))
    assert "latency_slo='30000 ms'" in message and "at most 29 s" in message


def test_latency_slo_must_be_a_duration():
    assert "latency_slo=500 is invalid: allowed an aws_cdk.Duration" in _error(latency_slo=500)


@pytest.mark.parametrize("name", ["server_error_rate", "client_error_rate"])
def test_error_rates_are_fractions(name):
    assert f"{name}=5" in _error(**{name: 5})
    assert f"{name}=0 is invalid: allowed a fraction of requests in (0, 1] (0 would alarm" in _error(**{name: 0})
    assert f"{name}=True is invalid" in _error(**{name: True})


# --- ApiBackend: CORS, schemas, cache, keys, WAF -----------------------------


def test_cors_origin_format():
    message = _error(cors_allow_origins=["https://app.example.com/"])
    assert "cors_allow_origins='https://app.example.com/'" in message


def test_cors_needs_an_origin():
    assert "cors_allow_origins=[] is invalid: allowed at least one origin" in _error(cors_allow_origins=[])


def test_cors_forbids_own_options_routes():
    message = _error(routes={"GET /a": SPEC, "OPTIONS /a": SPEC}, cors_allow_origins=["*"])
    assert "routes['OPTIONS /a']" in message and "preflight OPTIONS methods are generated" in message


def test_request_schema_for_unknown_route():
    assert "request_schemas['POST /nope']" in _error(request_schemas={"POST /nope": {"type": "object"}})


def test_request_schema_on_get_route():
    message = _error(request_schemas={"GET /items": {"type": "object"}})
    assert "a route whose method carries a body" in message


def test_request_schema_needs_a_type():
    message = _error(routes={"POST /items": SPEC}, request_schemas={"POST /items": {"properties": {}}})
    assert "schema without 'type'" in message


def test_request_schemas_must_be_a_mapping():
    assert "request_schemas=[{'type': 'object'}]" in _error(request_schemas=[{"type": "object"}])


def test_cache_routes_must_be_get_routes_of_the_api():
    message = _error(routes={"POST /items": SPEC, "GET /items": SPEC}, cache=ApiCache(routes=["POST /items"]))
    assert "cache.routes='POST /items'" in message and "GET route keys present in routes" in message


def test_cache_needs_routes():
    assert "cache.routes=[] is invalid" in _error(cache=ApiCache(routes=[]))


def test_cache_ttl_range():
    assert "cache.ttl='7200 s'" in _error(cache=ApiCache(routes=["GET /items"], ttl=Duration.hours(2)))


def test_cache_size():
    message = _error(cache=ApiCache(routes=["GET /items"], size_gb="1"))
    assert "cache.size_gb='1'" in message and "0.5, 1.6" in message


def test_cache_must_be_an_api_cache():
    assert "cache={'routes': ['GET /items']}" in _error(cache={"routes": ["GET /items"]})


def test_usage_plan_quota_positive():
    assert "usage_plan_quota_per_day=0" in _error(api_key_required=True, usage_plan_quota_per_day=0)


def test_waf_arn_must_be_regional():
    arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/abc"
    assert f"waf={arn!r}" in _error(waf=arn)


def test_waf_type():
    assert "waf=1 is invalid" in _error(waf=1)


@pytest.mark.parametrize("limit", [9, 2_000_000_001])
def test_waf_rate_limit_range(limit):
    assert f"waf_rate_limit={limit}" in _error(waf_rate_limit=limit)


def test_all_problems_reported_at_once():
    message = _error(routes={"FETCH /a": SPEC, "GET b": SPEC}, throttling_rate_limit=0, table="x")
    assert message.count("  - ") == 4


def test_shared_spec_is_reported_once():
    slow = SPEC.replace(timeout=Duration.seconds(60))
    message = _error(routes={"GET /a": slow, "POST /a": slow})
    assert message.count("  - ") == 1 and "routes['GET /a'].timeout" in message
