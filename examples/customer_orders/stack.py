"""Customer orders: per-customer ordered processing behind an HTTP API.

::

    POST /customers/{customerId}/orders ─► submit ─► orders table (PROCESSING)
         (HTTP API, Cognito JWT)             └─► FIFO topic, message group = customer id
                                                  ├─► credit (FIFO queue) ─┐ complete_part
                                                  └─► ledger (FIFO queue) ─┤
    GET /customers/{customerId}/orders/{orderId} ◄── orders table ◄── complete (CONFIRMED / REJECTED)

Orders of one customer are credited and booked in the order they were placed;
different customers are processed in parallel. The HTTP API costs USD 1.00
per million requests against REST's 3.50, and this API needs none of REST's
extras; HTTP APIs cannot take a WAF web ACL, so WAF would sit in CloudFront in front of it
if the shop adds one (the SP-HTTPAPI-WAF finding is acknowledged with that reason).
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Duration
from constructs import Construct

from cdk_serverless_patterns import ApiBackend, ApiType, FanOutFanIn, FunctionSpec, enable_hardening
from cdk_serverless_patterns.building_blocks.table_access import grant_table_actions
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic
from cdk_serverless_patterns.checks import acknowledge
from cdk_serverless_patterns.runtime import env

HANDLER_DIR = Path(__file__).parent / "handler"
#: Credit a customer may have outstanding (handler/ordering.py CREDIT_LIMIT_ENV).
CREDIT_LIMIT_CENTS = 500_000
#: What the workers do on the orders table: credit and ledger items only.
WORKER_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem")


class CustomerOrdersStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Orders, credit and ledger entries are customer and payment data: harden (CMK for logs, table backups).
        enable_hardening(self)
        alarms = EncryptedTopic(self, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
        orders = create_table(self, "Orders", partition_key="pk", sort_key="sk")
        table_env = {"TABLE_NAME": orders.table_name}  # handler/ordering.py TABLE_ENV

        self.processing = FanOutFanIn(
            self,
            "Processing",
            workers={
                "credit": FunctionSpec(
                    code=HANDLER_DIR,
                    handler="credit.handler",
                    environment={**table_env, "CREDIT_LIMIT_CENTS": str(CREDIT_LIMIT_CENTS)},
                    description="Charges orders against the customer's credit, in order",
                ),
                "ledger": FunctionSpec(
                    code=HANDLER_DIR,
                    handler="ledger.handler",
                    environment=table_env,
                    description="Books orders as numbered ledger entries",
                ),
            },
            aggregator=FunctionSpec(
                code=HANDLER_DIR,
                handler="settle.handler",
                timeout=Duration.seconds(20),
                environment=table_env,
                description="Settles an order once credit and ledger are done",
            ),
            fifo=True,
            message_group_key="customer_id",
            alarm_topic=alarms.topic,
        )
        for worker in self.processing.workers.values():
            grant_table_actions(orders, worker.role, WORKER_TABLE_ACTIONS)
        grant_table_actions(orders, self.processing.aggregator.role, ["dynamodb:UpdateItem"])

        self.api = ApiBackend(
            self,
            "Api",
            api_type=ApiType.HTTP,
            routes={
                "POST /customers/{customerId}/orders": FunctionSpec(
                    code=HANDLER_DIR, handler="order_api.submit", description="Validates orders and starts their processing"
                ),
                "GET /customers/{customerId}/orders/{orderId}": FunctionSpec(
                    code=HANDLER_DIR, handler="order_api.status", description="Reads an order and its status"
                ),
            },
            table=orders,
            # table=orders sets TABLE_NAME; the publisher needs the topic and the group key.
            environment={**self.processing.publisher_environment, env.SERVICE_NAME: "customer-orders"},
            cors_allow_origins=["https://shop.example.com"],
            alarm_topic=alarms.topic,
        )
        self.processing.grant_start_jobs(self.api.functions["POST /customers/{customerId}/orders"].role)
        acknowledge(
            self.api.api,
            "ServerlessPatterns::SP-HTTPAPI-WAF",
            "HTTP APIs cannot take a WAF web ACL. Every route requires a token of the API's Cognito user pool "
            "(the JWT authorizer rejects other callers before a function runs) and the stage throttle caps "
            "the API at 1,000 requests/s (burst 2,000); when the shop needs "
            "managed rules or per-IP limits, it fronts the API with CloudFront and a web ACL.",
        )
        cdk.CfnOutput(self, "ApiUrl", value=self.api.url)
        cdk.CfnOutput(self, "UserPoolId", value=self.api.user_pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=self.api.user_pool_client.user_pool_client_id)


def build(app: cdk.App) -> list[cdk.Stack]:
    return [CustomerOrdersStack(app, "CustomerOrdersExample")]
