"""HTTP API handlers (payload 2.0, JWT-authorized by the Cognito user pool).

* ``submit`` — POST /customers/{customerId}/orders: validates the order,
  stores it as PROCESSING and publishes one job to the FIFO fan-out with the
  customer id as message group, so the customer's orders are credited and
  booked in the order they were placed. 202 with the order id. The
  ``Idempotency-Key`` header is required: a retried request names the same
  order and returns it (200) instead of placing a second one.
* ``status`` — GET /customers/{customerId}/orders/{orderId}: the order and
  its status (PROCESSING, CONFIRMED or REJECTED).

Callers may only reach their own customer id (the token's ``sub``).
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError
from ordering import (
    CUSTOMER_ID_RE,
    ORDER_ID_RE,
    customer_key,
    order_id_for,
    order_key,
    table,
    total_cents,
    validate_lines,
)

from cdk_serverless_patterns.runtime.http import (
    HttpError,
    api_handler,
    caller_id,
    header,
    json_body,
    json_response,
    path_parameter,
)
from cdk_serverless_patterns.runtime.jobs import start_job
from cdk_serverless_patterns.runtime.log import get_logger

log = get_logger("customer-orders")
#: The fan-out's workers: every order needs both parts.
PARTS = ("credit", "ledger")
_IDEMPOTENCY_KEY_MAX = 128


def _customer(event: dict[str, Any]) -> str:
    customer_id = path_parameter(event, "customerId")
    if not CUSTOMER_ID_RE.match(customer_id):
        raise HttpError(400, "invalid_customer", "customerId must be 1-64 letters, digits, '-' or '_'")
    if caller_id(event) != customer_id:
        raise HttpError(403, "forbidden", "you can only reach your own orders")
    return customer_id


@api_handler
def submit(event: dict[str, Any], context: Any, *, orders_table: Any = None, sns_client: Any = None) -> dict[str, Any]:
    customer_id = _customer(event)
    key = header(event, "Idempotency-Key")
    if not key or len(key) > _IDEMPOTENCY_KEY_MAX:
        raise HttpError(400, "missing_idempotency_key", f"send an Idempotency-Key header (1-{_IDEMPOTENCY_KEY_MAX} characters)")
    try:
        lines = validate_lines(json_body(event).get("lines"))
    except ValueError as exc:
        raise HttpError(400, "validation_error", str(exc)) from exc
    order_id = order_id_for(customer_id, key)
    order = {
        "pk": customer_key(customer_id),
        "sk": order_key(order_id),
        "order_id": order_id,
        "lines": lines,
        "total_cents": total_cents(lines),
        "status": "PROCESSING",
        "placed_at": int(time.time()),
    }
    db = table(orders_table)
    created = True
    try:
        db.put_item(Item=order, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as err:
        if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        existing = db.get_item(Key={"pk": order["pk"], "sk": order["sk"]}, ConsistentRead=True)["Item"]
        if existing["lines"] != lines:
            raise HttpError(409, "idempotency_key_reused", "this Idempotency-Key was used for a different order") from err
        # The first attempt may have stored the order and failed before publishing:
        # publishing again is safe (the job id deduplicates, the workers are idempotent).
        order, created = existing, False
    start_job(
        {"customer_id": customer_id, "order_id": order_id, "lines": lines},
        parts=list(PARTS),
        job_id=f"order-{order_id}",
        client=sns_client,
    )
    log.info("order submitted", extra={"order_id": order_id, "customer_id": customer_id})
    return json_response(202 if created else 200, {"order_id": order_id, "status": order["status"]}, event=event)


@api_handler
def status(event: dict[str, Any], context: Any, *, orders_table: Any = None) -> dict[str, Any]:
    customer_id = _customer(event)
    order_id = path_parameter(event, "orderId")
    if not ORDER_ID_RE.match(order_id):
        raise HttpError(400, "invalid_order_id", "orderId must be 32 hexadecimal characters")
    item = table(orders_table).get_item(Key={"pk": customer_key(customer_id), "sk": order_key(order_id)}).get("Item")
    if item is None:
        raise HttpError(404, "not_found", "no such order")
    body = {k: item[k] for k in ("order_id", "status", "lines", "total_cents", "placed_at") if k in item}
    if "decision" in item:
        body["decision"] = item["decision"]
    return json_response(200, body, event=event)
