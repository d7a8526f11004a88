"""Worker 'ledger': books each order as the customer's next ledger entry.

Entries are numbered per customer (1, 2, 3...) in the order the orders were
placed, which FIFO delivery per customer guarantees. Reading the counter and
writing counter + entry in one transaction (condition: the counter is still
what was read and the order is not booked yet) keeps the numbering gap-free
and makes a redelivered job a no-op that returns the existing entry.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from ordering import customer_key, table, validate_job_payload

from cdk_serverless_patterns.runtime.batch import process_batch
from cdk_serverless_patterns.runtime.jobs import JobMessage, run_part
from cdk_serverless_patterns.runtime.log import get_logger

log = get_logger("customer-orders")
COUNTER_SORT_KEY = "LEDGER"
MAX_ATTEMPTS = 5


def booked_attribute(order_id: str) -> str:
    """Counter attribute that records an order's sequence (one per order: a few
    thousand orders per customer fit DynamoDB's 400 KB item)."""
    return f"booked_{order_id}"


def entry_key(sequence: int) -> str:
    return f"LEDGER#{sequence:08d}"


def book(job: JobMessage, *, orders_table: Any = None) -> dict[str, Any]:
    order = validate_job_payload(job.payload)
    db = table(orders_table)
    pk = customer_key(order["customer_id"])
    client = db.meta.client
    for _ in range(MAX_ATTEMPTS):
        counter = db.get_item(Key={"pk": pk, "sk": COUNTER_SORT_KEY}, ConsistentRead=True).get("Item", {})
        marker = booked_attribute(order["order_id"])
        if marker in counter:
            log.info("order already booked (redelivery)", extra={"order_id": order["order_id"]})
            return {"sequence": int(counter[marker])}
        current = int(counter.get("sequence", 0))
        sequence = current + 1
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": db.name,
                            "Key": {"pk": pk, "sk": COUNTER_SORT_KEY},
                            # The counter also remembers which sequence each order got,
                            # in the same write, so a redelivery finds it.
                            "UpdateExpression": "SET #seq = :next, #booked = :next",
                            "ConditionExpression": "(attribute_not_exists(#seq) OR #seq = :current) "
                            "AND attribute_not_exists(#booked)",
                            "ExpressionAttributeNames": {"#seq": "sequence", "#booked": marker},
                            "ExpressionAttributeValues": {":next": sequence, ":current": current},
                        }
                    },
                    {
                        "Put": {
                            "TableName": db.name,
                            "Item": {
                                "pk": pk,
                                "sk": entry_key(sequence),
                                "order_id": order["order_id"],
                                "amount_cents": order["total_cents"],
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            continue  # another writer moved the counter, or booked this order: read again
        return {"sequence": sequence}
    raise RuntimeError(f"could not book order {order['order_id']} after {MAX_ATTEMPTS} attempts")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_batch(event, lambda record: run_part(record, book))
