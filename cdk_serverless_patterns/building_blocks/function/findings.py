"""The cdk-nag and checkov findings a library function triggers by design, each acknowledged with its reason."""

from __future__ import annotations

from typing import cast

from aws_cdk import Token

from cdk_serverless_patterns._cdk_modules import aws_iam as iam, aws_lambda as lambda_, aws_logs as logs
from cdk_serverless_patterns.checks.acknowledge import (
    AWS_SOLUTIONS,
    COMPLIANCE,
    SERVERLESS,
    acknowledge,
    acknowledge_checkov,
    acknowledge_inline_policies,
)
from cdk_serverless_patterns.errors import default_child_of, stack_of


def acknowledge_regional_findings(
    function: lambda_.Function,
    role: iam.Role,
    *,
    has_destination: bool,
    in_vpc: bool = False,
    environment_key: bool = False,
) -> None:
    """A regional function: no DeadLetterConfig (a destination or no async use), env encryption
    (unless it has its own key), no VPC (unless it is in one)."""
    if has_destination:
        dlq_reason = (
            "Failed asynchronous invocations go to an on-failure destination queue "
            "(EventInvokeConfig), the successor of DeadLetterConfig that also records the error; "
            "configuring both would deliver every failure twice."
        )
    else:
        dlq_reason = (
            "This function is not invoked asynchronously (synchronous callers receive its errors; "
            "event source mappings route failures to their own queue or destination). "
            "DeadLetterConfig only applies to asynchronous invocations, so it would never be used."
        )
    acknowledge(function, SERVERLESS + "LambdaDLQ", dlq_reason)
    acknowledge_inline_policies(role)
    if not environment_key:
        acknowledge_checkov(
            function,
            ("CKV_AWS_173",),
            "Lambda encrypts environment variables at rest with its AWS managed key. The library puts only "
            "resource names, ARNs and settings there; secrets do not belong in environment variables (read "
            "them from Secrets Manager or SSM Parameter Store at run time). Set kms_key_arn on "
            "function.node.default_child if a value must be protected by your own key.",
        )
    if not in_vpc:
        acknowledge(
            function,
            COMPLIANCE + "LambdaInsideVPC",
            "Not attached to a VPC: the function calls only AWS service APIs (TLS, authenticated and "
            "authorized by its own role, whose grants name its resources) and reaches no private network, "
            "so a VPC would add NAT or interface-endpoint cost and cold-start latency with no network "
            "boundary to enforce. Attach one when the function must reach private resources.",
        )


def acknowledge_edge_findings(
    function: lambda_.Function, role: iam.Role, policy: iam.Policy, log_group: logs.LogGroup
) -> None:
    """A Lambda@Edge function: what Lambda@Edge does not support, and its Region-wildcard log grant."""
    acknowledge(
        function,
        SERVERLESS + "LambdaDLQ",
        "Lambda@Edge does not support dead-letter queues: CloudFront invokes the function "
        "synchronously and a failure reaches the viewer as a 5xx, which the distribution's "
        "5xxErrorRate alarm watches.",
    )
    acknowledge(
        function,
        SERVERLESS + "LambdaTracing",
        "Lambda@Edge does not support AWS X-Ray active tracing; requests are traced through "
        "CloudFront access logs and the function's JSON logs instead.",
    )
    acknowledge(
        function,
        COMPLIANCE + "LambdaInsideVPC",
        "Lambda@Edge does not support VPC configuration (CloudFront runs the replicas in its own "
        "Regions); an edge function reaches only what a viewer request carries.",
    )
    acknowledge(
        function,
        COMPLIANCE + "LambdaConcurrency",
        "Lambda@Edge does not support reserved concurrency: replicas run under the account concurrency "
        "of each Region CloudFront serves from. Bound viewers with a rate-based rule on the distribution's "
        "web ACL (EdgeSite creates one with a per-IP limit when its stack is in us-east-1).",
    )
    acknowledge_inline_policies(role)
    # cdk-nag names each wildcard resource the way it renders it.
    home_stack = stack_of(role)
    account = "<AWS::AccountId>" if Token.is_unresolved(home_stack.account) else home_stack.account
    log_group_id = home_stack.resolve(
        home_stack.get_logical_id(cast(logs.CfnLogGroup, default_child_of(log_group)))
    )
    rendered = f"arn:<AWS::Partition>:logs:*:{account}:log-group:<{log_group_id}>"
    for resource in (rendered, f"{rendered}:*"):
        acknowledge(
            policy,
            f"{AWS_SOLUTIONS}IAM5[Resource::{resource}]",
            "The Region is the only wildcard (plus this log group's streams): Lambda@Edge replicas "
            "log in whichever Region serves the viewer, unknown in advance, and with a custom log group "
            "name (this function's) they keep that name in every Region (CloudFront Developer Guide, "
            "'Edge function logs'). Those log groups are created on first use, outside CloudFormation, "
            "without retention: docs/patterns/edge.md says how to set it.",
        )
