"""POST /orders — place an order: one OrderPlaced event on a new aggregate.

The client may send its own ``order_id`` to make retries safe: a second
request with the same id finds the aggregate taken and gets 409 instead of a
duplicate order.
"""

from __future__ import annotations

import uuid
from typing import Any

from orders import ID_RE, ORDER_PLACED, InvalidRequest, parse_body, validate_order

from cdk_serverless_patterns.runtime import event_store, metrics
from cdk_serverless_patterns.runtime.http import HttpError, api_handler, json_response
from cdk_serverless_patterns.runtime.log import get_logger

log = get_logger("orders-place")


@api_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    body = parse_body(event)
    data = validate_order(body)
    order_id = body.get("order_id", str(uuid.uuid4()))
    if not isinstance(order_id, str) or not ID_RE.match(order_id):
        raise InvalidRequest("order_id must be 1-64 letters, digits, '-' or '_'")
    try:
        # The request's correlation id (api_handler made it current) is stored on the event.
        version = event_store.append(order_id, 0, [{"type": ORDER_PLACED, "data": data}])
    except event_store.ConcurrencyError as err:
        raise HttpError(409, "conflict", f"order {order_id} already exists", {"order_id": order_id}) from err
    log.info("order placed", extra={"order_id": order_id, "items": len(data["items"])})
    metrics.emit("OrdersPlaced", 1, "Count")
    return json_response(201, {"order_id": order_id, "version": version})
