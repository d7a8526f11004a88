"""GET /orders/{id} — the order summary from the read model (eventually consistent)."""

from __future__ import annotations

from typing import Any

from orders import PROJECTION, InvalidRequest, order_id_from_path, response

from cdk_serverless_patterns.runtime import projection


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        order_id = order_id_from_path(event)
    except InvalidRequest as exc:
        return response(400, {"message": str(exc)})
    item = projection.get_view(order_id, projection=PROJECTION)
    if item is None:
        return response(404, {"message": f"order {order_id} not found (new orders appear within seconds)"})
    return response(200, {"order_id": order_id, "version": item["version"], **item["view"]})
