"""``ServerlessPatternsChecks``: a CDK validation plugin with the library's own rules.

It reads the synthesized templates (so it sees raw resources users add, not
only the library's constructs) and reports violations the same way cdk-nag
does; findings are acknowledged per construct with
``Validations.of(construct).acknowledge(Acknowledgment(id="ServerlessPatterns::<rule id>", reason=...))``.

``success`` is False only when an error-severity rule found something, which is
what CDK itself recomputes after applying acknowledgements: unacknowledged
errors fail synthesis, warnings are reported and synthesis goes on.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, Optional, Sequence

import jsii
from aws_cdk import (
    CfnResource,
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Stack,
)

from cdk_serverless_patterns._cdk_modules import aws_lambda as lambda_
from ..tooling.assembly import PACKS_FILE
from .base import ERROR, Finding, Rule
from .graph import FUNCTION, TemplateGraph
from .rules import RULES


PLUGIN_NAME = "ServerlessPatterns"
PLUGIN_VERSION = "1"
#: Prefix of every acknowledgement id of this plugin's rules.
ACK_PREFIX = f"{PLUGIN_NAME}::"


@jsii.implements(IPolicyValidationPlugin)
class ServerlessPatternsChecks:
    """The library's own rule pack (contract); see ``docs/checks.md`` for the rules.

    :param rules: the rules to run. Default: every rule in :data:`rules.RULES`.
        Pass a subset only to test or stage a rollout; silence a finding with a
        scoped acknowledgement instead.
    """

    def __init__(self, rules: Optional[Sequence[Rule]] = None) -> None:
        self._rules: list[Rule] = list(rules) if rules is not None else list(RULES)
        #: the packs added with this one (``enable_checks`` sets them), recorded in :data:`PACKS_FILE`
        self.packs: list[str] = [PLUGIN_NAME]

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
        paths = _function_paths(context)
        violations: list[PolicyViolation] = []
        failed = False
        for template_path in context.template_paths:
            with open(template_path, encoding="utf-8") as fh:
                template = json.load(fh)
            graph = TemplateGraph(template, paths.get(template_path))
            for rule in self._rules:
                for violation in _violations(rule, rule.check(graph), template_path):
                    violations.append(violation)
                    failed = failed or rule.severity == ERROR
        _record_packs(context, self.packs)
        return PolicyValidationPluginReport(
            success=not failed, violations=violations, plugin_version=PLUGIN_VERSION
        )


def _record_packs(context: IPolicyValidationContext, packs: Sequence[str]) -> None:
    app: Any = getattr(context, "app_construct", None)
    outdir = getattr(app, "outdir", None) or (os.path.dirname(context.template_paths[0]) if context.template_paths else None)
    if outdir:
        with open(os.path.join(outdir, PACKS_FILE), "w", encoding="utf-8") as fh:
            json.dump({"packs": list(packs)}, fh)


def _violations(rule: Rule, findings: Iterable[Finding], template_path: str) -> Iterable[PolicyViolation]:
    """One violation per resource, its description carrying that resource's details."""
    by_resource: dict[str, list[Finding]] = {}
    for finding in findings:
        by_resource.setdefault(finding.logical_id, []).append(finding)
    for logical_id, group in by_resource.items():
        details = "; ".join(dict.fromkeys(f.detail for f in group if f.detail))
        yield PolicyViolation(
            rule_name=rule.id,
            description=f"{rule.description} [{logical_id}: {details}]" if details else rule.description,
            fix=rule.fix,
            severity=rule.severity,
            violating_resources=[
                PolicyViolatingResource(
                    resource_logical_id=logical_id,
                    template_path=template_path,
                    locations=list(dict.fromkeys(f.location for f in group)),
                )
            ],
        )


def _function_paths(context: IPolicyValidationContext) -> dict[str, dict[str, str]]:
    """template path -> {logical id: construct path} of every Lambda function.

    Templates synthesized without ``aws:cdk:path`` metadata (the default outside
    the CDK CLI) carry no paths, and the rules tell CDK's own custom-resource
    handlers from the user's functions by path, so read them from the tree.
    """
    app: Any = getattr(context, "app_construct", None)
    if app is None:
        return {}
    result: dict[str, dict[str, str]] = {}
    for stack_template in context.stack_templates or []:
        stack = _find(app, stack_template.stack_construct_path)
        if stack is None:
            continue
        stack_path = stack.node.path
        paths: dict[str, str] = {}
        for construct in stack.node.find_all():
            if not _is_function_resource(construct):
                continue
            owner = Stack.of(construct)
            # jsii hands back the same proxy for the same object: identity spares two round trips
            if owner is not stack and owner.node.path != stack_path:
                continue  # a nested stack's resource: another template
            paths[owner.resolve(construct.logical_id)] = construct.node.path
        result[stack_template.template_path] = paths
    return result


def _is_function_resource(construct: Any) -> bool:
    if isinstance(construct, lambda_.CfnFunction):
        return True
    # CustomResourceProvider handlers are plain CfnResources of this type.
    return type(construct) is CfnResource and construct.cfn_resource_type == FUNCTION


def _find(app: Any, path: str) -> Any:
    node = app
    for part in [p for p in (path or "").split("/") if p]:
        node = node.node.try_find_child(part)
        if node is None:
            return None
    return node
