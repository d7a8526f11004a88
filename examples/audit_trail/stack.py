"""Audit trail: one asynchronously invoked ServerlessFunction writing to a table.

Other services record audit events with ``lambda:InvokeFunction`` and
``InvocationType=Event``; the recorder validates each event and stores it once
(idempotent on the event id). Failed events land in the function's
on-failure queue after two retries.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from cdk_serverless_patterns import FunctionSpec, Invocation, ServerlessFunction, enable_hardening
from cdk_serverless_patterns.building_blocks.table_access import grant_table_actions
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic
from cdk_serverless_patterns.runtime import env

HANDLER_DIR = Path(__file__).parent / "handler"


class AuditTrailStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Audit events name people and what they did: harden (log/bucket CMKs, table backups).
        enable_hardening(self)
        alarms = EncryptedTopic(self, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
        table = create_table(self, "AuditEvents", partition_key="pk", sort_key="sk")
        self.recorder = ServerlessFunction(
            self,
            "Recorder",
            FunctionSpec(
                code=HANDLER_DIR,
                handler="recorder.handler",
                description="Validates audit events and stores each one exactly once",
                # An asynchronous consumer: bound it, throttled events wait in Lambda's queue.
                reserved_concurrency=10,
            ),
            invocation=Invocation.ASYNC,
            environment={env.TABLE_NAME: table.table_name, env.SERVICE_NAME: "audit-trail"},
            alarm_topic=alarms.topic,
        )
        # Least privilege: the recorder only ever adds items.
        grant_table_actions(table, self.recorder.role, ["dynamodb:PutItem"])
        cdk.CfnOutput(self, "RecorderAlias", value=self.recorder.alias.function_arn)


def build(app: cdk.App) -> list[cdk.Stack]:
    return [AuditTrailStack(app, "AuditTrailExample")]
