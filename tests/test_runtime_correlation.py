"""Correlation ids end to end: read from every event shape, carried through
jobs, fan-in, the event store and projections (moto)."""

from __future__ import annotations

import json
import logging

import boto3
import pytest
from moto import mock_aws

from cdk_serverless_patterns.runtime import clients, env, event_store, fan_in, jobs, projection
from cdk_serverless_patterns.runtime.batch import process_batch
from cdk_serverless_patterns.runtime.event_store import serialize_item
from cdk_serverless_patterns.runtime.http import api_handler, json_response
from cdk_serverless_patterns.runtime.log import correlation_id, correlation_scope, current_correlation_id, get_logger
from tests.support import create_moto_table

REGION = "eu-west-1"


# --- reading ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["X-Correlation-ID", "x-correlation-id", "X-CORRELATION-ID", "x-Correlation-Id"])
def test_header_in_any_case(name):
    event = {"headers": {name: "c-1"}, "requestContext": {"requestId": "req-9"}}
    assert correlation_id(event) == "c-1"


def test_api_request_without_header_falls_back_to_request_id():
    assert correlation_id({"headers": {"Accept": "*/*"}, "requestContext": {"requestId": "req-9"}}) == "req-9"


def test_sqs_message_attribute():
    record = {"messageId": "m1", "body": "{}", "messageAttributes": {"correlation_id": {"stringValue": "c-2", "dataType": "String"}}}
    assert correlation_id(record) == "c-2"
    assert correlation_id({"Records": [record]}) == "c-2"


def test_sns_message_attribute():
    record = {"EventSource": "aws:sns", "Sns": {"Message": "{}", "MessageAttributes": {"correlation_id": {"Type": "String", "Value": "c-3"}}}}
    assert correlation_id({"Records": [record]}) == "c-3"


def test_eventbridge_detail_and_event_store_image():
    assert correlation_id({"id": "ev-1", "detail-type": "X", "detail": {"correlation_id": "c-4"}}) == "c-4"
    image = serialize_item({"aggregate_id": "a", "version": 1, "type": "T", "correlation_id": "c-5"})
    assert correlation_id({"id": "ev-2", "detail-type": "T", "detail": {"dynamodb": {"NewImage": image}}}) == "c-5"
    assert correlation_id({"id": "ev-3", "detail-type": "T", "detail": {}}) == "ev-3"


def test_sqs_record_without_one_has_none():
    assert correlation_id({"messageId": "m1", "body": "x"}) is None


def test_logger_adds_the_current_id(caplog):
    log = get_logger("corr-test")
    with caplog.at_level(logging.INFO, logger="corr-test"), correlation_scope("c-6"):
        log.info("inside")
    assert caplog.records[-1].correlation_id == "c-6"
    assert current_correlation_id() is None


# --- carrying -----------------------------------------------------------------
@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        create_moto_table(ddb, "events", "aggregate_id", "version", sort_type="N")
        create_moto_table(ddb, "read-model", "aggregate_id", "projection")
        create_moto_table(ddb, "fan-in", "pk", "sk")
        monkeypatch.setenv(env.EVENT_STORE_TABLE, "events")
        monkeypatch.setenv(env.READ_MODEL_TABLE, "read-model")
        monkeypatch.setenv(env.PROJECTION_NAME, "summary")
        monkeypatch.setenv(env.FAN_IN_TABLE, "fan-in")
        monkeypatch.setattr(clients, "_clients", {"dynamodb": ddb})
        fan_in.set_clients(dynamodb=ddb, sqs=boto3.client("sqs", region_name=REGION), sns=boto3.client("sns", region_name=REGION))
        yield ddb
        fan_in.set_clients()


def _bus_event_for(ddb, aggregate_id: str, version: int) -> dict:
    """What the Cqrs pipe puts on the bus for a stored event: its stream record as detail."""
    item = ddb.get_item(TableName="events", Key=serialize_item({"aggregate_id": aggregate_id, "version": version}))["Item"]
    return {"id": "bus-1", "source": "cqrs.Orders", "detail-type": item["type"]["S"],
            "detail": {"eventName": "INSERT", "dynamodb": {"NewImage": item}}}


def _apply(view, event):
    return {**(view or {}), "status": event["type"]}


@api_handler
def place_order(event, context):
    event_store.append("order-1", 0, [{"type": "OrderPlaced", "data": {}}])
    return json_response(201, {"id": "order-1"})


def test_header_reaches_the_projection(aws):
    response = place_order({"httpMethod": "POST", "headers": {"X-Correlation-ID": "web-42"},
                            "requestContext": {"requestId": "req-1"}}, None)
    assert response["statusCode"] == 201
    assert response["headers"]["X-Correlation-ID"] == "web-42"
    assert event_store.load("order-1")[0]["correlation_id"] == "web-42"
    assert projection.project(_bus_event_for(aws, "order-1", 1), _apply) is True
    stored = projection.get_view("order-1", projection="summary")
    assert stored["correlation_id"] == "web-42"


def test_sqs_attribute_reaches_the_projection(aws):
    def handle(record):
        event_store.append(json.loads(record["body"])["order_id"], 0, [{"type": "OrderImported", "data": {}}])

    event = {"Records": [
        {"messageId": "m1", "body": '{"order_id": "o-1"}', "messageAttributes": {"correlation_id": {"stringValue": "batch-1", "dataType": "String"}}},
        {"messageId": "m2", "body": '{"order_id": "o-2"}', "messageAttributes": {"correlation_id": {"stringValue": "batch-2", "dataType": "String"}}},
    ]}
    assert process_batch(event, handle) == {"batchItemFailures": []}
    for order, expected in (("o-1", "batch-1"), ("o-2", "batch-2")):
        projection.project(_bus_event_for(aws, order, 1), _apply)
        assert projection.get_view(order, projection="summary")["correlation_id"] == expected


def test_job_carries_it_to_workers_fan_in_and_aggregator(aws, monkeypatch):
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="jobs")["TopicArn"]
    work = sqs.create_queue(QueueName="work")["QueueUrl"]
    aggregator = sqs.create_queue(QueueName="agg")["QueueUrl"]
    work_arn = sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=work_arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv(env.FAN_OUT_WORKER, "only")
    monkeypatch.setenv(env.AGGREGATOR_QUEUE_URL, aggregator)

    with correlation_scope("upload-7"):
        job_id = jobs.start_job({"k": 1}, parts=["only"], topic_arn=topic, client=sns)
    message = sqs.receive_message(QueueUrl=work, MessageAttributeNames=["All"])["Messages"][0]
    record = {"messageId": message["MessageId"], "body": message["Body"],
              "messageAttributes": {k: {"stringValue": v["StringValue"], "dataType": v["DataType"]}
                                    for k, v in message.get("MessageAttributes", {}).items()}}
    assert correlation_id(record) == "upload-7"
    process_batch({"Records": [record]}, lambda r: jobs.run_part(r, lambda job: {"ok": True}))
    assert fan_in.load_job(job_id).correlation_id == "upload-7"
    sent = sqs.receive_message(QueueUrl=aggregator, MessageAttributeNames=["All"])["Messages"][0]
    assert json.loads(sent["Body"]) == {"job_id": job_id, "correlation_id": "upload-7"}
    assert sent["MessageAttributes"]["correlation_id"]["StringValue"] == "upload-7"


def test_sns_envelope_in_an_sqs_body_without_raw_delivery():
    envelope = {"Type": "Notification", "Message": '{"k": 1}',
                "MessageAttributes": {"correlation_id": {"Type": "String", "Value": "c-7"}}}
    assert correlation_id({"messageId": "m1", "body": json.dumps(envelope)}) == "c-7"
    inner = {"Type": "Notification", "Message": json.dumps({"job_id": "j", "correlation_id": "c-8"})}
    assert correlation_id({"messageId": "m2", "body": json.dumps(inner)}) == "c-8"
