"""Orders CQRS end to end: command → event store → stream → pipe → bus → projector → read model → query."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_serverless_patterns.local import LocalCloud
from tests.support import send_extras, table_key

USER = {"sub": "user-1", "email": "ada@example.com"}
ORDER = {"customer_id": "c-7", "items": [{"sku": "book-1", "quantity": 2, "unit_price_cents": 1250}]}


@pytest.fixture(scope="module")
def stack(synthesized_example: Any) -> Any:
    return synthesized_example("orders_cqrs").stacks[0]


@pytest.fixture()
def cloud(stack: Any) -> Any:
    with LocalCloud(stack) as local:
        yield local


def test_a_placed_order_is_projected_and_visible_to_the_query(cloud: Any, stack: Any) -> None:
    api = cloud.api(stack.orders)
    placed = api.request("POST", "/orders", json=ORDER, claims=USER)
    assert placed.status == 201, placed.body
    order_id = placed.json()["order_id"]
    summary = api.request("GET", f"/orders/{order_id}", claims=USER)
    assert summary.status == 200, summary.body
    assert summary.json()["version"] == 1
    events = cloud.table(stack.orders.event_store).scan()["Items"]
    assert [e["type"] for e in events] == ["OrderPlaced"]


def test_a_cancellation_appends_an_event_and_updates_the_view(cloud: Any, stack: Any) -> None:
    api = cloud.api(stack.orders)
    order_id = api.request("POST", "/orders", json=ORDER, claims=USER).json()["order_id"]
    cancelled = api.request("POST", f"/orders/{order_id}/cancel", json={"reason": "changed my mind"}, claims=USER)
    assert cancelled.status in (200, 202), cancelled.body
    view = api.request("GET", f"/orders/{order_id}", claims=USER).json()
    assert view["version"] == 2
    assert view["status"] == "CANCELLED"
    again = api.request("POST", f"/orders/{order_id}/cancel", json={}, claims=USER)
    assert again.status == 409


def test_unauthenticated_and_invalid_commands_are_refused(cloud: Any, stack: Any) -> None:
    api = cloud.api(stack.orders)
    assert api.request("POST", "/orders", json=ORDER).status == 401
    bad = api.request("POST", "/orders", json={"customer_id": "c-7", "items": []}, claims=USER)
    assert bad.status == 400
    assert cloud.table(stack.orders.event_store).scan()["Items"] == []
    assert api.request("GET", "/orders/nope", claims=USER).status == 404


def test_a_projection_delivered_twice_is_applied_once(stack: Any) -> None:
    with LocalCloud(stack, duplicate_deliveries=True) as cloud:
        api = cloud.api(stack.orders)
        order_id = api.request("POST", "/orders", json=ORDER, claims=USER).json()["order_id"]
        projector = stack.orders.projectors["order-summary"]
        # the stream batch reaches the bus twice and the rule delivers each event twice
        assert len(cloud.invocations(projector)) == 4
        assert api.request("GET", f"/orders/{order_id}", claims=USER).json()["version"] == 1


def test_a_projector_that_crashes_after_committing_applies_the_event_once(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        api = cloud.api(stack.orders)
        projector = stack.orders.projectors["order-summary"]
        cloud.fail(projector, after_commit=True, error="Timeout")
        order_id = api.request("POST", "/orders", json=ORDER, claims=USER).json()["order_id"]
        assert len(cloud.invocations(projector)) == 2  # the rule's async delivery retried
        assert api.request("GET", f"/orders/{order_id}", claims=USER).json()["version"] == 1


#: Grants no test of this module used, each with why it is still granted (empty: all used).
UNUSED_GRANTS: dict[str, dict[str, str]] = {
    "OrdersCqrsExample/Orders/Api/GetOrdersId/Function": {
        **table_key("Decrypt", "DescribeKey"),
        "dynamodb:BatchGetItem arn:aws:dynamodb:us-east-1:123456789012:table/OrdersCqrsExample-OrdersReadModel193938B0":
            "a Cqrs query's read grant on the read model (GetItem, BatchGetItem, Query); get_order reads one summary with GetItem",
        "dynamodb:Query arn:aws:dynamodb:us-east-1:123456789012:table/OrdersCqrsExample-OrdersReadModel193938B0":
            "a Cqrs query's read grant on the read model (GetItem, BatchGetItem, Query); get_order reads one summary with GetItem",
    },
    "OrdersCqrsExample/Orders/Api/PostOrders/Function": {
        **table_key("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey"),
        "dynamodb:ConditionCheckItem arn:aws:dynamodb:us-east-1:123456789012:table/OrdersCqrsExample-OrdersEventStore1074E5B9":
            "a Cqrs command's event-store grant covers runtime.event_store.append and load (PutItem, ConditionCheckItem, Query, GetItem); placing an order appends to a new aggregate with conditional PutItems and loads nothing",
        "dynamodb:GetItem arn:aws:dynamodb:us-east-1:123456789012:table/OrdersCqrsExample-OrdersEventStore1074E5B9":
            "a Cqrs command's event-store grant covers runtime.event_store.append and load (PutItem, ConditionCheckItem, Query, GetItem); placing an order appends to a new aggregate with conditional PutItems and loads nothing",
        "dynamodb:Query arn:aws:dynamodb:us-east-1:123456789012:table/OrdersCqrsExample-OrdersEventStore1074E5B9":
            "a Cqrs command's event-store grant covers runtime.event_store.append and load (PutItem, ConditionCheckItem, Query, GetItem); placing an order appends to a new aggregate with conditional PutItems and loads nothing",
    },
    "OrdersCqrsExample/Orders/Api/PostOrdersIdCancel/Function": {
        **table_key("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey"),
        "dynamodb:GetItem arn:aws:dynamodb:us-east-1:123456789012:table/OrdersCqrsExample-OrdersEventStore1074E5B9":
            "a Cqrs command's event-store grant; cancel_order loads the aggregate with Query and appends with PutItem/ConditionCheckItem",
    },
    "OrdersCqrsExample/Orders/PipeRole": {
        **table_key("Decrypt", "DescribeKey"),
        "logs:CreateLogStream arn:aws:logs:us-east-1:123456789012:log-group:/local/OrdersCqrsExample-OrdersPipeLogsEC283489:*":
            "the pipe's own log delivery to its log group; LocalCloud's pipes deliver events but write no pipe logs",
        "logs:PutLogEvents arn:aws:logs:us-east-1:123456789012:log-group:/local/OrdersCqrsExample-OrdersPipeLogsEC283489:*":
            "the pipe's own log delivery to its log group; LocalCloud's pipes deliver events but write no pipe logs",
    },
    "OrdersCqrsExample/Orders/Projections/order-summary/Projector/Function": {
        **table_key("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey"),
        **send_extras("OrdersCqrsExample-OrdersProjectionsordersummaryProjectorAsyncFailu"),
        "dynamodb:Query arn:aws:dynamodb:us-east-1:123456789012:table/OrdersCqrsExample-OrdersEventStore1074E5B9":
            "Cqrs lets projectors read the event store (Query) to catch up on versions they missed; in these tests every event arrives in order",
    },
}


def test_every_grant_was_used_or_is_named(observed_grants: Any) -> None:
    observed_grants.assert_named(UNUSED_GRANTS)  # last: every cloud of the module has closed
