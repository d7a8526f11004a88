"""The execution role every library function gets: its own, no managed policies, logs scoped to its log group."""

from __future__ import annotations

from typing import Sequence, cast

from aws_cdk import ArnFormat, Stack
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_iam as iam, aws_lambda as lambda_, aws_logs as logs
from cdk_serverless_patterns.errors import child_of, default_child_of, node_of, stack_of


#: Construct id of a function's role, under the construct that owns it.
ROLE_ID = "Role"


def execution_role(scope: Construct, *, description: str) -> iam.Role:
    """A role only Lambda may assume, with no AWS managed policies (grants add the rest)."""
    return iam.Role(
        scope,
        ROLE_ID,
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=description,
    )


def allow_logging_to(role: iam.Role, log_group: logs.ILogGroup) -> None:
    """Only its own log group: streams are created inside it, which needs ':*'.

    The log group's own grant makes the same statement on the role (same account)
    in one jsii call instead of three.
    """
    log_group.grant(role, "logs:CreateLogStream", "logs:PutLogEvents")


def allow_logging_in_every_region(role: iam.Role, log_group: logs.ILogGroup) -> None:
    """Lambda@Edge: a log group of this name in any Region, created on first use.

    Replicas log in the Region that serves the viewer, to a log group with the
    same name as the us-east-1 one: any Region, this name only.
    """
    log_group_arn = Stack.of(role).format_arn(
        service="logs",
        region="*",
        resource="log-group",
        resource_name=log_group.log_group_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group_arn, f"{log_group_arn}:*"],
        )
    )


def default_policy(role: iam.Role) -> iam.Policy:
    """The role's default policy (exists once a statement was added)."""
    found = child_of(role, "DefaultPolicy")
    return cast(iam.Policy, found if found is not None else node_of(role).find_child("DefaultPolicy"))


def depend_only_on_policies(function: lambda_.Function, policies: Sequence[iam.Policy]) -> None:
    """Make ``function`` depend on ``policies`` alone.

    CDK makes a function depend on its role and the role's policy; the role
    dependency is already implied by GetAtt (cfn-lint W3005), so keep only the
    policies: the function must not run before its permissions exist.
    """
    stack = stack_of(function)
    cast(lambda_.CfnFunction, default_child_of(function)).add_override(
        "DependsOn",
        [stack.get_logical_id(cast(iam.CfnPolicy, default_child_of(policy))) for policy in policies],
    )
