"""Shared building blocks: WorkQueue/FailureQueue, EncryptedTopic, create_table, alarms."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, RemovalPolicy
from aws_cdk.assertions import Match, Template

from cdk_serverless_patterns import PatternConfigError
from cdk_serverless_patterns.building_blocks.alarms import dashboard
from cdk_serverless_patterns.building_blocks.queues import (
    WorkQueue,
    visibility_timeout_for,
)
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic


@pytest.fixture(scope="module")
def built():
    stack = cdk.Stack(cdk.App(), "Blocks")
    topic = EncryptedTopic(stack, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
    work = WorkQueue(
        stack, "Jobs", consumer_timeout=Duration.seconds(30), purpose="job processing", alarm_topic=topic.topic
    )
    table = create_table(stack, "Table", sort_key="sk")
    sandbox = create_table(stack, "Sandbox", removal_policy=RemovalPolicy.DESTROY)
    dashboard(stack, "Board", work.alarms)
    return {"stack": stack, "template": Template.from_stack(stack), "work": work, "table": table, "sandbox": sandbox}


def _props(built, construct):
    return built["template"].to_json()["Resources"][built["stack"].get_logical_id(construct.node.default_child)]


def test_visibility_is_six_times_the_consumer_timeout(built):
    assert visibility_timeout_for(Duration.seconds(30)).to_seconds() == 180
    assert _props(built, built["work"].queue)["Properties"]["VisibilityTimeout"] == 180


def test_work_queue_redrives_to_its_dead_letter_queue(built):
    queue = _props(built, built["work"].queue)["Properties"]
    dlq_id = built["stack"].get_logical_id(built["work"].dead_letter_queue.node.default_child)
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}, "maxReceiveCount": 5}
    assert queue["SqsManagedSseEnabled"] is True


def test_both_queues_are_ssl_only(built):
    policies = built["template"].find_resources("AWS::SQS::QueuePolicy")
    assert len(policies) == 2
    for policy in policies.values():
        statement = policy["Properties"]["PolicyDocument"]["Statement"][0]
        assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_work_queue_alarms_depth_and_age(built):
    names = sorted(a.metric.metric_name for a in built["work"].alarms)
    assert names == ["ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesVisible"]
    built["template"].has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "ApproximateAgeOfOldestMessage", "Threshold": 900, "AlarmActions": [Match.any_value()]},
    )


def test_topic_has_rotating_key_and_lets_cloudwatch_use_it(built):
    built["template"].has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    key = next(iter(built["template"].find_resources("AWS::KMS::Key").values()))
    principals = [s["Principal"] for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert {"Service": "cloudwatch.amazonaws.com"} in principals
    built["template"].has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})


def test_table_defaults_are_the_stateful_checklist(built):
    table = _props(built, built["table"])
    props = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is True


def test_destroy_policy_lifts_deletion_protection(built):
    sandbox = _props(built, built["sandbox"])
    assert sandbox["DeletionPolicy"] == "Delete"
    assert sandbox["Properties"]["DeletionProtectionEnabled"] is False


def test_dashboard_shows_every_alarm(built):
    board = next(iter(built["template"].find_resources("AWS::CloudWatch::Dashboard").values()))
    parts = board["Properties"]["DashboardBody"]["Fn::Join"][1]
    alarm_refs = [p for p in parts if isinstance(p, dict) and "Fn::GetAtt" in p and p["Fn::GetAtt"][1] == "Arn"]
    assert len(alarm_refs) == len(built["work"].alarms) == 2


def test_work_queue_rejects_timeout_beyond_sqs_visibility_maximum():
    stack = cdk.Stack(cdk.App(), "V")
    with pytest.raises(PatternConfigError) as info:
        WorkQueue(stack, "Q", consumer_timeout=Duration.hours(3), purpose="x")
    assert "timeout='10800 s'" in str(info.value) and "12 h maximum" in str(info.value)
    assert stack.node.try_find_child("Q") is None


@pytest.mark.parametrize("count", [0, 1001])
def test_work_queue_rejects_max_receive_count_out_of_range(count):
    with pytest.raises(PatternConfigError, match=f"max_receive_count={count} is invalid: allowed 1-1000"):
        WorkQueue(cdk.Stack(cdk.App(), "V"), "Q", consumer_timeout=Duration.seconds(5), purpose="x", max_receive_count=count)
