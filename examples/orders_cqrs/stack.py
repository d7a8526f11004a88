"""Orders with CQRS and event sourcing.

Commands ``POST /orders`` and ``POST /orders/{id}/cancel`` append events to the
event store; the ``order-summary`` projection folds them into the read model;
the query ``GET /orders/{id}`` reads it. All behind one Cognito-protected API.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from cdk_serverless_patterns import Cqrs, FunctionSpec, Idempotency, enable_hardening
from cdk_serverless_patterns.building_blocks.stream_pipe import PIPES_REGION_WARNING
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic

HANDLER_DIR = Path(__file__).parent / "handler"


class OrdersCqrsStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Order events carry customer data: harden (CMK for logs, table backups).
        enable_hardening(self)
        # The event store publishes through an EventBridge Pipe, which some Regions lack; this
        # stack is Region-agnostic, so the library warns with their list.
        cdk.Annotations.of(self).acknowledge_warning(
            PIPES_REGION_WARNING,
            "A Region-agnostic example to copy into any account: deploy it in a Region with EventBridge "
            "Pipes (building_blocks/service_regions.py lists those without).",
        )
        alarms = EncryptedTopic(self, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
        self.orders = Cqrs(
            self,
            "Orders",
            commands={
                "POST /orders": FunctionSpec(HANDLER_DIR, "place_order.handler", description="Places an order"),
                "POST /orders/{id}/cancel": FunctionSpec(
                    HANDLER_DIR, "cancel_order.handler", description="Cancels a placed order"
                ),
            },
            projections={
                "order-summary": FunctionSpec(
                    HANDLER_DIR,
                    "order_summary.handler",
                    description="Projects orders into their summary view",
                    idempotency=Idempotency.natural("runtime.projection applies each aggregate version once"),
                ),
            },
            queries={
                "GET /orders/{id}": FunctionSpec(HANDLER_DIR, "get_order.handler", description="Reads an order summary"),
            },
            event_source="com.example.orders",
            archive_retention_days=365,
            alarm_topic=alarms.topic,
        )
        cdk.CfnOutput(self, "ApiUrl", value=self.orders.url)


def build(app: cdk.App) -> list[cdk.Stack]:
    return [OrdersCqrsStack(app, "OrdersCqrsExample")]
