"""FIFO: WorkQueue(fifo=True), FanOutFanIn(fifo=True), start_job message groups and
process_batch's stop-the-group semantics; one test per FIFO validation rule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import Duration
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template
from moto import mock_aws

from cdk_serverless_patterns import FanOutFanIn, FunctionSpec, enable_checks, set_default_alarm_topic
from cdk_serverless_patterns.building_blocks.queues import WorkQueue
from cdk_serverless_patterns.runtime import env, jobs
from cdk_serverless_patterns.runtime.batch import process_batch
from tests.support import HANDLER_DIR, TEST_ALARM_TOPIC_ARN, config_error, report_violations, synth_keeping_error

REGION = "eu-west-1"


def spec(**changes) -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler").replace(**changes)


# --- runtime: partial batch failures per message group ---------------------------------------
def fifo_event(*records: tuple[str, str]) -> dict:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "body": body,
                "attributes": {"MessageGroupId": group},
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:orders.fifo",
            }
            for i, (group, body) in enumerate(records)
        ]
    }


def test_fifo_failure_stops_its_group_only():
    seen: list[str] = []

    def handle(record):
        seen.append(record["body"])
        if record["body"] == "a2":
            raise RuntimeError("payment declined")

    event = fifo_event(("A", "a1"), ("B", "b1"), ("A", "a2"), ("B", "b2"), ("A", "a3"), ("C", "c1"))
    result = process_batch(event, handle)
    # a2 failed: it and the later a3 are reported (a3 never ran); B and C carry on.
    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m4"}]}
    assert seen == ["a1", "b1", "a2", "b2", "c1"]


def test_standard_queue_records_keep_independent_failures():
    event = fifo_event(("A", "a1"), ("A", "a2"), ("A", "a3"))
    for record in event["Records"]:
        record["eventSourceARN"] = "arn:aws:sqs:eu-west-1:123456789012:orders"
    result = process_batch(event, lambda r: (_ for _ in ()).throw(RuntimeError()) if r["body"] == "a2" else None)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_fifo_can_be_forced_and_needs_group_ids():
    event = {"Records": [{"messageId": "m0", "body": "x"}]}
    with pytest.raises(ValueError, match="MessageGroupId"):
        process_batch(event, lambda r: None, fifo=True)


# --- runtime: start_job on a FIFO topic ---------------------------------------------------------
@pytest.fixture
def fifo_topic(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic = client.create_topic(Name="jobs.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        queue = sqs.create_queue(QueueName="worker.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        client.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        monkeypatch.setenv(env.FAN_OUT_TOPIC_ARN, topic)
        yield client, sqs, queue


def test_start_job_takes_the_group_from_the_payload(fifo_topic, monkeypatch):
    client, sqs, queue = fifo_topic
    monkeypatch.setenv(env.FAN_OUT_MESSAGE_GROUP_KEY, "customer_id")
    first = jobs.start_job({"customer_id": "c-42", "n": 1}, parts=["bill"], client=client)
    second = jobs.start_job({"customer_id": "c-42", "n": 2}, parts=["bill"], client=client)
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [json.loads(m["Body"])["job_id"] for m in messages] == [first, second]
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {"c-42"}
    assert [m["Attributes"]["MessageDeduplicationId"] for m in messages] == [first, second]


def test_start_job_explicit_group_and_missing_group(fifo_topic, monkeypatch):
    client, sqs, queue = fifo_topic
    jobs.start_job({"n": 1}, parts=["bill"], client=client, group_id="tenant-7")
    message = sqs.receive_message(QueueUrl=queue, AttributeNames=["All"])["Messages"][0]
    assert message["Attributes"]["MessageGroupId"] == "tenant-7"
    with pytest.raises(ValueError, match="needs a message group"):
        jobs.start_job({"n": 2}, parts=["bill"], client=client)
    monkeypatch.setenv(env.FAN_OUT_MESSAGE_GROUP_KEY, "customer_id")
    with pytest.raises(ValueError, match="no 'customer_id' field"):
        jobs.start_job({"n": 2}, parts=["bill"], client=client)
    with pytest.raises(ValueError, match="1-128 printable"):
        jobs.start_job({"n": 2}, parts=["bill"], client=client, group_id="has space")


def test_group_id_on_a_standard_topic_is_an_error(monkeypatch):
    monkeypatch.setenv(env.FAN_OUT_TOPIC_ARN, "arn:aws:sns:eu-west-1:123456789012:jobs")
    with pytest.raises(ValueError, match="FIFO topics"):
        jobs.start_job({}, parts=["a"], group_id="g", client=object())


# --- constructs -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cdk-out-fifo")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    stack = cdk.Stack(app, "Fifo")
    fan = FanOutFanIn(
        stack,
        "Orders",
        workers={"reserve": spec(), "bill": spec()},
        aggregator=spec(),
        fifo=True,
        message_group_key="customer_id",
        content_based_deduplication=True,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    queue_stack = cdk.Stack(app, "Queue")
    work = WorkQueue(
        queue_stack, "Work", consumer_timeout=Duration.seconds(10), purpose="ordered work", fifo=True, queue_name="orders-work.fifo"
    )
    error = synth_keeping_error(app)
    return fan, work, Template.from_stack(stack), Template.from_stack(queue_stack), Path(outdir), error


def test_fifo_fan_out_has_zero_findings_and_is_cfn_lint_clean(built):
    outdir, error = built[4], built[5]
    assert report_violations(outdir / "validation-report.json") == []
    assert error is None, str(error)
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    templates = [str(outdir / "Fifo.template.json"), str(outdir / "Queue.template.json")]
    result = subprocess.run([cfn_lint, "--format", "parseable", *templates], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_fifo_topic_and_fifo_worker_queues(built):
    fan, _, t = built[0], built[1], built[2]
    t.has_resource_properties(
        "AWS::SNS::Topic",
        {"FifoTopic": True, "ContentBasedDeduplication": True, "FifoThroughputScope": "MessageGroup", "KmsMasterKeyId": Match.any_value()},
    )
    queues = t.find_resources("AWS::SQS::Queue")
    fifo_queues = [q for q in queues.values() if q["Properties"].get("FifoQueue")]
    # per worker: work queue, its DLQ, subscription DLQ; the aggregator's queue and DLQ stay standard
    assert len(fifo_queues) == 6
    assert len(queues) == 8
    t.has_resource_properties(
        "AWS::SQS::Queue",
        {"FifoQueue": True, "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId", "RedrivePolicy": Match.any_value()},
    )
    t.all_resources_properties("AWS::SNS::Subscription", {"Protocol": "sqs", "RawMessageDelivery": True})
    assert fan.fifo is True
    assert fan.queues["bill"].fifo is True and fan.aggregator_queue.fifo is False
    assert fan.publisher_environment[env.FAN_OUT_MESSAGE_GROUP_KEY] == "customer_id"


def test_fifo_worker_batches_report_partial_failures(built):
    built[2].all_resources_properties(
        "AWS::Lambda::EventSourceMapping", {"BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"]}
    )


def test_work_queue_fifo_with_named_fifo_dlq(built):
    t = built[3]
    t.has_resource_properties("AWS::SQS::Queue", {"QueueName": "orders-work.fifo", "FifoQueue": True})
    assert sum(1 for q in t.find_resources("AWS::SQS::Queue").values() if q["Properties"].get("FifoQueue")) == 2


# --- validation: one test per FIFO rule --------------------------------------------------------
def _fan_out_error(**options) -> str:
    options.setdefault("workers", {"bill": spec()})
    options.setdefault("aggregator", spec())
    message = str(config_error(FanOutFanIn, "Orders", **options))
    assert "V/Orders" in message and "Fix:" in message, message
    return message


def _queue_error(**options) -> str:
    options.setdefault("consumer_timeout", Duration.seconds(10))
    options.setdefault("purpose", "test")
    message = str(config_error(WorkQueue, "Work", **options))
    assert "V/Work" in message and "Fix:" in message, message
    return message


def test_fifo_batch_size_at_most_ten():
    message = _fan_out_error(fifo=True, batch_size=11)
    assert "batch_size=11" in message and "FIFO queue" in message


def test_fifo_queue_name_must_end_in_fifo():
    message = _queue_error(fifo=True, queue_name="orders")
    assert "queue_name='orders'" in message and "'.fifo'" in message and "orders.fifo" in message


def test_standard_queue_name_must_not_end_in_fifo():
    message = _queue_error(queue_name="orders.fifo")
    assert "queue_name='orders.fifo'" in message and "drop the suffix" in message


def test_queue_name_characters_and_length():
    message = _queue_error(fifo=True, queue_name="bad name.fifo")
    assert "queue_name='bad name.fifo'" in message and "1-80" in message


def test_content_based_deduplication_needs_fifo_queue():
    message = _queue_error(content_based_deduplication=True)
    assert "content_based_deduplication=True" in message and "fifo=True" in message


def test_message_group_key_needs_fifo():
    message = _fan_out_error(message_group_key="customer_id")
    assert "message_group_key='customer_id'" in message and "only with fifo=True" in message


def test_content_based_deduplication_needs_fifo_fan_out():
    message = _fan_out_error(content_based_deduplication=True)
    assert "content_based_deduplication=True" in message


def test_given_topic_must_match_fifo():
    stack = cdk.Stack(cdk.App(), "T")
    standard = sns.Topic(stack, "Standard")
    with pytest.raises(Exception) as info:
        FanOutFanIn(stack, "Orders", workers={"bill": spec()}, aggregator=spec(), fifo=True, topic=standard)
    assert "topic='standard topic'" in str(info.value) and "FIFO topic with fifo=True" in str(info.value)
    assert stack.node.try_find_child("Orders") is None


def test_fifo_must_be_a_bool():
    message = _fan_out_error(fifo="yes")
    assert "fifo='yes'" in message


def test_long_job_ids_deduplicate_by_hash():
    long_a, long_b = "j" * 200 + "a", "j" * 200 + "b"
    assert jobs.deduplication_id("order-1") == "order-1"
    assert jobs.deduplication_id(long_a) != jobs.deduplication_id(long_b)
    assert len(jobs.deduplication_id(long_a)) == 64
