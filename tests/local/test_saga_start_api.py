"""``SagaStartApi`` end to end on LocalCloud: a SigV4 (IAM) caller starts an execution through API Gateway.

The start API is an API Gateway ``AWS`` integration to Step Functions StartExecution
with a mapping template; LocalCloud runs the template, checks the integration's
role and the caller's ``execute-api:Invoke`` grant, and runs the execution.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam

from cdk_serverless_patterns import FunctionSpec, Idempotency, Saga, SagaStartApi, SagaStep
from cdk_serverless_patterns.local import LocalCloud

HANDLERS = Path(__file__).parent.parent / "fixtures" / "local_handlers"
SCHEMA = {
    "type": "object",
    "required": ["order_id", "qty"],
    "properties": {"order_id": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}},
}


def _orders_table_and_step(stack: cdk.Stack) -> tuple[dynamodb.Table, FunctionSpec]:
    """The orders table and the step that records each order's quantity in it (tally.handler)."""
    table = dynamodb.Table(
        stack, "Orders", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    return table, FunctionSpec(code=str(HANDLERS), handler="tally.handler", environment={"TABLE_NAME": table.table_name})


class StartApiStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str, saga_type: Any = Saga) -> None:
        super().__init__(scope, construct_id, env=cdk.Environment(region="us-east-1"))
        self.table, step = _orders_table_and_step(self)
        self.saga = saga_type(
            self, "Saga", steps=[SagaStep("count", action=step)],
            start_api=SagaStartApi(input_schema=SCHEMA, execution_name_field="order_id"),
            create_alarms=False, removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.table.grant(self.saga.functions["count"].action.role, "dynamodb:PutItem")
        self.caller = iam.Role(self, "Caller", assumed_by=iam.AccountRootPrincipal())
        assert self.saga.start_api is not None
        self.saga.start_api.grant_start(self.caller)
        self.stranger = iam.Role(self, "Stranger", assumed_by=iam.AccountRootPrincipal())


@pytest.fixture(scope="module")
def stack() -> StartApiStack:
    return StartApiStack(cdk.App(), "SagaStartApi")


@pytest.fixture()
def cloud(stack: StartApiStack) -> Iterator[LocalCloud]:
    with LocalCloud(stack) as local:
        yield local


def test_a_signed_caller_starts_an_execution_named_after_the_order(cloud: LocalCloud, stack: StartApiStack) -> None:
    api = cloud.api(stack.saga.start_api)
    response = api.request("POST", "/executions", json={"order_id": "o-1", "qty": 2}, principal=stack.caller)
    assert response.status == 200, response.body
    arn = response.json()["executionArn"]
    assert arn.endswith(":o-1")
    cloud.drain()
    described = cloud.client("stepfunctions").describe_execution(executionArn=arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["input"]) == {"order_id": "o-1", "qty": 2}
    assert cloud.table(stack.table).get_item(Key={"pk": "o-1"})["Item"]["qty"] == 2


def test_the_start_api_refuses_what_aws_refuses(cloud: LocalCloud, stack: StartApiStack) -> None:
    api = cloud.api(stack.saga.start_api)
    assert api.request("POST", "/executions", json={"order_id": "o-2", "qty": 1}, principal=stack.caller).status == 200
    again = api.request("POST", "/executions", json={"order_id": "o-2", "qty": 5}, principal=stack.caller)
    assert again.status == 400 and "o-2" in again.json()["message"]  # same name, other input: ExecutionAlreadyExists
    assert api.request("POST", "/executions", json={"order_id": "o-3"}, principal=stack.caller).status == 400  # schema
    assert api.request("POST", "/executions", json={"order_id": "o-4", "qty": 1}).status == 403  # unsigned
    denied = api.request("POST", "/executions", json={"order_id": "o-5", "qty": 1}, principal=stack.stranger)
    assert denied.status == 403 and "execute-api:Invoke" in denied.body  # no grant_start


# --- the same start API in front of a DurableSaga: Lambda's Invoke of the orchestrator's alias ---


class DurableStartStack(StartApiStack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        from aws_cdk import aws_events as events
        from aws_cdk import aws_events_targets as targets

        from cdk_serverless_patterns import DurableSaga

        super().__init__(scope, construct_id, DurableSaga)
        placed = events.Rule(self, "Placed", event_pattern=events.EventPattern(source=["shop"], detail_type=["Placed"]))
        self.saga.start_on(placed, event=events.RuleTargetInput.from_event_path("$.detail"),
                           idempotency=Idempotency.natural("tally overwrites the order's item with the same count"))
        # what aws-cdk #36463 reported: a rule on the function itself (its unqualified ARN)
        unqualified = events.Rule(self, "Unqualified", event_pattern=events.EventPattern(source=["legacy"]))
        unqualified.add_target(targets.LambdaFunction(self.saga.orchestrator.function))


@pytest.fixture(scope="module")
def durable_stack() -> DurableStartStack:
    return DurableStartStack(cdk.App(), "DurableStartApi")


@pytest.mark.filterwarnings("ignore::cdk_serverless_patterns.local.LocalCloudWarning")
def test_the_durable_start_api_starts_one_execution_per_order(durable_stack: DurableStartStack) -> None:
    stack = durable_stack
    with LocalCloud(stack) as cloud:
        api = cloud.api(stack.saga.start_api)
        response = api.request("POST", "/executions", json={"order_id": "o-1", "qty": 2}, principal=stack.caller)
        assert response.status == 202, response.body
        arn = response.headers["X-Amz-Durable-Execution-Arn"]
        assert ":live/durable-execution/o-1/" in arn
        [execution] = cloud.durable_executions(stack.saga)
        assert (execution.arn, execution.status) == (arn, "SUCCEEDED")
        assert cloud.table(stack.table).get_item(Key={"pk": "o-1"})["Item"]["qty"] == 2
        again = api.request("POST", "/executions", json={"order_id": "o-1", "qty": 2}, principal=stack.caller)
        assert again.status == 202 and again.headers["X-Amz-Durable-Execution-Arn"] == arn  # joined, not re-run
        assert len(cloud.invocations(stack.saga.functions["count"].action)) == 1
        other = api.request("POST", "/executions", json={"order_id": "o-1", "qty": 5}, principal=stack.caller)
        assert other.status == 400 and "already started" in other.json()["message"]
        assert api.request("POST", "/executions", json={"order_id": "o-2", "qty": 1}).status == 403  # unsigned


@pytest.mark.filterwarnings("ignore::cdk_serverless_patterns.local.LocalCloudWarning")
def test_an_event_starts_a_durable_saga_through_the_alias_and_never_through_the_function(
    durable_stack: DurableStartStack,
) -> None:
    stack = durable_stack
    with LocalCloud(stack) as cloud:
        with cloud.top_level():
            cloud.client("events").put_events(Entries=[
                {"Source": "shop", "DetailType": "Placed", "Detail": json.dumps({"order_id": "o-9", "qty": 3})},
                {"Source": "legacy", "DetailType": "Placed", "Detail": json.dumps({"order_id": "o-10", "qty": 1})},
            ])
        [execution] = cloud.durable_executions(stack.saga)
        assert execution.status == "SUCCEEDED" and execution.input == {"order_id": "o-9", "qty": 3}
        assert cloud.table(stack.table).get_item(Key={"pk": "o-9"})["Item"]["qty"] == 3
        assert any("unqualified ARN" in why for _, why in cloud.delivery_failures)  # aws-cdk #36463
        assert "Item" not in cloud.table(stack.table).get_item(Key={"pk": "o-10"})
