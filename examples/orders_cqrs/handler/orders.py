"""The order aggregate: validation and state folding shared by the handlers.

Money is integer cents, so no float ever reaches DynamoDB or a total. The
handlers answer like every API handler of the examples: ``runtime.http``'s
``api_handler`` + ``json_response``, errors as ``HttpError``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping, Optional

from cdk_serverless_patterns.runtime.http import HttpError

ORDER_PLACED = "OrderPlaced"
ORDER_CANCELLED = "OrderCancelled"
PROJECTION = "order-summary"
MAX_ITEMS = 50
MAX_QUANTITY = 1000
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class InvalidRequest(HttpError):
    """The request cannot become a command (HTTP 400, ``validation_error``)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, "validation_error", message)


def parse_body(event: Mapping[str, Any]) -> dict[str, Any]:
    raw = event.get("body") or "{}"
    try:
        body = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest("the body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    return body


def order_id_from_path(event: Mapping[str, Any]) -> str:
    order_id = (event.get("pathParameters") or {}).get("id")
    if not isinstance(order_id, str) or not ID_RE.match(order_id):
        raise InvalidRequest("the order id must be 1-64 letters, digits, '-' or '_'")
    return order_id


def validate_order(body: Mapping[str, Any]) -> dict[str, Any]:
    """The data of an OrderPlaced event, from a place-order request body."""
    customer = body.get("customer_id")
    if not isinstance(customer, str) or not ID_RE.match(customer):
        raise InvalidRequest("customer_id must be 1-64 letters, digits, '-' or '_'")
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidRequest(f"items must be a list of 1-{MAX_ITEMS} lines")
    lines = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidRequest(f"items[{index}] must be an object")
        sku, quantity, price = item.get("sku"), item.get("quantity"), item.get("unit_price_cents")
        if not isinstance(sku, str) or not sku.strip() or len(sku) > 64:
            raise InvalidRequest(f"items[{index}].sku must be a non-empty string of at most 64 characters")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidRequest(f"items[{index}].quantity must be an integer 1-{MAX_QUANTITY}")
        if isinstance(price, bool) or not isinstance(price, int) or price < 0:
            raise InvalidRequest(f"items[{index}].unit_price_cents must be an integer >= 0")
        lines.append({"sku": sku, "quantity": quantity, "unit_price_cents": price})
    return {"customer_id": customer, "items": lines}


def current_state(history: Iterable[Mapping[str, Any]]) -> Optional[dict[str, Any]]:
    """The order as its events say, or None if it was never placed."""
    state: Optional[dict[str, Any]] = None
    for event in history:
        state = summarize(state, event)
    return state


def summarize(view: Optional[Mapping[str, Any]], event: Mapping[str, Any]) -> dict[str, Any]:
    """Fold one event into the order summary (used by commands and the projection alike)."""
    data = event.get("data") or {}
    if event["type"] == ORDER_PLACED:
        items = data["items"]
        return {
            "customer_id": data["customer_id"],
            "status": "PLACED",
            "item_count": sum(line["quantity"] for line in items),
            "total_cents": sum(line["quantity"] * line["unit_price_cents"] for line in items),
            "placed_at": event["timestamp"],
        }
    if view is None:
        raise ValueError(f"{event['type']} v{event['version']} before {ORDER_PLACED}")
    if event["type"] == ORDER_CANCELLED:
        return {**view, "status": "CANCELLED", "cancel_reason": data.get("reason"), "cancelled_at": event["timestamp"]}
    return dict(view)  # an event this view does not show
