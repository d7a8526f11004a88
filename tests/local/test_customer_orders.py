"""Customer orders end to end on LocalCloud: HTTP API (JWT) → submit → FIFO topic → FIFO worker
queues (message group = customer) → credit and ledger → fan-in → settle → status."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_serverless_patterns.local import LocalCloud
from tests.support import send_extras, table_key

ALICE = {"sub": "c-1"}


@pytest.fixture(scope="module")
def stack(synthesized_example: Any) -> Any:
    return synthesized_example("customer_orders").stacks[0]


def place(api: Any, key: str, price_cents: int, *, customer: str = "c-1", claims: Any = ALICE) -> Any:
    return api.request(
        "POST",
        f"/customers/{customer}/orders",
        json={"lines": [{"sku": "TV-1", "quantity": 1, "unit_price_cents": price_cents}]},
        headers={"Idempotency-Key": key},
        claims=claims,
    )


def test_orders_are_credited_and_booked_in_the_order_placed(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        api = cloud.api(stack.api)
        # credit limit 500,000 cents: the first fits, the second would exceed it, the third fits again
        placed = [place(api, key, price) for key, price in (("k1", 400_000), ("k2", 150_000), ("k3", 90_000))]
        assert [r.status for r in placed] == [202, 202, 202], [r.body for r in placed]
        cloud.drain()
        settled = [api.request("GET", f"/customers/c-1/orders/{r.json()['order_id']}", claims=ALICE).json() for r in placed]
        assert [o["status"] for o in settled] == ["CONFIRMED", "REJECTED", "CONFIRMED"]
        assert [int(o["decision"]["ledger_sequence"]) for o in settled] == [1, 2, 3]
        for worker in stack.processing.workers.values():
            records = [r for event, _ in cloud.invocations(worker) for r in event["Records"]]
            assert {r["attributes"]["MessageGroupId"] for r in records} == {"c-1"}


def test_a_retried_request_places_one_order(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        api = cloud.api(stack.api)
        first, again = place(api, "same", 1_000), place(api, "same", 1_000)
        assert (first.status, again.status) == (202, 200) and first.json()["order_id"] == again.json()["order_id"]
        cloud.drain()
        ledger = [i for i in cloud.table(stack.api).scan()["Items"] if i["sk"].startswith("LEDGER#")]
        assert len(ledger) == 1


def test_callers_reach_only_their_own_orders_and_need_a_token(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        api = cloud.api(stack.api)
        assert place(api, "k", 1_000, customer="c-2").status == 403
        assert place(api, "k", 1_000, claims=None).status == 401


def test_workers_crashing_after_committing_and_duplicate_deliveries_book_one_ledger_entry(stack: Any) -> None:
    with LocalCloud(stack, duplicate_deliveries=True) as cloud:
        for worker in stack.processing.workers.values():
            cloud.fail(worker, after_commit=True, error="Timeout")
        api = cloud.api(stack.api)
        placed = place(api, "crash", 1_000)
        assert placed.status == 202, placed.body
        cloud.drain()
        order = api.request("GET", f"/customers/c-1/orders/{placed.json()['order_id']}", claims=ALICE).json()
        assert order["status"] == "CONFIRMED"
        ledger = [i for i in cloud.table(stack.api).scan()["Items"] if i["sk"].startswith("LEDGER#")]
        assert len(ledger) == 1


#: Grants no test of this module used, each with why it is still granted (empty: all used).
UNUSED_GRANTS: dict[str, dict[str, str]] = {
    "CustomerOrdersExample/Api/GetCustomersCustomeridOrdersOrderid/Function": {
        **table_key("Decrypt", "DescribeKey"),
        "dynamodb:BatchGetItem arn:aws:dynamodb:us-east-1:123456789012:table/CustomerOrdersExample-OrdersA9B65338":
            "the GET route's TableAccess.read() default (GetItem, BatchGetItem, Query); the status handler reads one item with GetItem",
        "dynamodb:Query arn:aws:dynamodb:us-east-1:123456789012:table/CustomerOrdersExample-OrdersA9B65338":
            "the GET route's TableAccess.read() default; the status handler reads one item with GetItem",
    },
    "CustomerOrdersExample/Api/PostCustomersCustomeridOrders/Function": {
        **table_key("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey"),
        "dynamodb:BatchGetItem arn:aws:dynamodb:us-east-1:123456789012:table/CustomerOrdersExample-OrdersA9B65338":
            "the POST route's read-write default (no table_access declared); the submit handler calls PutItem and GetItem only, so table_access=TableAccess.of('PutItem', 'GetItem') would drop this",
        "dynamodb:ConditionCheckItem arn:aws:dynamodb:us-east-1:123456789012:table/CustomerOrdersExample-OrdersA9B65338":
            "the POST route's read-write default (no table_access declared); the submit handler calls PutItem and GetItem only, so table_access=TableAccess.of('PutItem', 'GetItem') would drop this",
        "dynamodb:Query arn:aws:dynamodb:us-east-1:123456789012:table/CustomerOrdersExample-OrdersA9B65338":
            "the POST route's read-write default (no table_access declared); the submit handler calls PutItem and GetItem only, so table_access=TableAccess.of('PutItem', 'GetItem') would drop this",
        "dynamodb:UpdateItem arn:aws:dynamodb:us-east-1:123456789012:table/CustomerOrdersExample-OrdersA9B65338":
            "the POST route's read-write default (no table_access declared); the submit handler calls PutItem and GetItem only, so table_access=TableAccess.of('PutItem', 'GetItem') would drop this",
    },
    "CustomerOrdersExample/Processing/Aggregator/Function": {
        **table_key("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey"),
    },
    "CustomerOrdersExample/Processing/Workers/credit/Worker/Function": {
        **table_key("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey"),
        **send_extras("CustomerOrdersExample-ProcessingAggregatorQueue1DD6AE8D"),
        "dynamodb:PutItem arn:aws:dynamodb:us-east-1:123456789012:table/CustomerOrdersExample-OrdersA9B65338":
            "WORKER_TABLE_ACTIONS is shared by both workers: the ledger worker's transaction puts entries, the credit worker only gets and updates",
        "sqs:SendMessage arn:aws:sqs:us-east-1:123456789012:CustomerOrdersExample-ProcessingAggregatorQueue1DD6AE8D":
            "only the worker that records a job's last part notifies the aggregator; in these tests the ledger worker always records last",
    },
    "CustomerOrdersExample/Processing/Workers/ledger/Worker/Function": {
        **table_key("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey"),
        **send_extras("CustomerOrdersExample-ProcessingAggregatorQueue1DD6AE8D"),
    },
}


def test_every_grant_was_used_or_is_named(observed_grants: Any) -> None:
    observed_grants.assert_named(UNUSED_GRANTS)  # last: every cloud of the module has closed
