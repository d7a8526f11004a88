"""Honest bounds: API and saga functions reserve concurrency by default; hardened tables use a CMK;
the Powertools layer only where AWS publishes it."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from cdk_serverless_patterns import (
    ApiAuth,
    ApiBackend,
    FunctionSpec,
    PatternConfigError,
    Saga,
    SagaStep,
    ServerlessFunction,
    enable_hardening,
)
from tests.support import HANDLER_DIR, config_error

SPEC = FunctionSpec(code=HANDLER_DIR, handler="app.handler")
PUBLIC = ApiAuth.none("Test API without users: synthesized only")


@pytest.fixture(scope="module")
def built():
    app = cdk.App()
    stack = cdk.Stack(app, "Bounds")
    enable_hardening(stack)
    api = ApiBackend(
        stack,
        "Api",
        routes={"GET /a": SPEC, "POST /a": SPEC.replace(description="w"), "GET /slow": SPEC.replace(description="s")},
        auth=PUBLIC,
        table=True,
        throttling_rate_limit=2,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    fast = ApiBackend(
        stack, "Fast", routes={"GET /b": SPEC}, auth=PUBLIC, removal_policy=cdk.RemovalPolicy.DESTROY
    )
    saga = Saga(
        stack,
        "Saga",
        steps=[SagaStep("a", action=SPEC, compensation=SPEC.replace(description="c")), SagaStep("b", action=SPEC.replace(reserved_concurrency=7))],
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    return {"stack": stack, "api": api, "fast": fast, "saga": saga, "template": Template.from_stack(stack)}


def _reserved(built, function) -> int:
    resources = built["template"].to_json()["Resources"]
    return resources[built["stack"].get_logical_id(function.function.node.default_child)]["Properties"][
        "ReservedConcurrentExecutions"
    ]


def test_api_functions_reserve_rate_times_timeout(built):
    # 2 requests/s x 10 s timeout = 20, under the share of 200 / 3 functions
    assert _reserved(built, built["api"].functions["GET /a"]) == 20


def test_api_functions_are_capped_at_their_share_of_the_account(built):
    # 1000 requests/s x 10 s = 10,000, capped at 200 / 1 function
    assert _reserved(built, built["fast"].functions["GET /b"]) == 200


def test_saga_functions_share_a_tenth_of_the_account(built):
    # 3 distinct functions: 100 // 3; an explicit bound is kept
    assert _reserved(built, built["saga"].functions["a"].action) == 33
    assert _reserved(built, built["saga"].functions["a"].compensation) == 33
    assert _reserved(built, built["saga"].functions["b"].action) == 7


def test_no_concurrency_acknowledgement_remains_on_bounded_functions(built):
    resources = built["template"].to_json()["Resources"]
    for function in [*built["api"].functions.values(), built["saga"].functions["a"].action]:
        metadata = resources[built["stack"].get_logical_id(function.function.node.default_child)].get("Metadata", {})
        rules = {r["id"] for r in metadata.get("cdk_nag", {}).get("rules_to_suppress", [])}
        assert not any(r.endswith("LambdaConcurrency") for r in rules)
        assert "CKV_AWS_115" not in {s["id"] for s in metadata.get("checkov", {}).get("skip", [])}


def test_hardened_table_uses_the_stacks_data_key_and_grants_include_it(built):
    resources = built["template"].to_json()["Resources"]
    table = resources[built["stack"].get_logical_id(built["api"].table.node.default_child)]
    assert table["Properties"]["SSESpecification"]["SSEType"] == "KMS"
    assert "KMSMasterKeyId" in table["Properties"]["SSESpecification"]
    assert "checkov" not in table.get("Metadata", {})
    policy = built["api"].functions["POST /a"].role.node.find_child("DefaultPolicy")
    statements = resources[built["stack"].get_logical_id(policy.node.default_child)]["Properties"]["PolicyDocument"]["Statement"]
    # the table key's actions; the environment key's decrypt (through Lambda only) is apart
    kms = [s["Action"] for s in statements if "kms:Decrypt" in s["Action"] and "Condition" not in s]
    assert kms == [["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]]


def test_table_key_reason_keeps_the_aws_managed_key_with_that_reason():
    from cdk_serverless_patterns.building_blocks.tables import create_table

    stack = cdk.Stack(cdk.App(), "Reasoned")
    enable_hardening(stack, table_key_reason="Tables hold public catalogue data only")
    table = create_table(stack, "T", removal_policy=cdk.RemovalPolicy.DESTROY)
    assert table.encryption_key is None
    skips = table.node.default_child.get_metadata("checkov")["skip"]
    assert skips[0]["id"] == "CKV_AWS_119" and "Tables hold public catalogue data only" in skips[0]["comment"]


def test_table_key_reason_must_be_a_real_reason():
    with pytest.raises(PatternConfigError) as info:
        enable_hardening(cdk.Stack(cdk.App(), "S"), table_key_reason="cheaper")
    assert "table_key_reason='cheaper' is invalid: allowed None" in str(info.value)


def test_reserved_concurrency_zero_on_an_api_route_is_a_config_error():
    error = config_error(ApiBackend, "Api", routes={"GET /a": SPEC.replace(reserved_concurrency=0)}, auth=PUBLIC)
    message = str(error)
    assert "routes['GET /a'].reserved_concurrency=0 is invalid: allowed None (the pattern's bound" in message
    assert "Fix: leave reserved_concurrency unset" in message


def test_reserved_concurrency_zero_on_a_saga_step_is_a_config_error():
    error = config_error(Saga, "Saga", steps=[SagaStep("a", action=SPEC.replace(reserved_concurrency=0))])
    assert "steps[0].action.reserved_concurrency=0 is invalid" in str(error)


def test_powertools_layer_region_must_be_published():
    env = cdk.Environment(account="111111111111", region="ap-southeast-6")
    error = config_error(ServerlessFunction, "F", env=env, spec=SPEC.replace(powertools=True))
    message = str(error)
    assert "powertools='stack region ap-southeast-6' is invalid: allowed a Region where AWS publishes the pinned layer" in message
    assert "Powertools(ssm_version='latest')" in message
