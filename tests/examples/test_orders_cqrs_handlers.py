"""The orders CQRS example handlers, end to end on moto: command -> store -> (bus) -> projector -> query."""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from cdk_serverless_patterns.runtime import clients, env, event_store, projection
from cdk_serverless_patterns.runtime.event_store import serialize_item

HANDLER_DIR = Path(__file__).resolve().parents[2] / "examples" / "orders_cqrs" / "handler"


@pytest.fixture(scope="module")
def handlers():
    sys.path.insert(0, str(HANDLER_DIR))  # the Lambda code root: handlers import `orders`
    try:
        yield {name: importlib.import_module(name) for name in ("place_order", "cancel_order", "order_summary", "get_order")}
    finally:
        sys.path.remove(str(HANDLER_DIR))


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv(env.EVENT_STORE_TABLE, "events")
    monkeypatch.setenv(env.READ_MODEL_TABLE, "views")
    monkeypatch.setenv(env.PROJECTION_NAME, "order-summary")
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="eu-west-1")
        for name, sort_key, sort_type in (("events", "version", "N"), ("views", "projection", "S")):
            ddb.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "aggregate_id", "KeyType": "HASH"}, {"AttributeName": sort_key, "KeyType": "RANGE"}],
                AttributeDefinitions=[
                    {"AttributeName": "aggregate_id", "AttributeType": "S"},
                    {"AttributeName": sort_key, "AttributeType": sort_type},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        # the runtime modules cache their client; point them at this mock
        monkeypatch.setattr(clients, "_clients", {"dynamodb": ddb})
        yield ddb


ORDER = {
    "order_id": "o-1",
    "customer_id": "c-42",
    "items": [{"sku": "book", "quantity": 2, "unit_price_cents": 1250}, {"sku": "pen", "quantity": 1, "unit_price_cents": 199}],
}


def api(body=None, order_id=None):
    return {
        "body": json.dumps(body) if body is not None else None,
        "pathParameters": {"id": order_id} if order_id else None,
        "requestContext": {"requestId": "req-1"},
    }


def publish(aggregate_id="o-1"):
    """What the pipe + bus deliver: one EventBridge event per stored event."""
    for stored in event_store.load(aggregate_id):
        yield {
            "source": "com.example.orders",
            "detail-type": stored["type"],
            "detail": {"eventName": "INSERT", "dynamodb": {"NewImage": serialize_item(stored)}},
        }


def body(response):
    return json.loads(response["body"])


def test_place_project_query_cancel(handlers, aws):
    placed = handlers["place_order"].handler(api(ORDER), None)
    assert placed["statusCode"] == 201
    assert body(placed) == {"order_id": "o-1", "version": 1}
    assert event_store.load("o-1")[0]["correlation_id"] == "req-1"

    assert handlers["get_order"].handler(api(order_id="o-1"), None)["statusCode"] == 404  # not projected yet
    for event in publish():
        assert handlers["order_summary"].handler(event, None) == {"changed": True}
    summary = body(handlers["get_order"].handler(api(order_id="o-1"), None))
    assert summary["status"] == "PLACED" and summary["total_cents"] == 2699 and summary["item_count"] == 3

    cancelled = handlers["cancel_order"].handler(api({"reason": "changed my mind"}, "o-1"), None)
    assert cancelled["statusCode"] == 200 and body(cancelled)["version"] == 2
    again = handlers["cancel_order"].handler(api({"reason": "twice"}, "o-1"), None)
    assert again["statusCode"] == 409

    events = list(publish())
    for event in reversed(events):  # out of order and duplicated: the view still ends right
        handlers["order_summary"].handler(event, None)
    view = body(handlers["get_order"].handler(api(order_id="o-1"), None))
    assert view["status"] == "CANCELLED" and view["cancel_reason"] == "changed my mind" and view["version"] == 2


def test_placing_the_same_order_twice_is_a_conflict(handlers, aws):
    assert handlers["place_order"].handler(api(ORDER), None)["statusCode"] == 201
    again = handlers["place_order"].handler(api(ORDER), None)
    assert again["statusCode"] == 409
    assert len(event_store.load("o-1")) == 1


def test_cancel_unknown_order_is_404(handlers, aws):
    assert handlers["cancel_order"].handler(api({}, "nope"), None)["statusCode"] == 404


def test_cancel_retries_after_a_concurrent_append(handlers, aws, monkeypatch):
    handlers["place_order"].handler(api(ORDER), None)
    real_load = event_store.load
    calls = []

    def racing_load(aggregate_id, **kw):
        history = real_load(aggregate_id, **kw)
        if not calls:  # another command appends between our load and our append
            event_store.append(aggregate_id, len(history), [{"type": "OrderNoteAdded", "data": {}}])
        calls.append(1)
        return history

    monkeypatch.setattr(handlers["cancel_order"].event_store, "load", racing_load)
    response = handlers["cancel_order"].handler(api({"reason": "r"}, "o-1"), None)
    assert response["statusCode"] == 200 and body(response)["version"] == 3
    assert len(calls) == 2


@pytest.mark.parametrize(
    "change, message",
    [
        ({"customer_id": ""}, "customer_id must be"),
        ({"items": []}, "items must be a list of 1-50 lines"),
        ({"items": [{"sku": "x", "quantity": 0, "unit_price_cents": 1}]}, r"items\[0\].quantity must be an integer 1-1000"),
        ({"items": [{"sku": "x", "quantity": 1, "unit_price_cents": 1.5}]}, r"items\[0\].unit_price_cents must be an integer"),
        ({"order_id": "bad id"}, "order_id must be"),
    ],
)
def test_invalid_orders_are_rejected_without_events(handlers, aws, change, message):
    response = handlers["place_order"].handler(api({**ORDER, **change}), None)
    assert response["statusCode"] == 400
    error = body(response)["error"]  # the error body every example API returns
    assert error["code"] == "validation_error" and re.search(message, error["message"])
    assert aws.scan(TableName="events")["Count"] == 0


def test_malformed_json_and_bad_path_are_400(handlers, aws):
    assert handlers["place_order"].handler({"body": "{nope"}, None)["statusCode"] == 400
    assert handlers["get_order"].handler(api(order_id="../etc"), None)["statusCode"] == 400
