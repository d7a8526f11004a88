"""The order saga's actions and compensations, against one DynamoDB table.

The Saga invokes each handler with::

    {"saga": {"step": "charge_payment", "phase": "action" | "compensate",
              "execution_id": "arn:aws:states:...", "failure": {...}},   # failure: compensations only
     "input": {"order_id": "o-1", "customer_id": "c-7",
               "items": [{"sku": "book-1", "quantity": 2, "unit_price_cents": 1250}],
               "address": {"name": "...", "line1": "...", "city": "...", "postcode": "...", "country": "FR"},
               "simulate_failure": "charge"},                             # optional, see below
     "results": {"reserve_inventory": {...}, ...}}

Table items (``pk``/``sk``)::

    SKU#<sku>     / STOCK         available: number     (seeded by the warehouse)
    ORDER#<id>    / RESERVATION   status RESERVED|RELEASED, items
    ORDER#<id>    / PAYMENT       status CHARGED|REFUNDED, amount_cents, payment_id
    ORDER#<id>    / SHIPMENT      status SHIPPED|CANCELLED, tracking_id
    SAGA#<execution> / STEP#<step>#<phase>   idempotency marker (runtime.saga_steps, TTL expires_at)

Every handler is idempotent twice over. Each runs once per execution, step and
phase (:func:`~cdk_serverless_patterns.runtime.saga_steps.idempotent_step`): a
retry after a crash that followed the commit returns the recorded result. And
the writes themselves are conditional, so a run whose marker was lost (the
handler raised after a write) or another execution of the same order finds the
record already there: actions return the existing record; compensations only
move a record from its applied status to its undone status and treat "nothing
to undo" as success. The saga compensates the failing step too (an action may
commit and then fail), so a compensation never relies on ``results.<step>``: it
looks the order up. Start one execution per order with the order id as
execution name, so the same order cannot run twice at once.

``input.simulate_failure`` exercises the compensation paths:
``"reserve"`` / ``"charge"`` / ``"ship"`` make that action fail before it does
anything; ``"charge_after_capture"`` makes the charge fail *after* recording the
payment, like a provider timeout after capture (the saga compensates the failing
step too, so the refund still runs).
"""

from __future__ import annotations

import os
import random
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional

import boto3
from botocore.exceptions import ClientError

from cdk_serverless_patterns.runtime.log import get_logger
from cdk_serverless_patterns.runtime.saga_steps import idempotent_step, nothing_to_undo

log = get_logger("order-saga")

TABLE_ENV = "TABLE_NAME"
MAX_ITEMS = 25  # one DynamoDB transaction holds 100 actions; stay well below
#: A transaction cancelled by a concurrent one on the same item (another order of
#: the same SKU) is retried this many times, with jittered backoff, before failing.
TRANSACTION_ATTEMPTS = 5
SIMULATED_FAILURES = ("reserve", "charge", "charge_after_capture", "ship")
_table = None


# --- errors: their class names become the Step Functions error names ---------
class InvalidOrder(ValueError):
    """The order input is malformed."""


class OutOfStock(Exception):
    """A SKU does not have enough stock for the order."""


class ReservationReleased(Exception):
    """The order's reservation was already released by an earlier, failed saga."""


class PaymentDeclined(Exception):
    """The payment provider declined the charge."""


class PaymentCaptureUnconfirmed(Exception):
    """The charge may have been captured but was not confirmed (partially applied)."""


class ShippingUnavailable(Exception):
    """The carrier could not accept the shipment."""


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class Order:
    order_id: str
    customer_id: str
    lines: tuple[Line, ...]
    address: dict[str, str]
    simulate_failure: Optional[str]

    @property
    def amount_cents(self) -> int:
        return sum(line.quantity * line.unit_price_cents for line in self.lines)

    @property
    def pk(self) -> str:
        return f"ORDER#{self.order_id}"


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidOrder(f"{field} must be a non-empty string")
    return value


def _positive_int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidOrder(f"{field} must be a positive integer, got {value!r}")
    return value


def parse_order(event: dict[str, Any]) -> Order:
    """The validated order from a saga payload; raises :class:`InvalidOrder`."""
    data = event.get("input") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        raise InvalidOrder("the saga payload has no 'input' object")
    items = data.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidOrder(f"items must be a list of 1-{MAX_ITEMS} lines")
    lines = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidOrder(f"items[{i}] must be an object")
        lines.append(
            Line(
                sku=_text(item.get("sku"), f"items[{i}].sku"),
                quantity=_positive_int(item.get("quantity"), f"items[{i}].quantity"),
                unit_price_cents=_positive_int(item.get("unit_price_cents"), f"items[{i}].unit_price_cents"),
            )
        )
    if len({line.sku for line in lines}) != len(lines):
        raise InvalidOrder("each sku may appear on one line only")
    address = data.get("address")
    if not isinstance(address, dict):
        raise InvalidOrder("address must be an object")
    for key in ("name", "line1", "city", "postcode", "country"):
        _text(address.get(key), f"address.{key}")
    simulate = data.get("simulate_failure")
    if simulate is not None and simulate not in SIMULATED_FAILURES:
        raise InvalidOrder(f"simulate_failure must be one of {', '.join(SIMULATED_FAILURES)}")
    return Order(
        order_id=_text(data.get("order_id"), "order_id"),
        customer_id=_text(data.get("customer_id"), "customer_id"),
        lines=tuple(lines),
        address={k: str(v) for k, v in address.items()},
        simulate_failure=simulate,
    )


def _orders_table(table: Any = None) -> Any:
    global _table
    if table is not None:
        return table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(os.environ[TABLE_ENV])
    return _table


def _get(table: Any, pk: str, sk: str) -> Optional[dict[str, Any]]:
    return table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")


def _is_conditional_failure(err: ClientError) -> bool:
    """True only when a condition failed: a plain ConditionalCheckFailedException, or a
    cancelled transaction whose every cancellation reason is a failed condition (or
    none). A transaction cancelled by a conflict or throttling changed nothing and
    says nothing about the items: it must not be read as "already done"."""
    code = err.response["Error"]["Code"]
    if code == "ConditionalCheckFailedException":
        return True
    if code != "TransactionCanceledException":
        return False
    reasons = {reason.get("Code") for reason in err.response.get("CancellationReasons") or []}
    return "ConditionalCheckFailed" in reasons and reasons <= {"ConditionalCheckFailed", "None", None}


def _transact(table: Any, writes: list[dict[str, Any]]) -> None:
    """``TransactWriteItems``, retried while it is cancelled by a concurrent transaction."""
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            table.meta.client.transact_write_items(TransactItems=writes)
            return
        except ClientError as err:
            reasons = {reason.get("Code") for reason in err.response.get("CancellationReasons") or []}
            if "TransactionConflict" not in reasons or attempt == TRANSACTION_ATTEMPTS:
                raise
            time.sleep(random.uniform(0, 0.05 * 2**attempt))


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; Step Functions needs JSON."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _undo(table: Any, pk: str, sk: str, *, applied: str, undone: str) -> None:
    """Move a record from its applied status to its undone status, once: a concurrent
    retry that got there first leaves nothing to do."""
    try:
        table.update_item(
            Key={"pk": pk, "sk": sk},
            UpdateExpression="SET #s = :undone",
            ConditionExpression="#s = :applied",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":undone": undone, ":applied": applied},
        )
    except ClientError as err:
        if not _is_conditional_failure(err):
            raise


# --- reserve / release ------------------------------------------------------
@idempotent_step
def reserve_inventory(event: dict[str, Any], context: Any, table: Any = None) -> dict[str, Any]:
    """Take the order's quantities out of stock and record the reservation, atomically."""
    order = parse_order(event)
    if order.simulate_failure == "reserve":
        raise OutOfStock(f"simulated: no stock for order {order.order_id}")
    table = _orders_table(table)
    items = [{"sku": line.sku, "quantity": line.quantity} for line in order.lines]
    writes: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table.name,
                "Item": {"pk": order.pk, "sk": "RESERVATION", "status": "RESERVED", "items": items},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    ]
    writes += [
        {
            "Update": {
                "TableName": table.name,
                "Key": {"pk": f"SKU#{line.sku}", "sk": "STOCK"},
                "UpdateExpression": "SET available = available - :q",
                "ConditionExpression": "available >= :q",
                "ExpressionAttributeValues": {":q": line.quantity},
            }
        }
        for line in order.lines
    ]
    try:
        _transact(table, writes)
    except ClientError as err:
        if not _is_conditional_failure(err):
            raise
        existing = _get(table, order.pk, "RESERVATION")
        if existing is None:
            short = [line.sku for line in order.lines if not _has_stock(table, line)]
            raise OutOfStock(f"not enough stock for {', '.join(short) or 'the order'}") from err
        if existing["status"] != "RESERVED":
            raise ReservationReleased(f"order {order.order_id} was already reserved and released") from err
        log.info("reservation already recorded", extra={"order_id": order.order_id})
        return {"order_id": order.order_id, "items": _plain(existing["items"]), "status": "RESERVED"}
    log.info("inventory reserved", extra={"order_id": order.order_id})
    return {"order_id": order.order_id, "items": items, "status": "RESERVED"}


def _has_stock(table: Any, line: Line) -> bool:
    stock = _get(table, f"SKU#{line.sku}", "STOCK")
    return stock is not None and int(stock.get("available", 0)) >= line.quantity


@idempotent_step
def release_inventory(event: dict[str, Any], context: Any, table: Any = None) -> dict[str, Any]:
    """Put a reservation's quantities back in stock, once."""
    order = parse_order(event)
    table = _orders_table(table)
    reservation = _get(table, order.pk, "RESERVATION")
    if reservation is None:
        return nothing_to_undo("nothing was reserved", order_id=order.order_id, released=False)
    if reservation["status"] == "RELEASED":
        return {"order_id": order.order_id, "released": True, "reason": "already released"}
    writes: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": table.name,
                "Key": {"pk": order.pk, "sk": "RESERVATION"},
                "UpdateExpression": "SET #s = :released",
                "ConditionExpression": "#s = :reserved",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":released": "RELEASED", ":reserved": "RESERVED"},
            }
        }
    ]
    writes += [
        {
            "Update": {
                "TableName": table.name,
                "Key": {"pk": f"SKU#{item['sku']}", "sk": "STOCK"},
                "UpdateExpression": "SET available = available + :q",
                "ExpressionAttributeValues": {":q": item["quantity"]},
            }
        }
        for item in reservation["items"]
    ]
    try:
        _transact(table, writes)
    except ClientError as err:
        if not _is_conditional_failure(err):
            raise
        # A concurrent retry released it first: the stock is back exactly once.
        return {"order_id": order.order_id, "released": True, "reason": "already released"}
    log.info("inventory released", extra={"order_id": order.order_id})
    return {"order_id": order.order_id, "released": True}


# --- charge / refund --------------------------------------------------------
@idempotent_step
def charge_payment(event: dict[str, Any], context: Any, table: Any = None) -> dict[str, Any]:
    """Charge the order total and record the payment (the ledger is the source of truth)."""
    order = parse_order(event)
    if order.simulate_failure == "charge":
        raise PaymentDeclined(f"simulated: card of customer {order.customer_id} declined")
    table = _orders_table(table)
    payment = {
        "pk": order.pk,
        "sk": "PAYMENT",
        "status": "CHARGED",
        "payment_id": f"pay-{uuid.uuid4()}",
        "customer_id": order.customer_id,
        "amount_cents": order.amount_cents,
    }
    try:
        table.put_item(Item=payment, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as err:
        if not _is_conditional_failure(err):
            raise
        payment = _get(table, order.pk, "PAYMENT") or payment
        if payment["status"] != "CHARGED":
            raise PaymentDeclined(f"order {order.order_id} was already charged and refunded") from err
    if order.simulate_failure == "charge_after_capture":
        raise PaymentCaptureUnconfirmed(f"simulated: capture of {payment['payment_id']} not confirmed")
    log.info("payment charged", extra={"order_id": order.order_id, "amount_cents": order.amount_cents})
    return {"payment_id": payment["payment_id"], "amount_cents": int(payment["amount_cents"]), "status": "CHARGED"}


@idempotent_step
def refund_payment(event: dict[str, Any], context: Any, table: Any = None) -> dict[str, Any]:
    """Refund the order's payment if there is one (also after a partial charge)."""
    order = parse_order(event)
    table = _orders_table(table)
    payment = _get(table, order.pk, "PAYMENT")
    if payment is None:
        return nothing_to_undo("nothing was charged", order_id=order.order_id, refunded=False)
    if payment["status"] == "REFUNDED":
        return {"order_id": order.order_id, "refunded": True, "payment_id": payment["payment_id"], "reason": "already refunded"}
    _undo(table, order.pk, "PAYMENT", applied="CHARGED", undone="REFUNDED")
    log.info("payment refunded", extra={"order_id": order.order_id, "payment_id": payment["payment_id"]})
    return {"order_id": order.order_id, "refunded": True, "payment_id": payment["payment_id"]}


# --- ship -------------------------------------------------------------------
@idempotent_step
def ship_order(event: dict[str, Any], context: Any, table: Any = None) -> dict[str, Any]:
    """Hand the order to the carrier and record the tracking id."""
    order = parse_order(event)
    if order.simulate_failure == "ship":
        raise ShippingUnavailable(f"simulated: no carrier serves {order.address['country']}")
    payment = (event.get("results") or {}).get("charge_payment")
    if not isinstance(payment, dict) or payment.get("status") != "CHARGED":
        raise InvalidOrder("an order ships only after its payment is charged")
    table = _orders_table(table)
    shipment = {
        "pk": order.pk,
        "sk": "SHIPMENT",
        "status": "SHIPPED",
        "tracking_id": f"trk-{uuid.uuid4().hex[:12]}",
        "address": order.address,
    }
    try:
        table.put_item(Item=shipment, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as err:
        if not _is_conditional_failure(err):
            raise
        shipment = _get(table, order.pk, "SHIPMENT") or shipment
        if shipment["status"] != "SHIPPED":
            raise ShippingUnavailable(f"order {order.order_id} was already shipped and cancelled") from err
    log.info("order shipped", extra={"order_id": order.order_id, "tracking_id": shipment["tracking_id"]})
    return {"tracking_id": shipment["tracking_id"], "status": "SHIPPED"}


@idempotent_step
def cancel_shipment(event: dict[str, Any], context: Any, table: Any = None) -> dict[str, Any]:
    """Cancel the order's shipment if one was recorded (the carrier has not picked it up:
    the saga runs this right after ``ship_order`` failed, possibly after it committed)."""
    order = parse_order(event)
    table = _orders_table(table)
    shipment = _get(table, order.pk, "SHIPMENT")
    if shipment is None:
        return nothing_to_undo("nothing was shipped", order_id=order.order_id, cancelled=False)
    if shipment["status"] != "CANCELLED":
        _undo(table, order.pk, "SHIPMENT", applied="SHIPPED", undone="CANCELLED")
        log.info("shipment cancelled", extra={"order_id": order.order_id, "tracking_id": shipment["tracking_id"]})
    return {"order_id": order.order_id, "cancelled": True, "tracking_id": shipment["tracking_id"]}
