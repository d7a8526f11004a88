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

from cdk_serverless_patterns import FunctionSpec, Saga, SagaStartApi, SagaStep
from cdk_serverless_patterns.local import LocalCloud

HANDLERS = Path(__file__).parent.parent / "fixtures" / "local_handlers"
SCHEMA = {
    "type": "object",
    "required": ["order_id", "qty"],
    "properties": {"order_id": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}},
}


class StartApiStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id, env=cdk.Environment(region="us-east-1"))
        self.table = dynamodb.Table(
            self, "Orders", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        step = FunctionSpec(code=str(HANDLERS), handler="tally.handler", environment={"TABLE_NAME": self.table.table_name})
        self.saga = Saga(
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
