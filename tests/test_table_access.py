"""Table access by intent (TableAccess): routes get the actions they declare, or a safe default."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk.assertions import Template

from cdk_serverless_patterns import ApiAuth, ApiBackend, FunctionSpec, StreamProcessing, TableAccess
from tests.support import HANDLER_DIR, config_error

SPEC = FunctionSpec(code=HANDLER_DIR, handler="app.handler")
#: TableAccess.read_write(): the default of every method but GET/HEAD/OPTIONS.
READ_WRITE = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:ConditionCheckItem",
}


def _spec(name: str) -> FunctionSpec:
    return SPEC.replace(description=name)


@pytest.fixture(scope="module")
def built():
    app = cdk.App()
    stack = cdk.Stack(app, "Access")
    shared = _spec("shared")
    api = ApiBackend(
        stack,
        "Api",
        routes={
            "GET /items": _spec("list"),
            "POST /items": _spec("create"),
            "DELETE /items/{id}": _spec("delete"),
            "GET /items/{id}": shared,
            "PATCH /items/{id}": shared,
            "GET /health": _spec("health"),
        },
        auth=ApiAuth.none("Test API without users: synthesized only"),
        table=True,
        table_access={
            "delete /items/{id}": TableAccess.of("dynamodb:GetItem", "DeleteItem"),
            "GET /items/{id}": TableAccess.read(),
            "PATCH /items/{id}": TableAccess.write(),
            "GET /health": TableAccess.none(),
        },
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    streams = StreamProcessing(stack, "Clicks", processor=_spec("clicks"), removal_policy=cdk.RemovalPolicy.DESTROY)
    template = Template.from_stack(stack)
    return {"stack": stack, "api": api, "streams": streams, "template": template}


def _dynamodb_actions(built, function) -> set[str]:
    policy = function.role.node.try_find_child("DefaultPolicy")
    if policy is None:
        return set()
    logical_id = built["stack"].get_logical_id(policy.node.default_child)
    statements = built["template"].to_json()["Resources"][logical_id]["Properties"]["PolicyDocument"]["Statement"]
    actions: set[str] = set()
    for statement in statements:
        listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        actions.update(a for a in listed if a.startswith(("dynamodb:", "kinesis:")))
    return actions


def test_get_routes_default_to_read_without_scan(built):
    assert _dynamodb_actions(built, built["api"].functions["GET /items"]) == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
    }


def test_other_methods_default_to_read_write_without_scan_delete_or_batch_write(built):
    assert _dynamodb_actions(built, built["api"].functions["POST /items"]) == READ_WRITE


def test_declared_actions_are_granted_exactly(built):
    assert _dynamodb_actions(built, built["api"].functions["DELETE /items/{id}"]) == {
        "dynamodb:GetItem",
        "dynamodb:DeleteItem",
    }


def test_a_shared_function_gets_the_union_of_its_routes(built):
    assert _dynamodb_actions(built, built["api"].functions["GET /items/{id}"]) == READ_WRITE


def test_none_grants_nothing(built):
    assert _dynamodb_actions(built, built["api"].functions["GET /health"]) == set()


def test_stream_consumer_gets_poller_actions_only(built):
    actions = _dynamodb_actions(built, built["streams"].processor)
    assert actions == {
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    }


def test_unknown_action_is_a_config_error():
    error = config_error(
        ApiBackend,
        "Api",
        routes={"GET /items": SPEC},
        table=True,
        table_access={"GET /items": TableAccess.of("Query", "GetRecords")},
    )
    message = str(error)
    assert "table_access['GET /items']=\"TableAccess.of('Query', 'GetRecords')\" is invalid" in message
    assert "item-level DynamoDB actions among GetItem, BatchGetItem, Query, Scan" in message
    assert "(got 'GetRecords')" in message
    assert "Fix: name the DynamoDB API calls the handler makes" in message


def test_access_for_an_unknown_route_is_a_config_error():
    error = config_error(
        ApiBackend, "Api", routes={"GET /items": SPEC}, table=True, table_access={"POST /items": TableAccess.write()}
    )
    assert "table_access['POST /items']='POST /items' is invalid: allowed a route of this API (GET /items)" in str(error)


def test_access_without_a_table_is_a_config_error():
    error = config_error(ApiBackend, "Api", routes={"GET /items": SPEC}, table_access={"GET /items": TableAccess.read()})
    assert "table_access=['GET /items'] is invalid: allowed only with a table" in str(error)


def test_access_must_be_a_table_access():
    error = config_error(ApiBackend, "Api", routes={"GET /items": SPEC}, table=True, table_access={"GET /items": "read"})
    assert "table_access['GET /items']='read' is invalid: allowed a TableAccess" in str(error)


def test_existing_table_gets_the_same_intent_grants():
    stack = cdk.Stack(cdk.App(), "Existing")
    table = dynamodb.Table.from_table_name(stack, "T", "orders")
    api = ApiBackend(stack, "Api", routes={"GET /o": SPEC}, auth=ApiAuth.none("Test API without users: synthesized only"), table=table)
    statements = Template.from_stack(stack).to_json()["Resources"]
    policy = stack.get_logical_id(api.functions["GET /o"].role.node.find_child("DefaultPolicy").node.default_child)
    actions = [s["Action"] for s in statements[policy]["Properties"]["PolicyDocument"]["Statement"]]
    assert ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"] in actions
