"""Orders API end to end: Cognito auth, request validation, CORS, the handlers and the table, the IAM check."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_serverless_patterns.local import LocalCloud

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
