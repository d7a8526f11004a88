"""Check findings out of a validation report, structured, and the per-stack summary table.

CDK's validation plugins (cdk-nag's AwsSolutions and Serverless packs, the
library's ServerlessPatterns pack) write ``validation-report.json``; one
:class:`Finding` is one rule broken by one construct.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .assembly import PACKS_FILE, PathLike, StackTemplate, read_json, read_report, stacks


@dataclass(frozen=True)
class Finding:
    """One rule broken by one construct.

    :param plugin: the plugin that reported it (``AwsSolutions``, ``Serverless``, ``ServerlessPatterns``, ...).
    :param rule_id: the rule as the plugin names it (``AwsSolutions-SQS3``, ``SP-IDEMPOTENCY``).
    :param severity: ``error`` (fails synth unless acknowledged), ``warning`` or ``info``.
    :param path: construct path (``Stack/Queue/Resource``), or the template and logical id
        when the report carries no path.
    :param message: what is wrong (the rule's description, with the resource's details).
    :param fix: how to fix it, when the plugin says (the ServerlessPatterns rules do).
    :param acknowledged: True when a scoped acknowledgement covers it; ``reason`` says why.
    """

    plugin: str
    rule_id: str
    severity: str
    path: str
    message: str
    fix: str = ""
    acknowledged: bool = False
    reason: str = ""

    @property
    def acknowledgement_id(self) -> str:
        """The id to acknowledge it with: ``Validations.of(c).acknowledge(Acknowledgment(id=..., reason=...))``."""
        return f"{self.plugin}::{self.rule_id}"

    def __str__(self) -> str:
        text = f"[{self.severity}] {self.acknowledgement_id} at {self.path}: {self.message}"
        if self.fix:
            text += f" Fix: {self.fix}"
        if self.acknowledged:
            text += f" (acknowledged: {self.reason})"
        return text


def report_findings(report: Mapping[str, Any], *, include_acknowledged: bool = False) -> list[Finding]:
    """Every finding in a parsed validation report; acknowledged ones only when asked."""
    result: list[Finding] = []
    keys = ("violations", "suppressedViolations") if include_acknowledged else ("violations",)
    for plugin in report.get("pluginReports") or []:
        name = str(plugin.get("pluginName", "?"))
        for key in keys:
            for violation in plugin.get(key) or []:
                for where in _locations(violation):
                    result.append(
                        Finding(
                            plugin=name,
                            rule_id=str(violation.get("ruleName", "?")),
                            severity=str(violation.get("severity") or "error"),
                            path=where,
                            message=str(violation.get("description", "")),
                            fix=str(violation.get("fix") or ""),
                            acknowledged=key == "suppressedViolations",
                            reason=str(violation.get("reason") or ""),
                        )
                    )
    return result


def _locations(violation: Mapping[str, Any]) -> list[str]:
    paths = [str(c.get("constructPath")) for c in violation.get("violatingConstructs") or [] if c.get("constructPath")]
    if paths:
        return paths
    resources = violation.get("violatingResources") or []
    return [f"{r.get('templatePath', '?')}#{r.get('resourceLogicalId', '?')}" for r in resources] or ["?"]


def findings_in(outdir: PathLike, *, include_acknowledged: bool = False) -> list[Finding]:
    """The findings of the assembly at ``outdir`` (a ``cdk.out`` directory or its report file).

    Raises ``FileNotFoundError`` when there is no report: the app was synthesized
    without validation plugins (call ``enable_checks(app)`` before synth).
    """
    report = read_report(outdir)
    if report is None:
        raise FileNotFoundError(
            f"no validation report in {outdir}: synthesize with checks enabled "
            "(enable_checks(app) before app.synth(), or 'cdk synth' on such an app)"
        )
    return report_findings(report, include_acknowledged=include_acknowledged)


@dataclass(frozen=True)
class StackSummary:
    stack: str
    resources: int
    open_errors: int
    open_warnings: int
    acknowledged: int


def summarize(templates: Sequence[StackTemplate], found: Iterable[Finding]) -> list[StackSummary]:
    """Resources, open errors, open warnings and acknowledged findings per stack."""
    errors: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    acked: Counter[str] = Counter()
    for finding in found:
        owner = stack_of(templates, finding.path)
        if finding.acknowledged:
            acked[owner] += 1
        elif finding.severity == "error":
            errors[owner] += 1
        else:
            warnings[owner] += 1
    rows = [StackSummary(s.path, len(s.resources()), errors[s.path], warnings[s.path], acked[s.path]) for s in templates]
    for orphan in sorted((set(errors) | set(warnings) | set(acked)) - {s.path for s in templates}):
        rows.append(StackSummary(orphan, 0, errors[orphan], warnings[orphan], acked[orphan]))
    return rows


def stack_of(templates: Sequence[StackTemplate], construct_path: str) -> str:
    """The construct path of the stack ``construct_path`` is in (longest matching prefix)."""
    best = ""
    for stack in templates:
        if (construct_path == stack.path or construct_path.startswith(stack.path + "/")) and len(stack.path) > len(best):
            best = stack.path
    if best:
        return best
    if "#" in construct_path:  # template path#logical id
        for stack in templates:
            if construct_path.split("#", 1)[0].endswith(stack.template_file.name):
                return stack.path
    return construct_path.split("/", 1)[0]


def format_table(rows: Sequence[StackSummary], found: Sequence[Finding], plugins: Sequence[str]) -> str:
    """The per-stack table, then every open finding, then one line of totals."""
    width = max([len(r.stack) for r in rows] + [5])
    lines = [f"{'stack':<{width}}  resources  open errors  open warnings  acknowledged"]
    for r in rows:
        lines.append(
            f"{r.stack:<{width}}  {r.resources:>9}  {r.open_errors:>11}  {r.open_warnings:>13}  {r.acknowledged:>12}"
        )
    open_findings = [f for f in found if not f.acknowledged]
    if open_findings:
        lines.append("")
        lines.append("open findings:")
        lines.extend(f"  {f}" for f in open_findings)
    lines.append("packs:")
    for plugin in plugins:
        mine = [f for f in found if f.plugin == plugin]
        lines.append(
            f"  {plugin}: {sum(1 for f in mine if not f.acknowledged)} open, "
            f"{sum(1 for f in mine if f.acknowledged)} acknowledged"
        )
    lines.append(
        f"open findings: {len(open_findings)} "
        f"({sum(1 for f in open_findings if f.severity == 'error')} errors); "
        f"acknowledged: {sum(1 for f in found if f.acknowledged)}"
    )
    return "\n".join(lines)


def plugin_names(outdir: PathLike) -> list[str]:
    """Every pack that ran: those ``enable_checks`` recorded (CDK's report leaves out a
    plugin that found nothing), then any other plugin the report names."""
    report = read_report(outdir) or {}
    reported = [str(p.get("pluginName", "?")) for p in report.get("pluginReports") or []]
    path = Path(outdir)
    packs_file = (path if path.is_dir() else path.parent) / PACKS_FILE
    ran = list(read_json(packs_file).get("packs", [])) if packs_file.exists() else []
    return list(dict.fromkeys([*map(str, ran), *reported]))


def findings_table(outdir: PathLike) -> tuple[str, list[Finding]]:
    """The table for ``outdir`` and the findings (acknowledged included) it was made from."""
    found = findings_in(outdir, include_acknowledged=True)
    templates = stacks(outdir, allow_empty=True)  # a report without stacks still lists its findings
    return format_table(summarize(templates, found), found, plugin_names(outdir)), found


__all__ = ["Finding", "findings_in", "findings_table", "report_findings", "summarize", "stack_of", "StackSummary"]
