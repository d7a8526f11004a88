"""Helpers for a user's own tests: structured check findings instead of ``RuntimeError: ValidationFailed``.

.. code-block:: python

    from cdk_serverless_patterns.testing import assert_no_findings

    def test_stack_has_no_findings():
        app = cdk.App()
        enable_checks(app)
        OrdersStack(app, "Orders")
        assert_no_findings(app)   # AssertionError listing rule, path, message and fix of each

``findings(app)`` synthesizes the app (keeping the validation failure instead
of raising it) and returns one :class:`Finding` per rule broken per construct;
it also takes a ``cdk.out`` directory that ``cdk synth`` wrote.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence, Union

from .tooling.findings import Finding, findings_in

if TYPE_CHECKING:
    from aws_cdk import Stage

__all__ = ["Finding", "findings", "assert_no_findings"]

AppOrOutdir = Union["Stage", str, "os.PathLike[str]"]


def findings(app_or_outdir: AppOrOutdir, *, include_acknowledged: bool = False) -> list[Finding]:
    """The check findings of an app (synthesized here if needed) or of a ``cdk.out`` directory.

    :param app_or_outdir: a ``cdk.App`` (or any ``Stage``) whose checks were enabled
        with ``enable_checks(app)`` before its stacks were added, or the path of a
        synthesized assembly (or of its ``validation-report.json``).
    :param include_acknowledged: also return acknowledged findings (``acknowledged=True``,
        with their ``reason``). Default: False, only what still needs a fix.
    :raises FileNotFoundError: a directory without a validation report.

    CDK writes the report for every synthesized app, listing only plugins that
    found something, so an app synthesized *without* ``enable_checks`` also
    yields ``[]``: enable the checks in the fixture that builds the app.
    """
    outdir = _synthesize(app_or_outdir) if not isinstance(app_or_outdir, (str, os.PathLike)) else Path(app_or_outdir)
    return [_with_fix(f) for f in findings_in(outdir, include_acknowledged=include_acknowledged)]


def _with_fix(finding: Finding) -> Finding:
    """CDK's report drops the plugins' fix hints; put the library's own rules' back."""
    from .checks import PLUGIN_NAME, RULES_BY_ID

    rule = RULES_BY_ID.get(finding.rule_id) if finding.plugin == PLUGIN_NAME else None
    return dataclasses.replace(finding, fix=rule.fix) if rule is not None and not finding.fix else finding


def assert_no_findings(
    app_or_outdir: AppOrOutdir,
    *,
    severities: Sequence[str] = ("error", "warning", "info"),
) -> None:
    """Fail with an ``AssertionError`` that lists every open finding: rule id, path, message, fix.

    :param severities: which severities count. Default: all of them (warnings
        included: the library's examples have none); pass ``("error",)`` to
        allow warnings.
    """
    open_findings = [f for f in findings(app_or_outdir) if f.severity in severities]
    if open_findings:
        lines = "\n".join(f"  - {f}" for f in open_findings)
        raise AssertionError(f"{len(open_findings)} open check finding(s):\n{lines}")


def _synthesize(app: "Stage") -> Path:
    """Synthesize ``app``; a validation failure is kept in its report, any other error raised."""
    outdir = Path(app.outdir)
    try:
        app.synth()
    except Exception as error:  # jsii raises RuntimeError("ValidationFailed: ...")
        if "ValidationFailed" not in str(error) and "Validation failed" not in str(error):
            raise
    return outdir
