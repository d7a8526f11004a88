"""Every example app: zero unacknowledged findings, cfn-lint clean, snapshot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from examples.app import example_names
from tests.support import normalize_template, report_violations


def test_synth_passes_all_checks(examples_assembly):
    violations = report_violations(examples_assembly.report)
    assert violations == [], "unacknowledged findings:\n" + "\n".join(violations)
    assert examples_assembly.error is None, str(examples_assembly.error)


def test_every_template_is_cfn_lint_clean(examples_assembly):
    templates = sorted(str(p) for p in examples_assembly.outdir.glob("*.template.json"))
    assert templates, "no templates synthesized"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", *templates],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("example", example_names())
def test_example_snapshot(examples_assembly, example, snapshot):
    stacks = examples_assembly.stacks[example]
    assert stacks, f"example {example} built no stack"
    for stack_name in stacks:
        template = json.loads((examples_assembly.outdir / f"{stack_name}.template.json").read_text())
        assert normalize_template(template) == snapshot(name=stack_name)
