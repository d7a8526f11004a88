"""The customer-orders example end to end on moto: HTTP API event -> submit -> FIFO topic ->
FIFO worker queues -> credit / ledger -> fan-in -> settle -> status."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from cdk_serverless_patterns.runtime import env, fan_in
from cdk_serverless_patterns.runtime.jobs import parse_job_message
from tests.support import create_moto_table

HANDLER_DIR = Path(__file__).resolve().parents[2] / "examples" / "customer_orders" / "handler"
MODULES = ("ordering", "order_api", "credit", "ledger", "settle")
REGION = "eu-west-1"
LINES = [{"sku": "MUG-1", "quantity": 2, "unit_price_cents": 1250}]


@pytest.fixture(scope="module")
def handlers():
    sys.path.insert(0, str(HANDLER_DIR))  # the Lambda code root: handlers import `ordering`
    for name in MODULES:
        sys.modules.pop(name, None)
    try:
        yield {name: importlib.import_module(name) for name in MODULES}
    finally:
        sys.path.remove(str(HANDLER_DIR))
        for name in MODULES:
            sys.modules.pop(name, None)


@pytest.fixture
def aws(monkeypatch, handlers):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("TABLE_NAME", "orders")
    monkeypatch.setenv("CREDIT_LIMIT_CENTS", "5000")
    monkeypatch.setenv(env.FAN_OUT_MESSAGE_GROUP_KEY, "customer_id")
    monkeypatch.setenv(env.FAN_IN_TABLE, "fan-in")
    with mock_aws():
        ddb = boto3.resource("dynamodb", region_name=REGION)
        orders = create_moto_table(ddb, "orders", "pk", "sk")
        create_moto_table(ddb, "fan-in", fan_in.PARTITION_KEY, fan_in.SORT_KEY)
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic = sns.create_topic(Name="jobs.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        queues = {}
        for worker in ("credit", "ledger"):
            url = sqs.create_queue(QueueName=f"{worker}.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
            queues[worker] = (url, arn)
        aggregator = sqs.create_queue(QueueName="aggregator")["QueueUrl"]
        monkeypatch.setenv(env.FAN_OUT_TOPIC_ARN, topic)
        monkeypatch.setenv(env.AGGREGATOR_QUEUE_URL, aggregator)
        # every module shares one lazily created table; start each test from a fresh one
        handlers["ordering"]._table = None
        fan_in.set_clients(dynamodb=boto3.client("dynamodb", region_name=REGION), sqs=sqs, sns=sns)
        yield {"orders": orders, "sqs": sqs, "queues": queues, "aggregator": aggregator}
        fan_in.set_clients()


def http_event(method, route, path, *, caller="c-1", body=None, headers=None):
    return {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "headers": {"origin": "https://shop.example.com", **(headers or {})},
        "pathParameters": path,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": "req-1",
            "http": {"method": method},
            "authorizer": {"jwt": {"claims": {"sub": caller}, "scopes": None}},
        },
    }


def submit(handlers, customer="c-1", key="k-1", lines=LINES, caller=None):
    event = http_event(
        "POST",
        "/customers/{customerId}/orders",
        {"customerId": customer},
        caller=caller or customer,
        body={"lines": lines},
        headers={"idempotency-key": key} if key else None,
    )
    response = handlers["order_api"].submit(event, None)
    return response["statusCode"], json.loads(response["body"])


def status(handlers, customer, order_id):
    event = http_event("GET", "/customers/{customerId}/orders/{orderId}", {"customerId": customer, "orderId": order_id}, caller=customer)
    response = handlers["order_api"].status(event, None)
    return response["statusCode"], json.loads(response["body"])


def drain_worker(aws, handlers, monkeypatch, worker):
    """Deliver the worker's queue to its handler as Lambda would (FIFO records, in order)."""
    url, arn = aws["queues"][worker]
    monkeypatch.setenv(env.FAN_OUT_WORKER, worker)
    messages = aws["sqs"].receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m["Attributes"],
            "eventSourceARN": arn,
        }
        for m in messages
    ]
    result = handlers[worker].handler({"Records": records}, None)
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    for m in messages:
        if m["MessageId"] not in failed:
            aws["sqs"].delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return records, result


def drain_aggregator(aws, handlers):
    messages = aws["sqs"].receive_message(QueueUrl=aws["aggregator"], MaxNumberOfMessages=10).get("Messages", [])
    records = [{"messageId": m["MessageId"], "body": m["Body"]} for m in messages]
    return handlers["settle"].handler({"Records": records}, None)


def test_orders_of_one_customer_are_credited_and_booked_in_order(aws, handlers, monkeypatch):
    first = submit(handlers, key="k-1", lines=[{"sku": "TV-55", "quantity": 1, "unit_price_cents": 4000}])
    second = submit(handlers, key="k-2", lines=[{"sku": "MUG-1", "quantity": 1, "unit_price_cents": 1500}])
    third = submit(handlers, key="k-3", lines=[{"sku": "PEN-1", "quantity": 1, "unit_price_cents": 900}])
    assert [s for s, _ in (first, second, third)] == [202, 202, 202]
    assert first[1]["status"] == "PROCESSING"

    records, _ = drain_worker(aws, handlers, monkeypatch, "credit")
    assert {r["attributes"]["MessageGroupId"] for r in records} == {"c-1"}
    drain_worker(aws, handlers, monkeypatch, "ledger")
    assert drain_aggregator(aws, handlers) == {"batchItemFailures": []}

    results = {key: status(handlers, "c-1", body["order_id"])[1] for key, body in (("k-1", first[1]), ("k-2", second[1]), ("k-3", third[1]))}
    # credit 5000: 4000 fits, 1500 would exceed it, 900 fits again
    assert [results[k]["status"] for k in ("k-1", "k-2", "k-3")] == ["CONFIRMED", "REJECTED", "CONFIRMED"]
    assert [int(results[k]["decision"]["ledger_sequence"]) for k in ("k-1", "k-2", "k-3")] == [1, 2, 3]


def test_retried_submit_names_the_same_order(aws, handlers):
    code, body = submit(handlers, key="same")
    again_code, again = submit(handlers, key="same")
    assert (code, again_code) == (202, 200) and again["order_id"] == body["order_id"]
    conflict = submit(handlers, key="same", lines=[{"sku": "MUG-1", "quantity": 9, "unit_price_cents": 1}])
    assert conflict[0] == 409 and conflict[1]["error"]["code"] == "idempotency_key_reused"


def test_redelivered_jobs_change_nothing(aws, handlers, monkeypatch):
    _, body = submit(handlers, key="k-1")
    job = {"customer_id": "c-1", "order_id": body["order_id"], "lines": LINES}
    job_message = parse_job_message(
        json.dumps({"job_id": f"order-{body['order_id']}", "parts": ["credit", "ledger"], "payload": job})
    )
    first_credit = handlers["credit"].apply_credit(job_message)
    assert handlers["credit"].apply_credit(job_message) == first_credit and first_credit["approved"] is True
    credit_item = aws["orders"].get_item(Key={"pk": "CUSTOMER#c-1", "sk": "CREDIT"})["Item"]
    assert int(credit_item["used_cents"]) == 2500  # charged once
    assert handlers["ledger"].book(job_message) == handlers["ledger"].book(job_message) == {"sequence": 1}
    assert len([i for i in aws["orders"].scan()["Items"] if i["sk"].startswith("LEDGER#")]) == 1


def test_a_failure_stops_only_that_customers_group(aws, handlers, monkeypatch):
    submit(handlers, customer="c-1", key="a")
    submit(handlers, customer="c-2", key="b")
    submit(handlers, customer="c-1", key="c")
    original = handlers["credit"].apply_credit
    calls = []

    def flaky(job, **kwargs):
        calls.append(job.payload["customer_id"])
        if len(calls) == 1:
            raise RuntimeError("throttled")
        return original(job, **kwargs)

    monkeypatch.setattr(handlers["credit"], "apply_credit", flaky)
    records, result = drain_worker(aws, handlers, monkeypatch, "credit")
    by_id = {r["messageId"]: r["attributes"]["MessageGroupId"] for r in records}
    failed_groups = [by_id[f["itemIdentifier"]] for f in result["batchItemFailures"]]
    # the first c-1 order failed: both c-1 orders come back, c-2 went through
    assert sorted(failed_groups) == ["c-1", "c-1"] and calls.count("c-2") == 1 and calls.count("c-1") == 1


def test_callers_reach_only_their_own_orders(aws, handlers):
    code, body = submit(handlers, customer="c-1", caller="someone-else")
    assert code == 403 and body["error"]["code"] == "forbidden"


def test_submit_validates_the_order(aws, handlers):
    assert submit(handlers, key=None)[0] == 400
    code, body = submit(handlers, lines=[{"sku": "bad sku", "quantity": 1, "unit_price_cents": 1}])
    assert code == 400 and "sku" in body["error"]["message"]


def test_status_of_unknown_order_is_404(aws, handlers):
    assert status(handlers, "c-1", "0" * 32)[0] == 404
