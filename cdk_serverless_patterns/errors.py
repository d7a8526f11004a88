"""The library's one error type and the collector that builds it.

Validation follows aws-cdk's ``validate-all-props`` style: every rule is checked,
every failure is collected, and one :class:`PatternConfigError` reports them all,
before a single child construct exists. Values that resolve only at deploy time
(CDK tokens) are skipped rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional, TypeVar

from aws_cdk import Token


class PatternConfigError(ValueError):
    """Raised at construction time for every invalid input (contract).

    The message names the construct path, the field, the value given, what is
    allowed and how to fix it. ``problems`` holds one line per failed rule.
    """

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"Invalid configuration for '{path}':\n{lines}")


_T = TypeVar("_T")


def or_default(value: Optional[_T], default: _T) -> _T:
    """``value`` unless it is None (unset), else ``default``. Unlike ``value or default``
    it keeps ``0``, ``False`` and ``""``, which are real choices."""
    return value if value is not None else default


def is_token(value: Any) -> bool:
    """True when ``value`` is only known at deploy time (skip validating it)."""
    if isinstance(value, str):
        return Token.is_unresolved(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Token.is_unresolved(value)
    return False


@dataclass
class Problems:
    """Collects validation failures for one construct path, then raises once."""

    path: str
    items: list[str] = field(default_factory=list)

    def add(self, field_name: str, value: Any, allowed: str, fix: str) -> None:
        """Record that ``field_name`` = ``value`` is invalid (the value's repr, shortened)."""
        self.items.append(f"{field_name}={shown(value)} is invalid: allowed {allowed}. Fix: {fix}")

    def check(self, ok: bool, field_name: str, value: Any, allowed: str, fix: str) -> None:
        """Record a failure unless ``ok``."""
        if not ok:
            self.add(field_name, value, allowed, fix)

    def check_int(
        self,
        field_name: str,
        value: Any,
        *,
        low: Optional[int] = None,
        high: Optional[int] = None,
        allowed: str,
        fix: str,
    ) -> bool:
        """The integer rule: ``value`` is an ``int`` (not a ``bool``) in ``low``-``high``
        (either bound may be left out). A deploy-time token is skipped, not guessed.
        Returns whether the value passed (a token counts as passed)."""
        if is_token(value):
            return True
        ok = (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (low is None or value >= low)
            and (high is None or value <= high)
        )
        self.check(ok, field_name, value, allowed, fix)
        return ok

    def extend(self, other: "Problems") -> None:
        self.items.extend(other.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise PatternConfigError(self.path, self.items)


_DEFAULT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")
#: Longest value repr a message shows; longer ones are cut in the middle.
SHOWN_MAX_CHARS = 120


def shown(value: Any) -> str:
    """``repr(value)``, cut to :data:`SHOWN_MAX_CHARS` with ``...`` in the middle.

    Messages show the value itself (``table='orders'``), not its type, so the
    user sees what they passed; the cut keeps a 5 KB string readable.
    """
    text = repr(value)
    if _DEFAULT_REPR.fullmatch(text):
        # object.__repr__ (most jsii objects): the address says nothing; name the type and its name if any
        name = getattr(value, "name", None)
        text = f"<{type(value).__name__} {name!r}>" if isinstance(name, str) else f"<{type(value).__name__}>"
    if len(text) <= SHOWN_MAX_CHARS:
        return text
    keep = (SHOWN_MAX_CHARS - 5) // 2
    return f"{text[:keep]} ... {text[-keep:]}"


def child_path(scope: Any, construct_id: str) -> str:
    """The path a construct will have once created under ``scope`` (for messages)."""
    parent = scope.node.path
    return f"{parent}/{construct_id}" if parent else construct_id
