"""POST /orders/{id}/cancel — cancel a placed order.

Loads the order's events, decides, and appends OrderCancelled after the version
it read. If another command got there first it reloads and decides again (the
order may have been cancelled meanwhile); after a few lost races it answers 409.
"""

from __future__ import annotations

from typing import Any

from orders import ORDER_CANCELLED, InvalidRequest, current_state, order_id_from_path, parse_body

from cdk_serverless_patterns.runtime import event_store
from cdk_serverless_patterns.runtime.http import HttpError, api_handler, json_response
from cdk_serverless_patterns.runtime.log import get_logger

ATTEMPTS = 3
log = get_logger("orders-cancel")


@api_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    order_id = order_id_from_path(event)
    reason = parse_body(event).get("reason", "")
    if not isinstance(reason, str) or len(reason) > 500:
        raise InvalidRequest("reason must be a string of at most 500 characters")
    for _ in range(ATTEMPTS):
        history = event_store.load(order_id)
        state = current_state(history)
        if state is None:
            raise HttpError(404, "not_found", f"order {order_id} not found")
        if state["status"] == "CANCELLED":
            raise HttpError(409, "conflict", f"order {order_id} is already cancelled", {"version": len(history)})
        try:
            version = event_store.append(
                order_id, len(history), [{"type": ORDER_CANCELLED, "data": {"reason": reason}}]
            )
        except event_store.ConcurrencyError:
            log.info("concurrent change, deciding again", extra={"order_id": order_id})
            continue
        log.info("order cancelled", extra={"order_id": order_id, "version": version})
        return json_response(200, {"order_id": order_id, "status": "CANCELLED", "version": version})
    raise HttpError(409, "conflict", f"order {order_id} is changing concurrently; retry")
