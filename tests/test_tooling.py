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
    # every pack that ran is listed, the one that found nothing (absent from CDK's report) with 0
    assert "packs:\n  AwsSolutions: 2 open, 0 acknowledged\n  Serverless: 1 open, 0 acknowledged\n" in out
    assert "  ServerlessPatterns: 0 open, 0 acknowledged\n" in out
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


# -- reading the assembly: nested stacks, stages, bad directories ------------------------------------


@pytest.fixture(scope="module", params=["app.synth", "cdk-cli"])
def nested_app(request, tmp_path_factory):
    """``Parent`` with a NestedStack (a queue, a function and a NestedStack of its own) and a stack in a
    Stage (``Prod/Jobs``, nested ``Sub``); the ``Queue`` of ``Parent`` and of ``Parent/Nested`` share a
    logical id. Synthesized as app.synth() leaves it and as the CDK CLI does (path and asset metadata)."""
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_sqs as sqs
    from constructs import Construct

    outdir = tmp_path_factory.mktemp(f"nested-{request.param}")
    cli = request.param == "cdk-cli"
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:enable-path-metadata": cli, "aws:cdk:enable-asset-metadata": cli})
    parent = cdk.Stack(app, "Parent")
    sqs.Queue(parent, "Queue")
    nested = cdk.NestedStack(parent, "Nested")
    sqs.Queue(nested, "Queue")
    lambda_.Function(nested, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                     code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"))
    sqs.Queue(cdk.NestedStack(nested, "Inner"), "Deep")
    jobs = cdk.Stack(cdk.Stage(app, "Prod"), "Jobs")
    sqs.Queue(Construct(jobs, "Report"), "Job")
    sqs.Queue(cdk.NestedStack(jobs, "Sub"), "Part")
    app.synth()
    return outdir


def resource_paths(stack):
    return sorted(r["Metadata"]["aws:cdk:path"] for r in stack.template()["Resources"].values()
                  if r["Type"] in ("AWS::SQS::Queue", "AWS::Lambda::Function"))


def test_nested_stacks_follow_their_parent_with_their_own_resources(nested_app):
    found = {s.path: s for s in stacks(nested_app)}
    assert list(found) == ["Prod/Jobs", "Prod/Jobs/Sub", "Parent", "Parent/Nested", "Parent/Nested/Inner"]
    assert [found[p].parent for p in found] == ["", found["Prod/Jobs"].name, "", "Parent", found["Parent/Nested"].name]
    assert found["Parent/Nested"].template_file.name.endswith(".nested.template.json")
    # the two queues share a logical id: each stack's path map holds its own resources only
    assert resource_paths(found["Parent"]) == ["Parent/Queue/Resource"]
    assert resource_paths(found["Parent/Nested"]) == ["Parent/Nested/Fn/Resource", "Parent/Nested/Queue/Resource"]
    assert resource_paths(found["Parent/Nested/Inner"]) == ["Parent/Nested/Inner/Deep/Resource"]


def test_a_stack_in_a_stage_has_its_display_path_and_full_resource_paths(nested_app):
    jobs, sub = stacks(nested_app)[:2]
    assert (jobs.path, sub.path) == ("Prod/Jobs", "Prod/Jobs/Sub")
    assert jobs.name != jobs.path and jobs.template_file.parent.name == "assembly-Prod"
    assert resource_paths(jobs) == ["Prod/Jobs/Report/Job/Resource"]
    assert resource_paths(sub) == ["Prod/Jobs/Sub/Part/Resource"]


def test_cost_and_diagram_include_nested_stacks(nested_app, capsys):
    assert main(["cost", "--json", str(nested_app)]) == 0
    by_stack = {s["stack"]: s for s in json.loads(capsys.readouterr().out)["stacks"]}
    assert set(by_stack) == {"Prod/Jobs", "Prod/Jobs/Sub", "Parent", "Parent/Nested", "Parent/Nested/Inner"}
    assert by_stack["Parent/Nested"]["total_usd"] > 0
    assert any(line["service"] == "Lambda" for line in by_stack["Parent/Nested"]["lines"])
    assert main(["diagram", "--stack", "Parent/Nested", str(nested_app)]) == 0
    text = capsys.readouterr().out
    assert "Fn9270CBC0" in text and "Deep" in text and '["Parent"]' not in text


def test_selecting_a_stack_takes_its_nested_stacks_too(nested_app):
    from cdk_serverless_patterns.tooling.assembly import select

    found = stacks(nested_app)
    nested = next(s for s in found if s.path == "Parent/Nested")
    assert [s.path for s in select(found, ["Parent"])] == ["Parent", "Parent/Nested", "Parent/Nested/Inner"]
    assert [s.path for s in select(found, [nested.name])] == ["Parent/Nested", "Parent/Nested/Inner"]
    assert [s.path for s in select(found, ["Prod/Jobs/Sub"])] == ["Prod/Jobs/Sub"]


def test_an_unknown_stack_lists_the_display_paths(nested_app, capsys):
    assert main(["cost", "--stack", "Nope", str(nested_app)]) == 2
    err = capsys.readouterr().err
    assert err == ("error: no stack 'Nope' in the assembly; its stacks are: "
                   "Prod/Jobs, Prod/Jobs/Sub, Parent, Parent/Nested, Parent/Nested/Inner\n")


def test_a_copied_folder_of_templates_still_finds_nested_stacks(nested_app, tmp_path):
    for template in nested_app.glob("*.template.json"):
        (tmp_path / template.name).write_bytes(template.read_bytes())
    found = [s.path for s in stacks(tmp_path)]
    if nested_app.name.startswith("nested-cdk-cli"):  # aws:asset:path and aws:cdk:path name the nested stacks
        assert found == ["Parent", "Parent/Nested", "Parent/Nested/Inner"]
    else:  # nothing links them: each template is a stack of its own
        assert found[0] == "Parent" and len(found) == 3 and all("Nested" in p for p in found[1:])


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


_MANIFEST = {"version": "36.0.0", "artifacts": {"X": {"type": "aws:cloudformation:stack",
                                                      "properties": {"templateFile": "X.template.json"}}}}


@pytest.mark.parametrize(
    "files, message",
    [
        ({"handler.py": "def handler(event, context): ...\n"},
         "holds no synthesized stacks (no manifest.json, no *.template.json): synthesize the app first"),
        ({"manifest.json": json.dumps({"version": "36.0.0", "artifacts": {}})}, "manifest.json names no stacks"),
        ({"X.template.json": '{"Resources": {\n  "Q": }'}, "X.template.json is not valid JSON (line 2): Expecting value"),
        ({"manifest.json": json.dumps(_MANIFEST)}, "X.template.json: no such file"),
        ({"manifest.json": "{"}, "manifest.json is not valid JSON (line 1)"),
        ({"X.template.json": '{"Resources": "none"}'}, "X.template.json: Resources is not an object ('none')"),
        ({"X.template.json": '{"Resources": {"Q": 3}}'}, "X.template.json: resource 'Q' is not an object (3)"),
        ({"manifest.json": '{"artifacts": []}'}, "manifest.json: artifacts is not an object"),
        ({"manifest.json": '{"artifacts": {"X": "stack"}}'}, "manifest.json: artifact 'X' is not an object"),
        ({"manifest.json": json.dumps({"artifacts": {"X": {"type": "aws:cloudformation:stack",
                                                           "properties": {"templateFile": 7}}}})},
         "manifest.json: artifact 'X': templateFile is not a file name (7)"),
    ],
    ids=["handler-folder", "no-stacks", "corrupt-template", "missing-template", "corrupt-manifest",
         "resources-not-an-object", "resource-not-an-object", "artifacts-not-an-object", "artifact-not-an-object",
         "template-file-not-a-name"],
)
@pytest.mark.parametrize("command", ["cost", "diagram"])
def test_an_unusable_assembly_is_one_line_and_exit_code_2(tmp_path, capsys, command, files, message):
    for name, text in files.items():
        write(tmp_path / name, text)
    assert main([command, str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {tmp_path}") and message in captured.err, captured.err
    assert captured.err.count("\n") == 1 and captured.out == ""


def test_a_directory_that_is_not_there_is_an_assembly_error_and_a_file_not_found_error(tmp_path):
    from cdk_serverless_patterns.tooling.assembly import AssemblyError

    with pytest.raises(AssemblyError, match="is not a cloud assembly directory") as caught:
        stacks(tmp_path / "cdk.out")
    assert isinstance(caught.value, FileNotFoundError)  # what it raised before: still caught as such


@pytest.mark.parametrize("command", [["cost"], ["diagram"], ["diagram", "--format", "svg"]])
def test_a_corrupt_template_of_a_stack_not_selected_does_not_matter(nested_app, tmp_path, capsys, command):
    import shutil

    outdir = tmp_path / "cdk.out"
    shutil.copytree(nested_app, outdir)
    (outdir / "Parent.template.json").write_text("{")
    assert main([*command, "--stack", "Prod/Jobs", str(outdir)]) == 0
    assert "Prod/Jobs" in capsys.readouterr().out
    for selection in (["--stack", "Parent"], ["--stack", "Parent/Nested"], []):
        assert main([*command, *selection, str(outdir)]) == 2
        err = capsys.readouterr().err
        assert "Parent.template.json is not valid JSON (line 1)" in err and err.count("\n") == 1, err
    assert main([*command, "--stack", "Nope", str(outdir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no stack 'Nope' among the readable stacks (Prod/Jobs, Prod/Jobs/Sub, Parent); "
                          "it may be nested in one whose template cannot be read: "), err
    assert "Parent.template.json is not valid JSON" in err


def test_a_profile_path_outside_the_selected_stacks_reads_the_others(nested_app, tmp_path, capsys):
    import shutil

    outdir = tmp_path / "cdk.out"
    shutil.copytree(nested_app, outdir)
    profile = tmp_path / "traffic.json"
    profile.write_text(json.dumps({"paths": {"Parent/Nested/Fn": {"avg_duration_ms": 300}}}))
    args = ["cost", "--stack", "Prod/Jobs", "--profile", str(profile), str(outdir)]
    assert main(args) == 0  # the path names a resource of another stack: fine
    capsys.readouterr()
    (outdir / "Parent.template.json").write_text("{")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Parent.template.json is not valid JSON" in err and "profile path 'Parent/Nested/Fn'" in err, err


def test_findings_of_a_report_without_stacks_still_lists_them(tmp_path, capsys):
    write(tmp_path / "manifest.json", json.dumps({"version": "36.0.0", "artifacts": {}}))
    write(tmp_path / "validation-report.json", json.dumps({"pluginReports": []}))
    assert main(["findings", str(tmp_path)]) == 0
    assert "open findings: 0 (0 errors)" in capsys.readouterr().out


def test_error_messages_name_the_file_not_the_errno():
    from cdk_serverless_patterns.tooling.cli import message

    assert message(FileNotFoundError(2, "No such file or directory", "cdk.out/X.template.json")) == (
        "cdk.out/X.template.json: no such file or directory")
    assert message(PermissionError(13, "Permission denied")) == "[Errno 13] Permission denied"
    assert message(ValueError("first line\n  second line")) == "first line second line"


def test_the_diagram_says_what_it_does_not_draw(tmp_path, capsys):
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {}},
                              "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {}}}}
    (tmp_path / "App.template.json").write_text(json.dumps(template))
    assert main(["diagram", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert '    stack_App_not_drawn["not drawn: AWS::RDS::DBInstance x1"]' in out  # visible, in the stack's box
    assert main(["diagram", "--format", "svg", str(tmp_path)]) == 0
    assert "not drawn: AWS::RDS::DBInstance x1</text>" in capsys.readouterr().out


@pytest.mark.parametrize("command", [["cost"], ["cost", "--format", "markdown"], ["diagram"], ["diagram", "--format", "svg"]])
def test_an_unexpected_error_is_one_line_exit_2_and_asks_for_a_report(tmp_path, capsys, monkeypatch, command):
    from cdk_serverless_patterns.tooling import cli

    (tmp_path / "App.template.json").write_text(json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))

    def broken(stack, template):
        raise ValueError("Properties\n  second line")

    monkeypatch.setattr(cli, "build_graph", broken)
    assert main([*command, str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"error: internal error reading {tmp_path}: ValueError: Properties second line "
                            "(please report it)\n") and captured.out == ""


def test_an_interrupt_is_not_swallowed(tmp_path, monkeypatch):
    from cdk_serverless_patterns.tooling import cli

    (tmp_path / "App.template.json").write_text(json.dumps({"Resources": {}}))

    def interrupted(stack, template):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_graph", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(["diagram", str(tmp_path)])


def test_the_cost_help_names_the_profile_settings_and_the_traffic_flag(capsys):
    with pytest.raises(SystemExit):
        main(["cost", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "messages_per_event" in out and "per invocation" not in out
    assert "--traffic also list the monthly volume of every resource" in out and "text output only" in out
