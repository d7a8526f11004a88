"""``ApiBackend``: API Gateway REST API → Lambda per route (or a shared
"lambdalith") → optional DynamoDB table, with auth at the gateway.

::

    client ─► WAF web ACL ─► API Gateway REST API (stage: throttling, access logs,
                             │  X-Ray, execution logs, request validation, cache)
                             ├─ authorizer (Cognito user pool │ Lambda │ IAM)
                             ├─ GET  /orders/{id} ─► live alias ─► Lambda ─┐ read
                             └─ POST /orders      ─► live alias ─► Lambda ─┴ read/write ─► DynamoDB

Routes are ``{"METHOD /path": FunctionSpec}``; routes given the *same* spec
object share one function. Every function is invoked synchronously through its
``live`` alias, so its timeout is held to API Gateway's 29 s.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Union

from aws_cdk import Annotations, Aws, Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from . import defaults
from .acknowledge import AWS_SOLUTIONS, acknowledge
from .alarms import create_alarm
from .alarms import dashboard as alarm_dashboard
from .api_auth import ApiAuth, AuthKind, build_authorizer, implements, validate_auth
from .api_routes import Route, RouteError, parse_route, routes_by_value, validate_routes
from .errors import Problems, child_path, is_token
from .function import FunctionSpec, Invocation, ServerlessFunction, validate_spec
from .logs import create_log_group
from .tables import create_table
from .runtime import env

__all__ = ["ApiAuth", "ApiBackend", "ApiCache", "Route"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE", "ANY"})
_STAGE_NAME_RE = re.compile(r"^[a-zA-Z0-9_]{1,128}$")
_ORIGIN_RE = re.compile(r"^https?://[a-zA-Z0-9.\-*]+(:\d{1,5})?$")
_WEB_ACL_ARN_RE = re.compile(r"^arn:aws[a-z\-]*:wafv2:[a-z0-9\-]+:\d{12}:regional/webacl/.+$")


@dataclass(frozen=True)
class ApiCache:
    """Stage cache for selected GET routes (encrypted, keyed per caller).

    :param routes: GET route keys of the ``ApiBackend`` to cache, e.g.
        ``["GET /products/{id}"]``. Each is cached per path parameter, per
        ``query_parameters``, and per caller identity header (``Authorization``
        for Cognito and TOKEN authorizers), so one user never sees another's
        cached response.
    :param ttl: 0-3600 s. Default 5 minutes.
    :param size_gb: cache cluster size, one of 0.5, 1.6, 6.1, 13.5, 28.4, 58.2,
        118, 237 (GB). Default ``"0.5"``. Billed per hour while the stage exists.
    :param query_parameters: query string parameters that change the response
        (part of the cache key). Default: none.
    """

    routes: Sequence[str]
    ttl: Optional[Duration] = None
    size_gb: str = "0.5"
    query_parameters: Sequence[str] = ()


class ApiBackend(Construct):
    """A REST API whose routes are Lambda functions, with auth at the gateway (contract).

    :param routes: ``{"METHOD /path": FunctionSpec}``, at least one. Methods GET
        POST PUT PATCH DELETE HEAD OPTIONS ANY (case-insensitive); paths start with
        ``/`` and may hold ``{param}`` segments and a final ``{proxy+}``. Routes
        given the same spec object share one function. Function timeouts ≤ 29 s.
    :param auth: an :class:`ApiAuth`. Default ``ApiAuth.cognito()`` (a new user
        pool). A public API needs ``ApiAuth.none(reason)``, explicitly.
    :param table: ``True`` creates a table (``pk``/``sk`` strings, on-demand,
        encrypted, PITR, deletion protection); an existing ``ITable`` is used
        as is. GET/HEAD/OPTIONS functions get read-only grants, others read-write;
        the name reaches handlers as ``TABLE_NAME``. Default: no table.
    :param environment: extra variables merged into every route function's
        environment (over the spec's). Default: none.
    :param alarm_topic: SNS topic for every alarm. Default: none.
    :param create_alarms: 5XX rate, 4XX rate, p95 latency and each function's
        alarms. Default True.
    :param removal_policy: of the table, user pool and log groups. Default RETAIN.
    :param stage_name: default ``"prod"``.
    :param throttling_rate_limit: stage steady-state requests per second, > 0.
        Default 1000 (a tenth of the account's 10,000 rps quota).
    :param throttling_burst_limit: stage burst, integer > 0. Default 2000.
    :param cors_allow_origins: origins allowed by CORS (``"https://app.example.com"``
        or ``"*"``). Adds OPTIONS preflight to every resource and gives handlers
        the list as ``CORS_ALLOW_ORIGINS``. Default: none (no CORS).
    :param request_schemas: ``{"POST /orders": {JSON schema draft 4}}``: API
        Gateway rejects bodies that do not match with a 400 before any Lambda
        runs. Default: none (bodies validated by the handlers only).
    :param cache: an :class:`ApiCache`. Default: no cache (it bills per hour).
    :param api_key_required: every method requires an API key; creates a usage
        plan (stage throttling) and one key (``.api_key``). Default False.
    :param usage_plan_quota_per_day: requests per key per day when
        ``api_key_required``. Default: no quota.
    :param waf: ``True`` (default) associates a new regional web ACL (AWS
        managed common, known-bad-inputs and IP-reputation rule groups plus a
        per-IP rate limit); a web ACL ARN associates that one; ``False`` none.
        Costs about USD 9/month + 0.60 per million requests.
    :param waf_rate_limit: requests per IP per 5 minutes before WAF blocks,
        10-2,000,000,000. Default 2000.
    :param latency_slo: p95 latency the latency alarm holds the API to, > 0 and
        ≤ 29 s. Default 1 s.
    :param server_error_rate: 5XX fraction that alarms, (0, 1]. Default 0.01.
    :param client_error_rate: 4XX fraction that alarms, (0, 1]. Default 0.10.
    :param detailed_metrics: per-method CloudWatch metrics (billed as custom
        metrics). Default True.
    :param log_retention: access and function logs. Default one month.
    :param dashboard: a CloudWatch dashboard with one widget per alarm. Default
        False (dashboards bill per month).

    Attributes: ``api`` (RestApi), ``url``, ``stage``, ``functions`` ("METHOD
    /path" → ServerlessFunction), ``routes`` (Route → ServerlessFunction),
    ``table``, ``user_pool``, ``user_pool_client``, ``authorizer``,
    ``authorizer_function``, ``access_log_group``, ``request_validator``,
    ``web_acl``, ``usage_plan``, ``api_key``, ``alarms``, ``dashboard``,
    ``execute_api_domain_name`` and ``stage_name`` (for a CloudFront origin).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        routes: Mapping[str, FunctionSpec],
        auth: Optional[ApiAuth] = None,
        table: Union[bool, dynamodb.ITable, None] = None,
        environment: Optional[Mapping[str, str]] = None,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        stage_name: Optional[str] = None,
        throttling_rate_limit: Optional[float] = None,
        throttling_burst_limit: Optional[int] = None,
        cors_allow_origins: Optional[Sequence[str]] = None,
        request_schemas: Optional[Mapping[str, Mapping[str, Any]]] = None,
        cache: Optional[ApiCache] = None,
        api_key_required: bool = False,
        usage_plan_quota_per_day: Optional[int] = None,
        waf: Union[bool, str] = True,
        waf_rate_limit: Optional[int] = None,
        latency_slo: Optional[Duration] = None,
        server_error_rate: Optional[float] = None,
        client_error_rate: Optional[float] = None,
        detailed_metrics: bool = True,
        log_retention: Optional[logs.RetentionDays] = None,
        dashboard: bool = False,
    ) -> None:
        auth = auth if auth is not None else ApiAuth.cognito()
        options = _Options(
            stage_name=stage_name if stage_name is not None else defaults.API_STAGE_NAME,
            rate=throttling_rate_limit if throttling_rate_limit is not None else defaults.API_THROTTLING_RATE_LIMIT,
            burst=throttling_burst_limit if throttling_burst_limit is not None else defaults.API_THROTTLING_BURST_LIMIT,
            waf_rate_limit=waf_rate_limit if waf_rate_limit is not None else defaults.WAF_RATE_LIMIT_PER_5_MIN,
            latency_slo=latency_slo if latency_slo is not None else defaults.API_LATENCY_SLO,
            server_error_rate=server_error_rate if server_error_rate is not None else defaults.API_SERVER_ERROR_RATE,
            client_error_rate=client_error_rate if client_error_rate is not None else defaults.API_CLIENT_ERROR_RATE,
        )
        origins = [cors_allow_origins] if isinstance(cors_allow_origins, str) else cors_allow_origins
        parsed = _validate(
            child_path(scope, construct_id),
            routes=routes,
            auth=auth,
            table=table,
            environment=environment,
            options=options,
            cors_allow_origins=origins,
            request_schemas=request_schemas,
            cache=cache,
            usage_plan_quota_per_day=usage_plan_quota_per_day,
            waf=waf,
        )
        super().__init__(scope, construct_id)
        self.auth = auth

        # --- table --------------------------------------------------------
        self.table: Optional[dynamodb.ITable] = None
        if table is True:
            self.table = _create_api_table(self, removal_policy)
        elif table is not None and table is not False:
            self.table = table

        function_env: dict[str, str] = {}
        if self.table is not None:
            function_env[env.TABLE_NAME] = self.table.table_name
        if origins:
            function_env[env.CORS_ALLOW_ORIGINS] = ",".join(origins)
        function_env.update(environment or {})

        def make_function(fid: str, spec: FunctionSpec, extra: Optional[Mapping[str, str]] = None) -> ServerlessFunction:
            return ServerlessFunction(
                self,
                fid,
                spec,
                invocation=Invocation.SYNC,
                alarm_topic=alarm_topic,
                create_alarms=create_alarms,
                log_retention=log_retention,
                removal_policy=removal_policy,
                environment=extra,
                max_timeout=(defaults.API_INTEGRATION_TIMEOUT_S, defaults.API_TIMEOUT_REASON),
            )

        # --- auth ---------------------------------------------------------
        built = build_authorizer(self, auth, removal_policy=removal_policy, make_function=make_function)
        self.user_pool: Optional[cognito.IUserPool] = built.user_pool
        self.user_pool_client: Optional[cognito.UserPoolClient] = built.user_pool_client
        self.authorizer: Optional[apigw.IAuthorizer] = built.authorizer
        self.authorizer_function: Optional[ServerlessFunction] = built.authorizer_function

        # --- REST API and stage --------------------------------------------
        self.access_log_group = create_log_group(
            self, "AccessLogs", retention=log_retention, removal_policy=removal_policy
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            description=f"ApiBackend {self.node.path}",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The account-level CloudWatch role CDK would create uses an AWS managed
            # policy (AwsSolutions-IAM4); the account needs it set once (see docs).
            cloud_watch_role=False,
            default_cors_preflight_options=_cors_options(origins, parsed) if origins else None,
            deploy_options=_stage_options(options, self.access_log_group, cache, parsed, detailed_metrics),
        )
        self.stage: apigw.Stage = self.api.deployment_stage
        self.url: str = self.api.url
        #: ``<api id>.execute-api.<region>.<suffix>``: the origin a CloudFront
        #: distribution (EdgeSite) points at; requests then start with ``/<stage_name>``.
        self.execute_api_domain_name: str = (
            f"{self.api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"
        )
        self.stage_name: str = options.stage_name
        self.request_validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        if origins and len(origins) == 1:
            _cors_gateway_responses(self.api, origins[0])
        models = self._request_models(request_schemas or {})

        # --- functions and methods -----------------------------------------
        self.functions: dict[str, ServerlessFunction] = {}
        self.routes: dict[Route, ServerlessFunction] = {}
        used_ids: set[str] = set()
        cached = {_route_of(k) for k in cache.routes} if cache else set()
        for spec, group in routes_by_value(parsed).values():
            fid = _unique_id(_function_id(group[0]), used_ids)
            function = make_function(fid, spec, function_env)
            for route in group:
                self.functions[route.key] = function
                self.routes[route] = function
                self._add_method(route, function, built, models.get(route), route in cached, cache, api_key_required)
            self._grant_table(function, group)

        # --- usage plan / API key ------------------------------------------
        self.usage_plan: Optional[apigw.UsagePlan] = None
        self.api_key: Optional[apigw.IApiKey] = None
        if api_key_required:
            self.usage_plan = self.api.add_usage_plan(
                "UsagePlan",
                throttle=apigw.ThrottleSettings(rate_limit=options.rate, burst_limit=options.burst),
                quota=(
                    apigw.QuotaSettings(limit=usage_plan_quota_per_day, period=apigw.Period.DAY)
                    if usage_plan_quota_per_day is not None
                    else None
                ),
            )
            self.usage_plan.add_api_stage(stage=self.stage)
            self.api_key = self.api.add_api_key("ApiKey")
            self.usage_plan.add_api_key(self.api_key)

        # --- WAF ----------------------------------------------------------
        self.web_acl: Optional[wafv2.CfnWebACL] = None
        if waf is True:
            self.web_acl = _create_web_acl(self, options.waf_rate_limit)
            web_acl_arn = self.web_acl.attr_arn
        elif isinstance(waf, str):
            web_acl_arn = waf
        else:
            web_acl_arn = None
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:api-no-waf",
                "waf=False: this API has no WAF web ACL (cdk-nag AwsSolutions-APIG3). "
                "Put it behind CloudFront with WAF, or acknowledge the finding with your reason.",
            )
        if web_acl_arn is not None:
            wafv2.CfnWebACLAssociation(
                self, "WebAclAssociation", resource_arn=self.stage.stage_arn, web_acl_arn=web_acl_arn
            )

        self._acknowledge(auth)
        self._warn_on_weakened_defaults(auth)

        # --- alarms -------------------------------------------------------
        self.alarms: list[cloudwatch.Alarm] = []
        functions = list(dict.fromkeys(self.routes.values()))
        if self.authorizer_function is not None:
            functions.append(self.authorizer_function)
        for function in functions:
            self.alarms.extend(function.alarms)
        if create_alarms:
            self.alarms.extend(self._create_alarms(options, alarm_topic))
        self.dashboard: Optional[cloudwatch.Dashboard] = (
            alarm_dashboard(self, "Dashboard", self.alarms) if dashboard and self.alarms else None
        )

    # ------------------------------------------------------------------
    def _request_models(self, schemas: Mapping[str, Mapping[str, Any]]) -> dict[Route, apigw.IModel]:
        models: dict[Route, apigw.IModel] = {}
        if not schemas:
            return models
        scope = Construct(self, "RequestModels")
        for key, schema in schemas.items():
            route = _route_of(key)
            name = _function_id(route)
            body = {"$schema": "http://json-schema.org/draft-04/schema#", **dict(schema)}
            cfn = apigw.CfnModel(
                scope,
                name,
                rest_api_id=self.api.rest_api_id,
                content_type="application/json",
                schema=body,
                description=f"Request body of {route.key}",
            )
            models[route] = apigw.Model.from_model_name(scope, f"{name}Ref", cfn.ref)
        return models

    def _add_method(
        self,
        route: Route,
        function: ServerlessFunction,
        built: Any,
        model: Optional[apigw.IModel],
        cached: bool,
        cache: Optional[ApiCache],
        api_key_required: bool,
    ) -> None:
        resource = self.api.root if route.path == "/" else self.api.root.resource_for_path(route.path)
        parameters = {f"method.request.path.{name}": True for name in route.path_parameters}
        cache_keys: list[str] = []
        if cached and cache is not None:
            cache_keys = list(parameters)
            for name in cache.query_parameters:
                parameters[f"method.request.querystring.{name}"] = False
                cache_keys.append(f"method.request.querystring.{name}")
            header = self.auth.token_header
            if header is not None:
                parameters[f"method.request.header.{header}"] = True
                cache_keys.append(f"method.request.header.{header}")
        integration = apigw.LambdaIntegration(
            function.alias,
            proxy=True,
            # Console test-invoke permissions are a convenience; keep the resource
            # policy to the deployed methods only.
            allow_test_invoke=False,
            cache_key_parameters=cache_keys or None,
        )
        resource.add_method(
            route.method,
            integration,
            authorization_type=self._built_type(),
            authorizer=self.authorizer,
            authorization_scopes=list(self.auth.scopes) or None,
            request_validator=self.request_validator,
            request_parameters=parameters or None,
            request_models={"application/json": model} if model is not None else None,
            api_key_required=api_key_required or None,
        )

    def _built_type(self) -> apigw.AuthorizationType:
        return {
            AuthKind.COGNITO: apigw.AuthorizationType.COGNITO,
            AuthKind.LAMBDA: apigw.AuthorizationType.CUSTOM,
            AuthKind.IAM: apigw.AuthorizationType.IAM,
            AuthKind.NONE: apigw.AuthorizationType.NONE,
        }[self.auth.kind]

    def _grant_table(self, function: ServerlessFunction, group: list[Route]) -> None:
        if self.table is None:
            return
        if all(route.is_read_only for route in group):
            self.table.grant_read_data(function.role)
        else:
            self.table.grant_read_write_data(function.role)

    def _acknowledge(self, auth: ApiAuth) -> None:
        if auth.kind is AuthKind.NONE:
            acknowledge(self.api, AWS_SOLUTIONS + "APIG4", f"Public API by explicit ApiAuth.none(): {auth.reason}")
            acknowledge(self.api, AWS_SOLUTIONS + "COG4", f"Public API by explicit ApiAuth.none(): {auth.reason}")
        elif auth.kind in (AuthKind.LAMBDA, AuthKind.IAM):
            how = "a Lambda authorizer" if auth.kind is AuthKind.LAMBDA else "IAM (SigV4) authorization"
            acknowledge(
                self.api,
                AWS_SOLUTIONS + "COG4",
                f"Every method is authorized at the gateway by {how}, chosen explicitly with "
                f"ApiAuth.{auth.kind.value if auth.kind is AuthKind.IAM else 'lambda_authorizer'}(); "
                "a Cognito user pool authorizer is one option among those (APIG4 still checks that "
                "every method is authorized).",
            )

    def _warn_on_weakened_defaults(self, auth: ApiAuth) -> None:
        if auth.kind is AuthKind.COGNITO and auth.user_pool is None:
            if not auth.mfa_required:
                Annotations.of(self).add_warning_v2(
                    "cdk-serverless-patterns:api-mfa-optional",
                    "mfa_required=False: MFA is optional in the new user pool (cdk-nag AwsSolutions-COG2).",
                )
            if auth.feature_plan is not None and auth.feature_plan != cognito.FeaturePlan.PLUS:
                Annotations.of(self).add_warning_v2(
                    "cdk-serverless-patterns:api-no-threat-protection",
                    f"feature_plan={auth.feature_plan}: the user pool has no threat protection "
                    "(cdk-nag AwsSolutions-COG8); acknowledge the finding with your reason.",
                )

    def _create_alarms(self, options: "_Options", topic: Optional[sns.ITopic]) -> list[cloudwatch.Alarm]:
        stage, path = self.stage, self.node.path
        period = defaults.ALARM_PERIOD
        slo_ms = options.latency_slo.to_milliseconds()
        return [
            create_alarm(
                self,
                "ServerErrorRateAlarm",
                metric=stage.metric_server_error(statistic="Average", period=period),
                threshold=options.server_error_rate,
                description=f"{path}: more than {options.server_error_rate:.1%} of requests returned 5XX.",
                alarm_topic=topic,
            ),
            create_alarm(
                self,
                "ClientErrorRateAlarm",
                metric=stage.metric_client_error(statistic="Average", period=period),
                threshold=options.client_error_rate,
                description=(
                    f"{path}: more than {options.client_error_rate:.1%} of requests returned 4XX "
                    "(a broken client, expired credentials, or someone probing the API)."
                ),
                alarm_topic=topic,
            ),
            create_alarm(
                self,
                "LatencyAlarm",
                metric=stage.metric_latency(statistic="p95", period=period),
                threshold=slo_ms,
                description=f"{path}: p95 latency is above the {slo_ms:g} ms SLO.",
                alarm_topic=topic,
            ),
        ]


# --- options and validation ------------------------------------------------


@dataclass(frozen=True)
class _Options:
    stage_name: str
    rate: float
    burst: int
    waf_rate_limit: int
    latency_slo: Duration
    server_error_rate: float
    client_error_rate: float


def _validate(
    path: str,
    *,
    routes: Any,
    auth: Any,
    table: Any,
    environment: Any,
    options: _Options,
    cors_allow_origins: Optional[Sequence[str]],
    request_schemas: Any,
    cache: Any,
    usage_plan_quota_per_day: Any,
    waf: Any,
) -> dict[Route, FunctionSpec]:
    """Every rule of ApiBackend, collected into one PatternConfigError."""
    problems = Problems(path)
    parsed = validate_routes(problems, routes)
    if environment is not None and not isinstance(environment, Mapping):
        problems.add("environment", type(environment).__name__, "a mapping of str to str", "pass {'NAME': 'value'}")
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
            max_timeout_s=defaults.API_INTEGRATION_TIMEOUT_S,
            max_timeout_reason=defaults.API_TIMEOUT_REASON,
            extra_environment=extra_env,
        )
    resources = {"/".join(route.segments[: i + 1]) for route in parsed for i in range(len(route.segments))}
    problems.check(
        len(resources) <= defaults.API_MAX_RESOURCES,
        "routes",
        f"{len(resources)} resources",
        f"at most {defaults.API_MAX_RESOURCES} path resources per REST API (API Gateway quota)",
        "split the API, use a '{proxy+}' route, or raise the quota and this limit",
    )
    validate_auth(problems, auth)
    problems.check(
        table is None or isinstance(table, bool) or implements(table, "table_name", "grant_read_data"),
        "table",
        type(table).__name__,
        "True (create one), an existing ITable, or None",
        "pass table=True or dynamodb.Table.from_table_name(...)",
    )
    _validate_stage(problems, options)
    _validate_cors(problems, cors_allow_origins, parsed)
    _validate_schemas(problems, request_schemas, parsed)
    _validate_cache(problems, cache, parsed)
    if usage_plan_quota_per_day is not None:
        problems.check(
            isinstance(usage_plan_quota_per_day, int) and usage_plan_quota_per_day > 0,
            "usage_plan_quota_per_day",
            usage_plan_quota_per_day,
            "an integer > 0 (requests per API key per day)",
            "pass e.g. 10000, or None for no quota",
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
        problems.check(isinstance(waf, bool), "waf", waf, "True, False or a web ACL ARN", "pass waf=True")
    problems.raise_if_any()
    return parsed


def _validate_stage(problems: Problems, o: _Options) -> None:
    problems.check(
        isinstance(o.stage_name, str) and bool(_STAGE_NAME_RE.match(o.stage_name)),
        "stage_name",
        o.stage_name,
        "1-128 letters, digits or '_' (API Gateway stage names)",
        "pass e.g. stage_name='prod'",
    )
    if not is_token(o.rate):
        problems.check(
            isinstance(o.rate, (int, float)) and not isinstance(o.rate, bool) and o.rate > 0,
            "throttling_rate_limit",
            o.rate,
            "a number of requests per second > 0",
            f"pass e.g. {defaults.API_THROTTLING_RATE_LIMIT}",
        )
    if not is_token(o.burst):
        problems.check(
            isinstance(o.burst, int) and not isinstance(o.burst, bool) and o.burst > 0,
            "throttling_burst_limit",
            o.burst,
            "an integer number of requests > 0",
            f"pass e.g. {defaults.API_THROTTLING_BURST_LIMIT}",
        )
    problems.check(
        isinstance(o.waf_rate_limit, int)
        and defaults.WAF_RATE_LIMIT_MIN <= o.waf_rate_limit <= defaults.WAF_RATE_LIMIT_MAX,
        "waf_rate_limit",
        o.waf_rate_limit,
        f"an integer {defaults.WAF_RATE_LIMIT_MIN}-{defaults.WAF_RATE_LIMIT_MAX:,} (requests per IP per 5 minutes)",
        f"pass e.g. {defaults.WAF_RATE_LIMIT_PER_5_MIN}",
    )
    if not isinstance(o.latency_slo, Duration):
        problems.add("latency_slo", o.latency_slo, "an aws_cdk.Duration", "pass Duration.millis(500)")
    else:
        slo = o.latency_slo.to_milliseconds()
        problems.check(
            0 < slo <= defaults.API_INTEGRATION_TIMEOUT_S * 1000,
            "latency_slo",
            f"{slo:g} ms",
            f"more than 0 and at most {defaults.API_INTEGRATION_TIMEOUT_S} s (the integration timeout)",
            "pass e.g. Duration.millis(500)",
        )
    for name, rate in (("server_error_rate", o.server_error_rate), ("client_error_rate", o.client_error_rate)):
        problems.check(
            isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0 < rate <= 1,
            name,
            rate,
            "a fraction of requests in (0, 1]",
            "pass e.g. 0.01 for 1%",
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
        problems.add("request_schemas", type(schemas).__name__, "a mapping of route key to JSON schema", "pass {'POST /items': {...}}")
        return
    for key, schema in schemas.items():
        route = _try_route(key)
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
        problems.add("cache", type(cache).__name__, "an ApiCache", "pass ApiCache(routes=['GET /items'])")
        return
    problems.check(bool(cache.routes), "cache.routes", list(cache.routes), "at least one GET route", "name the GET routes to cache")
    for key in cache.routes:
        route = _try_route(key)
        problems.check(
            route is not None and route in parsed and route.method == "GET",
            "cache.routes",
            key,
            "GET route keys present in routes (API Gateway caches GET responses)",
            "list only GET routes of this API",
        )
    ttl = cache.ttl if cache.ttl is not None else defaults.API_CACHE_TTL
    if not isinstance(ttl, Duration):
        problems.add("cache.ttl", ttl, "an aws_cdk.Duration", "pass Duration.minutes(5)")
    else:
        problems.check(
            0 <= ttl.to_seconds() <= defaults.API_CACHE_TTL_MAX_S,
            "cache.ttl",
            f"{ttl.to_seconds()} s",
            f"0-{defaults.API_CACHE_TTL_MAX_S} s (API Gateway cache)",
            "pass e.g. Duration.minutes(5)",
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


# --- construction helpers --------------------------------------------------


def _try_route(key: Any) -> Optional[Route]:
    try:
        return parse_route(key)
    except RouteError:
        return None


def _route_of(key: str) -> Route:
    return parse_route(key)


def _function_id(route: Route) -> str:
    words = [route.method.capitalize()]
    for segment in route.segments or ("root",):
        words.extend(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", segment) if w)
    return "".join(words)


def _unique_id(base: str, used: set[str]) -> str:
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}{n}", n + 1
    used.add(candidate)
    return candidate


def _create_api_table(scope: Construct, removal_policy: RemovalPolicy) -> dynamodb.Table:
    return create_table(scope, "Table", partition_key="pk", sort_key="sk", removal_policy=removal_policy)


_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "caller": "$context.identity.caller",
    "user": "$context.identity.user",
    "principalId": "$context.authorizer.principalId",
    "cognitoSubject": "$context.authorizer.claims.sub",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integration.latency",
    "integrationStatus": "$context.integration.status",
    "integrationError": "$context.integration.error",
    "authorizerError": "$context.authorizer.error",
    "wafStatus": "$context.waf.status",
    "errorMessage": "$context.error.message",
    "xrayTraceId": "$context.xrayTraceId",
}


def _stage_options(
    o: _Options,
    log_group: logs.ILogGroup,
    cache: Optional[ApiCache],
    parsed: Mapping[Route, Any],
    detailed_metrics: bool,
) -> apigw.StageOptions:
    method_options = None
    if cache is not None:
        ttl = cache.ttl if cache.ttl is not None else defaults.API_CACHE_TTL
        method_options = {
            f"{_route_of(k).path}/GET": apigw.MethodDeploymentOptions(
                caching_enabled=True, cache_data_encrypted=True, cache_ttl=ttl
            )
            for k in cache.routes
        }
    return apigw.StageOptions(
        stage_name=o.stage_name,
        throttling_rate_limit=o.rate,
        throttling_burst_limit=o.burst,
        # ERROR, not INFO: INFO execution logs can hold request data and cost more.
        logging_level=apigw.MethodLoggingLevel.ERROR,
        data_trace_enabled=False,
        metrics_enabled=detailed_metrics,
        tracing_enabled=True,
        access_log_destination=apigw.LogGroupLogDestination(log_group),
        access_log_format=apigw.AccessLogFormat.custom(json.dumps(_ACCESS_LOG_FIELDS)),
        cache_cluster_enabled=True if cache is not None else None,
        cache_cluster_size=cache.size_gb if cache is not None else None,
        method_options=method_options,
    )


def _cors_options(origins: Sequence[str], parsed: Mapping[Route, Any]) -> apigw.CorsOptions:
    methods = sorted({r.method for r in parsed})
    return apigw.CorsOptions(
        allow_origins=list(origins),
        allow_methods=apigw.Cors.ALL_METHODS if "ANY" in methods else methods + ["OPTIONS"],
        allow_headers=[*apigw.Cors.DEFAULT_HEADERS, "X-Correlation-Id", "Idempotency-Key"],
        max_age=Duration.hours(1),
    )


def _cors_gateway_responses(api: apigw.RestApi, origin: str) -> None:
    """Errors API Gateway answers itself (401, 403, 429, 5XX) carry CORS headers too,
    so browsers show the real error instead of a CORS failure."""
    headers = {"Access-Control-Allow-Origin": f"'{origin}'"}
    if origin != "*":
        headers["Vary"] = "'Origin'"
    api.add_gateway_response("Default4xx", type=apigw.ResponseType.DEFAULT_4_XX, response_headers=headers)
    api.add_gateway_response("Default5xx", type=apigw.ResponseType.DEFAULT_5_XX, response_headers=headers)


def _create_web_acl(scope: Construct, rate_limit: int) -> wafv2.CfnWebACL:
    def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
        )

    rules = [
        wafv2.CfnWebACL.RuleProperty(
            name=group,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=group
                )
            ),
            visibility_config=visibility(group),
        )
        for priority, group in enumerate(defaults.WAF_MANAGED_RULE_GROUPS)
    ]
    rules.append(
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp",
            priority=len(rules),
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=rate_limit, aggregate_key_type="IP", evaluation_window_sec=300
                )
            ),
            visibility_config=visibility("RateLimitPerIp"),
        )
    )
    return wafv2.CfnWebACL(
        scope,
        "WebAcl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility("ApiWebAcl"),
        rules=rules,
    )
