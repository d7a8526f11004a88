"""Orders API end to end: Cognito auth, request validation, CORS, the handlers and the table, the IAM check."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_serverless_patterns.local import LocalCloud
from tests.support import table_key

USER = {"sub": "user-1"}
ORDER = {"items": [{"sku": "A1", "quantity": 2, "unit_price_cents": 500}], "currency": "EUR"}


@pytest.fixture(scope="module")
def stack(synthesized_example: Any) -> Any:
    return synthesized_example("orders_api").stacks[0]


@pytest.fixture()
def cloud(stack: Any) -> Any:
    with LocalCloud(stack) as local:
        yield local


def test_create_read_list_and_cancel_an_order(cloud: Any, stack: Any) -> None:
    api = cloud.api(stack.backend)
    created = api.request("POST", "/orders", json=ORDER, claims=USER)
    assert created.status == 201, created.body
    order = created.json()
    assert order["total_cents"] == 1000 and order["status"] == "PENDING"
    assert api.request("GET", f"/orders/{order['id']}", claims=USER).json() == order
    assert [o["id"] for o in api.request("GET", "/orders", claims=USER).json()["orders"]] == [order["id"]]
    cancelled = api.request("DELETE", f"/orders/{order['id']}", claims=USER)
    assert cancelled.status == 200 and cancelled.json()["status"] == "CANCELLED"
    stored = cloud.table(stack.backend).scan()["Items"]
    assert len(stored) == 1


def test_unauthenticated_requests_get_401_before_any_function_runs(cloud: Any, stack: Any) -> None:
    api = cloud.api(stack.backend)
    response = api.request("POST", "/orders", json=ORDER)
    assert response.status == 401
    assert response.json() == {"message": "Unauthorized"}
    assert all(not cloud.invocations(f) for f in stack.backend.functions.values())


def test_a_malformed_body_gets_400_from_the_gateway(cloud: Any, stack: Any) -> None:
    api = cloud.api(stack.backend)
    response = api.request("POST", "/orders", json={"items": [{"sku": "lower-case", "quantity": 0}]}, claims=USER)
    assert response.status == 400
    assert response.json() == {"message": "Invalid request body"}
    assert not cloud.invocations(stack.backend.functions["POST /orders"])


def test_unknown_routes_and_cors_preflight(cloud: Any, stack: Any) -> None:
    api = cloud.api(stack.backend)
    assert api.request("GET", "/nowhere", claims=USER).status == 403  # REST APIs answer unknown paths with 403
    preflight = api.request("OPTIONS", "/orders", headers={"Origin": "https://shop.example.com"})
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"


def test_a_missing_order_is_404_and_a_handler_fault_is_502(cloud: Any, stack: Any) -> None:
    api = cloud.api(stack.backend)
    assert api.request("GET", "/orders/" + "0" * 32, claims=USER).status == 404
    assert api.request("GET", "/orders/not-an-id", claims=USER).status == 400
    cloud.fail(stack.backend.functions["GET /orders/{id}"])
    assert api.request("GET", "/orders/x", claims=USER).json() == {"message": "Internal server error"}


# --- the retry-safe create path (issue 28): PUT /orders/{client order id} --------------------


def test_a_put_retried_after_a_crash_that_followed_the_write_returns_the_same_order(stack: Any) -> None:
    with LocalCloud(stack, duplicate_deliveries=True) as cloud:
        api = cloud.api(stack.backend)
        cloud.fail(stack.backend.functions["PUT /orders/{id}"], after_commit=True, error="Timeout")
        lost = api.request("PUT", "/orders/cart-42", json=ORDER, claims=USER)
        assert lost.status == 502  # the client saw a failure, but the order was written
        retried = api.request("PUT", "/orders/cart-42", json=ORDER, claims=USER)
        assert retried.status == 200, retried.body
        assert retried.json()["id"] == "cart-42" and retried.json()["total_cents"] == 1000
        again = api.request("PUT", "/orders/cart-42", json=ORDER, claims=USER)  # a duplicate of the retry
        assert again.json() == retried.json()
        assert [item["id"] for item in cloud.table(stack.backend).scan()["Items"]] == ["cart-42"]


def test_a_put_creates_once_and_refuses_a_different_order_under_the_same_id(cloud: Any, stack: Any) -> None:
    api = cloud.api(stack.backend)
    created = api.request("PUT", "/orders/cart-7", json=ORDER, claims=USER)
    assert created.status == 201 and created.json()["id"] == "cart-7"
    assert created.headers["Location"].endswith("/orders/cart-7")
    other = {**ORDER, "items": [{"sku": "B2", "quantity": 1, "unit_price_cents": 100}]}
    conflict = api.request("PUT", "/orders/cart-7", json=other, claims=USER)
    assert conflict.status == 409 and conflict.json()["error"]["code"] == "idempotency_conflict"
    # another customer's cart-7 is another order
    assert api.request("PUT", "/orders/cart-7", json=ORDER, claims={"sub": "user-2"}).status == 201
    assert api.request("PUT", "/orders/bad%20id", json=ORDER, claims=USER).status == 400


def test_a_post_retried_with_its_idempotency_key_after_a_crash_stores_one_order(cloud: Any, stack: Any) -> None:
    api = cloud.api(stack.backend)
    cloud.fail(stack.backend.functions["POST /orders"], after_commit=True)
    headers = {"Idempotency-Key": "checkout-9"}
    assert api.request("POST", "/orders", json=ORDER, claims=USER, headers=headers).status == 502
    retried = api.request("POST", "/orders", json=ORDER, claims=USER, headers=headers)
    assert retried.status == 200
    assert len(cloud.table(stack.backend).scan()["Items"]) == 1


#: Grants no test of this module used, each with why it is still granted (empty: all used).
UNUSED_GRANTS: dict[str, dict[str, str]] = {
    "OrdersApiExample/Orders/DeleteOrdersId/Function": {
        **table_key("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey"),
    },
    "OrdersApiExample/Orders/GetOrders/Function": {
        **table_key("Decrypt", "DescribeKey"),
        "dynamodb:BatchGetItem arn:aws:dynamodb:us-east-1:123456789012:table/OrdersApiExample-OrdersTable1F8332C7":
            "the GET routes' TableAccess.read() default (GetItem, BatchGetItem, Query); the read handler uses GetItem and Query",
    },
    "OrdersApiExample/Orders/PostOrders/Function": {
        **table_key("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey"),
        "dynamodb:BatchGetItem arn:aws:dynamodb:us-east-1:123456789012:table/OrdersApiExample-OrdersTable1F8332C7":
            "PUT /orders/{id} shares this function and keeps the read-write default (table_access names POST /orders only), so the role gets its union; the create handler calls PutItem and GetItem only",
        "dynamodb:ConditionCheckItem arn:aws:dynamodb:us-east-1:123456789012:table/OrdersApiExample-OrdersTable1F8332C7":
            "PUT /orders/{id} shares this function and keeps the read-write default (table_access names POST /orders only), so the role gets its union; the create handler calls PutItem and GetItem only",
        "dynamodb:Query arn:aws:dynamodb:us-east-1:123456789012:table/OrdersApiExample-OrdersTable1F8332C7":
            "PUT /orders/{id} shares this function and keeps the read-write default (table_access names POST /orders only), so the role gets its union; the create handler calls PutItem and GetItem only",
        "dynamodb:UpdateItem arn:aws:dynamodb:us-east-1:123456789012:table/OrdersApiExample-OrdersTable1F8332C7":
            "PUT /orders/{id} shares this function and keeps the read-write default (table_access names POST /orders only), so the role gets its union; the create handler calls PutItem and GetItem only",
    },
}


def test_every_grant_was_used_or_is_named(observed_grants: Any) -> None:
    observed_grants.assert_named(UNUSED_GRANTS)  # last: every cloud of the module has closed
