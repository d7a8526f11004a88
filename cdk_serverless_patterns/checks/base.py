"""Types shared by the rules and the plugin.

Severity is a promise about the consequence:

* ``error`` — the stack breaks or loses data as written: a deployment that fails,
  requests that always time out, events dropped without trace, logs kept
  forever. CDK fails synthesis on an unacknowledged error.
* ``warning`` — a cost or design smell with legitimate exceptions, or a rule
  that cannot see the handler code and so cannot be sure. Reported in the
  validation report, synthesis succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

if TYPE_CHECKING:
    from .graph import TemplateGraph

Template = Mapping[str, Any]

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


@dataclass(frozen=True)
class Finding:
    """One resource that breaks a rule: its logical id, the property path, and why.

    ``detail`` names the values involved (``"visibility 30 s < 6 x 10 s"``) so a
    report reader does not have to open the template.
    """

    logical_id: str
    location: str
    detail: str = ""


@dataclass(frozen=True)
class Rule:
    """A rule: id (``SP-...``), severity (:data:`ERROR` or :data:`WARNING`), what it
    checks, how to fix it, and ``check(graph) -> findings``."""

    id: str
    severity: str
    description: str
    fix: str
    check: Callable[["TemplateGraph"], Iterable[Finding]]

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.id}: severity must be one of {SEVERITIES}, got {self.severity!r}")
        if not self.id.startswith("SP-"):
            raise ValueError(f"rule ids start with 'SP-', got {self.id!r}")


def resources(template: Template, cfn_type: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(logical id, properties) of every resource of ``cfn_type``."""
    for logical_id, res in (template.get("Resources") or {}).items():
        if isinstance(res, Mapping) and res.get("Type") == cfn_type:
            props = res.get("Properties")
            yield logical_id, props if isinstance(props, Mapping) else {}
