"""The README's ten-line example runs as written and synthesizes with zero findings."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support import report_violations

README = Path(__file__).resolve().parent.parent / "README.md"


def test_ten_line_example_synthesizes_cleanly(tmp_path, monkeypatch):
    code = re.search(r"## Ten lines\n\n```python\n(.*?)```", README.read_text(), re.S).group(1)
    assert len(code.strip().splitlines()) <= 10
    handler_dir = tmp_path / "handlers" / "orders"
    handler_dir.mkdir(parents=True)
    (handler_dir / "app.py").write_text("def handler(event, context):\n    return {'statusCode': 200, 'body': '{}'}\n")
    monkeypatch.chdir(tmp_path)
    exec(compile(code.replace("cdk.App()", f"cdk.App(outdir={str(tmp_path / 'out')!r})"), "README", "exec"), {})
    assert report_violations(tmp_path / "out" / "validation-report.json") == []
    assert (tmp_path / "out" / "Orders.template.json").exists()


def test_every_pattern_block_synthesizes(tmp_path, monkeypatch):
    import aws_cdk as cdk

    code = re.search(r"### Every pattern in one line each\n\n```python\n(.*?)```", README.read_text(), re.S).group(1)
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "app.py").write_text("def handler(event, context):\n    return event\n")
    monkeypatch.chdir(tmp_path)
    app = cdk.App(outdir=str(tmp_path / "out"))
    stack = cdk.Stack(app, "All", env=cdk.Environment(account="111111111111", region="us-east-1"))
    exec(compile(code, "README", "exec"), {"stack": stack})
    app.synth()
    resources = __import__("json").loads((tmp_path / "out" / "All.template.json").read_text())["Resources"]
    types = {r["Type"] for r in resources.values()}
    for expected in ("AWS::ApiGateway::RestApi", "AWS::Events::Rule", "AWS::Kinesis::Stream", "AWS::SNS::Topic",
                     "AWS::StepFunctions::StateMachine", "AWS::Pipes::Pipe", "AWS::Scheduler::Schedule",
                     "AWS::CloudFront::Distribution"):
        assert expected in types, expected
