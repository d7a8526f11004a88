"""Delivery fidelity (issue 26 item 6): filter criteria on record data, pipes, Scheduler targets, undelivered.

The stack is a hand-written template in a cloud assembly directory, opened with
``LocalCloud.from_assembly`` — no synthesis, so the module is cheap.
"""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any, Iterator

import pytest

from cdk_serverless_patterns.local import LocalCloud, LocalCloudWarning, Undelivered
from cdk_serverless_patterns.local.eventbridge import pattern_matches
from cdk_serverless_patterns.local.sources import filters_match

HANDLERS = Path(__file__).parent.parent / "fixtures" / "local_handlers"
ACCOUNT, REGION = "123456789012", "us-east-1"
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"


def _function(handler: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Handler": f"fidelity.{handler}", "Runtime": RUNTIME, "Code": {"S3Bucket": "b", "S3Key": "k.zip"}},
        "Metadata": {"aws:asset:path": "asset.handlers"},
    }


def _arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def _pattern(document: dict[str, Any]) -> dict[str, Any]:
    return {"Filters": [{"Pattern": json.dumps(document)}]}


def _queue(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::SQS::Queue", "Properties": props}


def _schedule(target: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::Scheduler::Schedule",
        "Properties": {"ScheduleExpression": "rate(1 hour)", "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": target},
    }


TEMPLATE: dict[str, Any] = {
    "Resources": {
        "SqsRecorder": _function("record"),
        "KinesisRecorder": _function("record"),
        "TableRecorder": _function("record"),
        "Enricher": _function("enrich"),
        "FilterQueue": _queue(),
        "SqsMapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "FunctionName": {"Ref": "SqsRecorder"},
                "EventSourceArn": _arn("FilterQueue"),
                "FilterCriteria": {"Filters": [
                    {"Pattern": json.dumps({"body": {"kind": ["keep"], "items": {"sku": [{"prefix": "A"}]}}})},
                    {"Pattern": json.dumps({"body": ["plain keep"]})},
                ]},
            },
        },
        "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}},
        "KinesisMapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "FunctionName": {"Ref": "KinesisRecorder"},
                "EventSourceArn": _arn("Stream"),
                "StartingPosition": "TRIM_HORIZON",
                "FilterCriteria": _pattern({"data": {"type": [{"wildcard": "order.*"}], "amount": [{"numeric": [">", 10]}]}}),
            },
        },
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
            },
        },
        "TableMapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "FunctionName": {"Ref": "TableRecorder"},
                "EventSourceArn": {"Fn::GetAtt": ["Table", "StreamArn"]},
                "StartingPosition": "TRIM_HORIZON",
                "FilterCriteria": _pattern(
                    {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": [{"equals-ignore-case": "done"}]}}}}
                ),
            },
        },
        # SQS -> filter -> Lambda enrichment -> InputTemplate -> SQS
        "PipeSource": _queue(),
        "PipeTarget": _queue(),
        "SqsPipe": {
            "Type": "AWS::Pipes::Pipe",
            "Properties": {
                "Name": "orders-pipe",
                "RoleArn": "arn:aws:iam::123456789012:role/not-in-this-stack",
                "Source": _arn("PipeSource"),
                "SourceParameters": {"FilterCriteria": _pattern({"body": {"ok": [True]}})},
                "Enrichment": _arn("Enricher"),
                "Target": _arn("PipeTarget"),
                "TargetParameters": {
                    "InputTemplate": '{"order": "<$.id>", "by": "<aws.pipes.pipe-name>", "enriched": <$.enriched>}'
                },
            },
        },
        # Kinesis -> filter on data -> CloudWatch Logs
        "StreamPipe": {
            "Type": "AWS::Pipes::Pipe",
            "Properties": {
                "RoleArn": "arn:aws:iam::123456789012:role/not-in-this-stack",
                "Source": _arn("Stream"),
                "SourceParameters": {
                    "KinesisStreamParameters": {"StartingPosition": "TRIM_HORIZON"},
                    "FilterCriteria": _pattern({"data": {"amount": [{"numeric": [">=", 50]}]}}),
                },
                "Target": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/pipes/fidelity",
                "TargetParameters": {"InputTemplate": "<$.data.type>", "CloudWatchLogsParameters": {"LogStreamName": "s1"}},
            },
        },
        # DynamoDB stream -> filter -> Kinesis (partition key from the record)
        "OutStream": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}},
        "TablePipe": {
            "Type": "AWS::Pipes::Pipe",
            "Properties": {
                "RoleArn": "arn:aws:iam::123456789012:role/not-in-this-stack",
                "Source": {"Fn::GetAtt": ["Table", "StreamArn"]},
                "SourceParameters": {
                    "DynamoDBStreamParameters": {"StartingPosition": "TRIM_HORIZON"},
                    "FilterCriteria": _pattern({"eventName": ["MODIFY"]}),
                },
                "Target": _arn("OutStream"),
                "TargetParameters": {
                    "InputTemplate": '{"pk": "<$.dynamodb.Keys.pk.S>"}',
                    "KinesisStreamParameters": {"PartitionKey": "$.dynamodb.Keys.pk.S"},
                },
            },
        },
        # Scheduler universal targets
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "fidelity-bus"}},
        "BusQueue": _queue(),
        # EventBridge delivers as events.amazonaws.com: the queue policy must allow it, as in AWS
        "BusQueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": "BusQueue"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage", "Resource": _arn("BusQueue"),
                    "Condition": {"ArnEquals": {"aws:SourceArn": _arn("BusRule")}},
                }]},
            },
        },
        "BusRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventBusName": {"Ref": "Bus"},
                "EventPattern": {"source": ["sched.test"], "detail-type": ["Tick"]},
                "State": "ENABLED",
                "Targets": [{"Arn": _arn("BusQueue"), "Id": "q"}],
            },
        },
        "BusSchedule": _schedule({
            "Arn": _arn("Bus"), "RoleArn": "arn:aws:iam::123456789012:role/x", "Input": '{"n": 1}',
            "EventBridgeParameters": {"Source": "sched.test", "DetailType": "Tick"},
        }),
        "FifoQueue": _queue(FifoQueue=True, ContentBasedDeduplication=True),
        "FifoSchedule": _schedule({
            "Arn": _arn("FifoQueue"), "RoleArn": "arn:aws:iam::123456789012:role/x", "Input": "tick",
            "SqsParameters": {"MessageGroupId": "g1"},
        }),
        "SdkQueue": _queue(),
        "SdkSchedule": _schedule({
            "Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "RoleArn": "arn:aws:iam::123456789012:role/x",
            "Input": {"Fn::Join": ["", ['{"QueueUrl": "', {"Ref": "SdkQueue"}, '", "MessageBody": "from sdk"}']]},
        }),
        "StreamSchedule": _schedule({
            "Arn": _arn("OutStream"), "RoleArn": "arn:aws:iam::123456789012:role/x", "Input": '{"from": "schedule"}',
            "KinesisParameters": {"PartitionKey": "sched"},
        }),
        # What LocalCloud cannot deliver: named at open
        "MqPipe": {
            "Type": "AWS::Pipes::Pipe",
            "Properties": {"RoleArn": "r", "Source": f"arn:aws:mq:{REGION}:{ACCOUNT}:broker:b:b-1", "Target": _arn("PipeTarget")},
        },
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "EmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {"TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": "ops@example.com"},
        },
    }
}


def write_assembly(out: Path) -> Path:
    """The template above as a cloud assembly in ``out`` (stack ``Fidelity``, handlers as its asset)."""
    shutil.copytree(HANDLERS, out / "asset.handlers")
    (out / "Fidelity.template.json").write_text(json.dumps(TEMPLATE))
    (out / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {"Fidelity": {
        "type": "aws:cloudformation:stack", "environment": f"aws://{ACCOUNT}/{REGION}",
        "properties": {"templateFile": "Fidelity.template.json", "stackName": "fidelity"},
    }}}))
    return out


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_assembly(tmp_path_factory.mktemp("fidelity"))


@pytest.fixture(scope="module")
def opened(assembly: Path) -> Iterator[tuple[LocalCloud, list[str]]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cloud = LocalCloud.from_assembly(assembly, "Fidelity")
        with cloud:
            messages = [str(w.message) for w in caught if issubclass(w.category, LocalCloudWarning)]
            yield cloud, messages


@pytest.fixture()
def cloud(opened: tuple[LocalCloud, list[str]]) -> LocalCloud:
    return opened[0]


def _bodies(cloud: LocalCloud, queue: str) -> list[str]:
    return [m.body for m in cloud.messages(queue)]


def test_sqs_filters_match_json_bodies_arrays_of_objects_and_plain_text(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    url = cloud.template.resources["FilterQueue"].ref
    sent = [
        {"kind": "keep", "items": [{"sku": "B1"}, {"sku": "A7"}]},
        {"kind": "keep", "items": [{"sku": "B2"}]},
        {"kind": "drop", "items": [{"sku": "A1"}]},
        "plain keep",
        "plain other",
    ]
    with cloud.top_level():
        for body in sent:
            sqs.send_message(QueueUrl=url, MessageBody=body if isinstance(body, str) else json.dumps(body))
    delivered = [r["body"] for event, _ in cloud.invocations("SqsRecorder") for r in event["Records"]]
    assert sorted(delivered) == sorted([json.dumps(sent[0]), "plain keep"])
    assert _bodies(cloud, "FilterQueue") == []  # what no filter matched is deleted, as Lambda does


def test_kinesis_filters_see_base64_decoded_json_data(cloud: LocalCloud) -> None:
    cloud.put_records("Stream", [
        {"type": "order.created", "amount": 20},
        {"type": "order.created", "amount": 5},
        {"type": "user.created", "amount": 50},
        "not json",
    ])
    import base64

    delivered = [json.loads(base64.b64decode(r["kinesis"]["data"]))
                 for event, _ in cloud.invocations("KinesisRecorder") for r in event["Records"]]
    assert delivered == [{"type": "order.created", "amount": 20}]
    # the pipe on the same stream filters on data too, and writes the template's text to the log group
    logs = cloud.client("logs").get_log_events(logGroupName="/pipes/fidelity", logStreamName="s1")["events"]
    assert [e["message"] for e in logs] == ["user.created"]


def test_dynamodb_stream_filters_see_typed_images_and_a_pipe_delivers_to_kinesis(cloud: LocalCloud) -> None:
    table = cloud.table("Table")
    with cloud.top_level():
        table.put_item(Item={"pk": "1", "status": "DONE"})
        table.put_item(Item={"pk": "2", "status": "open"})
        table.update_item(Key={"pk": "2"}, UpdateExpression="SET #s = :s",
                          ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": "done"})
    delivered = [r["dynamodb"]["Keys"]["pk"]["S"] for event, _ in cloud.invocations("TableRecorder") for r in event["Records"]]
    assert delivered == ["1"]  # INSERT with status done (any case); the MODIFY is filtered out
    kinesis = cloud.client("kinesis")
    shard = kinesis.describe_stream(StreamName=cloud.template.resources["OutStream"].name)["StreamDescription"]["Shards"][0]
    iterator = kinesis.get_shard_iterator(StreamName=cloud.template.resources["OutStream"].name,
                                          ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert [(r["PartitionKey"], json.loads(r["Data"])) for r in records] == [("2", {"pk": "2"})]


def test_a_pipe_from_sqs_filters_enriches_and_shapes_what_its_target_gets(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    url = cloud.template.resources["PipeSource"].ref
    with cloud.top_level():
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": "o1", "ok": True}))
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": "o2", "ok": False}))
    assert [json.loads(b) for b in _bodies(cloud, "PipeTarget")] == [{"order": "o1", "by": "orders-pipe", "enriched": True}]
    assert [event for event, _ in cloud.invocations("Enricher")][0][0]["body"] == json.dumps({"id": "o1", "ok": True})
    assert _bodies(cloud, "PipeSource") == []


def test_schedules_deliver_to_a_bus_a_fifo_queue_a_stream_and_an_sdk_call(cloud: LocalCloud) -> None:
    for schedule in ("BusSchedule", "FifoSchedule", "SdkSchedule", "StreamSchedule"):
        cloud.run_schedule(schedule)
    [event] = [json.loads(b) for b in _bodies(cloud, "BusQueue")]
    assert (event["source"], event["detail-type"], event["detail"]) == ("sched.test", "Tick", {"n": 1})
    fifo = cloud.client("sqs").receive_message(QueueUrl=cloud.template.resources["FifoQueue"].ref,
                                               AttributeNames=["MessageGroupId"])["Messages"]
    assert [(m["Body"], m["Attributes"]["MessageGroupId"]) for m in fifo] == [("tick", "g1")]
    assert _bodies(cloud, "SdkQueue") == ["from sdk"]
    assert not cloud.delivery_failures


def test_what_cannot_be_delivered_is_named_at_open_and_listed(opened: tuple[LocalCloud, list[str]]) -> None:
    cloud, warned = opened
    undelivered = {u.logical_id: u for u in cloud.undelivered()}
    assert set(undelivered) == {"MqPipe", "EmailSubscription"}
    assert isinstance(undelivered["MqPipe"], Undelivered)
    assert "arn:aws:mq" in undelivered["MqPipe"].what and "SQS queues" in undelivered["MqPipe"].why
    assert "email" in undelivered["EmailSubscription"].what
    assert all(any(logical_id in message for message in warned) for logical_id in undelivered)


@pytest.mark.parametrize(
    ("pattern", "event", "matches"),
    [
        ({"a": {"b": ["x"]}}, {"a": [{"b": "y"}, {"b": "x"}]}, True),
        ({"a": {"b": ["x"]}}, {"a": [{"b": "y"}]}, False),
        ({"a": [{"anything-but": {"prefix": "tmp/"}}]}, {"a": "tmp/1"}, False),
        ({"a": [{"anything-but": {"prefix": "tmp/"}}]}, {"a": "data/1"}, True),
        ({"a": [{"suffix": ".png"}]}, {"a": "x.png"}, True),
        ({"a": [{"exists": False}]}, {"b": 1}, True),
        ({"$or": [{"a": [1]}, {"b": [{"numeric": ["<", 0]}]}]}, {"b": -1}, True),
        ({"$or": [{"a": [1]}, {"b": [{"numeric": ["<", 0]}]}]}, {"b": 1}, False),
        ({"a": [{"wildcard": "*/x/*"}]}, {"a": "1/x/2"}, True),
        ({"a": [{"equals-ignore-case": "ABC"}]}, {"a": "abc"}, True),
    ],
)
def test_the_one_pattern_matcher(pattern: dict[str, Any], event: dict[str, Any], matches: bool) -> None:
    assert pattern_matches(pattern, event) is matches


def test_a_json_body_pattern_never_matches_a_plain_text_body() -> None:
    record = {"eventSource": "aws:sqs", "body": "hello", "attributes": {"SenderId": "me"}}
    assert not filters_match([{"Pattern": json.dumps({"body": {"a": ["hello"]}})}], record)
    assert filters_match([{"Pattern": json.dumps({"attributes": {"SenderId": ["me"]}})}], record)
