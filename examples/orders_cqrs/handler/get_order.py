"""GET /orders/{id} — the order summary from the read model (eventually consistent)."""

from __future__ import annotations

from typing import Any

from orders import PROJECTION, order_id_from_path

from cdk_serverless_patterns.runtime import projection
from cdk_serverless_patterns.runtime.http import HttpError, api_handler, json_response


@api_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    order_id = order_id_from_path(event)
    item = projection.get_view(order_id, projection=PROJECTION)
    if item is None:
        raise HttpError(404, "not_found", f"order {order_id} not found (new orders appear within seconds)")
    return json_response(200, {"order_id": order_id, "version": item["version"], **item["view"]})
