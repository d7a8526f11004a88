"""REST API stage defaults shared by the patterns that front something with API Gateway.

A stage from :func:`secure_stage_options` has throttling, ERROR-level execution
logs without request data, JSON access logs (cdk-nag APIGWStructuredLogging)
and X-Ray tracing.
"""

from __future__ import annotations

import json
from typing import Optional

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs

from . import defaults

#: One JSON object per request: who called, what, how it ended, and the trace id.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "caller": "$context.identity.caller",
    "user": "$context.identity.user",
    "userArn": "$context.identity.userArn",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integration.latency",
    "integrationStatus": "$context.integration.status",
    "integrationError": "$context.integration.error",
    "wafStatus": "$context.waf.status",
    "errorMessage": "$context.error.message",
    "xrayTraceId": "$context.xrayTraceId",
}


def secure_stage_options(
    *,
    log_group: logs.ILogGroup,
    stage_name: Optional[str] = None,
    rate_limit: Optional[float] = None,
    burst_limit: Optional[int] = None,
) -> apigw.StageOptions:
    """Stage options with the production defaults.

    :param log_group: destination of the JSON access logs.
    :param stage_name: default :data:`defaults.API_STAGE_NAME`.
    :param rate_limit: steady-state requests per second for every method.
        Default :data:`defaults.API_THROTTLING_RATE_LIMIT`.
    :param burst_limit: default :data:`defaults.API_THROTTLING_BURST_LIMIT`.
    """
    return apigw.StageOptions(
        stage_name=stage_name if stage_name is not None else defaults.API_STAGE_NAME,
        throttling_rate_limit=rate_limit if rate_limit is not None else defaults.API_THROTTLING_RATE_LIMIT,
        throttling_burst_limit=burst_limit if burst_limit is not None else defaults.API_THROTTLING_BURST_LIMIT,
        # ERROR, not INFO: INFO execution logs can hold request data and cost more.
        logging_level=apigw.MethodLoggingLevel.ERROR,
        data_trace_enabled=False,
        metrics_enabled=False,
        tracing_enabled=True,
        access_log_destination=apigw.LogGroupLogDestination(log_group),
        access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
    )
