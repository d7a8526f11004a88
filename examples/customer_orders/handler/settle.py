"""Aggregator: settles an order once both workers recorded their parts.

CONFIRMED when the credit was approved, REJECTED otherwise; the decision and
the ledger sequence are stored on the order. The update is conditional on the
order still being PROCESSING, so a redelivered job changes nothing.
"""

from __future__ import annotations

from typing import Any, Mapping

from botocore.exceptions import ClientError
from ordering import customer_key, order_key, table

from cdk_serverless_patterns.runtime import fan_in
from cdk_serverless_patterns.runtime.batch import process_batch
from cdk_serverless_patterns.runtime.log import get_logger

log = get_logger("customer-orders")


def settle(record: Mapping[str, Any], *, orders_table: Any = None, dynamodb: Any = None) -> str | None:
    """Store the outcome of the job in ``record``; the new status, or None if already settled."""
    job = fan_in.load_job(fan_in.aggregator_job_id(record), client=dynamodb)
    missing = {"credit", "ledger"} - set(job.results)
    if not job.complete or missing:
        raise ValueError(f"job {job.job_id} is not complete (missing parts: {sorted(missing)})")
    order_id = job.job_id.removeprefix("order-")
    customer_id = job.results["credit"].get("customer_id")
    credit, ledger = job.results["credit"], job.results["ledger"]
    status = "CONFIRMED" if credit.get("approved") else "REJECTED"
    try:
        table(orders_table).update_item(
            Key={"pk": customer_key(customer_id), "sk": order_key(order_id)},
            UpdateExpression="SET #status = :status, decision = :decision",
            ConditionExpression="#status = :processing",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":status": status,
                ":processing": "PROCESSING",
                ":decision": {"credit": credit, "ledger_sequence": ledger["sequence"]},
            },
        )
    except ClientError as err:
        if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        log.info("order already settled", extra={"order_id": order_id})
        return None
    log.info("order settled", extra={"order_id": order_id, "status": status})
    return status


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_batch(event, settle)
