"""``ServerlessPatternsChecks``: a CDK validation plugin with the library's own rules.

It reads the synthesized templates (so it sees raw resources users add, not
only the library's constructs) and reports violations the same way cdk-nag
does; findings are acknowledged per construct with
``Validations.of(construct).acknowledge(Acknowledgment(id="ServerlessPatterns::<rule id>", reason=...))``.
"""

from __future__ import annotations

import json
import jsii
from aws_cdk import (
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
)

from .base import Rule
from .rules import RULES

PLUGIN_NAME = "ServerlessPatterns"
PLUGIN_VERSION = "1"


@jsii.implements(IPolicyValidationPlugin)
class ServerlessPatternsChecks:
    """The library's own rule pack (contract); see :data:`rules.RULES` for the list."""

    def __init__(self) -> None:
        self._rules: list[Rule] = list(RULES)

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        return PLUGIN_VERSION

    @property
    def rule_ids(self) -> list[str]:
        return [r.id for r in self._rules]

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        violations: list[PolicyViolation] = []
        for path in context.template_paths:
            with open(path, encoding="utf-8") as fh:
                template = json.load(fh)
            for rule in self._rules:
                findings = list(rule.check(template))
                if findings:
                    violations.append(
                        PolicyViolation(
                            rule_name=rule.id,
                            description=rule.description,
                            fix=rule.fix,
                            severity=rule.severity,
                            violating_resources=[
                                PolicyViolatingResource(
                                    resource_logical_id=f.logical_id,
                                    template_path=path,
                                    locations=[f.location],
                                )
                                for f in findings
                            ],
                        )
                    )
        return PolicyValidationPluginReport(
            success=not violations, violations=violations, plugin_version=PLUGIN_VERSION
        )
