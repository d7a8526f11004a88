"""Delivery semantics LocalCloud takes from the template: bisect on error, EventBridge/Scheduler delivery failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs

from cdk_serverless_patterns import FunctionSpec, ServerlessFunction, StreamProcessing
from cdk_serverless_patterns.local import LocalCloud

HANDLERS = Path(__file__).parent.parent / "fixtures" / "local_handlers"


class DeliveryStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.stream = StreamProcessing(
            self,
            "Stream",
            processor=FunctionSpec(code=HANDLERS, handler="poison.handler"),
            batch_size=4,
            max_retry_attempts=1,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        # A function a hand-written rule and schedule target without granting anything.
        self.target = ServerlessFunction(self, "Target", FunctionSpec(code=HANDLERS, handler="poison.handler"))
        self.rule_dlq = sqs.Queue(self, "RuleDlq")
        self.rule = events.CfnRule(
            self,
            "Rule",
            event_pattern={"source": ["test.delivery"]},
            targets=[
                events.CfnRule.TargetProperty(
                    arn=self.target.alias.function_arn,
                    id="Target",
                    dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=self.rule_dlq.queue_arn),
                    retry_policy=events.CfnRule.RetryPolicyProperty(maximum_retry_attempts=2),
                )
            ],
        )
        self.schedule_dlq = sqs.Queue(self, "ScheduleDlq")
        role = iam.Role(self, "SchedulerRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"))
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            schedule_expression="rate(1 hour)",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.target.alias.function_arn,
                role_arn=role.role_arn,
                input=json.dumps({"Records": []}),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=self.schedule_dlq.queue_arn),
            ),
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> DeliveryStack:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("delivery")))
    return DeliveryStack(app, "Delivery")


def test_a_failing_batch_is_bisected_until_only_the_poison_record_fails(stack: DeliveryStack) -> None:
    with LocalCloud(stack) as cloud:
        cloud.put_records(stack.stream, [b"a", b"b", b"poison", b"d"])
        sizes = [len(event["Records"]) for event, _ in cloud.invocations(stack.stream)]
        assert sizes[0] == 4 and 1 in sizes  # the whole batch first, single records in the end
        [failure] = cloud.messages(stack.stream.failure_queue)
        info = failure.json()["KinesisBatchInfo"]
        assert info["batchSize"] == 1  # only the poison record gave up
        succeeded = [
            r["kinesis"]["data"] for event, result in cloud.invocations(stack.stream) if isinstance(result, dict)
            for r in event["Records"]
        ]
        assert sorted(succeeded) == ["YQ==", "Yg==", "ZA=="]  # a, b, d


def test_a_rule_target_without_a_resource_policy_fails_into_the_rule_dlq(stack: DeliveryStack) -> None:
    with LocalCloud(stack) as cloud:
        cloud.client("events").put_events(Entries=[{"Source": "test.delivery", "DetailType": "t", "Detail": "{}"}])
        cloud.drain()
        assert cloud.invocations(stack.target) == []
        [dead] = cloud.messages(stack.rule_dlq)
        assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "NoPermissions"
        assert dead.json()["source"] == "test.delivery"


def test_a_schedule_whose_role_cannot_invoke_its_target_fails_into_its_dlq(stack: DeliveryStack) -> None:
    with LocalCloud(stack) as cloud:
        cloud.run_schedule(stack.schedule)
        assert cloud.invocations(stack.target) == []
        [dead] = cloud.messages(stack.schedule_dlq)
        assert "is not authorized to perform: lambda:InvokeFunction" in dead["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]
