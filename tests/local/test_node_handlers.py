"""Node.js handlers in a real Node process: CommonJS and ES modules, the SDK v3 on the local cloud, IAM, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs

from cdk_serverless_patterns.local import LocalCloud, LocalCloudWarning, LocalInvocationError

NODE = Path(__file__).parent.parent / "fixtures" / "local_node"


class MixedStack(cdk.Stack):
    """A Node.js function writes an order and queues it; a Python function consumes the queue."""

    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self, "Orders", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.queue = sqs.Queue(self, "Placed")
        env = {"TABLE_NAME": self.table.table_name, "QUEUE_URL": self.queue.queue_url}
        self.cjs = lambda_.Function(
            self, "PlaceCjs", runtime=lambda_.Runtime.NODEJS_20_X, handler="index.handler",
            code=lambda_.Code.from_asset(str(NODE / "cjs")), environment=env,
        )
        self.table.grant_write_data(self.cjs)
        self.queue.grant_send_messages(self.cjs)
        self.esm = lambda_.Function(  # no grant on the table: its write is denied
            self, "StoreEsm", runtime=lambda_.Runtime.NODEJS_22_X, handler="index.handler",
            code=lambda_.Code.from_asset(str(NODE / "esm")), environment=env,
        )
        self.callback = lambda_.Function(
            self, "Callback", runtime=lambda_.Runtime.NODEJS_20_X, handler="callback.handler",
            code=lambda_.Code.from_asset(str(NODE / "esm")),
        )
        self.consumer = lambda_.Function(
            self, "Consume", runtime=lambda_.Runtime.PYTHON_3_12, handler="consumer.handler",
            code=lambda_.Code.from_asset(str(NODE / "consumer")), environment={"TABLE_NAME": self.table.table_name},
            timeout=cdk.Duration.seconds(30),  # boto3 start-up on a busy machine
        )
        self.table.grant_write_data(self.consumer)
        self.consumer.add_event_source(sources.SqsEventSource(self.queue))


@pytest.fixture(scope="module")
def stack() -> MixedStack:
    return MixedStack(cdk.App(builtin_cloud_formation_validation=False), "Mixed")


@pytest.fixture(scope="module")
def cloud(stack: MixedStack) -> Any:
    with LocalCloud(stack) as cloud:
        yield cloud


def test_a_commonjs_handler_writes_and_queues_for_a_python_consumer(stack: MixedStack, cloud: LocalCloud) -> None:
    first = cloud.invoke(stack.cjs, {"id": "o-1"})
    second = cloud.invoke(stack.cjs, {"id": "o-2"})
    assert first == {"id": "o-1", "initCount": 1, "functionName": "Mixed-PlaceCjs" + first["functionName"][14:], "remaining": True}
    assert second["initCount"] == 1  # init once per warm sandbox
    items = {i["pk"]: i["by"] for i in cloud.table(stack.table).scan()["Items"]}
    assert {k: v for k, v in items.items() if k.startswith("o-")} == {
        "o-1": "cjs", "o-2": "cjs", "o-1#consumed": "python", "o-2#consumed": "python",
    }


def test_an_error_comes_back_as_lambda_reports_it(stack: MixedStack, cloud: LocalCloud) -> None:
    with pytest.raises(LocalInvocationError) as caught:
        cloud.invoke(stack.cjs, {"id": "o-3", "reject": "no stock"})
    assert caught.value.error_type == "OrderRejected"
    assert caught.value.error_message == "order o-3 rejected: no stock"
    assert any("index.js" in line for line in caught.value.stack_trace)


def test_an_es_module_is_checked_against_its_role(stack: MixedStack, cloud: LocalCloud) -> None:
    with pytest.raises(LocalInvocationError) as caught, pytest.warns(LocalCloudWarning, match="nodejs22.x functions run"):
        cloud.invoke(stack.esm, {"id": "e-1"})
    assert caught.value.error_type == "AccessDeniedException"
    assert "dynamodb:PutItem" in caught.value.error_message and "StoreEsm" in caught.value.error_message
    assert "e-1" not in {i["pk"] for i in cloud.table(stack.table).scan()["Items"]}


def test_an_mjs_callback_handler(stack: MixedStack, cloud: LocalCloud) -> None:
    assert cloud.invoke(stack.callback, {"a": 1}) == {"echoed": {"a": 1}, "version": True}
