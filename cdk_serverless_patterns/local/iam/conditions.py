"""The Condition element, evaluated as the IAM User Guide's condition operator reference describes it.

* Several operators in a block, and several keys under one operator: AND.
  Several values for one key: OR — NOR for a negated operator
  (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress``...).
* A key absent from the request context: the operator is false, except a
  negated one (true), ``...IfExists`` (true), ``Null`` (which tests absence)
  and ``ForAllValues:`` (true: the empty set satisfies "all").
  ``ForAnyValue:`` with an absent key is false.
* Key names are case-insensitive; ``String*`` values may hold policy variables
  (``${aws:PrincipalAccount}``, ``${*}``, ``${?}``, ``${$}``).
* Families: String*, Numeric*, Date* (ISO 8601 or epoch seconds), Bool,
  BinaryEquals, IpAddress/NotIpAddress (CIDR), Arn* (each of the six
  colon-separated parts matched on its own, with wildcards), Null.

A key LocalCloud never puts in a request context (see
:data:`KNOWN_KEYS`) is evaluated as absent — what AWS does for a request that
lacks it — and the caller is warned once, since the result may differ from a
deployed request that carries it.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import operator
import re
from typing import Any, Callable, Mapping, Optional, Sequence

from .policy import as_tuple, wildcard_match

#: The keys a local request context can hold (prefixes end in ``:``/``/``); others are warned about once.
KNOWN_KEYS = (
    "aws:securetransport",
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalservicename",
    "aws:principaltype",
    "aws:principalisawsservice",
    "aws:userid",
    "aws:currenttime",
    "aws:epochtime",
    "aws:requestedregion",
    "aws:calledvia",
    "aws:viaawsservice",
    "kms:viaservice",
    "kms:calleraccount",
    "kms:encryptioncontext:",
    "kms:encryptioncontextkeys",
    "dynamodb:leadingkeys",
    "dynamodb:select",
    "dynamodb:returnvalues",
    "s3:prefix",
    "s3:tlsversion",
    "s3:delimiter",
    "s3:max-keys",
)

Warn = Callable[[str, str], None]

_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
    "ArnNotEquals",
    "ArnNotLike",
}


def _string(ignore_case: bool = False, like: bool = False) -> Callable[[str, str], bool]:
    def match(policy: str, value: str) -> bool:
        if like:
            return wildcard_match(policy, value, ignore_case=ignore_case) if policy != "*" else True
        return policy.lower() == value.lower() if ignore_case else policy == value

    return match


def _number(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(policy: str, value: str) -> bool:
        try:
            return compare(float(value), float(policy))
        except ValueError:
            return False

    return match


def _when(text: str) -> Optional[datetime.datetime]:
    text = str(text).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return datetime.datetime.fromtimestamp(float(text), tz=datetime.timezone.utc)
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.timezone.utc)


def _date(compare: Callable[[datetime.datetime, datetime.datetime], bool]) -> Callable[[str, str], bool]:
    def match(policy: str, value: str) -> bool:
        a, b = _when(value), _when(policy)
        return a is not None and b is not None and compare(a, b)

    return match


def _ip(policy: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False


def _arn(policy: str, value: str) -> bool:
    policy_parts, value_parts = policy.split(":", 5), value.split(":", 5)
    if policy == "*":
        return True
    if len(policy_parts) != 6 or len(value_parts) != 6:
        return False
    return all(wildcard_match(p, v) for p, v in zip(policy_parts, value_parts))


def _bool(policy: str, value: str) -> bool:
    return policy.lower() == value.lower()


def _binary(policy: str, value: str) -> bool:
    try:
        return base64.b64decode(policy) == base64.b64decode(value)
    except ValueError:
        return False


#: Numeric* and Date* comparisons, request value against policy value (NotEquals: by its positive test).
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq, "NotEquals": operator.eq, "LessThan": operator.lt, "LessThanEquals": operator.le,
    "GreaterThan": operator.gt, "GreaterThanEquals": operator.ge,
}

#: Base operator (negated ones by their positive test) -> value matcher ``(policy value, request value) -> bool``.
_MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": _string(),
    "StringNotEquals": _string(),
    "StringEqualsIgnoreCase": _string(ignore_case=True),
    "StringNotEqualsIgnoreCase": _string(ignore_case=True),
    "StringLike": _string(like=True),
    "StringNotLike": _string(like=True),
    **{f"{family}{name}": build(compare) for family, build in (("Numeric", _number), ("Date", _date))
       for name, compare in _COMPARISONS.items()},
    "Bool": _bool,
    "BinaryEquals": _binary,
    "IpAddress": _ip,
    "NotIpAddress": _ip,
    "ArnEquals": _arn,
    "ArnLike": _arn,
    "ArnNotEquals": _arn,
    "ArnNotLike": _arn,
}

_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_LITERALS = {"*": "*", "?": "?", "$": "$"}


def _substitute(value: str, context: Mapping[str, Any]) -> Optional[str]:
    """Policy variables in a String value; None when one names a key the request lacks (no match)."""
    missing = False

    def one(match: "re.Match[str]") -> str:
        nonlocal missing
        name = match.group(1)
        if name in _LITERALS:
            return name  # in a *Like value a literal * or ? still matches itself
        found = context.get(name.lower())
        if found is None or isinstance(found, (list, tuple)):
            missing = True
            return ""
        return _text(found)

    result = _VARIABLE.sub(one, value)
    return None if missing else result


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_known(key: str) -> bool:
    lowered = key.lower()
    return any(lowered == k or (k.endswith((":", "/")) and lowered.startswith(k)) for k in KNOWN_KEYS)


def conditions_match(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any], warn: Optional[Warn] = None) -> bool:
    """Does the request ``context`` (keys lower-cased) satisfy a statement's Condition block?"""
    for operator, tests in condition.items():
        for key, values in tests.items():
            if not operator_matches(operator, key, as_tuple(values) if not isinstance(values, bool) else (_text(values),), context, warn):
                return False
    return True


def operator_matches(operator: str, key: str, policy_values: Sequence[str], context: Mapping[str, Any],
                     warn: Optional[Warn] = None) -> bool:
    """One ``operator: {key: values}`` test against the request context (keys lower-cased)."""
    set_operator, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    present = key.lower() in context and context[key.lower()] is not None
    if not present and warn is not None and not is_known(key):
        warn(f"condition-key:{key.lower()}", f"LocalCloud does not know the condition key {key!r}; it is evaluated as absent "
             "from the request (as AWS does when a request lacks it) — the deployed result may differ")
    if base == "Null":
        wants_absent = any(v.lower() == "true" for v in policy_values)
        return (not present) if wants_absent else present
    matcher = _MATCHERS.get(base)
    if matcher is None:
        if warn is not None:
            warn(f"condition-operator:{base}", f"LocalCloud does not know the condition operator {operator!r}; the condition is false")
        return False
    negated = base in _NEGATED
    if not present:
        if set_operator == "ForAllValues":
            return True
        if set_operator == "ForAnyValue":
            return False
        return if_exists or negated
    raw = context[key.lower()]
    request_values = [_text(v) for v in raw] if isinstance(raw, (list, tuple, set, frozenset)) else [_text(raw)]
    if base.startswith("String"):
        resolved = [_substitute(v, context) for v in policy_values]
        policy_values = [v for v in resolved if v is not None]

    def one(value: str) -> bool:
        hit = any(matcher(p, value) for p in policy_values)
        return not hit if negated else hit

    if set_operator == "ForAllValues":
        return all(one(v) for v in request_values)
    # ForAnyValue, and a plain operator on a multi-valued key: one request value is enough.
    if negated and not set_operator:
        return all(one(v) for v in request_values)
    return any(one(v) for v in request_values)
