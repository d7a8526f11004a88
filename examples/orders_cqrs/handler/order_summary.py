"""Projector of the ``order-summary`` view: one read-model item per order.

Invoked by the bus for every event of the store; ``runtime.projection.project``
applies each version exactly once and in order, so replays from the archive
and duplicate deliveries leave the view unchanged.
"""

from __future__ import annotations

from typing import Any

from orders import summarize

from cdk_serverless_patterns.runtime import projection
from cdk_serverless_patterns.runtime.log import get_logger

log = get_logger("orders-summary")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    changed = projection.project(event, summarize)
    log.info(
        "event projected" if changed else "event already projected",
        extra={"detail_type": event.get("detail-type"), "event_id": event.get("id")},
    )
    return {"changed": changed}
