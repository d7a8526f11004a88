"""The csv_ingest importer against moto S3, DynamoDB and SNS (+ an SQS subscriber to read notifications)."""

from __future__ import annotations

import json
from decimal import Decimal

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from botocore.exceptions import ClientError
from moto import mock_aws

from examples.csv_ingest.handler import importer
from tests.support import create_moto_table

BUCKET = "orders-uploads"
GOOD_CSV = b"order_id,customer_id,amount,currency\nA-1,C-1,25.90,EUR\nA-2,C-2,10,USD\n"


class Env:
    def __init__(self, s3, table, sns, sqs, queue_url, idempotency):
        self.s3, self.table, self.sns, self.sqs, self.queue_url = s3, table, sns, sqs, queue_url
        self.idempotency = idempotency

    def upload(self, key: str, body: bytes) -> dict:
        put = self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        return s3_event(key.replace(" ", "+"), put["VersionId"], put["ETag"].strip('"'), len(body))

    def notifications(self) -> list[dict]:
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]

    def invoke(self, event, sns=None):
        return importer.handler(event, Context(), s3=self.s3, table=self.table, sns=sns or self.sns)

    def idempotency_records(self) -> list[dict]:
        return self.idempotency.scan()["Items"]


class Context:
    """The parts of Lambda's context Powertools' idempotency reads."""

    function_name = "csv-importer"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def s3_event(key: str, version: str, etag: str, size: int) -> dict:
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {
            "version": "0",
            "bucket": {"name": BUCKET},
            "object": {"key": key, "size": size, "etag": etag, "version-id": version, "sequencer": "00617F08299329D189"},
            "reason": "PutObject",
        },
    }


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        dynamodb = boto3.resource("dynamodb")
        table = create_moto_table(dynamodb, "results", "pk", "sk")
        idempotency = create_moto_table(dynamodb, "idempotency", "id")
        monkeypatch.setenv(importer.IDEMPOTENCY_TABLE, "idempotency")
        monkeypatch.setattr(importer, "_once", None)  # a persistence layer per test, inside moto
        sns = boto3.client("sns")
        topic = sns.create_topic(Name="notify")["TopicArn"]
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        monkeypatch.setenv("NOTIFY_TOPIC_ARN", topic)
        yield Env(s3, table, sns, sqs, queue_url, idempotency)


def test_imports_every_row_and_notifies_once(aws):
    event = aws.upload("uploads/day 1.csv", GOOD_CSV)
    result = aws.invoke(event)
    assert result["status"] == "imported" and result["rows"] == 2
    order = aws.table.get_item(Key={"pk": "ORDER#A-1", "sk": "ORDER"})["Item"]
    assert order["amount"] == Decimal("25.90") and order["currency"] == "EUR"
    assert order["source"] == f"s3://{BUCKET}/uploads/day 1.csv"  # key URL-decoded
    [note] = aws.notifications()
    assert note["status"] == "IMPORTED" and note["rows"] == 2 and note["idempotency_key"] == result["idempotency_key"]
    [record] = aws.idempotency_records()  # Powertools' record of this object version
    assert record["status"] == "COMPLETED" and json.loads(record["data"]) == result
    assert int(record["expiration"]) > 0  # the table's TTL removes it


def test_redelivered_event_replays_the_first_result_and_changes_nothing(aws):
    event = aws.upload("uploads/a.csv", GOOD_CSV)
    first = aws.invoke(event)
    aws.notifications()
    aws.table.delete_item(Key={"pk": "ORDER#A-2", "sk": "ORDER"})
    assert aws.invoke(event) == first
    assert "Item" not in aws.table.get_item(Key={"pk": "ORDER#A-2", "sk": "ORDER"})
    assert aws.notifications() == []


def test_new_version_of_the_same_key_is_imported_again(aws):
    aws.invoke(aws.upload("uploads/a.csv", GOOD_CSV))
    second = aws.invoke(aws.upload("uploads/a.csv", b"order_id,customer_id,amount,currency\nA-1,C-1,99.00,EUR\n"))
    assert second["status"] == "imported"
    assert aws.table.get_item(Key={"pk": "ORDER#A-1", "sk": "ORDER"})["Item"]["amount"] == Decimal("99.00")


def test_invalid_rows_reject_the_whole_file_with_reasons(aws):
    body = b"order_id,customer_id,amount,currency\nA-1,C-1,-5,EUR\nA-1,C-2,1.234,eur\nA 3,C-3,1,USD\n"
    result = aws.invoke(aws.upload("uploads/bad.csv", body))
    assert result["status"] == "rejected"
    assert "line 2: amount -5 must be positive" in result["reason"]
    assert "line 3: amount 1.234 must be positive with at most 2 decimals" in result["reason"]
    assert "line 4: order_id must be" in result["reason"]
    assert "Item" not in aws.table.get_item(Key={"pk": "ORDER#A-1", "sk": "ORDER"})
    [note] = aws.notifications()
    assert note["status"] == "REJECTED" and "line 2" in note["reason"]
    # A rejected file is final: its redelivery replays the rejection, it is not a new attempt.
    assert aws.invoke(s3_event("uploads/bad.csv", note["version_id"], "x", len(body))) == result
    assert aws.notifications() == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"order_id,amount\nA-1,1\n", "header is missing column(s) customer_id, currency"),
        (b"order_id,customer_id,amount,currency\n", "no rows"),
        (b"order_id,customer_id,amount,currency\nA-1,C-1,1,EUR\nA-1,C-2,2,EUR\n", "order_id A-1 appears twice"),
        (b"order_id,customer_id,amount,currency\nA-1,C-1,abc,EUR\n", "amount 'abc' is not a number"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
    ],
)
def test_rejection_reasons(aws, body, reason):
    result = aws.invoke(aws.upload("uploads/r.csv", body))
    assert result["status"] == "rejected" and reason in result["reason"]


def test_oversized_file_is_rejected_without_download(aws):
    event = aws.upload("uploads/big.csv", GOOD_CSV)
    event["detail"]["object"]["size"] = importer.MAX_BYTES + 1
    assert "at most" in aws.invoke(event)["reason"]


def test_infrastructure_failure_releases_the_record_and_raises(aws):
    event = aws.upload("uploads/a.csv", GOOD_CSV)

    class FailingSns:
        def publish(self, **_):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "Publish")

    with pytest.raises(ClientError):
        aws.invoke(event, sns=FailingSns())
    assert aws.idempotency_records() == []  # Powertools deleted the in-progress record
    # Lambda's retry imports the file.
    assert aws.invoke(event)["status"] == "imported"
    assert len(aws.notifications()) == 1


def test_concurrent_delivery_is_in_progress_and_retried_by_lambda(aws):
    event = aws.upload("uploads/a.csv", GOOD_CSV)
    seen = {}

    class ConcurrentSns:
        """While this import publishes, a second delivery of the same event arrives."""

        def publish(self, **kwargs):
            with pytest.raises(IdempotencyAlreadyInProgressError):
                aws.invoke(event)
            seen["second"] = "in progress"
            return aws.sns.publish(**kwargs)

    assert aws.invoke(event, sns=ConcurrentSns())["status"] == "imported"
    assert seen == {"second": "in progress"}


def test_emits_the_business_metric(aws, capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "CsvIngestExample")
    aws.invoke(aws.upload("uploads/m.csv", GOOD_CSV))
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{") and "_aws" in line]
    [doc] = [d for d in docs if "OrdersImported" in d]
    assert doc["OrdersImported"] in (2, [2.0]) and doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "CsvIngestExample"


def test_rejects_events_that_are_not_s3_object_created(aws):
    with pytest.raises(ValueError, match="not an S3 Object Created event"):
        aws.invoke({"source": "aws.s3", "detail-type": "Object Deleted", "detail": {}})


class SubjectCheckingSns:
    """The moto client, plus SNS's documented Subject rule that moto does not apply:
    "UTF-8 text with no line breaks or control characters, and less than 100 characters long"."""

    def __init__(self, client):
        self.client = client

    def publish(self, **kwargs):
        subject = kwargs.get("Subject")
        if subject is not None and (len(subject) >= 100 or any(ord(c) < 32 or ord(c) == 127 for c in subject)):
            raise ClientError({"Error": {"Code": "InvalidParameter", "Message": "Invalid parameter: Subject"}}, "Publish")
        return self.client.publish(**kwargs)


@pytest.mark.parametrize(
    "key",
    [
        "uploads/partners/acme-corporation/2026/11/23/orders-export-full-batch-000001.csv",  # subject would be 100+
        "uploads/tab\tand\nnewline.csv",  # S3 keys may hold control characters
    ],
)
def test_notification_subject_is_valid_for_any_key(aws, key):
    event = aws.upload(key, GOOD_CSV)
    result = aws.invoke(event, sns=SubjectCheckingSns(aws.sns))
    assert result["status"] == "imported"
    [note] = aws.notifications()
    assert note["key"] == key  # the full key is in the message body
