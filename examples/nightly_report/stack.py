"""Nightly report: a ScheduledJob that cleans up expired sessions and reports on it.

Every night at 02:30 Berlin time (DST-aware), EventBridge Scheduler starts the
clean-up job: it deletes sessions whose ``expires_at`` has passed, writes one
report item per run and emits CloudWatch metrics. Runs never overlap (reserved
concurrency 1); the schedule may start a run up to 15 minutes late to spread
load; every failure path ends in an alarmed queue.

It also shows a function with a secret, a parameter and a VPC (why this
example: a nightly job is the typical VPC function — it would reach a
reporting database — and the one whose tuning an operator changes between
runs): the job signs each report with a key from Secrets Manager (named, owned
by the security team, not created here), reads its per-run delete limit from
Parameter Store (created here), and runs in private isolated subnets with no
NAT gateway: a gateway endpoint for DynamoDB and interface endpoints for
Secrets Manager and SSM (``ServiceEndpoints``, from the job's grants).
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cdk_serverless_patterns import FunctionSpec, Idempotency, ScheduledJob
from cdk_serverless_patterns.building_blocks.endpoints import ServiceEndpoints
from cdk_serverless_patterns.building_blocks.logs import create_log_group
from cdk_serverless_patterns.checks.acknowledge import COMPLIANCE, acknowledge, acknowledge_inline_policies
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
        # Private isolated subnets only: no NAT gateway, no internet; AWS APIs through endpoints.
        self.vpc = ec2.Vpc(
            self,
            "Network",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="jobs", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
            ],
            restrict_default_security_group=False,
        )
        flow_log = self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(create_log_group(self, "FlowLogs")),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        if flow_log.iam_role is not None:
            acknowledge_inline_policies(flow_log.iam_role)
        acknowledge(
            self.vpc,
            COMPLIANCE + "VPCDefaultSecurityGroupClosed",
            "Nothing in this VPC uses its default security group: the job and the endpoints each have their own. "
            "Closing it takes CDK's custom resource (a Lambda function of its own, with a managed-policy role).",
        )
        max_deletes = ssm.StringParameter(
            self,
            "MaxDeletes",
            parameter_name=settings.MAX_DELETES_PARAMETER_NAME,
            string_value=str(settings.DEFAULT_MAX_DELETES),
            description="Most expired sessions the nightly clean-up deletes per run (lower it to throttle the job)",
        )
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
                secrets={settings.SIGNING_KEY_SECRET: settings.SIGNING_KEY_SECRET_NAME},
                parameters={settings.MAX_DELETES_PARAMETER: max_deletes},
                vpc=self.vpc,
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
        # After the grants: one endpoint per service they name (DynamoDB, Secrets Manager, SSM).
        self.endpoints = ServiceEndpoints(self, "Endpoints", vpc=self.vpc, functions=[self.cleanup.job])
        cdk.CfnOutput(self, "ScheduleName", value=self.cleanup.schedule.schedule_name)


def build(app: cdk.App) -> list[cdk.Stack]:
    return [NightlyReportStack(app, "NightlyReportExample")]
