"""EventBridge Scheduler (every 5 minutes) → a custom event bus (source/detail-type set) → rule → a Python function."""

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler

SRC = str(Path(__file__).parent / "src")
PAYLOAD = {"metadata": {"eventId": "MY_SCHEDULED_EVENT"}, "data": {"firstName": "Pubudu", "lastName": "Jayawardana"}}


class ScheduleToEventBridgeStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        bus = events.EventBus(self, "my-event-bus")
        self.function = lambda_.Function(self, "MyLambdaFunction", runtime=lambda_.Runtime.PYTHON_3_14,
                                         code=lambda_.Code.from_asset(SRC), handler="index.handler", retry_attempts=0)
        rule = events.Rule(self, "my-event-rule", event_bus=bus, event_pattern=events.EventPattern(source=["scheduled.events"]))
        rule.add_target(targets.LambdaFunction(self.function))
        role = iam.Role(self, "scheduler-role", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=["events:PutEvents"], resources=[bus.event_bus_arn]))
        group = scheduler.CfnScheduleGroup(self, "my-schedule-group", name="my-schedule-group")
        self.schedule = scheduler.CfnSchedule(
            self, "my-schedule", schedule_expression="rate(5 minute)", group_name=group.name,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=scheduler.CfnSchedule.TargetProperty(
                arn=bus.event_bus_arn, role_arn=role.role_arn, input=json.dumps(PAYLOAD),
                event_bridge_parameters=scheduler.CfnSchedule.EventBridgeParametersProperty(
                    detail_type="ScheduleTriggered", source="scheduled.events")))
        cdk.CfnOutput(self, "SCHEDULE_NAME", value=self.schedule.ref)
        cdk.CfnOutput(self, "EVENT_BUS_NAME", value=bus.event_bus_name)
        cdk.CfnOutput(self, "LAMBDA_FUNCTION_NAME", value=self.function.function_name)
