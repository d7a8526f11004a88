"""Nightly report: a ScheduledJob that cleans up expired sessions and reports on it.

Every night at 02:30 Berlin time (DST-aware), EventBridge Scheduler starts the
clean-up job: it deletes sessions whose ``expires_at`` has passed, writes one
report item per run and emits CloudWatch metrics. Runs never overlap (reserved
concurrency 1); the schedule may start a run up to 15 minutes late to spread
load; every failure path ends in an alarmed queue.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Duration
from constructs import Construct

from cdk_serverless_patterns import FunctionSpec, Idempotency, ScheduledJob
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic

from .handler import settings

HANDLER_DIR = Path(__file__).parent / "handler"


class NightlyReportStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        alarms = EncryptedTopic(self, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
        sessions = create_table(self, "Sessions", partition_key="session_id")
        reports = create_table(self, "CleanupReports", partition_key="job", sort_key="scheduled_time")
        self.cleanup = ScheduledJob(
            self,
            "SessionCleanup",
            schedule="cron(30 2 * * ? *)",
            timezone="Europe/Berlin",
            flexible_window=Duration.minutes(15),
            job=FunctionSpec(
                code=HANDLER_DIR,
                handler="cleanup.handler",
                timeout=Duration.minutes(5),
                memory_size=512,
                description="Deletes expired sessions and writes a clean-up report",
                idempotency=Idempotency.conditional_write(
                    "scheduled_time", how="each conditional delete and its count in the report (keyed by scheduled_time) in one transaction"
                ),
            ),
            payload={"job": "session-cleanup", "page_size": 200},
            environment={
                settings.SESSIONS_TABLE: sessions.table_name,
                settings.REPORTS_TABLE: reports.table_name,
            },
            alarm_topic=alarms.topic,
        )
        # Least privilege: find and delete sessions; only add reports.
        sessions.grant(self.cleanup.job.role, "dynamodb:Scan", "dynamodb:DeleteItem")
        reports.grant(self.cleanup.job.role, "dynamodb:UpdateItem")
        cdk.CfnOutput(self, "ScheduleName", value=self.cleanup.schedule.schedule_name)


def build(app: cdk.App) -> list[cdk.Stack]:
    return [NightlyReportStack(app, "NightlyReportExample")]
