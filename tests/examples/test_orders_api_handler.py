"""The orders API example handlers against a moto DynamoDB table."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import boto3
import pytest
from moto import mock_aws

from examples.orders_api.handler import orders
from tests.support import create_moto_table

ORDER = {"currency": "EUR", "items": [{"sku": "MUG-1", "quantity": 2, "unit_price_cents": 1250}]}


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "https://shop.example.com")
    with mock_aws():
        ddb = boto3.resource("dynamodb", region_name="eu-west-1")
        yield create_moto_table(ddb, "orders", "pk", "sk")


def event(method, resource, *, customer="alice", body=None, path=None, query=None, headers=None):
    return {
        "httpMethod": method,
        "resource": resource,
        # the request path: path parameters filled in (what the resolver routes on)
        "path": resource.replace("{id}", quote(str((path or {}).get("id", "")), safe="")),
        "headers": {"origin": "https://shop.example.com", **(headers or {})},
        "pathParameters": path,
        "queryStringParameters": query,
        "body": None if body is None else (body if isinstance(body, str) else json.dumps(body)),
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": "req-1",
            "path": f"/prod{resource}",
            "authorizer": {"claims": {"sub": customer}} if customer else {},
        },
    }


def call(fn, table, *args, **kwargs):
    response = fn(event(*args, **kwargs), None, table=table)
    return response["statusCode"], (json.loads(response["body"]) if response["body"] else None), response["headers"]


def create(table, body=ORDER, **kwargs):
    return call(orders.create, table, "POST", "/orders", body=body, **kwargs)


def test_create_stores_a_pending_order(table):
    status, body, headers = create(table)
    assert status == 201
    assert body["status"] == "PENDING" and body["total_cents"] == 2500 and body["currency"] == "EUR"
    assert headers["Location"] == f"/prod/orders/{body['id']}"
    assert headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    [item] = table.scan()["Items"]
    assert item["pk"] == "CUSTOMER#alice" and item["sk"] == f"ORDER#{body['id']}"
    assert "pk" not in body and "sk" not in body


def test_create_rejects_invalid_orders_with_every_problem(table):
    bad = {"currency": "JPY", "items": [{"sku": "bad sku", "quantity": 0, "unit_price_cents": -1}], "note": "x"}
    status, body, _ = create(table, body=bad)
    assert status == 400
    assert body["error"]["code"] == "validation_error" and body["error"]["request_id"] == "req-1"
    assert len(body["error"]["details"]) == 5
    assert table.scan()["Count"] == 0


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", ""])
def test_create_rejects_bodies_that_are_not_json_objects(table, raw):
    status, body, _ = create(table, body=raw)
    assert status == 400 and body["error"]["code"] == "invalid_body"


def test_create_accepts_base64_bodies(table):
    raw = base64.b64encode(json.dumps(ORDER).encode()).decode()
    request = event("POST", "/orders", body=raw)
    request["isBase64Encoded"] = True
    assert orders.create(request, None, table=table)["statusCode"] == 201


def test_idempotency_key_returns_the_first_order(table):
    first_status, first, _ = create(table, headers={"Idempotency-Key": "k-1"})
    again_status, again, _ = create(table, headers={"idempotency-key": "k-1"})
    assert (first_status, again_status) == (201, 200)
    assert again["id"] == first["id"]
    assert table.scan()["Count"] == 1


def test_idempotency_key_reused_for_another_order_conflicts(table):
    create(table, headers={"Idempotency-Key": "k-1"})
    other = {"items": [{"sku": "TEA-2", "quantity": 1, "unit_price_cents": 300}]}
    status, body, _ = create(table, body=other, headers={"Idempotency-Key": "k-1"})
    assert status == 409 and body["error"]["code"] == "idempotency_conflict"


def test_idempotency_keys_are_per_customer(table):
    _, mine, _ = create(table, headers={"Idempotency-Key": "k-1"})
    status, theirs, _ = create(table, customer="bob", headers={"Idempotency-Key": "k-1"})
    assert status == 201 and theirs["id"] != mine["id"]


def test_get_returns_own_order_and_hides_others(table):
    _, order, _ = create(table)
    status, body, _ = call(orders.read, table, "GET", "/orders/{id}", path={"id": order["id"]})
    assert status == 200 and body["items"] == ORDER["items"]
    status, body, _ = call(orders.read, table, "GET", "/orders/{id}", customer="bob", path={"id": order["id"]})
    assert status == 404 and body["error"]["code"] == "not_found"


def test_get_rejects_malformed_ids(table):
    status, body, _ = call(orders.read, table, "GET", "/orders/{id}", path={"id": "../etc"})
    assert status == 400 and "32 lower-case hex" in body["error"]["message"]


def test_list_paginates_within_the_customer(table):
    ids = {create(table)[1]["id"] for _ in range(3)}
    create(table, customer="bob")
    status, page, _ = call(orders.read, table, "GET", "/orders", query={"limit": "2"})
    assert status == 200 and len(page["orders"]) == 2 and "next" in page
    status, rest, _ = call(orders.read, table, "GET", "/orders", query={"limit": "2", "next": page["next"]})
    seen = {o["id"] for o in page["orders"] + rest["orders"]}
    assert status == 200 and seen == ids


def test_list_rejects_a_token_from_another_customer(table):
    for _ in range(2):
        create(table)
    _, page, _ = call(orders.read, table, "GET", "/orders", query={"limit": "1"})
    status, body, _ = call(orders.read, table, "GET", "/orders", customer="bob", query={"next": page["next"]})
    assert status == 400 and "page token" in body["error"]["message"]


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_list_limit_range(table, limit):
    status, _, _ = call(orders.read, table, "GET", "/orders", query={"limit": limit})
    assert status == 400


def test_cancel_pending_then_conflict(table):
    _, order, _ = create(table)
    status, body, _ = call(orders.cancel, table, "DELETE", "/orders/{id}", path={"id": order["id"]})
    assert status == 200 and body["status"] == "CANCELLED" and "cancelled_at" in body
    status, body, _ = call(orders.cancel, table, "DELETE", "/orders/{id}", path={"id": order["id"]})
    assert status == 409 and "CANCELLED" in body["error"]["message"]


def test_cancel_missing_order(table):
    status, body, _ = call(orders.cancel, table, "DELETE", "/orders/{id}", path={"id": "0" * 32})
    assert status == 404
    assert table.scan()["Count"] == 0, "a failed cancel must not create an item"


def test_unauthenticated_requests_are_rejected(table):
    status, body, _ = create(table, customer=None)
    assert status == 401 and body["error"]["code"] == "unauthenticated"


def test_unexpected_failures_become_500_without_details(table):
    class Broken:
        def put_item(self, **kwargs):
            raise RuntimeError("connection reset by peer")

    status, body, _ = call(orders.create, Broken(), "POST", "/orders", body=ORDER)
    assert status == 500
    assert body["error"] == {"code": "internal_error", "message": "internal server error", "request_id": "req-1"}


def test_read_answers_unknown_paths_with_the_common_error_body(table):
    status, body, _ = call(orders.read, table, "GET", "/customers")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_create_emits_the_orders_created_metric(table, capsys):
    create(table)
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [doc] = [d for d in docs if "OrdersCreated" in d]
    assert doc["currency"] == "EUR" and [m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == ["OrdersCreated"]
