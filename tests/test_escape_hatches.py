"""The documented escape hatches work with every check on: an index added to each pattern's table
(docs/escape-hatches.md) is covered by the library's own grants and acknowledgements, scoped to
that table's indexes, with no logical id for the user to compute, also after the table's logical
id is pinned with ``override_logical_id`` (docs/upgrading.md), and when another stack uses the
table. One app, synthesized once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb

from cdk_serverless_patterns import (
    ApiAuth,
    ApiBackend,
    Cqrs,
    EventProcessing,
    FanOutFanIn,
    FunctionSpec,
    Idempotency,
    StreamProcessing,
    enable_checks,
    set_default_alarm_topic,
)
from tests.support import HANDLER_DIR, TEST_ALARM_TOPIC_ARN

STACK = "EscapeHatches"
PINNED = "OrdersTablePinned"


def _spec() -> FunctionSpec:
    return FunctionSpec(code=str(HANDLER_DIR), handler="app.handler", idempotency=Idempotency.natural("test"))


def _add_index(table: dynamodb.ITable | None, name: str = "byStatus") -> None:
    assert isinstance(table, dynamodb.Table), table
    table.add_global_secondary_index(
        index_name=name, partition_key=dynamodb.Attribute(name="status", type=dynamodb.AttributeType.STRING)
    )


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    outdir = tmp_path_factory.mktemp("escape")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    stack = cdk.Stack(app, STACK, env=cdk.Environment(account="111111111111", region="us-east-1"))
    api = ApiBackend(stack, "Api", routes={"GET /items": _spec(), "POST /items": _spec()}, table=True, auth=ApiAuth.iam())
    _add_index(api.table)
    # a pinned logical id (docs/upgrading.md) and a second index: the acknowledgement follows the final id
    cast(dynamodb.CfnTable, cast(dynamodb.Table, api.table).node.default_child).override_logical_id(PINNED)
    _add_index(api.table, "byCustomer")
    events = EventProcessing(stack, "Events", processor=_spec(), result_table=True)
    _add_index(events.table)
    streams = StreamProcessing(stack, "Stream", processor=_spec(), result_table=True)
    _add_index(streams.table)
    fan_out = FanOutFanIn(stack, "FanOut", workers={"resize": _spec()}, aggregator=_spec())
    _add_index(fan_out.state_table)
    cqrs = Cqrs(stack, "Cqrs", commands={"POST /orders": _spec()}, queries={"GET /orders/{id}": _spec()},
                projections={"summary": _spec()}, auth=ApiAuth.iam())
    _add_index(cqrs.read_model)
    _add_index(cqrs.event_store)
    imported = dynamodb.Table.from_table_attributes(
        stack, "Existing", table_name="existing-orders", global_indexes=["byStatus"]
    )
    ApiBackend(stack, "OnExisting", routes={"GET /things": _spec()}, table=imported, auth=ApiAuth.iam())
    ApiBackend(stack, "Plain", routes={"GET /plain": _spec()}, table=True, auth=ApiAuth.iam())  # no index
    # the indexed table used from another stack: the grant names the table's export
    consumer = cdk.Stack(app, "Consumer", env=cdk.Environment(account="111111111111", region="us-east-1"))
    ApiBackend(consumer, "Reader", routes={"GET /report": _spec()}, table=api.table, auth=ApiAuth.iam())
    app.synth()
    return outdir, json.loads((outdir / f"{STACK}.template.json").read_text())


def test_every_patterns_table_with_an_index_has_zero_findings(synthesized):
    from cdk_serverless_patterns.testing import findings

    open_findings = findings(synthesized[0])
    assert open_findings == [], "\n".join(str(f) for f in open_findings)


def _index_grants(template: dict[str, Any]) -> dict[str, set[str]]:
    from cdk_serverless_patterns.checks.nag_ids import flatten_reference

    grants: dict[str, set[str]] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            grants.setdefault(logical_id, set()).update(
                flatten_reference(t) for t in targets if flatten_reference(t).endswith("/index/*")
            )
    return {k: v for k, v in grants.items() if v}


def test_the_grants_reach_the_indexes_and_each_acknowledgement_names_exactly_them(synthesized):
    template = synthesized[1]
    grants = _index_grants(template)
    tables = {t for granted in grants.values() for t in granted}
    assert f"<{PINNED}.Arn>/index/*" in tables, tables  # the pinned id, not the generated one
    assert any("existing-orders/index/*" in t for t in tables), tables
    assert len(tables) == 7, tables  # api, events, stream, fan-out, read model, event store, existing
    for policy, granted in grants.items():
        rules = template["Resources"][policy]["Metadata"]["cdk_nag"]["rules_to_suppress"]
        acknowledged = {a for r in rules if r["id"] == "AwsSolutions-IAM5" for a in r.get("applies_to", [])}
        assert {f"Resource::{g}" for g in granted} <= acknowledged, policy


def test_a_table_of_another_stack_is_acknowledged_under_its_export(synthesized):
    consumer = json.loads((synthesized[0] / "Consumer.template.json").read_text())
    [(policy, granted)] = _index_grants(consumer).items()
    assert granted and all(g.startswith(f"{STACK}:ExportsOutput") for g in granted), granted
    rules = consumer["Resources"][policy]["Metadata"]["cdk_nag"]["rules_to_suppress"]
    assert {f"Resource::{g}" for g in granted} <= {a for r in rules for a in r.get("applies_to", [])}


def test_a_table_without_indexes_gets_no_index_grant_or_acknowledgement(synthesized):
    template = synthesized[1]
    [policy] = [k for k in template["Resources"] if k.startswith("PlainGetPlainRoleDefaultPolicy")]
    assert policy not in _index_grants(template)
    rules = template["Resources"][policy].get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    assert not [a for r in rules for a in r.get("applies_to", []) if a.endswith("/index/*")], rules
