"""Grants for callers outside a pattern: exactly the statement they need.

Patterns' ``grant_*`` methods go through :func:`grant_exactly`: one statement
with named actions on named resources, on the grantee's own policy. When a
resource must end in a wildcard (object keys under a prefix, API methods under
a stage), the finding cdk-nag raises for that one resource is acknowledged on
the grantee's policy only, with the reason the pattern gives: the statement is
already as narrow as the service allows.
"""

from __future__ import annotations

from typing import Optional, Sequence, cast

from aws_cdk import Stack
from constructs import IConstruct

from cdk_serverless_patterns._cdk_modules import aws_iam as iam
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge
from cdk_serverless_patterns.checks.nag_ids import resource_finding


def default_policy(grantee: iam.IGrantable) -> Optional[IConstruct]:
    """The grantee's own policy (a role's ``DefaultPolicy``), None before its first grant or for a non-construct principal."""
    principal = grantee.grant_principal
    node = getattr(principal, "node", None)
    if node is None:
        return None
    return cast(Optional[IConstruct], node.try_find_child("DefaultPolicy"))


def grant_exactly(
    grantee: iam.IGrantable,
    *,
    actions: Sequence[str],
    resources: Sequence[str],
    wildcard_reason: Optional[str] = None,
) -> iam.Grant:
    """``actions`` on ``resources`` for ``grantee``, nothing more.

    :param wildcard_reason: when some resource ends in ``*`` by necessity, why;
        acknowledged as ``AwsSolutions-IAM5[Resource::<that resource>]`` on the
        grantee's own policy (a role's DefaultPolicy), nowhere else.
    """
    grant = iam.Grant.add_to_principal(grantee=grantee, actions=list(actions), resource_arns=list(resources))
    policy = default_policy(grantee)
    if wildcard_reason and policy is not None:
        for resource in resources:
            rendered = Stack.of(policy).resolve(resource)
            if "*" in str(rendered):
                acknowledge(policy, f"{AWS_SOLUTIONS}IAM5[{resource_finding(policy, resource)}]", wildcard_reason)
    return grant
