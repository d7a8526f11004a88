"""Order saga: reserve inventory, charge payment, ship — or undo what was done.

A Step Functions Standard workflow built by :class:`Saga`::

    reserve_inventory ─▶ charge_payment ─▶ ship_order ─▶ Saga-Succeeded
      │ fails              │ fails            │ fails
      ▼                    ▼                  │
    Saga-Failed          Compensate-charge_payment ◀─┘   (charge_payment is compensate_on_own_failure:
                           ▼                              a provider timeout may have captured money)
                         Compensate-reserve_inventory
                           ▼
                         Saga-Failed   (error "Saga.<step>.Failed", cause names the step)

Start one execution per order, named after the order id, with a SigV4-signed
``POST <StartOrderUrl>`` of the order JSON (callers need ``execute-api:Invoke``,
see ``saga.start_api.grant_start``), or directly::

    aws stepfunctions start-execution --state-machine-arn <OrderSagaStateMachine> \
      --name o-1 --input '{"order_id": "o-1", "customer_id": "c-7",
        "items": [{"sku": "book-1", "quantity": 2, "unit_price_cents": 1250}],
        "address": {"name": "Ada", "line1": "1 Rue X", "city": "Paris", "postcode": "75001", "country": "FR"},
        "simulate_failure": "ship"}'
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from cdk_serverless_patterns import FunctionSpec, Saga, SagaStartApi, SagaStep, enable_hardening
from cdk_serverless_patterns.building_blocks.table_access import grant_table_actions
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic
from cdk_serverless_patterns.runtime import env

HANDLER_DIR = Path(__file__).parent / "handler"

#: What POST /executions accepts; the handlers validate the details again.
ORDER_SCHEMA = {
    "type": "object",
    "required": ["order_id", "customer_id", "items", "address"],
    "properties": {
        "order_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,80}$"},
        "customer_id": {"type": "string", "minLength": 1},
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 25,
            "items": {
                "type": "object",
                "required": ["sku", "quantity", "unit_price_cents"],
                "properties": {
                    "sku": {"type": "string", "minLength": 1},
                    "quantity": {"type": "integer", "minimum": 1},
                    "unit_price_cents": {"type": "integer", "minimum": 1},
                },
            },
        },
        "address": {"type": "object", "required": ["name", "line1", "city", "postcode", "country"]},
        "simulate_failure": {"enum": ["reserve", "charge", "charge_after_capture", "ship"]},
    },
}


class OrderSagaStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Orders carry customer and payment data: harden (CMK for logs, table backups).
        enable_hardening(self)
        alarms = EncryptedTopic(self, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
        self.table = create_table(self, "Orders", partition_key="pk", sort_key="sk")

        def spec(handler: str, description: str) -> FunctionSpec:
            return FunctionSpec(
                code=HANDLER_DIR,
                handler=f"orders.{handler}",
                description=description,
                environment={env.TABLE_NAME: self.table.table_name, env.SERVICE_NAME: "order-saga"},
            )

        self.saga = Saga(
            self,
            "OrderSaga",
            steps=[
                SagaStep(
                    "reserve_inventory",
                    action=spec("reserve_inventory", "Reserves stock for an order"),
                    compensation=spec("release_inventory", "Returns an order's reserved stock"),
                ),
                SagaStep(
                    "charge_payment",
                    action=spec("charge_payment", "Charges an order's total"),
                    compensation=spec("refund_payment", "Refunds an order's payment"),
                    # A provider timeout can leave a captured payment behind.
                    compensate_on_own_failure=True,
                ),
                SagaStep("ship_order", action=spec("ship_order", "Hands an order to the carrier")),
            ],
            # POST /executions (SigV4) starts one execution per order id.
            start_api=SagaStartApi(input_schema=ORDER_SCHEMA, execution_name_field="order_id"),
            alarm_topic=alarms.topic,
        )
        # Least privilege, from what each handler does (transactions need the
        # item-level actions they contain; there is no TransactWriteItems action).
        functions = self.saga.functions
        grants = [
            (functions["reserve_inventory"].action, ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")),
            (functions["reserve_inventory"].compensation, ("dynamodb:GetItem", "dynamodb:UpdateItem")),
            (functions["charge_payment"].action, ("dynamodb:GetItem", "dynamodb:PutItem")),
            (functions["charge_payment"].compensation, ("dynamodb:GetItem", "dynamodb:UpdateItem")),
            (functions["ship_order"].action, ("dynamodb:GetItem", "dynamodb:PutItem")),
        ]
        for function, actions in grants:
            grant_table_actions(self.table, function.role, actions)
        cdk.CfnOutput(self, "OrderSagaStateMachine", value=self.saga.state_machine.state_machine_arn)
        cdk.CfnOutput(self, "StartOrderUrl", value=self.saga.start_api.url + "executions")


def build(app: cdk.App) -> list[cdk.Stack]:
    return [OrderSagaStack(app, "OrderSagaExample")]
