"""Policy documents as AWS reads them: statements, their principals, actions, resources and conditions.

Pure data and matching, no template and no evaluation order (that is
:mod:`.evaluate`). Matching follows the IAM JSON policy reference: actions
case-insensitively, resources case-sensitively, both with ``*`` and ``?``
wildcards; ``NotAction``/``NotResource``/``NotPrincipal`` match everything
except what they list; a statement without ``Resource`` (a resource-based
policy that names none, as ``AWS::Lambda::Permission`` is converted) applies to
the resource the policy is attached to.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional


@functools.lru_cache(maxsize=4096)
def _wildcard_regex(pattern: str) -> "re.Pattern[str]":
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM-style wildcards: ``*`` any run of characters, ``?`` one character."""
    if pattern == "*":
        return True
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return _wildcard_regex(pattern).fullmatch(value) is not None


def as_tuple(value: Any) -> tuple[str, ...]:
    """A policy element that may be a string or a list, as a tuple of strings."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a role session, or an AWS service acting as itself.

    :param arn: the session ARN (``arn:aws:sts::<account>:assumed-role/<role>/<session>``)
        or, for a service, its principal name (``sns.amazonaws.com``).
    :param account: the account the principal belongs to (a service: the
        account of the resource it acts for).
    :param role_arn: the IAM role behind a session (None for services).
    :param service: the service principal name (None for role sessions).
    """

    arn: str
    account: str
    role_arn: Optional[str] = None
    service: Optional[str] = None

    @classmethod
    def role_session(cls, role_arn: str, session: str) -> "Principal":
        account = role_arn.split(":")[4]
        name = role_arn.rsplit("/", 1)[-1]
        return cls(f"arn:aws:sts::{account}:assumed-role/{name}/{session}", account, role_arn=role_arn)

    @classmethod
    def of_service(cls, service: str, account: str) -> "Principal":
        return cls(service, account, service=service)


#: How a resource-based statement's principal named the caller (strongest first); None: not at all.
#: ``session``: the session ARN itself; ``role``: the role ARN, ``*`` or the service;
#: ``account``: the caller's account (root) — a delegation to the account's IAM policies, not a grant.
PrincipalMatch = Optional[str]


@dataclass(frozen=True)
class Statement:
    """One policy statement. ``principals`` is None for identity-based statements (no Principal element)."""

    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principals: Optional[Mapping[str, tuple[str, ...]]] = None
    not_principals: Optional[Mapping[str, tuple[str, ...]]] = None
    condition: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sid: str = ""

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    def action_matches(self, action: str) -> bool:
        if self.actions:
            return any(wildcard_match(a, action, ignore_case=True) for a in self.actions)
        return not any(wildcard_match(a, action, ignore_case=True) for a in self.not_actions)

    def resource_matches(self, resource: str) -> bool:
        if self.resources:
            return any(wildcard_match(r, resource) for r in self.resources)
        if self.not_resources:
            return not any(wildcard_match(r, resource) for r in self.not_resources)
        return True  # a resource-based statement without Resource: the resource the policy is on

    def applies(self, action: str, resource: str) -> bool:
        """Action and resource match (principal and conditions are the evaluator's)."""
        return self.action_matches(action) and self.resource_matches(resource)

    def principal_match(self, principal: Principal) -> PrincipalMatch:
        """How this (resource-based) statement's Principal/NotPrincipal names ``principal``."""
        if self.not_principals is not None:
            return None if _named(self.not_principals, principal) else "role"
        if self.principals is None:
            return None
        return _named(self.principals, principal)


def _named(principals: Mapping[str, tuple[str, ...]], principal: Principal) -> PrincipalMatch:
    best: PrincipalMatch = None
    for kind, values in principals.items():
        for value in values:
            found = _names(kind, value, principal)
            if found == "session":
                return found
            if found == "role" or (found == "account" and best is None):
                best = found
    return best


def _names(kind: str, value: str, principal: Principal) -> PrincipalMatch:
    if kind == "*" or value == "*":
        return "role"
    if kind == "Service":
        return "role" if principal.service is not None and value == principal.service else None
    if kind != "AWS" or principal.service is not None:
        return None  # Federated, CanonicalUser: no local principal is one
    if value == principal.arn:
        return "session"
    if principal.role_arn is not None and value == principal.role_arn:
        return "role"
    if value in (principal.account, f"arn:aws:iam::{principal.account}:root"):
        return "account"
    return None


def _principal_element(value: Any) -> Optional[Mapping[str, tuple[str, ...]]]:
    if value is None:
        return None
    if value == "*":
        return {"*": ("*",)}
    if isinstance(value, Mapping):
        return {str(k): as_tuple(v) for k, v in value.items()}
    return {"AWS": as_tuple(value)}


def statement_of(raw: Mapping[str, Any]) -> Statement:
    return Statement(
        effect=str(raw.get("Effect", "Allow")),
        actions=as_tuple(raw.get("Action")),
        not_actions=as_tuple(raw.get("NotAction")),
        resources=as_tuple(raw.get("Resource")),
        not_resources=as_tuple(raw.get("NotResource")),
        principals=_principal_element(raw.get("Principal")),
        not_principals=_principal_element(raw.get("NotPrincipal")),
        condition={str(k): dict(v) for k, v in (raw.get("Condition") or {}).items()},
        sid=str(raw.get("Sid", "")),
    )


def statements_of(document: Mapping[str, Any]) -> list[Statement]:
    """The statements of a policy document (``Statement`` a dict or a list)."""
    raw = document.get("Statement") or []
    if isinstance(raw, Mapping):
        raw = [raw]
    return [statement_of(s) for s in raw]
