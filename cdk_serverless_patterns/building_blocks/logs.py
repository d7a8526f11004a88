"""The log group helper: every log group the library creates has a retention."""

from __future__ import annotations

from typing import Optional

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_serverless_patterns import defaults


def create_log_group(
    scope: Construct,
    construct_id: str,
    *,
    retention: Optional[logs.RetentionDays] = None,
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    log_group_name: Optional[str] = None,
) -> logs.LogGroup:
    """A log group with ``retention`` (default :data:`defaults.LOG_RETENTION`).

    Retained on stack deletion by default: logs are evidence after an incident.
    """
    return logs.LogGroup(
        scope,
        construct_id,
        retention=retention if retention is not None else defaults.LOG_RETENTION,
        removal_policy=removal_policy,
        log_group_name=log_group_name,
    )
