"""Tracing: active X-Ray on every regional function, from one X-Ray policy per stack.

CDK's ``tracing=Tracing.ACTIVE`` would put X-Ray's ``Resource: "*"`` statement
into the role's default policy, beside the real grants, where an
acknowledgement of ``"*"`` would also cover a later grant. So tracing is set on
the L1 and its permissions live in a policy of their own. OpenTelemetry
(``Tracing.OPENTELEMETRY``) adds the ADOT layer on top
(:func:`~cdk_serverless_patterns.building_blocks.lambda_layers.adot_instrumentation`).
"""

from __future__ import annotations

from typing import cast

from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_iam as iam, aws_lambda as lambda_
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, COMPLIANCE, SERVERLESS, acknowledge
from cdk_serverless_patterns.errors import child_of, default_child_of, stack_of


#: What active tracing needs; X-Ray documents "*" as their only resource.
XRAY_WRITE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
#: Construct id (under the stack) of the stack's one X-Ray policy.
TRACING_POLICY_ID = "ServerlessPatternsTracingPolicy"


def tracing_policy(scope: Construct) -> iam.Policy:
    """The stack's X-Ray policy: only X-Ray's write actions, attached to every function role.

    Apart from the roles' default policies, so its acknowledged ``Resource: "*"``
    covers nothing else: a later ``"*"`` grant in a default policy is still
    reported. One per stack (an ``AWS::IAM::Policy`` may name many roles), so
    it costs one resource per stack, not one per function.
    """
    stack = stack_of(scope)
    existing = child_of(stack, TRACING_POLICY_ID)
    if isinstance(existing, iam.Policy):
        return existing
    policy = iam.Policy(
        stack,
        TRACING_POLICY_ID,
        statements=[
            iam.PolicyStatement(
                actions=list(XRAY_WRITE_ACTIONS),
                resources=["*"],  # X-Ray's write actions support no resource-level permissions
            )
        ],
    )
    acknowledge(
        policy,
        AWS_SOLUTIONS + "IAM5[Resource::*]",
        "This policy holds only X-Ray's PutTraceSegments and PutTelemetryRecords, which support no "
        "resource-level permissions (AWS documents '*' as their only resource); it is separate from the "
        "functions' default policies so that no other '*' grant is covered by this reason.",
    )
    acknowledge(
        policy,
        COMPLIANCE + "IAMNoInlinePolicy",
        "Inline policy the library attaches to the function roles of this stack, holding only X-Ray's "
        "PutTraceSegments and PutTelemetryRecords: it is defined, changed and deleted with those roles in "
        "this template and grants nothing else. A customer managed policy would grant the same, and could "
        "also be attached to principals outside the library.",
    )
    return policy


def activate_tracing(function: lambda_.Function, role: iam.Role) -> iam.Policy:
    """Turn on active X-Ray for ``function`` and attach the stack's X-Ray policy to ``role``."""
    cfn_function = cast(lambda_.CfnFunction, default_child_of(function))
    cfn_function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
    policy = tracing_policy(function)
    policy.attach_to_role(role)
    return policy


def acknowledge_adot_runtime(function: lambda_.Function) -> None:
    """Say why a ``Tracing.OPENTELEMETRY`` function with the runtime left unset is not on the
    newest Python (AwsSolutions-L1, Serverless-LambdaLatestVersion): the library chose the
    newest runtime the pinned ADOT layer supports. Nothing when that is the newest anyway."""
    if function.runtime.name == defaults.newest_python_runtime().name:
        return
    reason = (
        f"Tracing.OPENTELEMETRY with the runtime left unset: {function.runtime.name} is the newest Python "
        f"runtime the pinned ADOT Lambda layer ({defaults.ADOT_PYTHON_LAYER_VERSION}) supports; the library "
        f"moves to {defaults.newest_python_runtime().name} when an ADOT layer for it is pinned."
    )
    acknowledge(function, AWS_SOLUTIONS + "L1", reason)
    acknowledge(function, SERVERLESS + "LambdaLatestVersion", reason)
