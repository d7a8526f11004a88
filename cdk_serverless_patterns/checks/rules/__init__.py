"""The registry of :class:`ServerlessPatternsChecks` rules.

Each rule lives in a module by subject and works on a
:class:`~cdk_serverless_patterns.checks.graph.TemplateGraph`; this list is the
single place that decides which rules the plugin runs (and ``docs/checks.md``
documents every one of them).
"""

from __future__ import annotations

from ..base import Rule
from . import alarms, apigw, edge, event_sources, front_doors, function_url, lambda_, vpc

RULES: list[Rule] = [
    *lambda_.RULES,
    *event_sources.RULES,
    *apigw.RULES,
    *edge.RULES,
    *front_doors.RULES,
    *function_url.RULES,
    *alarms.RULES,
    *vpc.RULES,
]

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

if len(RULES_BY_ID) != len(RULES):  # pragma: no cover - a programming error, caught at import
    raise RuntimeError("ServerlessPatternsChecks: duplicate rule ids")
