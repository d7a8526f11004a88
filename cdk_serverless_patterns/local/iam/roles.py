"""The identity side: a role of the template, its identity-based policies and its permissions boundary."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from ..template import StackTemplate
from .policy import Principal, Statement, statements_of


class RolePolicies:
    """Every identity-based statement attached to one role of the template, and its permissions boundary.

    Identity statements come from the role's inline ``Policies``, its
    ``ManagedPolicyArns`` that are ``AWS::IAM::ManagedPolicy`` resources of the
    template, and every ``AWS::IAM::Policy``/``ManagedPolicy`` that lists the
    role in ``Roles``. AWS managed policies (``arn:aws:iam::aws:policy/...``)
    are not in the template: they are kept in ``managed_policy_arns`` and
    grant nothing locally. ``boundary`` is None without a
    ``PermissionsBoundary`` (or when it names a policy outside the template).
    """

    def __init__(self, template: StackTemplate, role_logical_id: str) -> None:
        self.role_logical_id = role_logical_id
        role = template.resources[role_logical_id]
        self.path = role.path
        self.role_name = role.name
        self.role_arn = role.arn
        self.account = template.account
        self.managed_policy_arns: list[str] = []
        documents: list[Mapping[str, Any]] = []
        for inline in role.properties.get("Policies") or []:
            documents.append(template.resolve(inline.get("PolicyDocument", {})))
        for arn in template.resolve(role.properties.get("ManagedPolicyArns") or []):
            managed = template.by_arn(str(arn))
            if managed is not None and managed.type == "AWS::IAM::ManagedPolicy":
                documents.append(template.resolve(managed.properties.get("PolicyDocument", {})))
            else:
                self.managed_policy_arns.append(str(arn))
        for policy in template.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            roles = template.resolve(policy.properties.get("Roles") or [])
            if role.name in roles or role.arn in roles:
                documents.append(template.resolve(policy.properties.get("PolicyDocument", {})))
        self.statements: list[Statement] = [s for document in documents for s in statements_of(document)]
        self.boundary: Optional[list[Statement]] = None
        self.boundary_arn: Optional[str] = None
        if role.properties.get("PermissionsBoundary"):
            self.boundary_arn = str(template.resolve(role.properties["PermissionsBoundary"]))
            managed = template.by_arn(self.boundary_arn)
            if managed is not None and managed.type == "AWS::IAM::ManagedPolicy":
                self.boundary = statements_of(template.resolve(managed.properties.get("PolicyDocument", {})))

    def session(self, name: str) -> Principal:
        """The principal of a session of this role (a Lambda function's: the function name)."""
        return Principal.role_session(self.role_arn, name)


def access_denied_message(principal: Principal, action: str, resource: str, reason: str) -> str:
    """AWS's AccessDenied text: ``User: <session> is not authorized to perform: <action> on resource: <arn> <why>``."""
    return f"User: {principal.arn} is not authorized to perform: {action} on resource: {resource} {reason}"
