"""The decision: policy evaluation logic as the IAM User Guide lays it out, for one request.

Order (IAM User Guide, "Policy evaluation logic" and "Policy evaluation for
requests within a single account"):

1. An explicit ``Deny`` in any applicable policy — identity-based, the
   permissions boundary, the resource-based policy — denies.
2. A service principal (SNS delivering to a queue) has no identity policies:
   only the resource-based policy can allow it.
3. Same account: a resource-based ``Allow`` naming the *role session* ARN
   allows on its own; one naming the *role* ARN (or ``*``) allows if the
   permissions boundary (when there is one) allows too; an ``Allow`` naming
   the account (``arn:aws:iam::<account>:root``) only delegates to the
   account's IAM policies. Otherwise the identity-based policies must allow,
   and the boundary must allow as well.
4. KMS keys are the exception: the key policy must allow — directly, or by
   delegating to IAM through the account principal, in which case the
   identity-based policies (and boundary) must allow as in 3.
5. Cross-account: both the caller's identity policies and the resource-based
   policy must allow.

What LocalCloud does not model: SCPs and RCPs (no organization), session
policies (roles are used as Lambda assumes them, without one), ACLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from .conditions import Warn, conditions_match
from .policy import Principal, PrincipalMatch, Statement


@dataclass(frozen=True)
class Request:
    """What AWS evaluates: who, which action on which resource, and the request's condition keys."""

    principal: Principal
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)
    resource_account: Optional[str] = None

    def keys(self) -> dict[str, Any]:
        """The request context, lower-cased keys, with the principal's global keys added."""
        keys = {k.lower(): v for k, v in self.context.items()}
        p = self.principal
        keys.setdefault("aws:principalarn", p.role_arn or p.arn)
        keys.setdefault("aws:principalaccount", p.account)
        if p.service is not None:
            keys.setdefault("aws:principalservicename", p.service)
            keys.setdefault("aws:principalisawsservice", "true")
            keys.setdefault("aws:principaltype", "AWSService")
        else:
            keys.setdefault("aws:principalisawsservice", "false")
            keys.setdefault("aws:principaltype", "AssumedRole")
            keys.setdefault("aws:userid", p.arn.rsplit("/", 1)[-1])
        return keys


@dataclass(frozen=True)
class Decision:
    """The answer: allowed or not, why, and the identity statements that allowed (for the usage report)."""

    allowed: bool
    reason: str
    identity_statements: tuple[Statement, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed


def _matching(statements: Sequence[Statement], request: Request, keys: Mapping[str, Any], warn: Optional[Warn]) -> list[Statement]:
    return [
        s for s in statements
        if s.applies(request.action, request.resource) and conditions_match(s.condition, keys, warn)
    ]


def _resource_grant(statements: Sequence[Statement], principal: Principal) -> PrincipalMatch:
    order = {"session": 3, "role": 2, "account": 1}
    best: PrincipalMatch = None
    for s in statements:
        found = s.principal_match(principal)
        if found is not None and (best is None or order[found] > order[best]):
            best = found
    return best


def evaluate(
    request: Request,
    *,
    identity: Sequence[Statement] = (),
    resource_policy: Optional[Sequence[Statement]] = None,
    boundary: Optional[Sequence[Statement]] = None,
    key_policy: bool = False,
    warn: Optional[Warn] = None,
) -> Decision:
    """Allow or deny ``request``.

    :param identity: the principal's identity-based statements (inline and managed).
    :param resource_policy: the resource's policy statements; None when it has none.
    :param boundary: the permissions boundary's statements; None when the role has none.
    :param key_policy: the resource is a KMS key and ``resource_policy`` its key policy.
    :param warn: ``(key, message)`` called once per unknown condition key or operator.
    """
    keys = request.keys()
    principal = request.principal
    is_service = principal.service is not None
    resource_hits = _matching(resource_policy or (), request, keys, warn)
    resource_denies = [s for s in resource_hits if not s.allows and s.principal_match(principal) is not None]
    identity_hits = [] if is_service else _matching(identity, request, keys, warn)
    boundary_hits = [] if is_service or boundary is None else _matching(boundary, request, keys, warn)
    where = "resource-based policy" if not key_policy else "key policy"
    if any(not s.allows for s in identity_hits):
        return Decision(False, f"with an explicit deny in an identity-based policy")
    if any(not s.allows for s in boundary_hits):
        return Decision(False, "with an explicit deny in a permissions boundary")
    if resource_denies:
        return Decision(False, f"with an explicit deny in a {where}")
    grant = _resource_grant([s for s in resource_hits if s.allows], principal)
    identity_allows = tuple(s for s in identity_hits if s.allows)
    boundary_allows = boundary is None or any(s.allows for s in boundary_hits)
    if is_service:
        if grant in ("role", "session"):
            return Decision(True, f"allowed by the {where}")
        return Decision(False, f"because no {where} allows the {request.action} action for {principal.service}")
    if request.resource_account is not None and request.resource_account != principal.account:
        if not identity_allows or not boundary_allows:
            return Decision(False, "because no identity-based policy allows the action (cross-account)")
        if grant is None:
            return Decision(False, f"because no {where} allows the action (cross-account)")
        return Decision(True, "allowed by both sides (cross-account)", identity_allows)
    if grant == "session":
        return Decision(True, f"allowed by the {where} (session principal)")
    if not boundary_allows:
        return Decision(False, "because no permissions boundary allows the " f"{request.action} action")
    if key_policy:
        if grant == "role":
            return Decision(True, "allowed by the key policy")
        if grant == "account" and identity_allows:
            return Decision(True, "allowed by an identity-based policy (the key policy delegates to IAM)", identity_allows)
        if grant == "account":
            return Decision(False, f"because no identity-based policy allows the {request.action} action")
        return Decision(False, f"because the key policy does not allow the {request.action} action")
    if identity_allows:
        return Decision(True, "allowed by an identity-based policy", identity_allows)
    if grant == "role":
        return Decision(True, f"allowed by the {where}")
    return Decision(False, f"because no identity-based policy allows the {request.action} action")
