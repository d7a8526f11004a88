"""The log group helper: every log group the library creates has a retention.

Under :func:`~.hardening.enable_hardening` it is also encrypted with the stack's
customer managed logs key; otherwise CloudWatch Logs encrypts it with its own
service keys, and the compliance packs' ``CloudWatchLogGroupEncrypted`` finding
is acknowledged with that as the reason.
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_logs as logs
from cdk_serverless_patterns.errors import or_default
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import COMPLIANCE, acknowledge

from .hardening import logs_key_for


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
    Encrypted with the stack's logs key when the scope is hardened.
    """
    key = logs_key_for(scope)
    log_group = logs.LogGroup(
        scope,
        construct_id,
        retention=or_default(retention, defaults.LOG_RETENTION),
        removal_policy=removal_policy,
        log_group_name=log_group_name,
        encryption_key=key,
    )
    if key is None:
        acknowledge(
            log_group,
            COMPLIANCE + "CloudWatchLogGroupEncrypted",
            "Encrypted at rest by CloudWatch Logs with service-managed keys (AES-256), and readable only "
            "through IAM-authorized logs:* calls. A customer managed key adds key-policy control and CloudTrail "
            "records of each use, which workloads with regulated data turn on with enable_hardening(scope) "
            "(one key per stack); this scope did not.",
        )
    return log_group
