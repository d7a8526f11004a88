"""Order saga end to end on LocalCloud: the synthesized state machine, run by moto's ASL engine."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

pytest.importorskip("moto.stepfunctions.parser")
from cdk_serverless_patterns.local import LocalCloud  # noqa: E402

ORDER = {
    "order_id": "o-1",
    "customer_id": "c-7",
    "items": [{"sku": "book-1", "quantity": 2, "unit_price_cents": 1250}],
    "address": {"name": "Ada", "line1": "1 Rue X", "city": "Paris", "postcode": "75001", "country": "FR"},
}


@pytest.fixture(scope="module")
def stack(synthesized_example: Any) -> Any:
    return synthesized_example("order_saga").stacks[0]


@pytest.fixture()
def cloud(stack: Any) -> Any:
    with LocalCloud(stack) as local:
        local.table(stack.table).put_item(Item={"pk": "SKU#book-1", "sk": "STOCK", "available": 5})
        yield local


def _stock(cloud: Any, stack: Any) -> Decimal:
    return cloud.table(stack.table).get_item(Key={"pk": "SKU#book-1", "sk": "STOCK"})["Item"]["available"]


def test_an_order_runs_every_step_and_succeeds(cloud: Any, stack: Any) -> None:
    execution = cloud.start_execution(stack.saga, ORDER, name="o-1")
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert _stock(cloud, stack) == 3
    table = cloud.table(stack.table)
    assert table.get_item(Key={"pk": "ORDER#o-1", "sk": "PAYMENT"})["Item"]["status"] == "CHARGED"
    assert table.get_item(Key={"pk": "ORDER#o-1", "sk": "SHIPMENT"})["Item"]["status"] == "SHIPPED"


def test_a_failed_shipment_refunds_and_releases_stock_in_reverse_order(cloud: Any, stack: Any) -> None:
    execution = cloud.start_execution(stack.saga, {**ORDER, "order_id": "o-2", "simulate_failure": "ship"}, name="o-2")
    assert execution.status == "FAILED"
    assert "ship_order" in f"{execution.error} {execution.cause}"
    assert _stock(cloud, stack) == 5  # reserved, then released
    table = cloud.table(stack.table)
    assert table.get_item(Key={"pk": "ORDER#o-2", "sk": "PAYMENT"})["Item"]["status"] == "REFUNDED"
    assert table.get_item(Key={"pk": "ORDER#o-2", "sk": "RESERVATION"})["Item"]["status"] == "RELEASED"
    assert "Item" not in table.get_item(Key={"pk": "ORDER#o-2", "sk": "SHIPMENT"})
    functions = stack.saga.functions
    refund = cloud.invocations(functions["charge_payment"].compensation)
    release = cloud.invocations(functions["reserve_inventory"].compensation)
    assert len(refund) == 1 and len(release) == 1
    entered = [e["stateEnteredEventDetails"]["name"] for e in execution.history if "stateEnteredEventDetails" in e]
    assert entered.index("Compensate-charge_payment") < entered.index("Compensate-reserve_inventory")


def test_a_declined_payment_releases_stock_without_a_refund(cloud: Any, stack: Any) -> None:
    execution = cloud.start_execution(stack.saga, {**ORDER, "order_id": "o-3", "simulate_failure": "charge"}, name="o-3")
    assert execution.status == "FAILED"
    assert _stock(cloud, stack) == 5
    assert "Item" not in cloud.table(stack.table).get_item(Key={"pk": "ORDER#o-3", "sk": "PAYMENT"})


def test_a_transient_lambda_error_is_retried_in_virtual_time(cloud: Any, stack: Any) -> None:
    reserve = stack.saga.functions["reserve_inventory"].action
    cloud.fail(reserve, times=2, error="Lambda.TooManyRequestsException")
    execution = cloud.start_execution(stack.saga, {**ORDER, "order_id": "o-4"}, name="o-4")
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert len(cloud.invocations(reserve)) == 3
    assert execution.virtual_seconds > 0  # the back-off was counted, not slept


def test_the_start_api_starts_an_execution_named_after_the_order(cloud: Any, stack: Any) -> None:
    api = cloud.api(stack.saga.start_api)
    signed = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/local"}  # POST /executions is IAM-authorized
    response = api.request("POST", "/executions", json={**ORDER, "order_id": "o-5"}, headers=signed)
    assert response.status == 200, response.body
    arn = response.json()["executionArn"]
    assert arn.endswith(":o-5")
    described = cloud.client("stepfunctions").describe_execution(executionArn=arn)
    assert described["status"] == "SUCCEEDED"  # the execution ran before request() returned
    assert json.loads(described["input"])["customer_id"] == "c-7"
    assert _stock(cloud, stack) == 3
    again = api.request("POST", "/executions", json={**ORDER, "order_id": "o-5", "customer_id": "c-8"}, headers=signed)
    assert again.status == 400 and "o-5" in again.json()["message"]  # same name, other input: ExecutionAlreadyExists
    assert api.request("POST", "/executions", json={"order_id": "o-6"}, headers=signed).status == 400  # the schema
    assert api.request("POST", "/executions", json={**ORDER, "order_id": "o-7"}).status == 403  # unsigned
