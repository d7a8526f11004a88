"""Shared by the customer-orders handlers: order validation, table keys, the table.

One table holds everything of a customer under one partition, so per-customer
state changes stay local and ordered::

    pk = "CUSTOMER#<customer id>"   sk = "ORDER#<order id>"     the order and its status
                                    sk = "CREDIT"               credit used so far (cents)
                                    sk = "LEDGER"               last ledger sequence number
                                    sk = "LEDGER#<00000001>"    one ledger entry per order
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any, Mapping

#: Environment variable the stack sets on every handler.
TABLE_ENV = "TABLE_NAME"
#: Credit a customer may have outstanding, in cents (set by the stack).
CREDIT_LIMIT_ENV = "CREDIT_LIMIT_CENTS"

MAX_LINES = 50
MAX_QUANTITY = 1000
MAX_UNIT_PRICE_CENTS = 10_000_000
CUSTOMER_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SKU_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
ORDER_ID_RE = re.compile(r"^[0-9a-f]{32}$")
_ORDER_NAMESPACE = uuid.UUID("1f7f7b0e-39a4-4b79-8f0e-6f2b8f6c4d21")

_table: Any = None


def table(explicit: Any = None) -> Any:
    """The DynamoDB table (boto3 resource), created lazily; ``explicit`` wins (tests)."""
    global _table
    if explicit is not None:
        return explicit
    if _table is None:
        import boto3

        _table = boto3.resource("dynamodb").Table(os.environ[TABLE_ENV])
    return _table


def customer_key(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def order_key(order_id: str) -> str:
    return f"ORDER#{order_id}"


def order_id_for(customer_id: str, idempotency_key: str) -> str:
    """The same customer and key always name the same order (safe client retries)."""
    return uuid.uuid5(_ORDER_NAMESPACE, f"{customer_id}/{idempotency_key}").hex


def validate_lines(lines: Any) -> list[dict[str, int | str]]:
    """The order lines, checked; ``ValueError`` saying what is wrong."""
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
        raise ValueError(f"lines must be a list of 1-{MAX_LINES} order lines")
    checked = []
    for index, line in enumerate(lines):
        if not isinstance(line, Mapping):
            raise ValueError(f"lines[{index}] must be an object")
        sku, quantity, price = line.get("sku"), line.get("quantity"), line.get("unit_price_cents")
        if not isinstance(sku, str) or not SKU_RE.match(sku):
            raise ValueError(f"lines[{index}].sku must be 1-32 upper-case letters, digits or '-'")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
            raise ValueError(f"lines[{index}].quantity must be an integer 1-{MAX_QUANTITY}")
        if not isinstance(price, int) or isinstance(price, bool) or not 0 <= price <= MAX_UNIT_PRICE_CENTS:
            raise ValueError(f"lines[{index}].unit_price_cents must be an integer 0-{MAX_UNIT_PRICE_CENTS}")
        checked.append({"sku": sku, "quantity": quantity, "unit_price_cents": price})
    return checked


def total_cents(lines: list[Mapping[str, Any]]) -> int:
    return sum(int(line["quantity"]) * int(line["unit_price_cents"]) for line in lines)


def validate_job_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The job payload the API published, checked again by each worker."""
    customer_id, order_id = payload.get("customer_id"), payload.get("order_id")
    if not isinstance(customer_id, str) or not CUSTOMER_ID_RE.match(customer_id):
        raise ValueError("customer_id is missing or invalid")
    if not isinstance(order_id, str) or not ORDER_ID_RE.match(order_id):
        raise ValueError("order_id is missing or invalid")
    lines = validate_lines(payload.get("lines"))
    return {"customer_id": customer_id, "order_id": order_id, "lines": lines, "total_cents": total_cents(lines)}
