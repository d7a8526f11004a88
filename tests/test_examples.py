"""Every example app: zero unacknowledged findings in all six rule packs, cfn-lint clean, snapshot.

Snapshots are one JSON file per example stack under ``__snapshots__/test_examples/``,
with asset hashes normalized; update with ``pytest tests/test_examples.py --snapshot-update``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from examples.app import example_names
from tests.iam_lint import policy_findings
from tests.support import normalize_template, report_violations

CFN_LINT = str(Path(sys.executable).with_name("cfn-lint"))


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("example", example_names())
def test_example_passes_all_checks(synthesized_example, example):
    synthesized = synthesized_example(example)
    violations = report_violations(synthesized.report)
    assert violations == [], "unacknowledged findings:\n" + "\n".join(violations)
    assert synthesized.error is None, str(synthesized.error)


@pytest.mark.parametrize("example", example_names())
def test_example_ran_the_compliance_packs(synthesized_example, example):
    """The zero above covers NIST 800-53 R5, HIPAA and PCI DSS too: each pack reported
    (every example has acknowledged findings in each, so each appears in the report;
    CDK leaves a plugin with nothing at all to report out, as ServerlessPatterns here)."""
    report = json.loads(synthesized_example(example).report.read_text())
    assert {p["pluginName"] for p in report["pluginReports"]} >= {
        "AwsSolutions",
        "Serverless",
        "NIST.800.53.R5",
        "HIPAA.Security",
        "PCI.DSS.321",
    }


@pytest.fixture(scope="module")
def cfn_lint_run(synthesized_example) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """cfn-lint once over every example's templates, and the templates it linted: one start and
    one load of its rules and schemas instead of one per example (half the time)."""
    templates = [
        str(synthesized.template_path(stack_name))
        for synthesized in map(synthesized_example, example_names())
        for stack_name in synthesized.stack_names
    ]
    return subprocess.run([CFN_LINT, "--format", "parseable", *templates], capture_output=True, text=True), templates


@pytest.mark.parametrize("example", example_names())
def test_example_is_cfn_lint_clean(synthesized_example, cfn_lint_run, example):
    result, linted = cfn_lint_run
    synthesized = synthesized_example(example)
    templates = [str(synthesized.template_path(s)) for s in synthesized.stack_names]
    # parseable format: one finding a line, "<template>:<line>:<column>:..."
    findings = [line for line in result.stdout.splitlines() if line.split(":", 1)[0] in templates]
    assert findings == [], result.stdout + result.stderr
    # a failed run that names no template it linted (cfn-lint crashed, an option was refused) fails every example
    assert result.returncode == 0 or any(line.split(":", 1)[0] in linted for line in result.stdout.splitlines()), (
        result.stdout + result.stderr
    )


@pytest.mark.parametrize("example", example_names())
def test_example_policies_name_only_resources_their_actions_apply_to(synthesized_example, example):
    """parliament finds no RESOURCE_MISMATCH: no stream action on a table ARN, no
    enhanced fan-out action on a stream ARN (grants by intent, building_blocks.table_access)."""
    synthesized = synthesized_example(example)
    findings = [
        f"{stack_name}/{line}"
        for stack_name in synthesized.stack_names
        for line in policy_findings(json.loads(synthesized.template_path(stack_name).read_text()))
    ]
    assert findings == []


@pytest.mark.parametrize("example", example_names())
def test_example_snapshot(synthesized_example, example, snapshot_json):
    synthesized = synthesized_example(example)
    assert synthesized.stack_names, f"example {example} built no stack"
    for stack_name in synthesized.stack_names:
        template = json.loads(synthesized.template_path(stack_name).read_text())
        assert normalize_template(template) == snapshot_json(name=stack_name)


@pytest.mark.parametrize("example", example_names())
def test_example_deletes_replaced_function_versions(synthesized_example, example):
    """Seed 000 "delete unused versions": each change publishes a new version behind ``live`` and
    CloudFormation deletes the replaced one; a Retain policy would pile old versions up."""
    synthesized = synthesized_example(example)
    versions = {}
    for stack_name in synthesized.stack_names:
        resources = json.loads(synthesized.template_path(stack_name).read_text())["Resources"]
        versions.update({f"{stack_name}/{k}": r for k, r in resources.items() if r["Type"] == "AWS::Lambda::Version"})
    retained = [k for k, r in versions.items() if "Retain" in (r.get("DeletionPolicy"), r.get("UpdateReplacePolicy"))]
    assert retained == []


@pytest.mark.parametrize("example", example_names())
def test_example_synthesizes_without_warnings(synthesized_example, example):
    """CDK's own annotations (ignored props, deprecated APIs) stay quiet too."""
    synthesized = synthesized_example(example)
    # CDK writes each stack's annotations to <stack>.metadata.json (older CDKs: manifest.json)
    metadata: dict = {}
    for path in [synthesized.outdir / "manifest.json", *synthesized.outdir.glob("*.metadata.json")]:
        data = json.loads(path.read_text())
        for artifact in data.get("artifacts", {}).values():
            metadata.update(artifact.get("metadata") or {})
        if "artifacts" not in data:
            metadata.update(data)
    noisy = [
        f"{path}: {entry['type']}: {entry.get('data')}"
        for path, entries in metadata.items()
        for entry in entries
        if isinstance(entry, dict) and entry.get("type") in ("aws:cdk:warning", "aws:cdk:error")
    ]
    assert noisy == []


@pytest.mark.parametrize("example", example_names())
def test_example_page_is_generated_from_the_template(synthesized_example, example):
    """docs/examples/<name>.md (description, diagram, cost) is exactly what the tools make today."""
    from examples import docs

    synthesized = synthesized_example(example)
    expected = docs.page(example, docs.example_stacks(synthesized.outdir, synthesized.stack_names))
    current = (docs.DOCS / f"{example}.md").read_text(encoding="utf-8")
    assert current == expected, f"docs/examples/{example}.md is stale: run bash scripts/docs.sh"


def test_readme_cost_table_is_the_cost_command_output(synthesized_example, capsys):
    """The README's table is `python -m cdk_serverless_patterns cost <cdk.out> --format markdown` of every example."""
    from cdk_serverless_patterns.tooling.cli import main
    from examples import docs

    rows = []
    for example in example_names():
        synthesized = synthesized_example(example)
        assert main(["cost", "--format", "markdown", str(synthesized.outdir)]) == 0
        rows.extend(capsys.readouterr().out.strip().splitlines()[2:])
    header = docs.readme_table([])
    readme = docs.README.read_text(encoding="utf-8")
    block = readme[readme.index(docs.COST_START) + len(docs.COST_START):readme.index(docs.COST_END)].strip()
    assert block == "\n".join([header, *rows]), "the README's cost table is stale: run bash scripts/docs.sh"


@pytest.mark.parametrize("example", example_names())
def test_every_resource_type_of_the_example_is_priced_or_known_free(synthesized_example, example):
    from examples import docs

    synthesized = synthesized_example(example)
    for estimate in docs.estimates(docs.example_stacks(synthesized.outdir, synthesized.stack_names)):
        assert estimate.not_priced == {}, f"{estimate.stack}: not priced {estimate.not_priced}"
        assert estimate.fixed_usd > 0  # alarms at least: every example is monitored
        # the only charges an example has that the estimate cannot tell: Pipes polling a table stream,
        # and the per-GB processing of nightly_report's interface endpoints
        assert all("EventBridge Pipes" in note or note.startswith("interface endpoint data processing")
                   for note in estimate.notes), estimate.notes


@pytest.mark.parametrize("example", example_names())
def test_example_upgrades_from_each_release_without_losing_data(synthesized_example, example):
    """Against every release stored in tests/upgrade/releases/: no stateful resource of the
    example is deleted, orphaned or replaced (tests/upgrade/stateful.py says how that is judged)."""
    from tests.upgrade.stateful import assert_upgrade_safe

    synthesized = synthesized_example(example)
    assert_upgrade_safe(example, {s: synthesized.template_path(s) for s in synthesized.stack_names})


def test_checks_doc_lists_every_acknowledgement_with_its_reason(synthesized_example):
    """docs/checks.md's table is what the examples' templates carry (scripts/acknowledgements_doc.py)."""
    from cdk_serverless_patterns.tooling.acknowledgements import collect, render, section_of

    templates = [
        json.loads(synthesized.template_path(stack_name).read_text())
        for synthesized in map(synthesized_example, example_names())
        for stack_name in synthesized.stack_names
    ]
    rows = collect(templates)
    assert rows and all(len(row.reason) >= 20 for row in rows)
    doc = (Path(__file__).parent.parent / "docs" / "checks.md").read_text()
    assert section_of(doc) == render(rows), "docs/checks.md is stale: run python scripts/acknowledgements_doc.py"
