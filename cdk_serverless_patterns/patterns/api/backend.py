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

The package reads top-down: options in :mod:`.options` (and ``ApiAuth`` in
:mod:`.auth`), every rule in :mod:`.validation` (routes in :mod:`.routes`, the
stack's capacity in :mod:`.scale`); this module declares the API over them and the
stage, auth and WAF blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping, Optional, Sequence, Union, cast

from aws_cdk import Annotations, Aws, Duration, RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_apigateway as apigw,
    aws_apigatewayv2 as apigwv2,
    aws_cloudwatch as cloudwatch,
    aws_cognito as cognito,
    aws_dynamodb as dynamodb,
    aws_iam as iam,
    aws_logs as logs,
    aws_sns as sns,
    aws_wafv2 as wafv2,
    aws_apigatewayv2_integrations as v2_integrations,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.aggregate_alarms import aggregate_function_alarms
from cdk_serverless_patterns.building_blocks.alarms import AlarmSpec, Graph, function_graphs
from cdk_serverless_patterns.building_blocks.alarms import dashboard as alarm_dashboard
from cdk_serverless_patterns.building_blocks.concurrency import api_reserved_concurrency, bounded
from cdk_serverless_patterns.building_blocks.function import FunctionSpec, Invocation, ServerlessFunction
from cdk_serverless_patterns.building_blocks.function.compute import TENANT_ID_INTEGRATION_HEADER
from cdk_serverless_patterns.building_blocks.grants import grant_exactly
from cdk_serverless_patterns.building_blocks.hardening import is_hardened
from cdk_serverless_patterns.building_blocks.logs import create_log_group
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.building_blocks.table_access import TableAccess, default_access, grant_table_access
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.building_blocks.waf import create_web_acl, log_web_acl
from cdk_serverless_patterns.errors import PatternConfigError, child_path, or_default
from cdk_serverless_patterns.runtime import env

from .api_type import ApiType
from .auth import (
    ApiAuth,
    AuthKind,
    BuiltAuth,
    BuiltHttpAuth,
    acknowledge_auth,
    build_authorizer,
    build_http_authorizer,
    warn_on_weakened_auth,
)
from .options import SHARED_FUNCTION_IDS_CONTEXT as SHARED_FUNCTION_IDS_CONTEXT  # re-exported: defined here until 0.2
from .options import ApiCache, ApiSettings
from .routes import Route, arn_path, function_id, parse_route, routes_by_value, shared_function_id, unique_id
from .scale import ResourcePlan, check_stack_capacity
from .stage import (
    acknowledge_stage_findings,
    cors_gateway_responses,
    cors_options,
    http_cors_options,
    http_stage,
    regional_rest_api,
    request_model,
    rest_api_name,
    stage_options,
)
from .validation import validate_api


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
        auth = or_default(auth, ApiAuth.cognito())
        settings = ApiSettings.of(
            stage_name=stage_name,
            rate=throttling_rate_limit,
            burst=throttling_burst_limit,
            waf_rate_limit=waf_rate_limit,
            latency_slo=latency_slo,
            server_error_rate=server_error_rate,
            client_error_rate=client_error_rate,
        )
        options = PatternOptions(alarm_topic=alarm_topic, create_alarms=create_alarms, removal_policy=removal_policy,
                                 log_retention=log_retention, dashboard=dashboard)
        origins = [cors_allow_origins] if isinstance(cors_allow_origins, str) else cors_allow_origins
        path = child_path(scope, construct_id)
        parsed = validate_api(
            path,
            api_type=api_type,
            routes=routes,
            auth=auth,
            table=table,
            environment=environment,
            options=settings,
            cors_allow_origins=origins,
            request_schemas=request_schemas,
            cache=cache,
            api_key_required=api_key_required,
            usage_plan_quota_per_day=usage_plan_quota_per_day,
            waf=waf,
            pattern_options=options,
            typed_options=dict(
                stage_name=stage_name, api_key_required=api_key_required, detailed_metrics=detailed_metrics
            ),
            waf_logging=waf_logging,
            table_access=table_access,
        )
        waf = waf if waf is not None else api_type is ApiType.REST  # REST default: a new web ACL
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
                create_alarms=options.create_alarms,
                per_function_alarms=per_function_alarms,
                dashboard=options.dashboard,
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
            self.table = create_table(
                self, "Table", partition_key="pk", sort_key="sk", removal_policy=options.removal_policy
            )
        elif table is not None and table is not False:
            self.table = table

        function_env: dict[str, str] = {}
        if self.table is not None:
            function_env[env.TABLE_NAME] = self.table.table_name
        if origins:
            function_env[env.CORS_ALLOW_ORIGINS] = ",".join(origins)
        function_env.update(environment or {})

        function_count = len(routes_by_value(parsed)) + (1 if auth.kind is AuthKind.LAMBDA else 0)
        # With per_function_alarms=False, aggregate alarms stand in for the functions' own.
        function_options = replace(options, create_alarms=options.create_alarms and per_function_alarms)

        def make_function(
            fid: str, spec: FunctionSpec, extra: Optional[Mapping[str, str]] = None, *, route: bool = False
        ) -> ServerlessFunction:
            # The stage throttle bounds the rate, not concurrency: reserve a bound (concurrency.py).
            bound = api_reserved_concurrency(spec, rate=settings.rate, functions=function_count)
            function = ServerlessFunction(
                self,
                fid,
                bounded(spec, bound),
                invocation=Invocation.SYNC,
                **function_options.for_function,
                environment=extra,
                max_timeout=(api_type.integration_timeout_s, api_type.timeout_reason),
                # REST routes map the tenant id into each invoke (see _add_method)
                passes_tenant_id=route and api_type is ApiType.REST,
            )
            return function

        self.access_log_group = create_log_group(
            self, "AccessLogs", retention=options.log_retention, removal_policy=options.removal_policy
        )
        self.stage_name: str = settings.stage_name
        self.functions: dict[str, ServerlessFunction] = {}
        self.routes: dict[Route, ServerlessFunction] = {}
        self.request_validator: Optional[apigw.RequestValidator] = None
        self.usage_plan: Optional[apigw.UsagePlan] = None
        self.api_key: Optional[apigw.IApiKey] = None
        self.web_acl: Optional[wafv2.CfnWebACL] = None
        self.web_acl_log_group: Optional[logs.LogGroup] = None
        front = _FrontDoor(parsed, auth, settings, options, origins, detailed_metrics, function_env, make_function)
        if api_type is ApiType.HTTP:
            self._build_http(front)
        else:
            self._build_rest(
                front,
                request_schemas=request_schemas,
                cache=cache,
                api_key_required=api_key_required,
                usage_plan_quota_per_day=usage_plan_quota_per_day,
                waf=waf,
                waf_logging=waf_logging,
            )

        acknowledge_auth(self.http_routes if api_type is ApiType.HTTP else self.api, auth, api_type)
        warn_on_weakened_auth(self, auth)

        # --- alarms -------------------------------------------------------
        functions = self._all_functions()
        self.alarms: list[cloudwatch.Alarm] = [alarm for function in functions for alarm in function.alarms]
        self.alarms.extend(options.alarms(self, self._alarm_specs(settings)))
        if options.create_alarms and not per_function_alarms:
            self.alarms.extend(aggregate_function_alarms(self, functions, options.alarm_topic))
        self.dashboard: Optional[cloudwatch.Dashboard] = (
            alarm_dashboard(self, "Dashboard", self.alarms, self.dashboard_graphs())
            if options.dashboard and self.alarms
            else None
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
        return [
            ("Requests", [("requests", self.metric_count())]),
            ("Error rates", [("5XX", self.metric_server_error_rate()), ("4XX", self.metric_client_error_rate())]),
            ("Latency p95 (ms)", [("latency", self.metric_latency())]),
            *function_graphs({fn.node.id: fn for fn in self._all_functions()}),
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
        wanted = [parse_route(r) for r in routes]
        unknown = [r.key for r in wanted if r not in self.routes]
        if unknown:
            raise PatternConfigError(
                self.node.path,
                [f"grant_invoke: routes={unknown!r} is invalid: allowed routes of this API ({', '.join(sorted(self.functions))}). "
                 "Fix: pass route keys exactly as given in routes="],
            )
        resources = (
            [self.api.arn_for_execute_api(r.method if r.method != "ANY" else "*", arn_path(r), self.stage_name) for r in wanted]
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
    def _add_functions(self, front: "_FrontDoor", add_route: Callable[[Route, ServerlessFunction, str], None]) -> None:
        """One function per distinct spec, its routes, and its table grant (both API types)."""
        used_ids: set[str] = set()
        named_for_routes = self.node.try_get_context(SHARED_FUNCTION_IDS_CONTEXT) is True
        for spec, group in routes_by_value(front.parsed).values():
            base = shared_function_id(group) if named_for_routes and len(group) > 1 else function_id(group[0])
            fid = unique_id(base, used_ids)
            function = front.make_function(fid, spec, front.function_env, route=True)
            for route in group:
                self.functions[route.key] = function
                self.routes[route] = function
                add_route(route, function, fid)
            self._grant_table(function, group)

    def _build_rest(
        self,
        front: "_FrontDoor",
        *,
        request_schemas: Optional[Mapping[str, Mapping[str, Any]]],
        cache: Optional[ApiCache],
        api_key_required: bool,
        usage_plan_quota_per_day: Optional[int],
        waf: Union[bool, str],
        waf_logging: bool,
    ) -> None:
        built = build_authorizer(
            self, front.auth, removal_policy=front.options.removal_policy, make_function=front.make_function
        )
        self._adopt_auth(built)
        settings, origins, parsed = front.settings, front.origins, front.parsed

        # --- REST API and stage --------------------------------------------
        self.api: Any = regional_rest_api(
            self,
            description=f"ApiBackend {self.node.path}",
            cors=cors_options(origins, parsed) if origins else None,
            deploy_options=stage_options(settings, self.access_log_group, cache, parsed, front.detailed_metrics),
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
        cached = {parse_route(k) for k in cache.routes} if cache else set()
        self._add_functions(
            front,
            lambda route, function, _fid: self._add_method(
                route, function, built, models.get(route), route in cached, cache, api_key_required
            ),
        )

        # --- usage plan / API key ------------------------------------------
        if api_key_required:
            self.usage_plan = self.api.add_usage_plan(
                "UsagePlan",
                throttle=apigw.ThrottleSettings(rate_limit=settings.rate, burst_limit=settings.burst),
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
            self.web_acl = create_web_acl(self, "WebAcl", rate_limit=settings.waf_rate_limit, metric_name="ApiWebAcl")
            if waf_logging:
                self.web_acl_log_group = log_web_acl(
                    self, "WebAclLogs", self.web_acl, retention=front.options.log_retention,
                    removal_policy=front.options.removal_policy,
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

    def _build_http(self, front: "_FrontDoor") -> None:
        built = build_http_authorizer(
            self, front.auth, removal_policy=front.options.removal_policy, make_function=front.make_function
        )
        self._adopt_auth(built)

        self.api = apigwv2.HttpApi(
            self,
            "Api",
            # Unique, as for REST: alarms select metrics by API id, but the
            # console and cost reports list APIs by name.
            api_name=rest_api_name(self),
            description=f"ApiBackend {self.node.path}",
            cors_preflight=http_cors_options(front.origins, front.parsed) if front.origins else None,
            create_default_stage=False,
        )
        self.stage = http_stage(
            self, "Stage", api=self.api, o=front.settings, log_group=self.access_log_group,
            detailed_metrics=front.detailed_metrics,
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
                function_id(route),
                http_api=self.api,
                route_key=apigwv2.HttpRouteKey.with_(route.path, apigwv2.HttpMethod[route.method]),
                integration=integrations[fid],
                authorizer=built.authorizer,
                authorization_scopes=scopes,
            )

        self._add_functions(front, add_route)

    # ------------------------------------------------------------------
    def _request_models(self, schemas: Mapping[str, Mapping[str, Any]]) -> dict[Route, apigw.IModel]:
        models: dict[Route, apigw.IModel] = {}
        if not schemas:
            return models
        scope = Construct(self, "RequestModels")
        for key, schema in schemas.items():
            route = parse_route(key)
            name = function_id(route)
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

    def _adopt_auth(self, built: Union[BuiltAuth, BuiltHttpAuth]) -> None:
        self.user_pool: Optional[cognito.IUserPool] = built.user_pool
        self.user_pool_client: Optional[cognito.UserPoolClient] = built.user_pool_client
        self.authorizer: Optional[Any] = built.authorizer
        self.authorizer_function: Optional[ServerlessFunction] = built.authorizer_function

    def _all_functions(self) -> list[ServerlessFunction]:
        """Each route function once, then the authorizer's."""
        functions = list(dict.fromkeys(self.routes.values()))
        if self.authorizer_function is not None:
            functions.append(self.authorizer_function)
        return functions

    def _grant_table(self, function: ServerlessFunction, group: list[Route]) -> None:
        if self.table is None:
            return
        access = TableAccess.none()
        for route in group:
            access = access | self._table_access.get(route.key, default_access(route.is_read_only))
        grant_table_access(self.table, function.role, access)

    def _alarm_specs(self, settings: ApiSettings) -> list[AlarmSpec]:
        path = self.node.path
        slo_ms = settings.latency_slo.to_milliseconds()
        return [
            AlarmSpec(
                "ServerErrorRateAlarm",
                metric=self.metric_server_error_rate(),
                threshold=settings.server_error_rate,
                description=f"{path}: more than {settings.server_error_rate:.1%} of requests returned 5XX.",
            ),
            AlarmSpec(
                "ClientErrorRateAlarm",
                metric=self.metric_client_error_rate(),
                threshold=settings.client_error_rate,
                description=(
                    f"{path}: more than {settings.client_error_rate:.1%} of requests returned 4XX "
                    "(a broken client, expired credentials, or someone probing the API)."
                ),
            ),
            AlarmSpec(
                "LatencyAlarm",
                metric=self.metric_latency(),
                threshold=slo_ms,
                description=f"{path}: p95 latency is above the {slo_ms:g} ms SLO.",
            ),
        ]


@dataclass(frozen=True)
class _FrontDoor:
    """What both front doors (REST and HTTP) are built from: the validated routes and
    auth, the resolved settings and options, and the function factory."""

    parsed: Mapping[Route, FunctionSpec]
    auth: ApiAuth
    settings: ApiSettings
    options: PatternOptions
    origins: Optional[Sequence[str]]
    detailed_metrics: bool
    function_env: Mapping[str, str]
    make_function: Callable[..., ServerlessFunction]
