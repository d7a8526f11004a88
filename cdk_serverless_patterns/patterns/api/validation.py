"""Every rule of ``ApiBackend``, checked before anything is created (internal).

Rules are collected into one :class:`~cdk_serverless_patterns.errors.Problems`
and raised as one ``PatternConfigError``; route keys are checked by
:mod:`.api_routes`, function specs by ``validate_spec``, auth by
:func:`.api_auth.validate_auth`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping, Optional, Sequence

from aws_cdk import Duration

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.function import FunctionSpec, validate_spec
from cdk_serverless_patterns.building_blocks.function.compute import TenantIdSource, TenantIsolation
from cdk_serverless_patterns.building_blocks.concurrency import check_not_zero
from cdk_serverless_patterns.building_blocks.table_access import validate_table_access
from cdk_serverless_patterns.building_blocks.option_types import STRING_LIST
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.building_blocks.waf import validate_waf_logging
from cdk_serverless_patterns.errors import Problems, is_token, or_default
from cdk_serverless_patterns.runtime import env

from .api_type import ApiType
from .auth import implements, validate_auth
from .routes import Route, RouteError, parse_route, routes_by_value, validate_routes
from .options import OPTION_TYPES, ApiCache, ApiSettings

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE", "ANY"})
#: "Stage names can only contain alphanumeric characters, hyphens, and underscores.
#: Maximum length is 128 characters." https://docs.aws.amazon.com/apigateway/latest/api/API_Stage.html
_STAGE_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_ORIGIN_RE = re.compile(r"^https?://[a-zA-Z0-9.\-*]+(:\d{1,5})?$")
_WEB_ACL_ARN_RE = re.compile(r"^arn:aws[a-z\-]*:wafv2:[a-z0-9\-]+:\d{12}:regional/webacl/.+$")


def validate_api(
    path: str,
    *,
    api_type: Any = ApiType.REST,
    routes: Any,
    auth: Any,
    table: Any,
    environment: Any,
    options: ApiSettings,
    cors_allow_origins: Optional[Sequence[str]],
    request_schemas: Any,
    cache: Any,
    usage_plan_quota_per_day: Any,
    waf: Any,
    api_key_required: Any = False,
    pattern_options: Optional[PatternOptions] = None,
    typed_options: Optional[Mapping[str, Any]] = None,
    waf_logging: Any = True,
    table_access: Any = None,
) -> dict[Route, FunctionSpec]:
    """Every rule of ApiBackend, collected into one PatternConfigError.

    ``typed_options`` (ApiBackend's own) and the ``pattern_options`` are checked only
    for their type (:data:`~.options.OPTION_TYPES`).
    """
    problems = Problems(path)
    if not isinstance(api_type, ApiType):
        problems.add(
            "api_type", api_type, "ApiType.REST or ApiType.HTTP", "pass api_type=ApiType.HTTP (import ApiType from cdk_serverless_patterns)"
        )
        problems.raise_if_any()
    (pattern_options or PatternOptions()).check_types(problems, OPTION_TYPES, **(typed_options or {}))
    if cors_allow_origins is not None and not (
        isinstance(cors_allow_origins, (list, tuple)) and all(isinstance(o, str) for o in cors_allow_origins)
    ):
        problems.add(
            "cors_allow_origins",
            cors_allow_origins,
            "a list of origins ('https://example.com'), or one origin as a string",
            "pass cors_allow_origins=['https://app.example.com']",
        )
        cors_allow_origins = None
    parsed = validate_routes(problems, routes)
    if environment is not None and not isinstance(environment, Mapping):
        problems.add("environment", environment, "a mapping of str to str", "pass {'NAME': 'value'}")
        environment = None
    # Placeholders for what the construct adds, so the 4 KB budget counts them.
    extra_env = {
        **({env.TABLE_NAME: "x" * 255} if table else {}),
        **({env.CORS_ALLOW_ORIGINS: ",".join(map(str, cors_allow_origins))} if cors_allow_origins else {}),
        **(environment or {}),
    }
    # Once per distinct spec: a shared (lambdalith) spec is reported under its first route.
    for spec, group in routes_by_value(parsed).values():
        validate_spec(
            problems,
            spec,
            field_prefix=f"routes[{group[0].key!r}]",
            max_timeout_s=api_type.integration_timeout_s,
            max_timeout_reason=api_type.timeout_reason,
            extra_environment=extra_env,
            passes_tenant_id=True,  # REST routes map it; _validate_tenant_routes refuses HTTP APIs
        )
        check_not_zero(problems, f"routes[{group[0].key!r}]", spec, "an API route function")
        _validate_tenant_routes(problems, spec, group, api_type)
    if api_type is ApiType.HTTP:
        problems.check(
            len(parsed) <= defaults.HTTP_API_MAX_ROUTES,
            "routes",
            f"{len(parsed)} routes",
            f"at most {defaults.HTTP_API_MAX_ROUTES} routes per HTTP API (API Gateway quota, adjustable)",
            "split the API, use a '{proxy+}' route, or raise the quota and this limit",
        )
        _reject_rest_only_options(
            problems,
            waf=waf,
            request_schemas=request_schemas,
            cache=cache,
            api_key_required=api_key_required,
            usage_plan_quota_per_day=usage_plan_quota_per_day,
        )
    else:
        resources = {"/".join(route.segments[: i + 1]) for route in parsed for i in range(len(route.segments))}
        problems.check(
            len(resources) <= defaults.API_MAX_RESOURCES,
            "routes",
            f"{len(resources)} resources",
            f"at most {defaults.API_MAX_RESOURCES} path resources per REST API (API Gateway quota)",
            "split the API, use a '{proxy+}' route, or raise the quota and this limit",
        )
    validate_auth(problems, auth, api_type=api_type)
    problems.check(
        table is None or isinstance(table, bool) or implements(table, "table_name", "grant_read_data"),
        "table",
        table,
        "True (create one), an existing ITable, or None",
        "pass table=True or dynamodb.Table.from_table_name(...)",
    )
    _validate_table_access(problems, table_access, table, parsed)
    _validate_stage(problems, options, api_type)
    _validate_cors(problems, cors_allow_origins, parsed)
    if api_type is ApiType.HTTP:
        problems.raise_if_any()
        return parsed
    _validate_schemas(problems, request_schemas, parsed)
    _validate_cache(problems, cache, parsed)
    if usage_plan_quota_per_day is not None:
        problems.check_int(
            "usage_plan_quota_per_day",
            usage_plan_quota_per_day,
            low=1,
            allowed="an integer > 0 (requests per API key per day)",
            fix="pass e.g. 10000, or None for no quota",
        )
    if isinstance(waf, str):
        problems.check(
            is_token(waf) or bool(_WEB_ACL_ARN_RE.match(waf)),
            "waf",
            waf,
            "True, False, or a REGIONAL WAFv2 web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/...)",
            "pass the ARN of a regional web ACL (CloudFront-scoped ACLs cannot attach to a stage)",
        )
    else:
        problems.check(waf is None or isinstance(waf, bool), "waf", waf, "True, False or a web ACL ARN", "pass waf=True")
    validate_waf_logging(problems, waf_logging)
    problems.raise_if_any()
    return parsed


def _validate_tenant_routes(problems: Problems, spec: Any, group: Sequence[Route], api_type: ApiType) -> None:
    """A tenant-isolated route function needs a REST API (an HTTP API cannot set the tenant id
    header Lambda reads) and, for a path-parameter tenant id, that parameter in every route."""
    tenant = getattr(spec, "tenant_isolation", None)
    if not isinstance(tenant, TenantIsolation):
        return  # none, or a wrong type validate_spec reports
    field_name = f"routes[{group[0].key!r}].tenant_isolation"
    problems.check(
        api_type is ApiType.REST,
        field_name,
        tenant,
        "only with api_type=ApiType.REST (API Gateway REST APIs map the tenant id into the X-Amz-Tenant-Id "
        "header of each invoke; HTTP APIs cannot set it)",
        "use api_type=ApiType.REST, or drop tenant_isolation",
    )
    if tenant.source is TenantIdSource.PATH:
        missing = [route.key for route in group if tenant.name not in route.path_parameters]
        problems.check(
            not missing,
            field_name,
            tenant,
            f"a path parameter every route of the function has ({{{tenant.name}}} is missing from "
            f"{', '.join(missing)})",
            f"add {{{tenant.name}}} to those paths, or read the tenant id from a header "
            "(TenantIsolation.header('X-Tenant-Id'))",
        )


#: What an HTTP API offers instead of each REST-only option (shown in errors).
_REST_ONLY_FIXES = {
    "waf": "HTTP APIs cannot be associated with a WAF web ACL: put a CloudFront distribution with a "
    "web ACL in front (origin: the ApiBackend's execute_api_domain_name) or use api_type=ApiType.REST; "
    "leave waf unset (or False) with ApiType.HTTP",
    "request_schemas": "HTTP APIs have no request validation: validate bodies in the handler "
    "(runtime.http.json_body and your schema), or use api_type=ApiType.REST",
    "cache": "HTTP APIs have no response cache: cache in a CloudFront distribution in front, or use "
    "api_type=ApiType.REST",
    "api_key_required": "HTTP APIs have no API keys or usage plans: use a JWT or Lambda authorizer "
    "(per-client throttling then lives in your authorizer), or use api_type=ApiType.REST",
    "usage_plan_quota_per_day": "HTTP APIs have no usage plans: use api_type=ApiType.REST for per-key quotas",
}


def _reject_rest_only_options(problems: Problems, **given: Any) -> None:
    """Each REST-only option set on an HTTP API is one problem, naming the option."""
    for name, value in given.items():
        unset = value is None or value is False or (name == "request_schemas" and not value)
        problems.check(
            unset,
            name,
            value,
            "unset with api_type=ApiType.HTTP (REST-only option)",
            _REST_ONLY_FIXES[name],
        )


def _validate_stage(problems: Problems, o: ApiSettings, api_type: ApiType = ApiType.REST) -> None:
    problems.check(
        isinstance(o.stage_name, str)
        and (bool(_STAGE_NAME_RE.match(o.stage_name)) or (api_type is ApiType.HTTP and o.stage_name == "$default")),
        "stage_name",
        o.stage_name,
        "1-128 letters, digits, '-' or '_' (API Gateway stage names; HTTP APIs also '$default')",
        "pass e.g. stage_name='prod'",
    )
    validate_throttling(problems, o.rate, o.burst, o.waf_rate_limit)
    if not isinstance(o.latency_slo, Duration):
        problems.add("latency_slo", o.latency_slo, "an aws_cdk.Duration", "pass Duration.millis(500)")
    else:
        slo = o.latency_slo.to_milliseconds()
        problems.check(
            0 < slo <= api_type.integration_timeout_s * 1000,
            "latency_slo",
            f"{slo:g} ms",
            f"more than 0 and at most {api_type.integration_timeout_s} s (the integration timeout)",
            "pass e.g. Duration.millis(500)",
        )
    for name, rate in (("server_error_rate", o.server_error_rate), ("client_error_rate", o.client_error_rate)):
        in_range = problems.check_int(
            name, rate, low=0, high=1, integer=False, allowed="a fraction of requests in (0, 1]", fix="pass e.g. 0.01 for 1%"
        )
        problems.check(
            not in_range or is_token(rate) or rate > 0,
            name,
            rate,
            "a fraction of requests in (0, 1] (0 would alarm on every request)",
            "pass e.g. 0.01 for 1%",
        )


def validate_throttling(
    problems: Problems,
    rate: Any,
    burst: Any,
    waf_rate_limit: Any,
    *,
    rate_field: str = "throttling_rate_limit",
    burst_field: str = "throttling_burst_limit",
    waf_field: str = "waf_rate_limit",
) -> None:
    """Stage throttling and WAF rate limit of a REST API front door (ApiBackend, Saga
    start API). A burst of 0 is an empty token bucket: API Gateway answers every
    request with 429, so both limits must be > 0."""
    rate_ok = problems.check_int(
        rate_field,
        rate,
        low=0,
        integer=False,
        allowed="a finite number of requests per second >= 0",
        fix=f"pass e.g. {defaults.API_THROTTLING_RATE_LIMIT}",
    )
    problems.check(
        not rate_ok or is_token(rate) or rate > 0,
        rate_field,
        rate,
        "a number of requests per second > 0 (0 answers every request with 429)",
        f"pass e.g. {defaults.API_THROTTLING_RATE_LIMIT}",
    )
    problems.check_int(
        burst_field,
        burst,
        low=0,
        allowed="an integer number of requests >= 0 (API Gateway accepts 0: the rate limit alone applies)",
        fix=f"pass e.g. {defaults.API_THROTTLING_BURST_LIMIT}",
    )
    problems.check_int(
        waf_field,
        waf_rate_limit,
        low=defaults.WAF_RATE_LIMIT_MIN,
        high=defaults.WAF_RATE_LIMIT_MAX,
        allowed=f"an integer {defaults.WAF_RATE_LIMIT_MIN}-{defaults.WAF_RATE_LIMIT_MAX:,} (requests per IP per 5 minutes)",
        fix=f"pass e.g. {defaults.WAF_RATE_LIMIT_PER_5_MIN}",
    )


def _validate_cors(problems: Problems, origins: Optional[Sequence[str]], parsed: Mapping[Route, Any]) -> None:
    if origins is None:
        return
    problems.check(len(origins) > 0, "cors_allow_origins", list(origins), "at least one origin", "pass ['https://app.example.com'] or None")
    for origin in origins:
        problems.check(
            isinstance(origin, str) and (origin == "*" or bool(_ORIGIN_RE.match(origin))),
            "cors_allow_origins",
            origin,
            "'*' or an origin 'https://host[:port]' without path or trailing '/'",
            "pass e.g. 'https://app.example.com'",
        )
    for route in parsed:
        problems.check(
            route.method != "OPTIONS",
            f"routes[{route.key!r}]",
            route.key,
            "no OPTIONS routes when cors_allow_origins is set (the preflight OPTIONS methods are generated)",
            "drop the OPTIONS route or drop cors_allow_origins and answer preflight yourself",
        )


def _validate_schemas(problems: Problems, schemas: Any, parsed: Mapping[Route, Any]) -> None:
    if schemas is None:
        return
    if not isinstance(schemas, Mapping):
        problems.add("request_schemas", schemas, "a mapping of route key to JSON schema", "pass {'POST /items': {...}}")
        return
    for key, schema in schemas.items():
        route = try_route(key)
        if route is None or route not in parsed:
            problems.add(
                f"request_schemas[{key!r}]", key, "a route key present in routes", "use the exact route of a body-carrying route"
            )
            continue
        problems.check(
            route.method in _BODY_METHODS,
            f"request_schemas[{key!r}]",
            key,
            f"a route whose method carries a body ({', '.join(sorted(_BODY_METHODS))})",
            "validate query/path input in the handler instead",
        )
        problems.check(
            isinstance(schema, Mapping) and "type" in schema,
            f"request_schemas[{key!r}]",
            schema if not isinstance(schema, Mapping) else "schema without 'type'",
            "a JSON schema (draft 4) object with a 'type'",
            "pass e.g. {'type': 'object', 'required': ['sku'], 'properties': {...}}",
        )
        if isinstance(schema, Mapping):
            try:
                json.dumps(dict(schema))
            except (TypeError, ValueError):
                problems.add(f"request_schemas[{key!r}]", "not JSON-serialisable", "plain JSON values", "use dicts, lists, str, numbers")


def _validate_cache(problems: Problems, cache: Any, parsed: Mapping[Route, Any]) -> None:
    if cache is None:
        return
    if not isinstance(cache, ApiCache):
        problems.add("cache", cache, "an ApiCache", "pass ApiCache(routes=['GET /items'])")
        return
    for name in ("routes", "query_parameters"):
        problems.check(
            STRING_LIST.check(getattr(cache, name)), f"cache.{name}", getattr(cache, name), STRING_LIST.allowed,
            f"pass {name}=[...] with one string per item",
        )
    if not (STRING_LIST.check(cache.routes) and STRING_LIST.check(cache.query_parameters)):
        return
    problems.check(bool(cache.routes), "cache.routes", list(cache.routes), "at least one GET route", "name the GET routes to cache")
    for key in cache.routes:
        route = try_route(key)
        problems.check(
            route is not None and route in parsed and route.method == "GET",
            "cache.routes",
            key,
            "GET route keys present in routes (API Gateway caches GET responses)",
            "list only GET routes of this API",
        )
    ttl = or_default(cache.ttl, defaults.API_CACHE_TTL)
    problems.check_duration(
        "cache.ttl",
        ttl,
        low_s=0,
        high_s=defaults.API_CACHE_TTL_MAX_S,
        allowed=f"0-{defaults.API_CACHE_TTL_MAX_S} s (API Gateway cache), in whole seconds",
        fix="pass e.g. Duration.minutes(5)",
    )
    problems.check(
        cache.size_gb in defaults.API_CACHE_SIZES_GB,
        "cache.size_gb",
        cache.size_gb,
        f"one of {', '.join(defaults.API_CACHE_SIZES_GB)} (GB, as a string)",
        "pass size_gb='0.5'",
    )
    for name in cache.query_parameters:
        problems.check(
            isinstance(name, str) and bool(re.match(r"^[A-Za-z0-9_.\-]+$", name)),
            "cache.query_parameters",
            name,
            "query string parameter names",
            "pass e.g. ['page', 'status']",
        )


def try_route(key: Any) -> Optional[Route]:
    try:
        return parse_route(key)
    except RouteError:
        return None


def _validate_table_access(problems: Problems, table_access: Any, table: Any, parsed: Mapping[Route, Any]) -> None:
    """``table_access`` maps routes of ``routes`` to TableAccess declarations, and needs a table."""
    if table_access is None:
        return
    if not isinstance(table_access, Mapping):
        problems.add(
            "table_access",
            table_access,
            "a mapping of route keys to TableAccess ({'GET /orders': TableAccess.read()})",
            "pass table_access={'DELETE /orders/{id}': TableAccess.of('GetItem', 'DeleteItem')}",
        )
        return
    if table_access and (table is None or table is False):
        problems.add(
            "table_access",
            sorted(map(str, table_access)),
            "only with a table (table=True or an existing ITable)",
            "pass table=True, or drop table_access",
        )
    known = {route.key: route for route in parsed}
    for key, access in table_access.items():
        try:
            route = parse_route(key)
        except RouteError as error:
            problems.add(f"table_access[{key!r}]", key, error.allowed, error.fix)
            continue
        if route.key not in known:
            problems.add(
                f"table_access[{key!r}]",
                key,
                f"a route of this API ({', '.join(sorted(known))})",
                "declare access for a route listed in routes, or add the route",
            )
            continue
        validate_table_access(problems, f"table_access[{key!r}]", access)
