"""Types shared by the rules and the plugin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping

Template = Mapping[str, Any]


@dataclass(frozen=True)
class Finding:
    """One resource that breaks a rule: its logical id and the property path."""

    logical_id: str
    location: str


@dataclass(frozen=True)
class Rule:
    """A rule: id, severity (``error`` or ``warning``), what it checks, how to fix it,
    and ``check(template) -> findings``."""

    id: str
    severity: str
    description: str
    fix: str
    check: Callable[[Template], Iterable[Finding]]


def resources(template: Template, cfn_type: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(logical id, properties) of every resource of ``cfn_type``."""
    for logical_id, res in (template.get("Resources") or {}).items():
        if res.get("Type") == cfn_type:
            yield logical_id, res.get("Properties") or {}
