"""Order saga on a Lambda durable function: the order_saga example's steps and
handlers, orchestrated by :class:`DurableSaga` instead of a Step Functions state machine::

    reserve_inventory ─▶ charge_payment ─▶ ship_order ─▶ succeeded
      │ fails              │ fails            │ fails
      ▼                    ▼                  ▼
    release_inventory ◀─ refund_payment ◀── cancel_shipment
      ▼
    failed   (error SagaStepFailed; SagaCompensationIncomplete when an undo failed)

The failing step's own compensation always runs (its action may have
committed before it failed), then the completed steps' in reverse. Transient
errors (timeouts and crashes included) retry the action, whose conditional
writes make the retry return what the first attempt committed.

Start one execution per order, named after the order id (Lambda runs one
execution per name): a SigV4-signed ``POST <StartOrderUrl>`` of the order JSON
(callers need ``execute-api:Invoke``, see ``saga.start_api.grant_start``), an
``OrderPlaced`` event on the default bus (source ``shop.orders``, the order in
``detail``), or directly::

    aws lambda invoke --function-name <OrderSagaStartTarget> --invocation-type Event \
      --durable-execution-name o-1 --cli-binary-format raw-in-base64-out \
      --payload '{"order_id": "o-1", "customer_id": "c-7",
        "items": [{"sku": "book-1", "quantity": 2, "unit_price_cents": 1250}],
        "address": {"name": "Ada", "line1": "1 Rue X", "city": "Paris", "postcode": "75001", "country": "FR"}}' out.json
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_events as events
from constructs import Construct

from cdk_serverless_patterns import DurableSaga, FunctionSpec, Idempotency, SagaStartApi, SagaStep, enable_hardening
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic
from cdk_serverless_patterns.runtime import env
from examples.order_saga.stack import ORDER_SCHEMA, grant_order_steps, order_steps

#: POST /executions takes order_saga's orders; the id names the durable execution (1-64 characters).
DURABLE_ORDER_SCHEMA = {
    **ORDER_SCHEMA,
    "properties": {**ORDER_SCHEMA["properties"], "order_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}},
}

#: The step handlers are order_saga's: one set of handlers, two engines.
HANDLER_DIR = Path(__file__).parent.parent / "order_saga" / "handler"


class OrderSagaDurableStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Orders carry customer and payment data: harden (CMK for logs, execution
        # payloads and table backups).
        enable_hardening(self)
        alarms = EncryptedTopic(self, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
        self.table = create_table(
            self, "Orders", partition_key="pk", sort_key="sk", time_to_live_attribute="expires_at"
        )

        self.saga = DurableSaga(
            self,
            "OrderSaga",
            steps=order_steps(self.table, service="order-saga-durable"),
            execution_timeout=cdk.Duration.hours(6),
            # POST /executions (SigV4) starts one durable execution per order id.
            start_api=SagaStartApi(input_schema=DURABLE_ORDER_SCHEMA, execution_name_field="order_id"),
            alarm_topic=alarms.topic,
        )
        grant_order_steps(self.table, self.saga.functions)
        # Orders placed by the shop front (EventBridge, default bus) start sagas too, through the
        # orchestrator's alias: a durable function cannot be invoked by its unqualified ARN.
        self.order_placed = events.Rule(
            self,
            "OrderPlaced",
            event_pattern=events.EventPattern(source=["shop.orders"], detail_type=["OrderPlaced"]),
        )
        self.saga.start_on(
            self.order_placed,
            event=events.RuleTargetInput.from_event_path("$.detail"),
            # EventBridge names no execution: a redelivered OrderPlaced starts a second one.
            idempotency=Idempotency.conditional_write(
                "order id",
                how="every step writes its record (RESERVATION, PAYMENT, SHIPMENT) conditionally per order id: a "
                "second execution for the same order finds them and changes nothing",
            ),
        )
        cdk.CfnOutput(self, "OrderSagaStartTarget", value=self.saga.start_target.function_arn)
        cdk.CfnOutput(self, "StartOrderUrl", value=self.saga.start_api.url + "executions")


def build(app: cdk.App) -> list[cdk.Stack]:
    return [OrderSagaDurableStack(app, "OrderSagaDurableExample")]
