"""Worker 'credit': charges an order against its customer's credit, in order.

Jobs of one customer arrive in the order they were placed (FIFO message group =
customer id), so earlier orders use the credit first. One conditional update
both checks the limit and records the order id, which makes a redelivery of
the same job harmless: it finds the order already applied and returns the same
decision. An order over the limit is declined (a result, not an error).
"""

from __future__ import annotations

import os
from typing import Any

from botocore.exceptions import ClientError
from ordering import CREDIT_LIMIT_ENV, customer_key, table, validate_job_payload

from cdk_serverless_patterns.runtime.batch import process_batch
from cdk_serverless_patterns.runtime.jobs import JobMessage, run_part
from cdk_serverless_patterns.runtime.log import get_logger

log = get_logger("customer-orders")
CREDIT_SORT_KEY = "CREDIT"


def apply_credit(job: JobMessage, *, orders_table: Any = None, limit_cents: int | None = None) -> dict[str, Any]:
    order = validate_job_payload(job.payload)
    limit = limit_cents if limit_cents is not None else int(os.environ[CREDIT_LIMIT_ENV])
    base = {"customer_id": order["customer_id"], "order_id": order["order_id"], "amount_cents": order["total_cents"]}
    declined = {**base, "approved": False, "reason": "credit_limit"}
    if order["total_cents"] > limit:
        return declined  # larger than the whole limit: nothing to write, same answer on redelivery
    db = table(orders_table)
    key = {"pk": customer_key(order["customer_id"]), "sk": CREDIT_SORT_KEY}
    try:
        db.update_item(
            Key=key,
            UpdateExpression="SET used_cents = if_not_exists(used_cents, :zero) + :amount ADD applied :order",
            ConditionExpression=(
                "(attribute_not_exists(used_cents) OR used_cents <= :headroom) "
                "AND (attribute_not_exists(applied) OR NOT contains(applied, :order_id))"
            ),
            ExpressionAttributeValues={
                ":zero": 0,
                ":amount": order["total_cents"],
                ":headroom": limit - order["total_cents"],
                ":order": {order["order_id"]},
                ":order_id": order["order_id"],
            },
        )
    except ClientError as err:
        if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        current = db.get_item(Key=key, ConsistentRead=True).get("Item", {})
        if order["order_id"] in current.get("applied", set()):
            log.info("order already credited (redelivery)", extra={"order_id": order["order_id"]})
            return {**base, "approved": True}
        log.info("order over the credit limit", extra={"order_id": order["order_id"]})
        return declined
    return {**base, "approved": True}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # FIFO: a failed record stops its customer's group for this batch; later
    # orders of that customer are retried after it, never before.
    return process_batch(event, lambda record: run_part(record, apply_credit))
