"""Idempotency as a typed declaration on FunctionSpec (issue 15 item 2).

The README's default ScheduledJob and EventProcessing are at-least-once
consumers: without a declaration SP-IDEMPOTENCY warns and tells the user what
to write; with one, the declaration lands in the function's template metadata
and every check pack reports nothing. One app, synthesized once.
"""

from __future__ import annotations

import inspect
import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import assertions

import cdk_serverless_patterns as csp
from cdk_serverless_patterns import (
    EventProcessing,
    FunctionSpec,
    Idempotency,
    IdempotencyKind,
    PatternConfigError,
    ScheduledJob,
    ServerlessFunction,
    enable_checks,
    set_default_alarm_topic,
)
from cdk_serverless_patterns.building_blocks.idempotency import METADATA_KEY
from cdk_serverless_patterns.checks.rules import RULES
from cdk_serverless_patterns.runtime import env
from tests.support import HANDLER_DIR, TEST_ALARM_TOPIC_ARN, synth_keeping_error

NATURAL = Idempotency.natural("overwrites report/<date>.csv; a rerun writes the same file")
DEDUP = Idempotency.conditional_write("object key + version id")


def spec(**changes) -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler").replace(**changes)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("idempotency")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    stacks = {name: cdk.Stack(app, name) for name in ("Declared", "Undeclared", "Legacy")}
    ScheduledJob(stacks["Declared"], "Nightly", schedule="cron(30 2 * * ? *)", job=spec(idempotency=NATURAL))
    EventProcessing(stacks["Declared"], "Ingest", processor=spec(idempotency=DEDUP), suffix=".csv")
    ScheduledJob(stacks["Undeclared"], "Nightly", schedule="cron(30 2 * * ? *)", job=spec())
    EventProcessing(stacks["Undeclared"], "Ingest", processor=spec(), suffix=".csv")
    legacy = ScheduledJob(
        stacks["Legacy"], "Nightly", schedule="rate(1 hour)", job=spec(environment={env.IDEMPOTENCY: "overwrites"})
    )
    templates = {name: assertions.Template.from_stack(stack) for name, stack in stacks.items()}
    error = synth_keeping_error(app)
    report = json.loads((outdir / "validation-report.json").read_text())
    findings: dict[str, list[tuple[str, str]]] = {name: [] for name in stacks}
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                stack = construct["constructPath"].split("/")[0]
                findings[stack].append((violation["ruleName"], violation.get("description", "")))
    return {"templates": templates, "findings": findings, "error": error, "legacy": legacy}


def test_declared_consumers_synthesize_with_zero_findings(built):
    assert built["findings"]["Declared"] == []


def test_undeclared_consumers_are_told_exactly_what_to_write(built):
    ids = sorted(rule for rule, _ in built["findings"]["Undeclared"])
    assert ids == ["SP-IDEMPOTENCY", "SP-IDEMPOTENCY"], built["findings"]["Undeclared"]
    for _rule, message in built["findings"]["Undeclared"]:
        assert "idempotency=Idempotency.natural(" in message, message
        assert "Idempotency.conditional_write(" in message, message
    fix = next(rule.fix for rule in RULES if rule.id == "SP-IDEMPOTENCY")
    assert "idempotency=Idempotency.natural(" in fix
    assert "report_batch_item_failures=True to aws_lambda_event_sources.SqsEventSource" in fix


def test_declaration_is_recorded_in_the_function_metadata(built):
    functions = built["templates"]["Declared"].find_resources("AWS::Lambda::Function")
    declared = sorted(
        (json.dumps(r["Metadata"][METADATA_KEY], sort_keys=True) for r in functions.values() if METADATA_KEY in r.get("Metadata", {}))
    )
    assert declared == sorted(
        [
            json.dumps({"kind": "natural", "how": NATURAL.how}, sort_keys=True),
            json.dumps({"kind": "conditional-write", "how": DEDUP.how, "key": "object key + version id"}, sort_keys=True),
        ]
    )


def test_the_deprecated_environment_variable_still_counts_and_warns(built):
    assert built["findings"]["Legacy"] == []
    warnings = assertions.Annotations.from_stack(built["legacy"].node.scope).find_warning(
        "*", assertions.Match.string_like_regexp("IDEMPOTENCY environment variable is deprecated")
    )
    assert warnings and "Idempotency.natural(" in warnings[0].entry.data


def test_factories_say_how():
    assert NATURAL.kind is IdempotencyKind.NATURAL and NATURAL.key is None
    assert DEDUP.kind is IdempotencyKind.CONDITIONAL_WRITE and DEDUP.key == "object key + version id"
    assert "object key + version id" in DEDUP.how


def test_public_names_are_exported_in_all_three_places():
    source = inspect.getsource(csp)
    for name in ("Idempotency", "IdempotencyKind"):
        assert name in csp._EXPORTS and name in csp.__all__
        assert f"import {name} as {name}" in source


@pytest.mark.parametrize(
    "value, shown",
    [
        ("yes", "spec.idempotency='yes'"),
        (True, "spec.idempotency=True"),
        (Idempotency.natural(""), "spec.idempotency.how=''"),
        (Idempotency.conditional_write(" "), "spec.idempotency.key=' '"),
    ],
)
def test_rejects_an_idempotency_that_is_not_a_declaration(value, shown):
    stack = cdk.Stack(cdk.App(), "V")
    with pytest.raises(PatternConfigError) as info:
        ServerlessFunction(stack, "Fn", spec(idempotency=value))
    assert stack.node.try_find_child("Fn") is None
    assert shown in str(info.value) and "Fix:" in str(info.value)


# --- every suggested fix names a real option ------------------------------------

_KNOWN = {
    "FunctionSpec": FunctionSpec,
    "ServerlessFunction": ServerlessFunction,
    "EdgeSite": csp.EdgeSite,
    "WorkQueue": __import__("cdk_serverless_patterns.building_blocks.queues", fromlist=["WorkQueue"]).WorkQueue,
    "Alias": __import__("aws_cdk.aws_lambda", fromlist=["Alias"]).Alias,
    "SqsEventSource": __import__("aws_cdk.aws_lambda_event_sources", fromlist=["x"]).SqsEventSource,
}
_CALL = re.compile(r"\b([A-Z][A-Za-z]+)\(([^()]*)")


def test_every_rule_fix_names_options_that_exist():
    """``Name(option=...)`` in a fix hint must be a parameter of ``Name`` (issue 15: a fix named
    an option the constructs do not take)."""
    checked = 0
    for rule in RULES:
        for name, args in _CALL.findall(rule.fix):
            if name not in _KNOWN:
                continue
            params = inspect.signature(_KNOWN[name].__init__).parameters
            for option in re.findall(r"(?:^|,\s*)([a-z_]+)=", args):
                assert option in params, f"{rule.id}: {name} has no option {option!r}"
                checked += 1
    assert checked >= 3
