"""CSV ingest: order files uploaded under ``uploads/`` are imported into a table.

An ``EventProcessing`` pattern: the bucket sends "Object Created" events to
EventBridge, a rule matching ``uploads/*.csv`` invokes the importer, which
parses and validates the file, writes one item per order (idempotent on the
object version) and publishes one notification per file (imported or
rejected, with the reason) to the pattern's encrypted SNS topic.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from cdk_serverless_patterns import EventProcessing, FunctionSpec, Idempotency
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic

HANDLER_DIR = Path(__file__).parent / "handler"


class CsvIngestStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        alarms = EncryptedTopic(self, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
        self.ingest = EventProcessing(
            self,
            "OrdersImport",
            processor=FunctionSpec(
                code=HANDLER_DIR,
                handler="importer.handler",
                memory_size=512,  # csv parsing of files up to 10 MB
                timeout=cdk.Duration.seconds(60),
                description="Imports order CSVs from uploads/ once per object version",
                idempotency=Idempotency.conditional_write("bucket/key#version-id", how="claim marker keyed by bucket/key#version-id"),
            ),
            prefix="uploads/",
            suffix=".csv",
            result_table=True,
            alarm_topic=alarms.topic,
        )
        cdk.CfnOutput(self, "UploadBucket", value=self.ingest.bucket.bucket_name)
        cdk.CfnOutput(self, "NotificationTopic", value=self.ingest.topic.topic_arn)


def build(app: cdk.App) -> list[cdk.Stack]:
    return [CsvIngestStack(app, "CsvIngestExample")]
