"""Image jobs: one uploaded image fans out to two workers; an aggregator combines them once.

``Submit`` (invoked by the upload service) validates an image description and
starts a job; the ``thumbnail`` worker plans the thumbnails, the ``metadata``
worker derives catalogue metadata; when the second of them records its part,
the aggregator writes one catalogue record per image, idempotently.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_serverless_patterns import FanOutFanIn, FunctionSpec, ServerlessFunction, set_default_alarm_topic
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic

HANDLER_DIR = Path(__file__).parent / "handler"
#: Must match handler/imaging.py FORMATS: other content types never reach the workers.
IMAGE_TYPES = ["image/avif", "image/gif", "image/jpeg", "image/png", "image/webp"]


class ImageJobsStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        alarms = EncryptedTopic(self, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
        # Every alarm in this stack goes to the topic, without passing alarm_topic= to each pattern.
        set_default_alarm_topic(self, alarms.topic)
        results = create_table(self, "ImageRecords", partition_key="pk")
        images_only = {"content_type": sns.SubscriptionFilter.string_filter(allowlist=IMAGE_TYPES)}

        self.jobs = FanOutFanIn(
            self,
            "ImageJobs",
            workers={
                "thumbnail": FunctionSpec(
                    code=HANDLER_DIR, handler="thumbnail.handler", description="Plans the thumbnails of an image"
                ),
                "metadata": FunctionSpec(
                    code=HANDLER_DIR, handler="metadata.handler", description="Derives catalogue metadata of an image"
                ),
            },
            aggregator=FunctionSpec(
                code=HANDLER_DIR,
                handler="aggregate.handler",
                timeout=Duration.seconds(30),
                environment={"IMAGE_RESULTS_TABLE_NAME": results.table_name},
                description="Writes one catalogue record per completed image job",
            ),
            filter_policies={"thumbnail": images_only, "metadata": images_only},
            max_concurrency=20,
        )
        # The aggregator only ever adds records (conditionally, for idempotency).
        results.grant(self.jobs.aggregator.role, "dynamodb:PutItem")

        self.submit = ServerlessFunction(
            self,
            "Submit",
            FunctionSpec(
                code=HANDLER_DIR,
                handler="submit.handler",
                description="Validates an image description and starts its image job",
                # Callers beyond 5 at once are throttled instead of flooding the job topic.
                reserved_concurrency=5,
            ),
            environment={**self.jobs.publisher_environment, "IMAGE_JOB_PARTS": ",".join(self.jobs.worker_names)},
        )
        self.jobs.grant_start_jobs(self.submit.role)
        cdk.CfnOutput(self, "SubmitFunction", value=self.submit.alias.function_arn)
        cdk.CfnOutput(self, "StateTable", value=self.jobs.state_table.table_name)


def build(app: cdk.App) -> list[cdk.Stack]:
    return [ImageJobsStack(app, "ImageJobsExample")]
