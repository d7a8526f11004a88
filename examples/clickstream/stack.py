"""Click-stream aggregation: page views per page per minute from Kinesis.

A ``StreamProcessing`` pattern: web front ends put clicks on the on-demand,
encrypted stream (partition key: the session id); the aggregator counts them
exactly once into a table (see ``handler/aggregator.py``) and reports partial
batch failures in order, so one bad write never re-counts or skips the rest.
Records that still fail after bounded retries land, as shard + sequence
ranges, in the alarmed on-failure queue.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from cdk_serverless_patterns import FunctionSpec, StreamProcessing
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic

HANDLER_DIR = Path(__file__).parent / "handler"


class ClickstreamStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        alarms = EncryptedTopic(self, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
        # Our own table (instead of result_table=True) for the TTL that
        # expires the aggregator's per-key checkpoints.
        page_views = create_table(self, "PageViews", partition_key="pk", sort_key="sk", time_to_live_attribute="expires_at")
        self.clicks = StreamProcessing(
            self,
            "Clicks",
            processor=FunctionSpec(
                code=HANDLER_DIR,
                handler="aggregator.handler",
                timeout=cdk.Duration.seconds(30),
                description="Counts page views per page per minute, exactly once",
            ),
            batch_size=500,
            max_batching_window=cdk.Duration.seconds(5),  # fewer, fuller invocations; 5 s is fine for a dashboard
            result_table=page_views,
            alarm_topic=alarms.topic,
        )
        cdk.CfnOutput(self, "ClickStreamName", value=self.clicks.stream.stream_name)
        cdk.CfnOutput(self, "PageViewsTable", value=page_views.table_name)


def build(app: cdk.App) -> list[cdk.Stack]:
    return [ClickstreamStack(app, "ClickstreamExample")]
