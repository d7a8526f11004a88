"""``python -m cdk_serverless_patterns findings|cost|diagram`` and ``cdk_serverless_patterns.testing``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cdk_serverless_patterns.testing import Finding, assert_no_findings, findings
from cdk_serverless_patterns.tooling.cli import main
from cdk_serverless_patterns.tooling.assembly import stacks
from cdk_serverless_patterns.tooling.diagram import mermaid
from cdk_serverless_patterns.tooling.graph import build_graph

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def clean(synthesized_example):
    """An example with acknowledged findings only (and a CDK-CLI-like cdk.out)."""
    example = synthesized_example("audit_trail")
    assert example.error is None
    return example.outdir


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    """A raw queue: three open cdk-nag errors, so synth fails with ValidationFailed."""
    import aws_cdk as cdk
    from aws_cdk import aws_sqs as sqs

    from cdk_serverless_patterns import enable_checks

    outdir = tmp_path_factory.mktemp("dirty")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    sqs.Queue(cdk.Stack(app, "Raw"), "Queue")
    return app


def test_findings_of_an_app_are_structured(dirty):
    found = findings(dirty)
    assert {(f.plugin, f.rule_id, f.path) for f in found} == {
        ("AwsSolutions", "AwsSolutions-SQS3", "Raw/Queue/Resource"),
        ("AwsSolutions", "AwsSolutions-SQS4", "Raw/Queue/Resource"),
        ("Serverless", "Serverless-SQSRedrivePolicy", "Raw/Queue/Resource"),
    }
    assert all(isinstance(f, Finding) and f.severity == "error" and not f.acknowledged for f in found)
    assert found[0].acknowledgement_id == f"{found[0].plugin}::{found[0].rule_id}"


def test_assert_no_findings_lists_rule_path_and_message(dirty):
    with pytest.raises(AssertionError) as info:
        assert_no_findings(dirty)
    message = str(info.value)
    assert message.startswith("3 open check finding(s):")
    assert "[error] AwsSolutions::AwsSolutions-SQS4 at Raw/Queue/Resource: The SQS queue does not require" in message


def test_assert_no_findings_passes_and_acknowledged_ones_are_readable(clean):
    assert_no_findings(clean)
    acknowledged = findings(clean, include_acknowledged=True)
    assert acknowledged and all(f.acknowledged and len(f.reason) > 20 for f in acknowledged)


def test_findings_of_a_directory_without_a_report_is_an_error(tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="enable_checks"):
        findings(tmp_path)


def test_serverless_patterns_findings_carry_the_fix(tmp_path):
    import aws_cdk as cdk
    from aws_cdk import aws_logs as logs

    from cdk_serverless_patterns import enable_checks

    app = cdk.App(outdir=str(tmp_path))
    enable_checks(app)
    logs.LogGroup(cdk.Stack(app, "Logs"), "Forever", retention=logs.RetentionDays.INFINITE)
    [finding] = [f for f in findings(app) if f.plugin == "ServerlessPatterns"]
    assert finding.rule_id == "SP-LOGS-RETENTION" and finding.fix
    assert "Fix: " in str(finding)


def test_findings_command_prints_the_per_stack_table(dirty, capsys):
    assert main(["findings", dirty.outdir]) == 1  # open errors fail, as synth does
    out = capsys.readouterr().out
    assert "stack  resources  open errors  open warnings  acknowledged" in out
    assert "Raw            1            3              0             0" in out
    assert "open findings: 3 (3 errors)" in out
    assert main(["findings", "--fail-on", "never", dirty.outdir]) == 0


def test_findings_command_on_a_clean_assembly(clean, capsys):
    assert main(["findings", str(clean)]) == 0
    out = capsys.readouterr().out
    assert "AuditTrailExample" in out and "open findings: 0 (0 errors)" in out


def test_findings_command_without_a_report(tmp_path, capsys):
    assert main(["findings", str(tmp_path)]) == 2
    assert "no validation report" in capsys.readouterr().err


def graphs(outdir):
    return [build_graph(s.path, s.template()) for s in stacks(outdir)]


def test_diagram_shows_the_event_edges(synthesized_example):
    outdir = synthesized_example("image_jobs").outdir
    text = mermaid(graphs(outdir))
    assert text.startswith("flowchart LR")
    edges = [line.strip() for line in text.splitlines() if "-->" in line or "-.->" in line]
    assert any("|\"subscription\"|" in e and "Topic" in e for e in edges), edges  # SNS -> worker queue
    assert any("|\"polls\"|" in e for e in edges), edges  # queue -> worker function
    assert any("-.->|\"reads/writes\"|" in e and "StateTable" in e for e in edges), edges  # worker -> fan-in table
    assert any("-.->|\"publishes\"|" in e for e in edges), edges  # submit -> topic
    # one subgraph per pattern construct inside the stack's
    assert '    subgraph stack_ImageJobsExample_ImageJobs["ImageJobs"]' in text
    assert "linkStyle" in text  # dead-letter paths drawn red


def test_diagram_of_an_api_and_a_schedule(synthesized_example):
    api = mermaid(graphs(synthesized_example("orders_api").outdir))
    assert any("REST API" in line for line in api.splitlines())
    assert any("|\"GET /orders/{id}\"|" in line for line in api.splitlines()), api
    nightly = mermaid(graphs(synthesized_example("nightly_report").outdir))
    assert any("|\"invokes\"|" in line for line in nightly.splitlines()), nightly


def test_module_entry_point_runs_without_aws_cdk(clean):
    code = (
        "import sys, runpy; sys.argv = ['x', 'diagram', sys.argv[1]]\n"
        "try:\n    runpy.run_module('cdk_serverless_patterns', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "assert 'aws_cdk' not in sys.modules and 'jsii' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(clean)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("flowchart LR")


def test_synth_script_uses_the_package_command():
    script = (ROOT / "scripts" / "synth.sh").read_text()
    assert "python -m cdk_serverless_patterns findings" in script
    assert not (ROOT / "scripts" / "findings_summary.py").exists()


def test_a_closed_pipe_is_not_an_error(tmp_path):
    # `python -m cdk_serverless_patterns diagram cdk.out | head -1` on a diagram larger than a pipe's buffer
    resources = {f"Queue{i}": {"Type": "AWS::SQS::Queue", "Properties": {}} for i in range(5000)}
    (tmp_path / "Big.template.json").write_text(json.dumps({"Resources": resources}))
    proc = subprocess.run(
        f"{sys.executable} -m cdk_serverless_patterns diagram {tmp_path} | head -1",
        shell=True, capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.stdout == "flowchart LR\n" and "BrokenPipeError" not in proc.stderr, proc.stderr


def test_diagram_command_formats_and_stack_filter(synthesized_example, capsys):
    outdir = str(synthesized_example("image_jobs").outdir)
    assert main(["diagram", "--format", "svg", "--stack", "ImageJobsExample", outdir]) == 0
    svg = capsys.readouterr().out
    assert svg.lstrip().startswith("<svg") and "ImageJobsExample" in svg and "Workers/thumbnail/Worker" in svg
    assert main(["diagram", "--stack", "ImageJobsExample", outdir]) == 0
    assert capsys.readouterr().out.startswith("flowchart LR")
