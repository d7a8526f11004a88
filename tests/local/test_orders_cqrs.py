"""Orders CQRS end to end: command → event store → stream → pipe → bus → projector → read model → query."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_serverless_patterns.local import LocalCloud

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
UNUSED_GRANTS: dict[str, dict[str, str]] = {}


def test_every_grant_was_used_or_is_named(observed_grants: Any) -> None:
    observed_grants.assert_named(UNUSED_GRANTS)  # last: every cloud of the module has closed
