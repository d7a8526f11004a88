"""Stage and CORS building blocks of ``ApiBackend`` (also used by ``saga_api``),
for REST APIs and HTTP APIs.

What the stage looks like (throttling, JSON access logs, execution logging,
X-Ray, cache), the CORS preflight and gateway responses; ``api.py`` composes
them with the shared web ACL of :mod:`.waf`.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Mapping, Optional, Sequence

import jsii
from aws_cdk import Duration, Names
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_apigateway as apigw,
    aws_apigatewayv2 as apigwv2,
    aws_logs as logs,
)
from cdk_serverless_patterns.errors import or_default
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import COMPLIANCE, acknowledge

from .options import ApiCache as ApiCache  # re-exported: ApiCache was defined here until 0.2
from .options import ApiSettings as ApiSettings
from .routes import Route, parse_route


#: JSON schema draft API Gateway models use.
JSON_SCHEMA_DRAFT_4 = "http://json-schema.org/draft-04/schema#"


def request_model(
    scope: Construct,
    construct_id: str,
    *,
    api: apigw.RestApi,
    schema: Mapping[str, Any],
    description: str,
    reference_id: str,
) -> apigw.IModel:
    """A JSON-schema request model of ``api`` (draft 4), ready for ``request_models``.

    The schema is also folded into the logical id of the API's deployment, as
    CDK's own ``Model`` does: a stage serves the API as of its last deployment,
    so without this a changed schema would be saved on the API but never
    deployed, and the stage would keep validating bodies against the old one.
    """
    body = {"$schema": JSON_SCHEMA_DRAFT_4, **dict(schema)}
    model = apigw.CfnModel(
        scope,
        construct_id,
        rest_api_id=api.rest_api_id,
        content_type="application/json",
        schema=body,
        description=description,
    )
    if api.latest_deployment is not None:
        api.latest_deployment.add_to_logical_id({"model": {"id": model.node.path, "schema": body}})
    return apigw.Model.from_model_name(scope, reference_id, model.ref)


def rest_api_name(owner: Construct) -> str:
    """A REST API name unique in the account and Region: ``<stack>-<path>-<hash>``.

    API Gateway publishes its metrics by ``ApiName`` (and ``Stage``), not by API
    id, so two APIs of the same name in one account and Region (CDK's default
    name is the construct id, ``"Api"`` for every pattern) feed the same metrics:
    each API's 5XX/4XX/latency alarms would fire on the other's traffic. Stack
    names are unique per account and Region, construct paths within a stack.
    (CDK drops a ``Default`` id from the name, as it does in logical ids.)
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
    """
    return Names.unique_resource_name(owner, separator="-")


def regional_rest_api(
    owner: Construct,
    *,
    description: str,
    deploy_options: apigw.StageOptions,
    cors: Optional[apigw.CorsOptions] = None,
) -> apigw.RestApi:
    """The library's REST API ``Api`` under ``owner`` (ApiBackend, the saga start API): regional,
    named by :func:`rest_api_name` (API Gateway metrics, and so the alarms, are keyed by API
    name), without CDK's account-level CloudWatch role (it uses an AWS managed policy,
    AwsSolutions-IAM4; the account sets that role once, see the README)."""
    return apigw.RestApi(
        owner,
        "Api",
        rest_api_name=rest_api_name(owner),
        description=description,
        endpoint_types=[apigw.EndpointType.REGIONAL],
        cloud_watch_role=False,
        default_cors_preflight_options=cors,
        deploy_options=deploy_options,
    )


ACCESS_LOG_FIELDS = {
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


def stage_options(
    o: ApiSettings,
    log_group: logs.ILogGroup,
    cache: Optional[ApiCache],
    parsed: Mapping[Route, Any],
    detailed_metrics: bool,
) -> apigw.StageOptions:
    method_options = None
    if cache is not None:
        ttl = or_default(cache.ttl, defaults.API_CACHE_TTL)
        method_options = {
            f"{parse_route(k).path}/GET": apigw.MethodDeploymentOptions(
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
        access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
        cache_cluster_enabled=True if cache is not None else None,
        cache_cluster_size=cache.size_gb if cache is not None else None,
        method_options=method_options,
    )


def cors_options(origins: Sequence[str], parsed: Mapping[Route, Any]) -> apigw.CorsOptions:
    methods = sorted({r.method for r in parsed})
    return apigw.CorsOptions(
        allow_origins=list(origins),
        allow_methods=apigw.Cors.ALL_METHODS if "ANY" in methods else methods + ["OPTIONS"],
        allow_headers=[*apigw.Cors.DEFAULT_HEADERS, "X-Correlation-Id", "Idempotency-Key"],
        max_age=Duration.hours(1),
    )


def cors_gateway_responses(api: apigw.RestApi, origin: str) -> None:
    """Errors API Gateway answers itself (401, 403, 429, 5XX) carry CORS headers too,
    so browsers show the real error instead of a CORS failure."""
    headers = {"Access-Control-Allow-Origin": f"'{origin}'"}
    if origin != "*":
        headers["Vary"] = "'Origin'"
    api.add_gateway_response("Default4xx", type=apigw.ResponseType.DEFAULT_4_XX, response_headers=headers)
    api.add_gateway_response("Default5xx", type=apigw.ResponseType.DEFAULT_5_XX, response_headers=headers)


#: Access log fields of an HTTP API stage (its $context variables differ from REST's).
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
HTTP_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "caller": "$context.identity.caller",
    "principalId": "$context.authorizer.principalId",
    "jwtSubject": "$context.authorizer.claims.sub",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "errorMessage": "$context.error.message",
}


def http_stage(
    scope: Construct,
    construct_id: str,
    *,
    api: apigwv2.HttpApi,
    o: ApiSettings,
    log_group: logs.ILogGroup,
    detailed_metrics: bool,
) -> apigwv2.HttpStage:
    """The HTTP API stage: auto-deployed, throttled, JSON access logs to ``log_group``."""
    return apigwv2.HttpStage(
        scope,
        construct_id,
        http_api=api,
        stage_name=o.stage_name,
        auto_deploy=True,
        throttle=apigwv2.ThrottleSettings(rate_limit=o.rate, burst_limit=o.burst),
        detailed_metrics_enabled=detailed_metrics,
        access_log_settings=_http_access_logs_class()(log_group),
    )


@functools.lru_cache(maxsize=1)
def _http_access_logs_class() -> type:
    """The ``IAccessLogSettings`` class, defined on first use (its interface lives in aws_apigatewayv2)."""

    @jsii.implements(apigwv2.IAccessLogSettings)
    class _HttpAccessLogs:
        """``IAccessLogSettings``: JSON access logs into one log group."""

        def __init__(self, log_group: logs.ILogGroup) -> None:
            self._destination = apigwv2.LogGroupLogDestination(log_group)
            self._format = apigw.AccessLogFormat.custom(json.dumps(HTTP_ACCESS_LOG_FIELDS))

        @property
        def destination(self) -> apigwv2.IAccessLogDestination:
            return self._destination

        @property
        def format(self) -> apigw.AccessLogFormat:
            return self._format

    return _HttpAccessLogs


def http_cors_options(origins: Sequence[str], parsed: Mapping[Route, Any]) -> apigwv2.CorsPreflightOptions:
    """HTTP API CORS: API Gateway answers preflight itself and adds the headers to responses."""
    methods = sorted({r.method for r in parsed})
    allow_methods = (
        [apigwv2.CorsHttpMethod.ANY]
        if "ANY" in methods
        else [apigwv2.CorsHttpMethod[m] for m in methods] + [apigwv2.CorsHttpMethod.OPTIONS]
    )
    return apigwv2.CorsPreflightOptions(
        allow_origins=list(origins),
        allow_methods=allow_methods,
        allow_headers=[*apigw.Cors.DEFAULT_HEADERS, "X-Correlation-Id", "Idempotency-Key"],
        max_age=Duration.hours(1),
    )


def acknowledge_stage_findings(stage: apigw.Stage, *, integrations: str, cache: Optional[ApiCache]) -> None:
    """The compliance packs' stage findings that do not apply to Lambda/Step Functions backends.

    :param integrations: what the stage's methods integrate with, for the reason.
    """
    acknowledge(
        stage,
        COMPLIANCE + "APIGWSSLEnabled",
        "The rule asks for a client certificate API Gateway presents to an HTTP backend so the backend can "
        f"authenticate it; this stage's methods integrate with {integrations} through the AWS API (TLS, "
        "SigV4-signed with the integration's IAM permissions), so there is no backend endpoint to present one to.",
    )
    if cache is None:
        reason = (
            "No response cache is configured, so no response data is cached that could sit unencrypted "
            "(PCI DSS 3.4); responses are authorized per caller. ApiCache(...) turns on an encrypted cache "
            "for chosen GET routes."
        )
    else:
        reason = (
            f"The cache is on for {', '.join(cache.routes)} only, encrypted (cache_data_encrypted) and keyed "
            "per caller; the other methods are deliberately not cached: they write, or return per-caller "
            "data that must not be served from a cache."
        )
    acknowledge(stage, COMPLIANCE + "APIGWCacheEnabledAndEncrypted", reason)
