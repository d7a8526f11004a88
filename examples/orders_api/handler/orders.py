"""Orders API handlers (behind API Gateway, authorized by Cognito).

Items live in one table, keyed by the caller so a customer can only ever
reach their own orders::

    pk = "CUSTOMER#<cognito sub>"   sk = "ORDER#<order id>"

* ``create`` — POST /orders: validates the order, stores it as PENDING, 201.
  An ``Idempotency-Key`` header makes retries safe: the same key from the same
  customer returns the order created the first time (200) instead of a second one.
  PUT /orders/{id} is the safe path that needs no key: the client names the
  order with an id it already has (its cart or checkout id, ``[A-Za-z0-9_-]``,
  1-64), so a retried PUT — after a timeout, even one that followed the write —
  finds the order and answers 200 with it; the same id with a different order is
  409. Without either, a retried POST stores a second order (as a POST should).
* ``read`` — GET /orders (newest first, paginated) and GET /orders/{id}; one
  function for both routes (a read-only "lambdalith"), routed by Powertools'
  ``APIGatewayRestResolver`` (its layer comes from ``FunctionSpec(powertools=True)``)
  instead of a hand-written dispatch on ``event["resource"]``.

Every handler answers the same way: ``runtime.http.api_handler`` turns
``HttpError`` into the JSON error body and anything unexpected into a 500, and
every success is a ``json_response`` (the resolver's routes hand theirs back
unchanged). ``create`` emits the ``OrdersCreated`` business metric (EMF).
* ``cancel`` — DELETE /orders/{id}: PENDING → CANCELLED, 409 if the order is
  already shipped or cancelled, 404 if it does not exist.
"""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Optional

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from cdk_serverless_patterns.runtime import metrics

from cdk_serverless_patterns.runtime.http import (
    HttpError,
    api_handler,
    caller_id,
    header,
    json_body,
    json_response,
    path_parameter,
    query_parameter,
)
from cdk_serverless_patterns.runtime.log import get_logger

log = get_logger("orders-api")

MAX_ITEMS = 50
MAX_QUANTITY = 1000
MAX_PAGE_SIZE = 100
CURRENCIES = frozenset({"EUR", "USD", "GBP"})
_SKU_RE = re.compile(r"^[A-Z0-9][A-Z0-9\-]{0,31}$")
_ORDER_ID_RE = re.compile(r"^[0-9a-f]{32}$")
_IDEMPOTENCY_NAMESPACE = uuid.UUID("9f1c2b1e-4f53-4b8e-9a55-2f3f8e0d7c11")
#: Ids a client may give its order in PUT /orders/{id}.
_CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_table = None


def orders_table():
    """The orders table, created lazily (cold start pays only when used)."""
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    return _table


def _customer(event: dict[str, Any]) -> str:
    customer = caller_id(event)
    if not customer:
        # The gateway authorizes every route; no identity means a misconfiguration.
        raise HttpError(401, "unauthenticated", "the request carries no authenticated caller")
    return customer


def _key(customer: str, order_id: str) -> dict[str, str]:
    return {"pk": f"CUSTOMER#{customer}", "sk": f"ORDER#{order_id}"}


def validate_order(body: dict[str, Any]) -> dict[str, Any]:
    """The order's items, currency and total; HttpError 400 listing every problem."""
    problems: list[str] = []
    items = body.get("items")
    currency = body.get("currency", "EUR")
    if currency not in CURRENCIES:
        problems.append(f"currency must be one of {', '.join(sorted(CURRENCIES))}")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        problems.append(f"items must be a list of 1-{MAX_ITEMS} items")
        items = []
    clean: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"items[{index}] must be an object")
            continue
        sku, quantity, price = item.get("sku"), item.get("quantity"), item.get("unit_price_cents")
        if not isinstance(sku, str) or not _SKU_RE.match(sku):
            problems.append(f"items[{index}].sku must be 1-32 upper-case letters, digits or '-'")
        if not _is_int(quantity) or not 1 <= quantity <= MAX_QUANTITY:
            problems.append(f"items[{index}].quantity must be an integer 1-{MAX_QUANTITY}")
        if not _is_int(price) or price < 0:
            problems.append(f"items[{index}].unit_price_cents must be an integer >= 0")
        clean.append({"sku": sku, "quantity": quantity, "unit_price_cents": price})
    extra = sorted(set(body) - {"items", "currency"})
    if extra:
        problems.append(f"unknown fields: {', '.join(extra)}")
    if problems:
        raise HttpError(400, "validation_error", "the order is invalid", details=problems)
    total = sum(int(i["quantity"]) * int(i["unit_price_cents"]) for i in clean)
    return {"items": clean, "currency": currency, "total_cents": total}


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, Decimal):
        return value == value.to_integral_value()
    return isinstance(value, int)


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("pk", "sk", "idempotency_key")}


@api_handler
def create(event: dict[str, Any], context: Any, table: Any = None) -> dict[str, Any]:
    customer = _customer(event)
    order = validate_order(json_body(event))
    client_order_id = (event.get("pathParameters") or {}).get("id")  # PUT /orders/{id}
    idempotency_key = header(event, "Idempotency-Key")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 128:
        raise HttpError(400, "validation_error", "Idempotency-Key must be 1-128 characters")
    if client_order_id is not None:
        if not _CLIENT_ORDER_ID.match(client_order_id):
            raise HttpError(400, "validation_error", "the order id must be 1-64 of A-Z a-z 0-9 _ -")
        order_id = client_order_id
    elif idempotency_key:
        order_id = uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{customer}:{idempotency_key}").hex
    else:
        order_id = uuid.uuid4().hex
    item = {
        **_key(customer, order_id),
        "id": order_id,
        "status": "PENDING",
        "created_at": datetime.now(timezone.utc).isoformat(),
        **order,
    }
    if idempotency_key:
        item["idempotency_key"] = idempotency_key
    table = table if table is not None else orders_table()
    try:
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as err:
        if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        existing = table.get_item(Key=_key(customer, order_id), ConsistentRead=True).get("Item")
        if existing is None or existing.get("items") != item["items"] or existing.get("currency") != item["currency"]:
            reused = "this order id" if client_order_id is not None else "this Idempotency-Key"
            raise HttpError(409, "idempotency_conflict", f"{reused} was already used for a different order") from err
        log.info("duplicate order request answered", extra={"order_id": order_id})
        return json_response(200, _public(existing))
    log.info("order created", extra={"order_id": order_id, "total_cents": order["total_cents"]})
    metrics.emit("OrdersCreated", 1, "Count", {"currency": order["currency"]})
    # requestContext.path is the path the client called (with the stage or base path).
    base = (event.get("requestContext") or {}).get("path") or event.get("path") or "/orders"
    location = base if client_order_id is not None else f"{base.rstrip('/')}/{order_id}"
    return json_response(201, _public(item), headers={"Location": location})


# The read lambdalith's routes. The resolver matches on the request path; errors
# are raised as HttpError and answered by api_handler like every other handler's.
app = APIGatewayRestResolver()


def _as_response(response: dict[str, Any]) -> Response:
    """A ``json_response`` (CORS headers included) as the resolver's Response, unchanged."""
    return Response(status_code=response["statusCode"], headers=response["headers"], body=response["body"])


@app.get("/orders/<order_id>")
def get_order(order_id: str) -> Response:
    event = app.current_event.raw_event
    order_id = _order_id(event)
    item = app.context["table"].get_item(Key=_key(_customer(event), order_id)).get("Item")
    if item is None:
        raise HttpError(404, "not_found", f"order {order_id} does not exist")
    return _as_response(json_response(200, _public(item)))


@app.get("/orders")
def list_orders() -> Response:
    event = app.current_event.raw_event
    return _as_response(json_response(200, _list_orders(app.context["table"], _customer(event), event)))


@app.not_found
def _no_route(_: Exception) -> Response:
    event = app.current_event.raw_event
    raise HttpError(404, "not_found", f"no route for {event.get('httpMethod')} {event.get('path')}")


@api_handler
def read(event: dict[str, Any], context: Any, table: Any = None) -> dict[str, Any]:
    app.append_context(table=table if table is not None else orders_table())
    try:
        return app.resolve(event, context)
    finally:
        app.clear_context()


def _list_orders(table: Any, customer: str, event: dict[str, Any]) -> dict[str, Any]:
    raw_limit = query_parameter(event, "limit", "20")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_PAGE_SIZE:
        raise HttpError(400, "validation_error", f"limit must be an integer 1-{MAX_PAGE_SIZE}")
    query: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(f"CUSTOMER#{customer}") & Key("sk").begins_with("ORDER#"),
        "Limit": int(raw_limit),
    }
    token = query_parameter(event, "next")
    if token:
        query["ExclusiveStartKey"] = _decode_token(token, customer)
    page = table.query(**query)
    body: dict[str, Any] = {"orders": [_public(i) for i in page.get("Items", [])]}
    if "LastEvaluatedKey" in page:
        body["next"] = base64.urlsafe_b64encode(json.dumps(page["LastEvaluatedKey"]).encode()).decode()
    return body


def _decode_token(token: str, customer: str) -> dict[str, str]:
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(400, "validation_error", "next is not a valid page token") from exc
    # A token is only a position; it may never move the query to another customer.
    if not isinstance(key, dict) or key.get("pk") != f"CUSTOMER#{customer}" or not str(key.get("sk", "")).startswith("ORDER#"):
        raise HttpError(400, "validation_error", "next is not a valid page token")
    return {"pk": key["pk"], "sk": key["sk"]}


def _order_id(event: dict[str, Any]) -> str:
    order_id = path_parameter(event, "id")
    if not _ORDER_ID_RE.match(order_id):
        raise HttpError(400, "validation_error", "order id must be 32 lower-case hex characters")
    return order_id


@api_handler
def cancel(event: dict[str, Any], context: Any, table: Any = None) -> dict[str, Any]:
    customer = _customer(event)
    order_id = _order_id(event)
    table = table if table is not None else orders_table()
    try:
        result = table.update_item(
            Key=_key(customer, order_id),
            UpdateExpression="SET #status = :cancelled, cancelled_at = :now",
            ConditionExpression="attribute_exists(pk) AND #status = :pending",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":cancelled": "CANCELLED",
                ":pending": "PENDING",
                ":now": datetime.now(timezone.utc).isoformat(),
            },
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as err:
        if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        current: Optional[dict[str, Any]] = err.response.get("Item")
        if not current:
            raise HttpError(404, "not_found", f"order {order_id} does not exist") from err
        status = current.get("status", {}).get("S") if isinstance(current.get("status"), dict) else current.get("status")
        raise HttpError(409, "not_cancellable", f"order {order_id} is {status} and can no longer be cancelled") from err
    log.info("order cancelled", extra={"order_id": order_id})
    return json_response(200, _public(result["Attributes"]))
