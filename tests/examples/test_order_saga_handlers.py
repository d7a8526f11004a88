"""The order-saga example handlers against a moto DynamoDB table.

Each test plays the saga the way Step Functions would: the payload shape the
Saga construct sends, actions then compensations, retries (the same call twice).
"""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from cdk_serverless_patterns.runtime import clients, env
from examples.order_saga.handler import orders
from tests.support import create_moto_table

ORDER = {
    "order_id": "o-1",
    "customer_id": "c-7",
    "items": [
        {"sku": "book-1", "quantity": 2, "unit_price_cents": 1250},
        {"sku": "pen-9", "quantity": 1, "unit_price_cents": 300},
    ],
    "address": {"name": "Ada", "line1": "1 Rue X", "city": "Paris", "postcode": "75001", "country": "FR"},
}


def call(
    step: str, phase: str = "action", results: dict | None = None, execution: str = "o-1", **order_changes: Any
) -> dict[str, Any]:
    order = {**copy.deepcopy(ORDER), **order_changes}
    saga = {"step": step, "phase": phase, "execution_id": f"arn:aws:states:eu-west-1:1:execution:m:{execution}"}
    if phase == "compensate":
        saga["failure"] = {"step": "ship_order", "error": {"Error": "ShippingUnavailable", "Cause": "..."}}
    return {"saga": saga, "input": order, "results": results or {}}


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv(env.SAGA_STEPS_TABLE, "orders")
    with mock_aws():
        ddb = boto3.resource("dynamodb", region_name="eu-west-1")
        table = create_moto_table(ddb, "orders", "pk", "sk")
        table.put_item(Item={"pk": "SKU#book-1", "sk": "STOCK", "available": 5})
        table.put_item(Item={"pk": "SKU#pen-9", "sk": "STOCK", "available": 1})
        clients.set_client("dynamodb", boto3.client("dynamodb", region_name="eu-west-1"))  # the step markers
        yield table
        clients.set_client("dynamodb", None)


def stock(table, sku: str) -> int:
    return int(table.get_item(Key={"pk": f"SKU#{sku}", "sk": "STOCK"})["Item"]["available"])


def record(table, sk: str) -> dict[str, Any] | None:
    return table.get_item(Key={"pk": "ORDER#o-1", "sk": sk}).get("Item")


# --- input validation ------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"items": []}, "items must be a list of 1-25 lines"),
        ({"items": [{"sku": "a", "quantity": 0, "unit_price_cents": 1}]}, "items[0].quantity must be a positive integer"),
        ({"items": [{"sku": "a", "quantity": 1, "unit_price_cents": 1}] * 2}, "each sku may appear on one line only"),
        ({"address": {"name": "Ada"}}, "address.line1 must be a non-empty string"),
        ({"order_id": ""}, "order_id must be a non-empty string"),
        ({"simulate_failure": "everything"}, "simulate_failure must be one of"),
    ],
)
def test_invalid_orders_are_rejected_before_any_write(table, changes, message):
    with pytest.raises(orders.InvalidOrder, match=message.replace("[", r"\[").replace("]", r"\]")):
        orders.reserve_inventory(call("reserve_inventory", **changes), None, table=table)
    assert record(table, "RESERVATION") is None
    assert stock(table, "book-1") == 5


# --- the happy path ------------------------------------------------------------------


def test_happy_path_reserves_charges_and_ships(table):
    reserved = orders.reserve_inventory(call("reserve_inventory"), None, table=table)
    assert reserved["status"] == "RESERVED"
    assert (stock(table, "book-1"), stock(table, "pen-9")) == (3, 0)
    charged = orders.charge_payment(call("charge_payment", results={"reserve_inventory": reserved}), None, table=table)
    assert charged["amount_cents"] == 2 * 1250 + 300
    assert charged["status"] == "CHARGED"
    shipped = orders.ship_order(
        call("ship_order", results={"reserve_inventory": reserved, "charge_payment": charged}), None, table=table
    )
    assert shipped["status"] == "SHIPPED"
    assert record(table, "SHIPMENT")["tracking_id"] == shipped["tracking_id"]


def test_actions_are_idempotent_under_retries(table):
    first = orders.reserve_inventory(call("reserve_inventory"), None, table=table)
    again = orders.reserve_inventory(call("reserve_inventory"), None, table=table)
    assert again == first
    assert stock(table, "book-1") == 3  # taken once
    paid = orders.charge_payment(call("charge_payment"), None, table=table)
    assert orders.charge_payment(call("charge_payment"), None, table=table)["payment_id"] == paid["payment_id"]


def test_out_of_stock_fails_without_taking_anything(table):
    with pytest.raises(orders.OutOfStock, match="pen-9"):
        orders.reserve_inventory(
            call("reserve_inventory", items=[{"sku": "book-1", "quantity": 1, "unit_price_cents": 1},
                                             {"sku": "pen-9", "quantity": 2, "unit_price_cents": 1}]),
            None,
            table=table,
        )
    assert (stock(table, "book-1"), stock(table, "pen-9")) == (5, 1)
    assert record(table, "RESERVATION") is None


def test_ship_requires_a_charged_payment(table):
    with pytest.raises(orders.InvalidOrder, match="only after its payment is charged"):
        orders.ship_order(call("ship_order"), None, table=table)


# --- simulated failures and compensations ------------------------------------------


def test_simulated_reserve_failure(table):
    with pytest.raises(orders.OutOfStock, match="simulated"):
        orders.reserve_inventory(call("reserve_inventory", simulate_failure="reserve"), None, table=table)
    assert stock(table, "book-1") == 5


def test_ship_failure_is_undone_by_refund_then_release(table):
    reserved = orders.reserve_inventory(call("reserve_inventory", simulate_failure="ship"), None, table=table)
    charged = orders.charge_payment(call("charge_payment", simulate_failure="ship"), None, table=table)
    results = {"reserve_inventory": reserved, "charge_payment": charged}
    with pytest.raises(orders.ShippingUnavailable):
        orders.ship_order(call("ship_order", results=results, simulate_failure="ship"), None, table=table)
    assert record(table, "SHIPMENT") is None
    # the saga's compensation chain: refund, then release
    refund = orders.refund_payment(call("charge_payment", "compensate", results), None, table=table)
    assert refund == {"order_id": "o-1", "refunded": True, "payment_id": charged["payment_id"]}
    release = orders.release_inventory(call("reserve_inventory", "compensate", results), None, table=table)
    assert release == {"order_id": "o-1", "released": True}
    assert record(table, "PAYMENT")["status"] == "REFUNDED"
    assert record(table, "RESERVATION")["status"] == "RELEASED"
    assert (stock(table, "book-1"), stock(table, "pen-9")) == (5, 1)


def test_compensations_are_idempotent(table):
    orders.reserve_inventory(call("reserve_inventory"), None, table=table)
    orders.charge_payment(call("charge_payment"), None, table=table)
    for _ in range(2):
        assert orders.refund_payment(call("charge_payment", "compensate"), None, table=table)["refunded"] is True
        assert orders.release_inventory(call("reserve_inventory", "compensate"), None, table=table)["released"] is True
    assert (stock(table, "book-1"), stock(table, "pen-9")) == (5, 1)  # returned once


def test_declined_charge_leaves_nothing_to_refund(table):
    orders.reserve_inventory(call("reserve_inventory"), None, table=table)
    with pytest.raises(orders.PaymentDeclined, match="simulated"):
        orders.charge_payment(call("charge_payment", simulate_failure="charge"), None, table=table)
    # the failing step is compensated too: its refund runs and finds nothing
    refund = orders.refund_payment(call("charge_payment", "compensate"), None, table=table)
    assert refund == {
        "order_id": "o-1", "refunded": False, "undone": False, "nothing_to_undo": True, "reason": "nothing was charged"
    }
    orders.release_inventory(call("reserve_inventory", "compensate"), None, table=table)
    assert stock(table, "book-1") == 5


def test_partially_applied_charge_is_refunded(table):
    with pytest.raises(orders.PaymentCaptureUnconfirmed):
        orders.charge_payment(call("charge_payment", simulate_failure="charge_after_capture"), None, table=table)
    assert record(table, "PAYMENT")["status"] == "CHARGED"  # the money was taken
    refund = orders.refund_payment(call("charge_payment", "compensate"), None, table=table)
    assert refund["refunded"] is True
    assert record(table, "PAYMENT")["status"] == "REFUNDED"


def test_release_without_a_reservation_is_a_no_op(table):
    assert orders.release_inventory(call("reserve_inventory", "compensate"), None, table=table) == {
        "order_id": "o-1",
        "released": False,
        "undone": False,
        "nothing_to_undo": True,
        "reason": "nothing was reserved",
    }


def test_a_released_order_cannot_be_reserved_again(table):
    orders.reserve_inventory(call("reserve_inventory"), None, table=table)
    orders.release_inventory(call("reserve_inventory", "compensate"), None, table=table)
    with pytest.raises(orders.ReservationReleased):  # a second execution for the same order
        orders.reserve_inventory(call("reserve_inventory", execution="o-1-again"), None, table=table)
    assert stock(table, "book-1") == 5


def test_a_retry_of_a_step_that_committed_returns_the_recorded_result(table):
    first = orders.charge_payment(call("charge_payment"), None, table=table)
    assert orders.charge_payment(call("charge_payment"), None, table=table) == first  # same payment id
    assert record(table, "PAYMENT")["payment_id"] == first["payment_id"]


def test_cancel_shipment_cancels_a_recorded_shipment_once_and_tolerates_none(table):
    cancel = call("ship_order", "compensate")
    assert orders.cancel_shipment(cancel, None, table=table)["nothing_to_undo"] is True
    shipped = orders.ship_order(
        call("ship_order", results={"charge_payment": {"status": "CHARGED"}}, execution="o-1-b"), None, table=table
    )
    result = orders.cancel_shipment(call("ship_order", "compensate", execution="o-1-b"), None, table=table)
    assert result == {"order_id": "o-1", "cancelled": True, "tracking_id": shipped["tracking_id"]}
    assert record(table, "SHIPMENT")["status"] == "CANCELLED"
    with pytest.raises(orders.ShippingUnavailable, match="already shipped and cancelled"):
        orders.ship_order(
            call("ship_order", results={"charge_payment": {"status": "CHARGED"}}, execution="o-1-c"), None, table=table
        )


# --- concurrent transactions on the same SKU ------------------------------------


def _conflict_once(monkeypatch, table) -> list[int]:
    """The next TransactWriteItems is cancelled by a concurrent transaction (as DynamoDB
    does when another order updates the same STOCK item); later calls go through."""
    client = table.meta.client
    real = client.transact_write_items
    calls: list[int] = []

    def transact_write_items(**kwargs):
        calls.append(len(kwargs["TransactItems"]))
        if len(calls) == 1:
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                    "CancellationReasons": [{"Code": "None"}] + [{"Code": "TransactionConflict"}]
                    * (len(kwargs["TransactItems"]) - 1),
                },
                "TransactWriteItems",
            )
        return real(**kwargs)

    monkeypatch.setattr(client, "transact_write_items", transact_write_items)
    monkeypatch.setattr(orders.time, "sleep", lambda seconds: None)
    return calls


def test_reserve_retries_a_transaction_conflict_instead_of_reporting_out_of_stock(table, monkeypatch):
    calls = _conflict_once(monkeypatch, table)
    result = orders.reserve_inventory(call("reserve_inventory"), None, table=table)
    assert result["status"] == "RESERVED"
    assert len(calls) == 2
    assert (stock(table, "book-1"), stock(table, "pen-9")) == (3, 0)


def test_release_after_a_transaction_conflict_really_returns_the_stock(table, monkeypatch):
    orders.reserve_inventory(call("reserve_inventory"), None, table=table)
    calls = _conflict_once(monkeypatch, table)
    result = orders.release_inventory(call("reserve_inventory", "compensate"), None, table=table)
    assert result == {"order_id": "o-1", "released": True}
    assert len(calls) == 2
    assert record(table, "RESERVATION")["status"] == "RELEASED"
    assert (stock(table, "book-1"), stock(table, "pen-9")) == (5, 1)


def test_a_lasting_conflict_fails_the_compensation_so_step_functions_retries_it(table, monkeypatch):
    orders.reserve_inventory(call("reserve_inventory"), None, table=table)
    client = table.meta.client

    def always_conflicting(**kwargs):
        raise ClientError(
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                "CancellationReasons": [{"Code": "TransactionConflict"}] * len(kwargs["TransactItems"]),
            },
            "TransactWriteItems",
        )

    monkeypatch.setattr(client, "transact_write_items", always_conflicting)
    monkeypatch.setattr(orders.time, "sleep", lambda seconds: None)
    with pytest.raises(ClientError):
        orders.release_inventory(call("reserve_inventory", "compensate"), None, table=table)
    assert record(table, "RESERVATION")["status"] == "RESERVED"
