"""FanOutFanIn: template behaviour, checks, and one test per validation rule."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from cdk_serverless_patterns import FanOutFanIn, FunctionSpec, enable_checks, set_default_alarm_topic
from cdk_serverless_patterns.runtime import env, fan_in
from tests.support import (
    TEST_ALARM_TOPIC_ARN,
    HANDLER_DIR,
    config_error,
    report_violations,
    synth_keeping_error,
)

SPEC = FunctionSpec(code=HANDLER_DIR, handler="app.handler")
SLOW_SPEC = SPEC.replace(timeout=Duration.seconds(40))


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """Both variants in one app, synthesized once with every check enabled."""
    outdir = tmp_path_factory.mktemp("fan-out")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    default_stack = cdk.Stack(app, "Default")
    fan = FanOutFanIn(default_stack, "Fan", workers={"thumbnail": SPEC, "metadata": SLOW_SPEC}, aggregator=SPEC)
    publisher = iam.Role(default_stack, "Publisher", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    fan.grant_start_jobs(publisher)

    custom_stack = cdk.Stack(app, "Custom")
    topic = sns.Topic.from_topic_arn(custom_stack, "Existing", "arn:aws:sns:eu-west-1:123456789012:jobs")
    table = dynamodb.Table.from_table_name(custom_stack, "ExistingTable", "fan-in-state")
    custom = FanOutFanIn(
        custom_stack,
        "Fan",
        workers={"only": SPEC},
        aggregator=SPEC,
        topic=topic,
        state_table=table,
        filter_policies={"only": {"kind": sns.SubscriptionFilter.string_filter(allowlist=["image"])}},
        max_concurrency=5,
        batch_size=3,
        max_receive_count=2,
        job_retention=Duration.days(20),
        create_alarms=False,
        removal_policy=RemovalPolicy.DESTROY,
    )
    error = synth_keeping_error(app)
    return {
        "fan": fan,
        "custom": custom,
        "default": Template.from_stack(default_stack),
        "custom_template": Template.from_stack(custom_stack),
        "report": Path(outdir) / "validation-report.json",
        "error": error,
    }


# --- checks ---------------------------------------------------------------------


def test_default_construct_has_no_unacknowledged_findings(synthesized):
    assert report_violations(synthesized["report"]) == []
    assert synthesized["error"] is None


# --- topic and subscriptions ------------------------------------------------------


def test_topic_is_kms_encrypted_and_each_worker_subscribes_raw_with_a_dlq(synthesized):
    t = synthesized["default"]
    t.resource_count_is("AWS::SNS::Topic", 1)
    t.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    t.resource_count_is("AWS::SNS::Subscription", 2)
    subs = t.find_resources("AWS::SNS::Subscription")
    for sub in subs.values():
        props = sub["Properties"]
        assert props["Protocol"] == "sqs" and props["RawMessageDelivery"] is True
        assert "deadLetterTargetArn" in props["RedrivePolicy"]
        assert "FilterPolicy" not in props


def test_only_the_topic_may_send_to_worker_queues(synthesized):
    fan = synthesized["fan"]
    t = synthesized["default"]
    stack = cdk.Stack.of(fan)
    for name, work_queue in fan.queues.items():
        queue_id = stack.get_logical_id(work_queue.queue.node.default_child)
        t.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [{"Ref": queue_id}],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            {
                                "Action": "sqs:SendMessage",
                                "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": Match.string_like_regexp("FanTopic")}}},
                                "Effect": "Allow",
                                "Principal": {"Service": "sns.amazonaws.com"},
                                "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
                            }
                        ]
                    )
                },
            },
        )


def test_worker_queues_have_six_times_visibility_redrive_and_encryption(synthesized):
    fan = synthesized["fan"]
    t = synthesized["default"]
    stack = cdk.Stack.of(fan)
    queues = t.find_resources("AWS::SQS::Queue")
    for name, timeout in (("thumbnail", 10), ("metadata", 40)):
        props = queues[stack.get_logical_id(fan.queues[name].queue.node.default_child)]["Properties"]
        assert props["VisibilityTimeout"] == 6 * timeout
        assert props["RedrivePolicy"]["maxReceiveCount"] == 5
        assert props["SqsManagedSseEnabled"] is True
    aggregator_props = queues[stack.get_logical_id(fan.aggregator_queue.queue.node.default_child)]["Properties"]
    assert aggregator_props["VisibilityTimeout"] == 60


# --- consumers --------------------------------------------------------------------


def test_every_consumer_reads_on_its_alias_with_partial_batch_failures(synthesized):
    fan = synthesized["fan"]
    t = synthesized["default"]
    mappings = t.find_resources("AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 3 and set(fan.event_sources) == {"thumbnail", "metadata", "aggregator"}
    for mapping in mappings.values():
        props = mapping["Properties"]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BatchSize"] == 10
        # Bounded by default (issue 17): a backlog cannot take the account's whole concurrency.
        assert props["ScalingConfig"] == {"MaximumConcurrency": 10}
        assert json.dumps(props["FunctionName"]).endswith(':live"]]}')


def test_functions_are_arm64_and_workers_know_their_part_table_and_aggregator(synthesized):
    t = synthesized["default"]
    functions = t.find_resources("AWS::Lambda::Function")
    assert len(functions) == 3
    assert all(f["Properties"]["Architectures"] == ["arm64"] for f in functions.values())
    t.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like(
                    {
                        env.FAN_OUT_WORKER: "thumbnail",
                        env.FAN_IN_TABLE: {"Ref": Match.string_like_regexp("FanStateTable")},
                        env.AGGREGATOR_QUEUE_URL: {"Ref": Match.string_like_regexp("FanAggregatorQueue")},
                        env.FAN_IN_RETENTION: str(30 * 86400),
                    }
                )
            }
        },
    )


def _statements(template: Template, role_path_fragment: str) -> list[dict]:
    policies = template.find_resources("AWS::IAM::Policy")
    [policy] = [p for lid, p in policies.items() if role_path_fragment in lid]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def test_workers_get_only_what_complete_part_and_notify_need(synthesized):
    statements = _statements(synthesized["default"], "FanWorkersthumbnailWorkerRole")
    dynamo = [s for s in statements if "dynamodb" in json.dumps(s["Action"])]
    assert len(dynamo) == 1
    assert sorted(dynamo[0]["Action"]) == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    [table_arn] = dynamo[0]["Resource"]  # the table only: no index/*, no wildcard
    assert "FanStateTable" in table_arn["Fn::GetAtt"][0] and table_arn["Fn::GetAtt"][1] == "Arn"
    send = [s for s in statements if "sqs:SendMessage" in s["Action"]]
    assert len(send) == 1 and "FanAggregatorQueue" in send[0]["Resource"]["Fn::GetAtt"][0]


def test_aggregator_only_reads_the_state_table(synthesized):
    statements = _statements(synthesized["default"], "FanAggregatorRole")
    dynamo = [s for s in statements if "dynamodb" in json.dumps(s["Action"])]
    # load_job reads the job item and every part with one Query: nothing else.
    assert len(dynamo) == 1 and dynamo[0]["Action"] == "dynamodb:Query"
    assert not any("sqs:SendMessage" in s["Action"] for s in statements)


def test_publisher_grant_names_its_kms_actions(synthesized):
    statements = _statements(synthesized["default"], "PublisherDefaultPolicy")
    actions = sorted(a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    assert actions == ["kms:Decrypt", "kms:GenerateDataKey", "sns:Publish"]


# --- state table ------------------------------------------------------------------


def test_state_table_matches_the_runtime_layout(synthesized):
    t = synthesized["default"]
    t.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": Match.object_like(
                {
                    "KeySchema": [
                        {"AttributeName": fan_in.PARTITION_KEY, "KeyType": "HASH"},
                        {"AttributeName": fan_in.SORT_KEY, "KeyType": "RANGE"},
                    ],
                    "TimeToLiveSpecification": {"AttributeName": fan_in.TTL_ATTRIBUTE, "Enabled": True},
                    "BillingMode": "PAY_PER_REQUEST",
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "DeletionProtectionEnabled": True,
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )


# --- alarms -----------------------------------------------------------------------


def test_alarms_cover_queues_dlqs_and_functions(synthesized):
    fan = synthesized["fan"]
    t = synthesized["default"]
    # Per worker: work-queue age + DLQ depth, subscription DLQ depth, 4 function alarms;
    # aggregator: queue age + DLQ depth + 4 function alarms.
    assert len(fan.alarms) == 2 * 7 + 6
    t.resource_count_is("AWS::CloudWatch::Alarm", len(fan.alarms))
    descriptions = [a["Properties"]["AlarmDescription"] for a in t.find_resources("AWS::CloudWatch::Alarm").values()]
    assert sum("failure queue of SNS deliveries" in d for d in descriptions) == 2
    assert sum("oldest message" in d for d in descriptions) == 3


# --- options and existing resources ---------------------------------------------------


def test_existing_topic_and_table_are_used_not_created(synthesized):
    custom = synthesized["custom"]
    t = synthesized["custom_template"]
    t.resource_count_is("AWS::SNS::Topic", 0)
    t.resource_count_is("AWS::KMS::Key", 0)
    t.resource_count_is("AWS::DynamoDB::Table", 0)
    assert custom.encrypted_topic is None
    t.has_resource_properties(
        "AWS::SNS::Subscription", {"TopicArn": "arn:aws:sns:eu-west-1:123456789012:jobs", "FilterPolicy": {"kind": ["image"]}}
    )
    t.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({env.FAN_IN_TABLE: "fan-in-state", env.FAN_IN_RETENTION: str(20 * 86400)})}},
    )


def test_consumer_options_reach_every_mapping_and_alarms_can_be_off(synthesized):
    custom = synthesized["custom"]
    t = synthesized["custom_template"]
    for mapping in t.find_resources("AWS::Lambda::EventSourceMapping").values():
        assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 5}
        assert mapping["Properties"]["BatchSize"] == 3
    for queue in t.find_resources("AWS::SQS::Queue").values():
        if "RedrivePolicy" in queue["Properties"]:
            assert queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 2
    t.resource_count_is("AWS::CloudWatch::Alarm", 0)
    assert custom.alarms == [] and custom.dashboard is None


def test_dashboard_shows_the_alarms():
    stack = cdk.Stack(cdk.App(), "S")
    fan = FanOutFanIn(stack, "Fan", workers={"w": SPEC}, aggregator=SPEC, dashboard=True)
    assert fan.dashboard is not None
    body = json.dumps(cdk.Stack.of(fan).resolve(fan.dashboard.node.default_child.dashboard_body))
    assert body.count("alarm") >= len(fan.alarms)


# --- validation: one test per rule --------------------------------------------------


def _error(**overrides) -> str:
    options = {"workers": {"w": SPEC}, "aggregator": SPEC, **overrides}
    message = str(config_error(FanOutFanIn, "Fan", stack_id="S", **options))
    assert "Invalid configuration for 'S/Fan'" in message
    return message


def test_rejects_no_workers():
    message = _error(workers={})
    assert "workers={} is invalid: allowed a mapping of at least one worker name to a FunctionSpec" in message


def test_rejects_worker_names_that_are_not_construct_ids():
    message = _error(workers={"thumb/nail": SPEC})
    assert "workers='thumb/nail' is invalid" in message
    assert "letters, digits, '-' and '_', starting with a letter, at most 64 characters" in message


def test_rejects_worker_timeout_whose_visibility_exceeds_twelve_hours():
    message = _error(workers={"w": SPEC.replace(timeout=Duration.hours(3))})
    assert "workers['w'].timeout='10800 s' is invalid: allowed a consumer timeout" in message
    assert "fits SQS's 12 h maximum (<= 7200 s)" in message


def test_rejects_max_receive_count_below_one():
    message = _error(max_receive_count=0)
    assert "max_receive_count=0 is invalid: allowed 1-1000 (SQS redrive policy)" in message
    assert message.count("max_receive_count=0") == 1  # reported once, not per queue


def test_rejects_max_concurrency_outside_two_to_thousand():
    message = _error(max_concurrency=1)
    assert "max_concurrency=1 is invalid: allowed 2-1000 (Lambda ScalingConfig for SQS)" in message


def test_rejects_max_concurrency_above_reserved_concurrency():
    message = _error(workers={"w": SPEC.replace(reserved_concurrency=3)}, max_concurrency=10)
    assert "max_concurrency=10 is invalid: allowed <= the function's reserved_concurrency (3)" in message


def test_rejects_batch_size_above_ten():
    message = _error(batch_size=11)
    assert "batch_size=11 is invalid: allowed 1-10" in message


def test_rejects_filter_policies_for_unknown_workers():
    message = _error(filter_policies={"nope": {"kind": sns.SubscriptionFilter.string_filter(allowlist=["x"])}})
    assert "filter_policies=['nope'] is invalid: allowed keys that are worker names ('w')" in message


def test_rejects_job_retention_outside_14_to_365_days():
    message = _error(job_retention=Duration.hours(1))
    assert "job_retention='3600 s' is invalid: allowed 14-365 days" in message


def test_rejects_job_retention_in_fractions_of_a_second():
    # The TTL is whole seconds; Duration.to_seconds() would raise a jsii error instead.
    message = _error(job_retention=Duration.millis(20 * 86400 * 1000 + 500))
    assert "job_retention='1728000.5 s' is invalid: allowed 14-365 days, in whole seconds" in message


def test_reports_bad_function_specs_with_their_worker():
    message = _error(workers={"w": SPEC.replace(memory_size=64)}, aggregator=SPEC.replace(handler="nodots"))
    assert "workers['w'].memory_size=64 is invalid" in message
    assert "aggregator.handler='nodots' is invalid" in message
