"""``ApiBackend``: API Gateway REST API or HTTP API → Lambda per route (or a
shared "lambdalith") → optional DynamoDB table, with auth at the gateway.

::

    client ─► WAF web ACL ─► API Gateway REST API (stage: throttling, access logs,
                             │  X-Ray, execution logs, request validation, cache)
                             ├─ authorizer (Cognito user pool │ Lambda │ IAM)
                             ├─ GET  /orders/{id} ─► live alias ─► Lambda ─┐ read
                             └─ POST /orders      ─► live alias ─► Lambda ─┴ read/write ─► DynamoDB

With ``api_type=ApiType.HTTP`` the front door is an HTTP API (v2) instead:
stage throttling and JSON access logs, JWT (Cognito or any OIDC issuer),
Lambda (simple responses), IAM or no authorizer, payload format 2.0; no WAF,
request validation, usage plans or cache (``PatternConfigError`` if asked).

Routes are ``{"METHOD /path": FunctionSpec}``; routes given the *same* spec
object share one function. Every function is invoked synchronously through its
``live`` alias, so its timeout is held to the integration timeout (REST 29 s,
HTTP 30 s). Route parsing, function creation and table grants are shared by
both API types; only the gateway resources differ.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence, Union, cast

from aws_cdk import Annotations, Aws, Duration, RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import cdk_modules
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.alarms import AlarmSpec, alarms_from_specs
from cdk_serverless_patterns.building_blocks.alarms import Graph, function_graphs
from cdk_serverless_patterns.building_blocks.alarms import dashboard as alarm_dashboard
from cdk_serverless_patterns.building_blocks.grants import grant_exactly
from cdk_serverless_patterns.building_blocks.table_access import TableAccess, default_access, grant_table_access
from cdk_serverless_patterns.building_blocks.aggregate_alarms import aggregate_function_alarms
from cdk_serverless_patterns.building_blocks.concurrency import api_reserved_concurrency, bounded
from cdk_serverless_patterns.building_blocks.function import (
    FunctionSpec,
    Invocation,
    ServerlessFunction,
)
from cdk_serverless_patterns.building_blocks.function.compute import TENANT_ID_INTEGRATION_HEADER
from cdk_serverless_patterns.building_blocks.hardening import is_hardened
from cdk_serverless_patterns.building_blocks.logs import create_log_group
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.building_blocks.waf import create_web_acl, log_web_acl
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge
from cdk_serverless_patterns.errors import PatternConfigError, child_path, or_default
from cdk_serverless_patterns.runtime import env

from .api_type import ApiType
from .auth import ApiAuth, AuthKind, BuiltAuth, build_authorizer, build_http_authorizer
from .routes import Route, parse_route, routes_by_value
from .stage import (
    ApiCache,
    ApiSettings,
    acknowledge_stage_findings,
    cors_gateway_responses,
    cors_options,
    http_cors_options,
    http_stage,
    request_model,
    rest_api_name,
    stage_options,
)
from .scale import ResourcePlan, check_stack_capacity
from .validation import validate_api

if TYPE_CHECKING:
    from aws_cdk import aws_apigateway as apigw
    from aws_cdk import aws_apigatewayv2 as apigwv2
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk import aws_cognito as cognito
    from aws_cdk import aws_dynamodb as dynamodb
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_sns as sns
    from aws_cdk import aws_wafv2 as wafv2
    from aws_cdk import aws_apigatewayv2_integrations as v2_integrations
else:
    apigw, apigwv2, cloudwatch, cognito, dynamodb, iam, logs, sns, wafv2, v2_integrations = cdk_modules(
        "aws_apigateway",
        "aws_apigatewayv2",
        "aws_cloudwatch",
        "aws_cognito",
        "aws_dynamodb",
        "aws_iam",
        "aws_logs",
        "aws_sns",
        "aws_wafv2",
        "aws_apigatewayv2_integrations",
    )

__all__ = ["ApiAuth", "ApiBackend", "ApiCache", "ApiType", "Route"]


class ApiBackend(Construct):
    """An API whose routes are Lambda functions, with auth at the gateway (contract).

    :param routes: ``{"METHOD /path": FunctionSpec}``, at least one. Methods GET
        POST PUT PATCH DELETE HEAD OPTIONS ANY (case-insensitive); paths start with
        ``/`` and may hold ``{param}`` segments and a final ``{proxy+}``. Routes
        given the same spec object share one function. Function timeouts ≤ 29 s
        (REST) or ≤ 30 s (HTTP).
    :param api_type: ``ApiType.REST`` (default: WAF, request validation, usage
        plans, caching, X-Ray) or ``ApiType.HTTP`` (API Gateway v2: about 70%
        cheaper per request, JWT authorizers, payload format 2.0). The REST-only
        options below raise ``PatternConfigError`` with ``ApiType.HTTP``.
    :param auth: an :class:`ApiAuth`. Default ``ApiAuth.cognito()`` (a new user
        pool; on HTTP a JWT authorizer on it). ``ApiAuth.jwt(issuer, audience)``
        (HTTP only) accepts any OIDC issuer. A public API needs
        ``ApiAuth.none(reason)``, explicitly.
    :param table: ``True`` creates a table (``pk``/``sk`` strings, on-demand,
        encrypted, PITR, deletion protection); an existing ``ITable`` is used
        as is. GET/HEAD/OPTIONS functions get read-only grants, others read-write;
        the name reaches handlers as ``TABLE_NAME``. Default: no table.
    :param table_access: what each route's handler does with the table,
        ``{"DELETE /orders/{id}": TableAccess.of("GetItem", "DeleteItem")}``
        (:class:`TableAccess`: ``read()``, ``write()``, ``read_write()``,
        ``of(...)``, ``none()``). A route left out gets ``TableAccess.read()``
        (GetItem, BatchGetItem, Query) for GET/HEAD/OPTIONS and
        ``TableAccess.read_write()`` (those plus PutItem, UpdateItem,
        ConditionCheckItem) otherwise: never Scan, DeleteItem or BatchWriteItem
        unless declared. Routes sharing a function grant the union. Default: none.
    :param environment: extra variables merged into every route function's
        environment (over the spec's). Default: none.
    :param alarm_topic: SNS topic for every alarm. Default: none.
    :param create_alarms: 5XX rate, 4XX rate, p95 latency and each function's
        alarms. Default True.
    :param per_function_alarms: ``True`` (default) gives every function its own
        errors/throttles/duration alarms (3 resources each). ``False`` replaces
        them with aggregate alarms: one errors and one throttles alarm per 10
        functions (CloudWatch's metric-math limit), the API's latency alarm
        standing in for the duration alarms. The way to fit a large API in one
        stack (CloudFormation allows 500 resources).
    :param removal_policy: of the table, user pool and log groups. Default RETAIN.
        DESTROY (sandboxes) makes the stack deletable in one ``cdk destroy``: tables and
        user pools drop deletion protection, KMS keys get the 7-day minimum pending
        window; buckets must be empty. CDK's ``RemovalPolicies.of(stack).destroy()`` has
        the same effect (see docs/patterns/destroy.md).
    :param stage_name: default ``"prod"``.
    :param throttling_rate_limit: stage steady-state requests per second, > 0.
        Default 1000 (a tenth of the account's 10,000 rps quota).
    :param throttling_burst_limit: stage burst, integer >= 0 (API Gateway accepts 0). Default 2000.
    :param cors_allow_origins: origins allowed by CORS (``"https://app.example.com"``
        or ``"*"``). REST: adds OPTIONS preflight to every resource; HTTP: API
        Gateway answers preflight. Handlers get the list as ``CORS_ALLOW_ORIGINS``.
        Default: none (no CORS).
    :param request_schemas: REST only. ``{"POST /orders": {JSON schema draft 4}}``:
        API Gateway rejects bodies that do not match with a 400 before any
        Lambda runs. Default: none (bodies validated by the handlers only).
    :param cache: REST only. An :class:`ApiCache`. Default: no cache (it bills per hour).
    :param api_key_required: REST only. Every method requires an API key;
        creates a usage plan (stage throttling) and one key (``.api_key``).
        Default False.
    :param usage_plan_quota_per_day: REST only. Requests per key per day when
        ``api_key_required``. Default: no quota.
    :param waf: REST only. ``True`` (the REST default) associates a new
        regional web ACL (AWS managed common, known-bad-inputs and IP-reputation
        rule groups plus a per-IP rate limit); a web ACL ARN associates that
        one; ``False`` none. Costs about USD 9/month + 0.60 per million
        requests. HTTP APIs cannot have a web ACL: put a CloudFront
        distribution with WAF in front (its origin: ``execute_api_domain_name``;
        EdgeSite takes REST ApiBackends only), or use REST.
    :param waf_rate_limit: requests per IP per 5 minutes before WAF blocks,
        10-2,000,000,000. Default 2000.
    :param waf_logging: log the new web ACL's requests to an ``aws-waf-logs-…``
        log group (``log_retention``, RETAIN, credentials redacted). Default True
        (PCI DSS 10.x / NIST AU: who was blocked, and why, must be on record).
    :param latency_slo: p95 latency the latency alarm holds the API to, > 0 and
        ≤ the integration timeout. Default 1 s.
    :param server_error_rate: 5XX fraction that alarms, (0, 1]. Default 0.01.
    :param client_error_rate: 4XX fraction that alarms, (0, 1]. Default 0.10.
    :param detailed_metrics: per-method (REST) / per-route (HTTP) CloudWatch
        metrics (billed as custom metrics). Default True.
    :param log_retention: access and function logs. Default one month.
    :param dashboard: a CloudWatch dashboard: requests, error rates, p95
        latency and the functions' invocations/errors/throttles/duration, then
        one widget per alarm. Default False (dashboards bill per month).

    Metrics (what the alarms watch): :meth:`metric_server_error_rate`,
    :meth:`metric_client_error_rate`, :meth:`metric_latency`; plus
    :meth:`metric_count`. Grants: :meth:`grant_invoke` (IAM-authorized APIs).

    Construction fails with ``PatternConfigError`` when the stack would pass
    CloudFormation's 500 resources; the message names the ways out.

    Attributes: ``api`` (RestApi or HttpApi), ``api_type``, ``url``, ``stage``,
    ``functions`` ("METHOD /path" → ServerlessFunction), ``routes`` (Route →
    ServerlessFunction), ``table``, ``user_pool``, ``user_pool_client``,
    ``authorizer``, ``authorizer_function``, ``access_log_group``,
    ``request_validator``, ``web_acl``, ``web_acl_log_group`` (REST), ``usage_plan``, ``api_key`` (REST only;
    None on HTTP), ``alarms``, ``dashboard``, ``execute_api_domain_name`` and
    ``stage_name`` (for a CloudFront origin).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        routes: Mapping[str, FunctionSpec],
        api_type: ApiType = ApiType.REST,
        auth: Optional[ApiAuth] = None,
        table: Union[bool, dynamodb.ITable, None] = None,
        table_access: Optional[Mapping[str, TableAccess]] = None,
        environment: Optional[Mapping[str, str]] = None,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        per_function_alarms: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        stage_name: Optional[str] = None,
        throttling_rate_limit: Optional[float] = None,
        throttling_burst_limit: Optional[int] = None,
        cors_allow_origins: Optional[Sequence[str]] = None,
        request_schemas: Optional[Mapping[str, Mapping[str, Any]]] = None,
        cache: Optional[ApiCache] = None,
        api_key_required: bool = False,
        usage_plan_quota_per_day: Optional[int] = None,
        waf: Union[bool, str, None] = None,
        waf_rate_limit: Optional[int] = None,
        waf_logging: bool = True,
        latency_slo: Optional[Duration] = None,
        server_error_rate: Optional[float] = None,
        client_error_rate: Optional[float] = None,
        detailed_metrics: bool = True,
        log_retention: Optional[logs.RetentionDays] = None,
        dashboard: bool = False,
    ) -> None:
        auth = auth if auth is not None else ApiAuth.cognito()
        options = ApiSettings(
            stage_name=or_default(stage_name, defaults.API_STAGE_NAME),
            rate=or_default(throttling_rate_limit, defaults.API_THROTTLING_RATE_LIMIT),
            burst=or_default(throttling_burst_limit, defaults.API_THROTTLING_BURST_LIMIT),
            waf_rate_limit=or_default(waf_rate_limit, defaults.WAF_RATE_LIMIT_PER_5_MIN),
            latency_slo=or_default(latency_slo, defaults.API_LATENCY_SLO),
            server_error_rate=or_default(server_error_rate, defaults.API_SERVER_ERROR_RATE),
            client_error_rate=or_default(client_error_rate, defaults.API_CLIENT_ERROR_RATE),
        )
        origins = [cors_allow_origins] if isinstance(cors_allow_origins, str) else cors_allow_origins
        path = child_path(scope, construct_id)
        parsed = validate_api(
            path,
            api_type=api_type,
            routes=routes,
            auth=auth,
            table=table,
            environment=environment,
            options=options,
            cors_allow_origins=origins,
            request_schemas=request_schemas,
            cache=cache,
            api_key_required=api_key_required,
            usage_plan_quota_per_day=usage_plan_quota_per_day,
            waf=waf,
            typed_options=dict(
                alarm_topic=alarm_topic,
                create_alarms=create_alarms,
                removal_policy=removal_policy,
                stage_name=stage_name,
                api_key_required=api_key_required,
                detailed_metrics=detailed_metrics,
                log_retention=log_retention,
                dashboard=dashboard,
            ),
            waf_logging=waf_logging,
            table_access=table_access,
        )
        waf = waf if waf is not None else api_type is ApiType.REST
        create_alarms = or_default(create_alarms, True)  # None means the default, not False
        check_stack_capacity(
            path,
            scope,
            ResourcePlan(
                api_type=api_type,
                parsed=parsed,
                auth=auth,
                table=table,
                cors=bool(origins),
                cors_single_origin=origins is not None and len(origins) == 1,
                waf=waf,
                request_schemas=len(request_schemas or {}),
                api_key_required=api_key_required,
                create_alarms=create_alarms,
                per_function_alarms=per_function_alarms,
                dashboard=dashboard,
                waf_logging=waf_logging,
                hardened=is_hardened(scope),
            ),
        )
        super().__init__(scope, construct_id)
        self.auth = auth
        self.api_type = api_type
        self._table_access = {parse_route(k).key: v for k, v in (table_access or {}).items()}

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

        function_count = len(routes_by_value(parsed)) + (1 if auth.kind is AuthKind.LAMBDA else 0)

        def make_function(
            fid: str, spec: FunctionSpec, extra: Optional[Mapping[str, str]] = None, *, route: bool = False
        ) -> ServerlessFunction:
            # The stage throttle bounds the rate, not concurrency: reserve a bound (concurrency.py).
            bound = api_reserved_concurrency(spec, rate=options.rate, functions=function_count)
            function = ServerlessFunction(
                self,
                fid,
                bounded(spec, bound),
                invocation=Invocation.SYNC,
                alarm_topic=alarm_topic,
                create_alarms=create_alarms and per_function_alarms,
                log_retention=log_retention,
                removal_policy=removal_policy,
                environment=extra,
                max_timeout=(api_type.integration_timeout_s, api_type.timeout_reason),
                # REST routes map the tenant id into each invoke (see _add_method)
                passes_tenant_id=route and api_type is ApiType.REST,
            )
            return function

        self.access_log_group = create_log_group(
            self, "AccessLogs", retention=log_retention, removal_policy=removal_policy
        )
        self.stage_name: str = options.stage_name
        self.functions: dict[str, ServerlessFunction] = {}
        self.routes: dict[Route, ServerlessFunction] = {}
        self.request_validator: Optional[apigw.RequestValidator] = None
        self.usage_plan: Optional[apigw.UsagePlan] = None
        self.api_key: Optional[apigw.IApiKey] = None
        self.web_acl: Optional[wafv2.CfnWebACL] = None
        self.web_acl_log_group: Optional[logs.LogGroup] = None
        if api_type is ApiType.HTTP:
            self._build_http(parsed, auth, options, origins, detailed_metrics, removal_policy, make_function, function_env)
        else:
            self._build_rest(
                parsed, auth, options, origins, detailed_metrics, removal_policy, make_function, function_env,
                request_schemas=request_schemas,
                cache=cache,
                api_key_required=api_key_required,
                usage_plan_quota_per_day=usage_plan_quota_per_day,
                waf=waf,
                waf_logging=waf_logging,
                log_retention=log_retention,
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
            if not per_function_alarms:
                self.alarms.extend(aggregate_function_alarms(self, functions, alarm_topic))
        self.dashboard: Optional[cloudwatch.Dashboard] = (
            alarm_dashboard(self, "Dashboard", self.alarms, self.dashboard_graphs()) if dashboard and self.alarms else None
        )

    # --- metrics: exactly what the alarms watch (REST and HTTP stages alike) ---
    def metric_server_error_rate(self) -> cloudwatch.Metric:
        """Fraction of requests answered 5XX (``AWS/ApiGateway`` 5XXError / 5xx, Average over 5 min)."""
        return cast(cloudwatch.Metric, self.stage.metric_server_error(statistic="Average", period=defaults.ALARM_PERIOD))

    def metric_client_error_rate(self) -> cloudwatch.Metric:
        """Fraction of requests answered 4XX (``AWS/ApiGateway`` 4XXError / 4xx, Average over 5 min)."""
        return cast(cloudwatch.Metric, self.stage.metric_client_error(statistic="Average", period=defaults.ALARM_PERIOD))

    def metric_latency(self) -> cloudwatch.Metric:
        """p95 of ``AWS/ApiGateway Latency`` (ms, 5 min): what the latency alarm holds to the SLO."""
        return cast(cloudwatch.Metric, self.stage.metric_latency(statistic="p95", period=defaults.ALARM_PERIOD))

    def metric_count(self) -> cloudwatch.Metric:
        """Requests (``AWS/ApiGateway Count``, Sum over 5 min)."""
        return cast(cloudwatch.Metric, self.stage.metric_count(statistic="Sum", period=defaults.ALARM_PERIOD))

    def dashboard_graphs(self) -> list[Graph]:
        """The graphs ``dashboard=True`` shows (for composing your own dashboard)."""
        functions = list(dict.fromkeys(self.routes.values()))
        if self.authorizer_function is not None:
            functions.append(self.authorizer_function)
        return [
            ("Requests", [("requests", self.metric_count())]),
            ("Error rates", [("5XX", self.metric_server_error_rate()), ("4XX", self.metric_client_error_rate())]),
            ("Latency p95 (ms)", [("latency", self.metric_latency())]),
            *function_graphs({fn.node.id: fn for fn in functions}),
        ]

    # --- grants ---------------------------------------------------------------
    def grant_invoke(self, grantee: iam.IGrantable, *routes: str) -> iam.Grant:
        """Let ``grantee`` call the API (SigV4) when it uses ``ApiAuth.iam()``.

        Exactly ``execute-api:Invoke`` on the deployed stage's methods: the
        given routes (``"GET /orders/{id}"``; path parameters become ``*``), or
        every method of the stage when none are given.
        """
        if self.auth.kind is not AuthKind.IAM:
            raise PatternConfigError(
                self.node.path,
                [
                    f"grant_invoke: auth={self.auth.kind.name} is invalid: allowed only with ApiAuth.iam() "
                    "(other authorizers ignore IAM permissions). Fix: build the API with auth=ApiAuth.iam(), "
                    "or authorize callers through the API's own authorizer"
                ],
            )
        wanted = [_route_of(r) for r in routes]
        unknown = [r.key for r in wanted if r not in self.routes]
        if unknown:
            raise PatternConfigError(
                self.node.path,
                [f"grant_invoke: routes={unknown!r} is invalid: allowed routes of this API ({', '.join(sorted(self.functions))}). "
                 "Fix: pass route keys exactly as given in routes="],
            )
        resources = (
            [self.api.arn_for_execute_api(r.method if r.method != "ANY" else "*", _arn_path(r), self.stage_name) for r in wanted]
            if wanted
            else [self.api.arn_for_execute_api("*", "/*", self.stage_name)]
        )
        return grant_exactly(
            grantee,
            actions=["execute-api:Invoke"],
            resources=resources,
            wildcard_reason=(
                f"execute-api:Invoke on the methods of {self.node.path}'s '{self.stage_name}' stage only; the "
                "wildcards stand for path parameter values (or every method of that stage when no route is named), "
                "which API Gateway's resource ARNs cannot enumerate."
            ),
        )

    # --- front doors ---------------------------------------------------------
    def _add_functions(
        self,
        parsed: Mapping[Route, FunctionSpec],
        make_function: Any,
        function_env: Mapping[str, str],
        add_route: Callable[[Route, ServerlessFunction, str], None],
    ) -> None:
        """One function per distinct spec, its routes, and its table grant (both API types)."""
        used_ids: set[str] = set()
        named_for_routes = self.node.try_get_context(SHARED_FUNCTION_IDS_CONTEXT) is True
        for spec, group in routes_by_value(parsed).values():
            base = _shared_function_id(group) if named_for_routes and len(group) > 1 else _function_id(group[0])
            fid = _unique_id(base, used_ids)
            function = make_function(fid, spec, function_env, route=True)
            for route in group:
                self.functions[route.key] = function
                self.routes[route] = function
                add_route(route, function, fid)
            self._grant_table(function, group)

    def _build_rest(
        self,
        parsed: Mapping[Route, FunctionSpec],
        auth: ApiAuth,
        options: ApiSettings,
        origins: Optional[Sequence[str]],
        detailed_metrics: bool,
        removal_policy: RemovalPolicy,
        make_function: Any,
        function_env: Mapping[str, str],
        *,
        request_schemas: Optional[Mapping[str, Mapping[str, Any]]],
        cache: Optional[ApiCache],
        api_key_required: bool,
        usage_plan_quota_per_day: Optional[int],
        waf: Union[bool, str],
        waf_logging: bool,
        log_retention: Optional[logs.RetentionDays],
    ) -> None:
        # --- auth ---------------------------------------------------------
        built = build_authorizer(self, auth, removal_policy=removal_policy, make_function=make_function)
        self.user_pool: Optional[cognito.IUserPool] = built.user_pool
        self.user_pool_client: Optional[cognito.UserPoolClient] = built.user_pool_client
        self.authorizer: Optional[Any] = built.authorizer
        self.authorizer_function: Optional[ServerlessFunction] = built.authorizer_function

        # --- REST API and stage --------------------------------------------
        self.api: Any = apigw.RestApi(
            self,
            "Api",
            # Unique: API Gateway metrics (and so the alarms below) are keyed by API name.
            rest_api_name=rest_api_name(self),
            description=f"ApiBackend {self.node.path}",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The account-level CloudWatch role CDK would create uses an AWS managed
            # policy (AwsSolutions-IAM4); the account needs it set once (see docs).
            cloud_watch_role=False,
            default_cors_preflight_options=cors_options(origins, parsed) if origins else None,
            deploy_options=stage_options(options, self.access_log_group, cache, parsed, detailed_metrics),
        )
        self.stage: Any = self.api.deployment_stage
        self.url: str = self.api.url
        #: ``<api id>.execute-api.<region>.<suffix>``: the origin a CloudFront
        #: distribution (EdgeSite) points at; requests then start with ``/<stage_name>``.
        self.execute_api_domain_name: str = (
            f"{self.api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"
        )
        self.request_validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        if origins and len(origins) == 1:
            cors_gateway_responses(self.api, origins[0])
        models = self._request_models(request_schemas or {})

        # --- functions and methods -----------------------------------------
        cached = {_route_of(k) for k in cache.routes} if cache else set()
        self._add_functions(
            parsed,
            make_function,
            function_env,
            lambda route, function, _fid: self._add_method(
                route, function, built, models.get(route), route in cached, cache, api_key_required
            ),
        )

        # --- usage plan / API key ------------------------------------------
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
        if waf is True:
            self.web_acl = create_web_acl(self, "WebAcl", rate_limit=options.waf_rate_limit, metric_name="ApiWebAcl")
            if waf_logging:
                self.web_acl_log_group = log_web_acl(
                    self, "WebAclLogs", self.web_acl, retention=log_retention, removal_policy=removal_policy
                )
            web_acl_arn: Optional[str] = self.web_acl.attr_arn
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
        acknowledge_stage_findings(self.stage, integrations="Lambda functions (AWS_PROXY)", cache=cache)

    def _build_http(
        self,
        parsed: Mapping[Route, FunctionSpec],
        auth: ApiAuth,
        options: ApiSettings,
        origins: Optional[Sequence[str]],
        detailed_metrics: bool,
        removal_policy: RemovalPolicy,
        make_function: Any,
        function_env: Mapping[str, str],
    ) -> None:
        built = build_http_authorizer(self, auth, removal_policy=removal_policy, make_function=make_function)
        self.user_pool = built.user_pool
        self.user_pool_client = built.user_pool_client
        self.authorizer = built.authorizer
        self.authorizer_function = built.authorizer_function

        self.api = apigwv2.HttpApi(
            self,
            "Api",
            # Unique, as for REST: alarms select metrics by API id, but the
            # console and cost reports list APIs by name.
            api_name=rest_api_name(self),
            description=f"ApiBackend {self.node.path}",
            cors_preflight=http_cors_options(origins, parsed) if origins else None,
            create_default_stage=False,
        )
        self.stage = http_stage(
            self, "Stage", api=self.api, o=options, log_group=self.access_log_group, detailed_metrics=detailed_metrics
        )
        self.url = self.stage.url
        self.execute_api_domain_name = f"{self.api.api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"
        scopes = list(built.scopes) or None
        integrations: dict[str, v2_integrations.HttpLambdaIntegration] = {}
        #: Parent of the HTTP routes (acknowledgements of route rules are scoped here).
        self.http_routes = Construct(self, "Routes")

        def add_route(route: Route, function: ServerlessFunction, fid: str) -> None:
            if fid not in integrations:
                integrations[fid] = v2_integrations.HttpLambdaIntegration(
                    f"{fid}Integration",
                    function.alias,
                    payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
                )
            apigwv2.HttpRoute(
                self.http_routes,
                _function_id(route),
                http_api=self.api,
                route_key=apigwv2.HttpRouteKey.with_(route.path, apigwv2.HttpMethod[route.method]),
                integration=integrations[fid],
                authorizer=built.authorizer,
                authorization_scopes=scopes,
            )

        self._add_functions(parsed, make_function, function_env, add_route)

    # ------------------------------------------------------------------
    def _request_models(self, schemas: Mapping[str, Mapping[str, Any]]) -> dict[Route, apigw.IModel]:
        models: dict[Route, apigw.IModel] = {}
        if not schemas:
            return models
        scope = Construct(self, "RequestModels")
        for key, schema in schemas.items():
            route = _route_of(key)
            name = _function_id(route)
            models[route] = request_model(
                scope,
                name,
                api=self.api,
                schema=schema,
                description=f"Request body of {route.key}",
                reference_id=f"{name}Ref",
            )
        return models

    def _add_method(
        self,
        route: Route,
        function: ServerlessFunction,
        built: BuiltAuth,
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
            for source in self.auth.identity_cache_keys:
                parameters[source] = True
                cache_keys.append(source)
        tenant = function.spec.tenant_isolation
        if tenant is not None:
            # required: the request validator answers 400 when a request carries no tenant id
            parameters[tenant.method_request_parameter] = True
        integration = apigw.LambdaIntegration(
            function.alias,
            proxy=True,
            request_parameters={TENANT_ID_INTEGRATION_HEADER: tenant.method_request_parameter} if tenant else None,
            # Console test-invoke permissions are a convenience; keep the resource
            # policy to the deployed methods only.
            allow_test_invoke=False,
            cache_key_parameters=cache_keys or None,
        )
        resource.add_method(
            route.method,
            integration,
            authorization_type=built.authorization_type,
            authorizer=self.authorizer,
            authorization_scopes=list(self.auth.scopes) or None,
            request_validator=self.request_validator,
            request_parameters=parameters or None,
            request_models={"application/json": model} if model is not None else None,
            api_key_required=api_key_required or None,
        )

    def _grant_table(self, function: ServerlessFunction, group: list[Route]) -> None:
        if self.table is None:
            return
        access = TableAccess.none()
        for route in group:
            access = access | self._table_access.get(route.key, default_access(route.is_read_only))
        grant_table_access(self.table, function.role, access)

    def _acknowledge(self, auth: ApiAuth) -> None:
        if self.api_type is ApiType.HTTP:
            # cdk-nag's COG4 checks REST methods only; APIG4 checks HTTP routes too.
            if auth.kind is AuthKind.NONE:
                acknowledge(
                    self.http_routes, AWS_SOLUTIONS + "APIG4", f"Public API by explicit ApiAuth.none(): {auth.reason}"
                )
            return
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

    def _create_alarms(self, options: ApiSettings, topic: Optional[sns.ITopic]) -> list[cloudwatch.Alarm]:
        path = self.node.path
        slo_ms = options.latency_slo.to_milliseconds()
        return alarms_from_specs(
            self,
            [
                AlarmSpec(
                    "ServerErrorRateAlarm",
                    metric=self.metric_server_error_rate(),
                    threshold=options.server_error_rate,
                    description=f"{path}: more than {options.server_error_rate:.1%} of requests returned 5XX.",
                ),
                AlarmSpec(
                    "ClientErrorRateAlarm",
                    metric=self.metric_client_error_rate(),
                    threshold=options.client_error_rate,
                    description=(
                        f"{path}: more than {options.client_error_rate:.1%} of requests returned 4XX "
                        "(a broken client, expired credentials, or someone probing the API)."
                    ),
                ),
                AlarmSpec(
                    "LatencyAlarm",
                    metric=self.metric_latency(),
                    threshold=slo_ms,
                    description=f"{path}: p95 latency is above the {slo_ms:g} ms SLO.",
                ),
            ],
            alarm_topic=topic,
        )


def _route_of(key: str) -> Route:
    return parse_route(key)


def _arn_path(route: Route) -> str:
    """The route's path in an execute-api ARN: path parameters match any value."""
    return "/" + "/".join("*" if segment.startswith("{") else segment for segment in route.segments)


def _function_id(route: Route) -> str:
    words = [route.method.capitalize()]
    for segment in route.segments or ("root",):
        words.extend(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", segment) if w)
    return "".join(words)


#: Context key (``cdk.json`` ``"context"``, or ``cdk.App(context=...)``): ``true`` names a function
#: that several routes share for what it serves, ``OrdersRoutes`` for ``GET /orders`` +
#: ``POST /orders`` + ``GET /orders/{id}``. Unset (the default, and what every app before 0.2.0
#: synthesized), it keeps the id of its first route (``GetOrders``): renaming a construct id
#: changes the logical ids under it and replaces the function's log group (its logs are lost),
#: so only new apps turn it on. See docs/upgrading.md.
SHARED_FUNCTION_IDS_CONTEXT = "@cdk-serverless-patterns/api:sharedFunctionNamedForItsRoutes"


def _shared_function_id(routes: Sequence[Route]) -> str:
    """``<common literal path prefix>Routes`` (``OrdersRoutes``; ``RootRoutes`` for ``/`` only,
    ``ApiRoutes`` when the routes share no leading path segment)."""
    common: list[str] = []
    for parts in zip(*(r.segments for r in routes)):
        if len(set(parts)) != 1 or parts[0].startswith("{"):
            break
        common.append(parts[0])
    if not common and all(not r.segments for r in routes):
        common = ["root"]
    words = [w.capitalize() for segment in common for w in re.split(r"[^A-Za-z0-9]+", segment) if w]
    return "".join(words or ["Api"]) + "Routes"


def _unique_id(base: str, used: set[str]) -> str:
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}{n}", n + 1
    used.add(candidate)
    return candidate


def _create_api_table(scope: Construct, removal_policy: RemovalPolicy) -> dynamodb.Table:
    return create_table(scope, "Table", partition_key="pk", sort_key="sk", removal_policy=removal_policy)
