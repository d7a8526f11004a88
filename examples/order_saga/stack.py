"""Order saga: reserve inventory, charge payment, ship — or undo what was done.

A Step Functions Standard workflow built by :class:`Saga`::

    reserve_inventory ─▶ charge_payment ─▶ ship_order ─▶ Saga-Succeeded
      │ fails              │ fails            │ fails
      │                    │                  ▼
      │                    │                Compensate-ship_order        (cancel_shipment)
      │                    ▼                  ▼
      │                  Compensate-charge_payment                       (refund_payment)
      ▼                    ▼
    Compensate-reserve_inventory                                         (release_inventory)
      ▼
    Check-Compensations ─▶ Saga-Failed                  (error "Saga.<step>.Failed", cause names the step)
                       └─▶ Saga-CompensationIncomplete  (a compensation failed past its retries; the others
                                                         ran; cause.incomplete lists what is left; alarms)

The failing step is compensated too: an action may commit and then fail (a
timeout after the write), so every compensation looks up what happened and
treats "nothing to undo" as success. Every handler runs once per execution and
step (:func:`~cdk_serverless_patterns.runtime.saga_steps.idempotent_step`, markers
in the orders table), so a retry after a crash returns what the first run did.

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
from typing import Any, Mapping

import aws_cdk as cdk
from constructs import Construct

from cdk_serverless_patterns import FunctionSpec, Saga, SagaStartApi, SagaStep, enable_hardening
from cdk_serverless_patterns.building_blocks.table_access import grant_table_actions
from cdk_serverless_patterns.patterns.saga.workflow import SagaStepFunctions
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
        # Orders, stock and the saga steps' idempotency markers (which expire: TTL).
        self.table = create_table(
            self, "Orders", partition_key="pk", sort_key="sk", time_to_live_attribute="expires_at"
        )

        self.saga = Saga(
            self,
            "OrderSaga",
            steps=order_steps(self.table, service="order-saga"),
            # POST /executions (SigV4) starts one execution per order id.
            start_api=SagaStartApi(input_schema=ORDER_SCHEMA, execution_name_field="order_id"),
            alarm_topic=alarms.topic,
        )
        grant_order_steps(self.table, self.saga.functions)
        cdk.CfnOutput(self, "OrderSagaStateMachine", value=self.saga.state_machine.state_machine_arn)
        cdk.CfnOutput(self, "StartOrderUrl", value=self.saga.start_api.url + "executions")


#: The step markers (runtime.saga_steps): claim, record the result, drop a failed claim.
STEP_MARKER_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


def order_steps(table: Any, *, service: str) -> list[SagaStep]:
    """Reserve, charge, ship and their compensations, on ``table``; shared with order_saga_durable,
    which runs the same handlers on the other engine."""

    def spec(handler: str, description: str) -> FunctionSpec:
        return FunctionSpec(
            code=HANDLER_DIR,
            handler=f"orders.{handler}",
            description=description,
            environment={env.TABLE_NAME: table.table_name, env.SAGA_STEPS_TABLE: table.table_name, env.SERVICE_NAME: service},
        )

    return [
        SagaStep(
            "reserve_inventory",
            action=spec("reserve_inventory", "Reserves stock for an order"),
            compensation=spec("release_inventory", "Returns an order's reserved stock"),
        ),
        SagaStep(
            "charge_payment",
            action=spec("charge_payment", "Charges an order's total"),
            compensation=spec("refund_payment", "Refunds an order's payment"),
        ),
        SagaStep(
            "ship_order",
            action=spec("ship_order", "Hands an order to the carrier"),
            compensation=spec("cancel_shipment", "Cancels an order's shipment before pickup"),
        ),
    ]


def grant_order_steps(table: Any, functions: Mapping[str, SagaStepFunctions]) -> None:
    """Least privilege, from what each handler does (transactions need the item-level
    actions they contain; there is no TransactWriteItems action), plus the step markers.
    Shared with the order_saga_durable example, which runs the same handlers."""
    writes = {
        "reserve_inventory": (("dynamodb:PutItem", "dynamodb:UpdateItem"), ("dynamodb:UpdateItem",)),
        "charge_payment": (("dynamodb:PutItem",), ("dynamodb:UpdateItem",)),
        "ship_order": (("dynamodb:PutItem",), ("dynamodb:UpdateItem",)),
    }
    for step, (action_writes, compensation_writes) in writes.items():
        for function, actions in ((functions[step].action, action_writes), (functions[step].compensation, compensation_writes)):
            if function is not None:
                # through the library's grant: the table is on the stack's key, which the role needs too
                grant_table_actions(table, function.role, sorted({*STEP_MARKER_ACTIONS, *actions}))


def build(app: cdk.App) -> list[cdk.Stack]:
    return [OrderSagaStack(app, "OrderSagaExample")]
