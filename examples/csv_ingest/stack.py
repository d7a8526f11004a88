"""CSV ingest: order files uploaded under ``uploads/`` are imported into a table.

An ``EventProcessing`` pattern: the bucket sends "Object Created" events to
EventBridge, a rule matching ``uploads/*.csv`` invokes the importer, which
parses and validates the file, writes one item per order and publishes one
notification per file (imported or rejected, with the reason) to the
pattern's encrypted SNS topic.

Each object version is imported once by Powertools' ``@idempotent``
(``FunctionSpec(powertools=True)`` attaches AWS's layer): the stack creates its
persistence table (key ``id``, TTL on ``expiration``) and grants the importer
exactly the four item actions Powertools uses. The spec declares how the
importer is idempotent (``Idempotency.conditional_write``, read by
SP-IDEMPOTENCY); the declaration creates no Powertools persistence table, so
the table, its grant and ``IDEMPOTENCY_TABLE_NAME`` are wired here.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from cdk_serverless_patterns import EventProcessing, FunctionSpec, Idempotency, enable_hardening
from cdk_serverless_patterns.building_blocks.table_access import grant_table_actions
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic

HANDLER_DIR = Path(__file__).parent / "handler"
#: Powertools' DynamoDBPersistenceLayer defaults, and the variable the importer reads.
IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE_NAME"
#: What Powertools' idempotency does with its records: read, claim, save, release.
IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


class CsvIngestStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Imported order files hold customer names and addresses: harden (CMK for logs and the upload bucket, table backups).
        enable_hardening(self)
        alarms = EncryptedTopic(self, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
        # Records expire a day after the import (TTL); results are replayed until then.
        self.idempotency_table = create_table(
            self, "Idempotency", partition_key="id", time_to_live_attribute="expiration"
        )
        self.ingest = EventProcessing(
            self,
            "OrdersImport",
            processor=FunctionSpec(
                code=HANDLER_DIR,
                handler="importer.handler",
                memory_size=512,  # csv parsing of files up to 10 MB
                timeout=cdk.Duration.seconds(60),
                description="Imports order CSVs from uploads/ once per object version",
                idempotency=Idempotency.conditional_write(
                    "bucket/key/version-id",
                    how="Powertools @idempotent: a conditional put of the idempotency record keyed by the "
                    "object's bucket/key/version-id; a repeat replays the stored result",
                ),
                environment={IDEMPOTENCY_TABLE: self.idempotency_table.table_name},
                powertools=True,
            ),
            prefix="uploads/",
            suffix=".csv",
            result_table=True,
            alarm_topic=alarms.topic,
        )
        # ServerlessFunction is IGrantable: the grant lands on the importer's own role.
        grant_table_actions(self.idempotency_table, self.ingest.processor, IDEMPOTENCY_ACTIONS)
        cdk.CfnOutput(self, "UploadBucket", value=self.ingest.bucket.bucket_name)
        cdk.CfnOutput(self, "NotificationTopic", value=self.ingest.topic.topic_arn)


def build(app: cdk.App) -> list[cdk.Stack]:
    return [CsvIngestStack(app, "CsvIngestExample")]
