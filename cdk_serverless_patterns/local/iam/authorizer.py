"""The cloud's IAM: every check LocalCloud makes goes through one :class:`Iam` per open cloud.

* :meth:`Iam.check_call` — a handler's AWS call, as its function's role
  session: identity policies, the resource's policy, the permissions
  boundary, and the key policy of every KMS request an SSE-KMS resource
  implies;
* :meth:`Iam.check_role` — a service acting with a role it was given (a
  pipe's, a schedule's, a rule target's);
* :meth:`Iam.service_may` — a service principal delivering as itself (SNS to
  a queue, EventBridge to a function, API Gateway to a function), which only
  the target's resource-based policy can allow, with ``aws:SourceArn`` and
  ``aws:SourceAccount`` in the request.

Every allowed request is recorded for :meth:`Iam.unused_grants`.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any, Callable, Mapping, Optional, Sequence

from ..arns import TARGET_ACTIONS
from ..template import StackTemplate
from .evaluate import Decision, Request, evaluate
from .policy import Principal, Statement
from .requirements import Arns, Permission, kms_key_lookup, partition_key_lookup, required_permissions, secret_arn_lookup
from .resource_policies import ResourcePolicies, owner_arn
from .roles import RolePolicies, access_denied_message
from .usage import GrantUsage

#: Actions with no resource type: any statement allowing the action allows them (their resource is "*").
ANY_RESOURCE_ACTIONS = frozenset({"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"})


#: The API call a delivery to a resource of each service is (what its KMS needs follow from).
_DELIVERY_CALLS = {"sqs": ("SendMessage", "QueueUrl"), "sns": ("Publish", "TopicArn")}


def _arn_service(arn: str) -> str:
    return arn.split(":")[2] if arn.startswith("arn:") and arn.count(":") >= 2 else ""


def _account_of(arn: str) -> Optional[str]:
    parts = arn.split(":")
    return parts[4] if arn.startswith("arn:") and len(parts) > 4 and parts[4] else None


class Iam:
    """Policy evaluation for one template. ``warn(key, message)`` is told once per unknown condition key."""

    def __init__(self, template: StackTemplate, warn: Callable[[str, str], None]) -> None:
        self.template = template
        self.warn = warn
        self.policies = ResourcePolicies(template)
        self.arns = Arns(template.region, template.account, kms_key_lookup(template), partition_key_lookup(template),
                         secret_arn_lookup(template))
        self.usage = GrantUsage(template)
        self._roles: dict[str, RolePolicies] = {}

    def role(self, logical_id: str) -> RolePolicies:
        """The role ``logical_id`` of the template (read once)."""
        if logical_id not in self._roles:
            self._roles[logical_id] = RolePolicies(self.template, logical_id)
        return self._roles[logical_id]

    def role_for_arn(self, arn: str) -> Optional[RolePolicies]:
        found = self.template.by_arn(arn) if arn else None
        return self.role(found.logical_id) if found is not None and found.type == "AWS::IAM::Role" else None

    def _base_context(self, action: str) -> dict[str, Any]:
        now = datetime.datetime.now(datetime.timezone.utc)
        tls = {"s3:TlsVersion": "1.2"} if action.lower().startswith("s3:") else {}  # botocore's floor is TLS 1.2
        return {
            **tls,
            "aws:SecureTransport": "true",  # SDK calls use HTTPS
            "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(now.timestamp())),
            "aws:RequestedRegion": self.template.region,
            "aws:ViaAWSService": "false",
        }

    def decide(self, principal: Principal, permission: Permission, role: Optional[RolePolicies] = None,
               extra: Optional[Mapping[str, Any]] = None) -> Decision:
        """Evaluate one permission for ``principal`` (a session of ``role``, or a service)."""
        identity: Sequence[Statement] = role.statements if role is not None else ()
        resource = permission.resource
        if permission.action in ANY_RESOURCE_ACTIONS:
            identity = [dataclasses.replace(s, resources=("*",), not_resources=()) for s in identity]
            resource = "*"
        request = Request(
            principal, permission.action, resource,
            {**self._base_context(permission.action), **(extra or {}), **permission.context},
            resource_account=_account_of(resource),
        )
        return evaluate(
            request,
            identity=identity,
            resource_policy=self.policies.for_resource(resource),
            boundary=role.boundary if role is not None else None,
            key_policy=self.policies.is_key(owner_arn(resource)),
            warn=self.warn,
        )

    def check_role(self, role: RolePolicies, session: str, permissions: Sequence[Permission],
                   extra: Optional[Mapping[str, Any]] = None) -> Optional[str]:
        """None when a session of ``role`` may make every request in ``permissions``; else AWS's AccessDenied message."""
        principal = role.session(session)
        for permission in permissions:
            decision = self.decide(principal, permission, role, extra)
            if not decision.allowed:
                return access_denied_message(principal, permission.action, permission.resource, decision.reason)
            self.usage.record(role.role_logical_id, permission.action, permission.resource)
        return None

    def check_call(self, role: RolePolicies, session: str, service: str, operation: str, params: Mapping[str, Any]) -> Optional[str]:
        """A handler's ``service:operation`` call with ``params``, as a session of ``role`` named ``session``."""
        return self.check_role(role, session, required_permissions(service, operation, params, self.arns))

    def service_may(self, service: str, action: str, resource: str, *, source_arn: Optional[str] = None,
                    source_account: Optional[str] = None) -> Decision:
        """May the service principal ``service`` (``sns.amazonaws.com``) do ``action`` on ``resource`` for ``source_arn``?"""
        account = source_account or self.template.account
        context: dict[str, Any] = {"aws:SourceAccount": account, "aws:SourceOwner": account}
        if source_arn:
            context["aws:SourceArn"] = source_arn
        return self.decide(Principal.of_service(service, account), Permission(action, resource, context))

    def delivery_permissions(self, target_arn: str) -> list[Permission]:
        """What delivering to ``target_arn`` needs: the target action, and the KMS requests an encrypted queue or topic implies."""
        service = _arn_service(target_arn)
        call = _DELIVERY_CALLS.get(service)
        if call is None:
            action = TARGET_ACTIONS.get(service)
            return [Permission(action, target_arn)] if action else []
        operation, param = call
        return required_permissions(service, operation, {param: target_arn}, self.arns)

    def service_delivery(self, service: str, target_arn: str, source_arn: str) -> Optional[str]:
        """None when the service principal may deliver to ``target_arn`` for ``source_arn``; else why not (AWS's words)."""
        for permission in self.delivery_permissions(target_arn):
            context = {"aws:SourceAccount": self.template.account, "aws:SourceOwner": self.template.account,
                       "aws:SourceArn": source_arn, **permission.context}
            decision = self.decide(Principal.of_service(service, self.template.account),
                                   Permission(permission.action, permission.resource, context))
            if not decision.allowed:
                return (f"{service} is not authorized to perform: {permission.action} on resource: {permission.resource} "
                        f"{decision.reason} (source {source_arn})")
        return None

    def role_delivery(self, role: RolePolicies, session: str, target_arn: str) -> Optional[str]:
        """None when a session of ``role`` (a pipe's, a schedule's, a rule target's) may deliver to ``target_arn``."""
        return self.check_role(role, session, self.delivery_permissions(target_arn))

    def unused_grants(self, owner: Optional[str] = None) -> dict[str, list[str]]:
        """Owner logical id (function or role) -> granted ``"action resource"`` pairs no allowed request used (see :mod:`.usage`)."""
        roles = {role_id: self.role(role_id) for role_id in set(self.usage.owners.values())}
        return self.usage.unused(roles, owner)
