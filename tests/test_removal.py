"""A sandbox is deletable in one ``cdk destroy`` (issue 15 item 6).

Both ways of asking for it — the patterns' ``removal_policy=RemovalPolicy.DESTROY``
and CDK's own ``RemovalPolicies.of(stack).destroy()`` (or a custom Aspect) —
must leave no resource retained, no table or user pool with deletion
protection, and no KMS key waiting out a 30-day window. The default keeps all
of it. One app with every stateful pattern, synthesized once.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import jsii
import pytest
from aws_cdk import CfnResource, RemovalPolicies, RemovalPolicy, assertions

from cdk_serverless_patterns import (
    ApiBackend,
    EventProcessing,
    FanOutFanIn,
    FunctionSpec,
    Idempotency,
    StreamProcessing,
)
from tests.support import HANDLER_DIR


def fn() -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler", idempotency=Idempotency.natural("test"))


def every_stateful_pattern(stack: cdk.Stack, **options: Any) -> None:
    # Every kind of stateful resource the patterns make, each through its shared building block:
    ApiBackend(stack, "Api", routes={"GET /items": fn()}, table=True, **options)  # table + user pool
    EventProcessing(stack, "Ingest", processor=fn(), result_table=True, **options)  # buckets, table, topic key
    StreamProcessing(stack, "Clicks", processor=fn(), **options)  # stream
    FanOutFanIn(stack, "Jobs", workers={"resize": fn()}, aggregator=fn(), **options)  # topic key, state table


@jsii.implements(cdk.IAspect)
class DestroyEverything:
    """The Aspect users copy from blog posts (default priority)."""

    def visit(self, node: Any) -> None:
        if isinstance(node, CfnResource):
            node.apply_removal_policy(RemovalPolicy.DESTROY)


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    app = cdk.App()
    stacks = {name: cdk.Stack(app, name) for name in ("Default", "Option", "RemovalPolicies", "CustomAspect")}
    every_stateful_pattern(stacks["Default"])
    every_stateful_pattern(stacks["Option"], removal_policy=RemovalPolicy.DESTROY)
    every_stateful_pattern(stacks["RemovalPolicies"])
    RemovalPolicies.of(stacks["RemovalPolicies"]).destroy()
    every_stateful_pattern(stacks["CustomAspect"])
    cdk.Aspects.of(stacks["CustomAspect"]).add(DestroyEverything())
    return {name: assertions.Template.from_stack(stack).to_json()["Resources"] for name, stack in stacks.items()}


def _of_type(resources: dict[str, Any], cfn_type: str) -> list[dict[str, Any]]:
    found = [r for r in resources.values() if r["Type"] == cfn_type]
    assert found, f"no {cfn_type} in the template"
    return found


def what_blocks_deletion(resources: dict[str, Any]) -> list[str]:
    blocking = []
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        if resource.get("DeletionPolicy", "Delete") != "Delete":
            blocking.append(f"{logical_id}: DeletionPolicy {resource['DeletionPolicy']}")
        if props.get("DeletionProtectionEnabled") is True or props.get("DeletionProtection") == "ACTIVE":
            blocking.append(f"{logical_id}: deletion protection")
        if resource["Type"] == "AWS::KMS::Key" and props.get("PendingWindowInDays") != 7:
            blocking.append(f"{logical_id}: key pending window {props.get('PendingWindowInDays', 30)} days")
    return blocking


@pytest.mark.parametrize("stack", ["Option", "RemovalPolicies", "CustomAspect"])
def test_destroy_leaves_nothing_behind(templates, stack):
    assert what_blocks_deletion(templates[stack]) == []


def test_keys_follow_the_option_with_the_shortest_pending_window(templates):
    for key in _of_type(templates["Option"], "AWS::KMS::Key"):
        assert (key["DeletionPolicy"], key["Properties"]["PendingWindowInDays"]) == ("Delete", 7)


def test_deletion_protection_follows_a_destroy_applied_after_construction(templates):
    for table in _of_type(templates["RemovalPolicies"], "AWS::DynamoDB::Table"):
        assert table["Properties"]["DeletionProtectionEnabled"] is False
    for pool in _of_type(templates["RemovalPolicies"], "AWS::Cognito::UserPool"):
        assert pool["Properties"]["DeletionProtection"] == "INACTIVE"


def test_the_default_retains_and_protects_everything_stateful(templates):
    resources = templates["Default"]
    for table in _of_type(resources, "AWS::DynamoDB::Table"):
        assert (table["DeletionPolicy"], table["Properties"]["DeletionProtectionEnabled"]) == ("Retain", True)
    for pool in _of_type(resources, "AWS::Cognito::UserPool"):
        assert (pool["DeletionPolicy"], pool["Properties"]["DeletionProtection"]) == ("Retain", "ACTIVE")
    for key in _of_type(resources, "AWS::KMS::Key"):
        assert key["DeletionPolicy"] == "Retain" and "PendingWindowInDays" not in key["Properties"]
    for bucket in _of_type(resources, "AWS::S3::Bucket"):
        assert bucket["DeletionPolicy"] == "Retain"
