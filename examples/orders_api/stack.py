"""Orders API: an ApiBackend with Cognito auth, a table, and three functions.

* POST /orders          → ``orders.create`` (PutItem, GetItem)
* GET /orders, GET /orders/{id} → ``orders.read`` (one shared, read-only function)
* DELETE /orders/{id}   → ``orders.cancel`` (UpdateItem)

API Gateway rejects malformed order bodies (JSON schema) before any Lambda
runs; the handlers validate again and answer with JSON errors.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from cdk_serverless_patterns import ApiBackend, FunctionSpec, TableAccess, enable_hardening
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic
from cdk_serverless_patterns.runtime import env

HANDLER_DIR = Path(__file__).parent / "handler"

#: What API Gateway checks before invoking ``orders.create`` (JSON schema draft 4).
ORDER_SCHEMA = {
    "type": "object",
    "required": ["items"],
    "additionalProperties": False,
    "properties": {
        "currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]},
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {
                "type": "object",
                "required": ["sku", "quantity", "unit_price_cents"],
                "additionalProperties": False,
                "properties": {
                    "sku": {"type": "string", "pattern": "^[A-Z0-9][A-Z0-9\\-]{0,31}$"},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "unit_price_cents": {"type": "integer", "minimum": 0},
                },
            },
        },
    },
}


class OrdersApiStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Orders carry customer data: harden (CMK for logs, table backups).
        enable_hardening(self)
        alarms = EncryptedTopic(self, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
        # Powertools' REST resolver routes the read lambdalith; AWS's layer brings it.
        read = FunctionSpec(
            code=HANDLER_DIR, handler="orders.read", description="Lists and reads orders", powertools=True
        )
        # POST /orders and PUT /orders/{id} (create with the client's own order id: retry-safe
        # without an Idempotency-Key) share one function.
        create = FunctionSpec(code=HANDLER_DIR, handler="orders.create", description="Validates and stores new orders")
        self.backend = ApiBackend(
            self,
            "Orders",
            routes={
                "POST /orders": create,
                "PUT /orders/{id}": create,
                "GET /orders": read,
                "GET /orders/{id}": read,
                "DELETE /orders/{id}": FunctionSpec(
                    code=HANDLER_DIR, handler="orders.cancel", description="Cancels pending orders"
                ),
            },
            table=True,
            # What each handler calls: create puts (conditionally) and reads back a duplicate,
            # cancel updates the status conditionally (the failed condition returns the item);
            # the GET routes keep the read-only default.
            table_access={
                "POST /orders": TableAccess.of("PutItem", "GetItem"),
                "DELETE /orders/{id}": TableAccess.of("UpdateItem"),
            },
            environment={env.SERVICE_NAME: "orders-api"},
            request_schemas={"POST /orders": ORDER_SCHEMA, "PUT /orders/{id}": ORDER_SCHEMA},
            cors_allow_origins=["https://shop.example.com"],
            alarm_topic=alarms.topic,
        )
        cdk.CfnOutput(self, "ApiUrl", value=self.backend.url)
        cdk.CfnOutput(self, "UserPoolId", value=self.backend.user_pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=self.backend.user_pool_client.user_pool_client_id)


def build(app: cdk.App) -> list[cdk.Stack]:
    return [OrdersApiStack(app, "OrdersApiExample")]
