"""Logs: each function's own log group (retention, removal policy) and JSON structured logging."""

from __future__ import annotations

from typing import Optional, TypedDict

from aws_cdk import RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_lambda as lambda_, aws_logs as logs
from ..logs import create_log_group


#: Construct id of a function's log group, under the construct that owns its role.
LOG_GROUP_ID = "LogGroup"


class JsonLogging(TypedDict):
    """``aws_lambda.Function`` keyword arguments for JSON logs (typed for ``**``)."""

    logging_format: lambda_.LoggingFormat
    application_log_level_v2: lambda_.ApplicationLogLevel
    system_log_level_v2: lambda_.SystemLogLevel


def json_logging(*, platform_reports: bool = False) -> JsonLogging:
    """JSON logs, application level INFO, Lambda's own (platform) lines from WARN.

    :param platform_reports: system level INFO instead, so Lambda writes its
        ``platform.report`` record per invocation (the cold-start alarm's
        source). Default False.
    """
    return JsonLogging(
        logging_format=lambda_.LoggingFormat.JSON,
        application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
        system_log_level_v2=lambda_.SystemLogLevel.INFO if platform_reports else lambda_.SystemLogLevel.WARN,
    )


def function_log_group(
    scope: Construct, *, retention: Optional[logs.RetentionDays], removal_policy: RemovalPolicy
) -> logs.LogGroup:
    """The function's own log group (:data:`LOG_GROUP_ID` under ``scope``); retention default one month."""
    return create_log_group(scope, LOG_GROUP_ID, retention=retention, removal_policy=removal_policy)
