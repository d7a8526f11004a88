"""The rules of :class:`ServerlessPatternsChecks`, as data over a CloudFormation template."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .. import defaults
from .base import Finding, Rule, Template, resources


def _is_cdk_internal(logical_id: str, res_props: Mapping[str, Any]) -> bool:
    """CDK's own custom-resource provider functions (not the user's to change)."""
    return "CustomResourceProvider" in logical_id or "SingletonLambda" in logical_id or logical_id.startswith(
        ("AWS679f53fac002430cb0da5b7982bd2287", "LogRetention", "BucketNotificationsHandler")
    )


def lambda_not_arm64(template: Template) -> Iterable[Finding]:
    """SP-LAMBDA-ARM64: functions run on arm64 (Lambda@Edge and CDK internals excepted)."""
    for logical_id, props in resources(template, "AWS::Lambda::Function"):
        if _is_cdk_internal(logical_id, props):
            continue
        if "arm64" not in (props.get("Architectures") or []):
            yield Finding(logical_id, "Properties/Architectures")


def log_group_without_retention(template: Template) -> Iterable[Finding]:
    """SP-LOGS-RETENTION: every log group sets RetentionInDays."""
    for logical_id, props in resources(template, "AWS::Logs::LogGroup"):
        if "RetentionInDays" not in props:
            yield Finding(logical_id, "Properties/RetentionInDays")


RULES: list[Rule] = [
        Rule(
            "SP-LAMBDA-ARM64",
            "warning",
            "Lambda function does not run on arm64 (Graviton), which is about 20% cheaper per GB-second.",
            "Set architecture=Architecture.ARM_64 (FunctionSpec's default); keep x86_64 only for Lambda@Edge "
            "or binaries without arm64 builds, and acknowledge with the reason.",
            lambda_not_arm64,
        ),
        Rule(
            "SP-LOGS-RETENTION",
            "error",
            "Log group keeps logs forever (no retention period).",
            f"Set retention, e.g. logs.RetentionDays.{defaults.LOG_RETENTION.name}.",
            log_group_without_retention,
        ),
]
