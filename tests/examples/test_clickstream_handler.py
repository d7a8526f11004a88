"""The clickstream aggregator against a moto DynamoDB table."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from examples.clickstream.handler import aggregator
from tests.support import create_moto_table

TABLE = "page-views"


def record(seq: int, data, *, key: str = "s-1", shard: str = "shardId-000000000000", arrival: float = 1795000000.0):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return {
        "eventSource": "aws:kinesis",
        "eventID": f"{shard}:{seq}",
        "kinesis": {
            "partitionKey": key,
            "sequenceNumber": str(49590338271490256608559692538361571095921575989136588898 + seq),
            "data": base64.b64encode(raw).decode(),
            "approximateArrivalTimestamp": arrival,
        },
    }


def click(page: str, ts: str = "2026-11-23T10:00:12Z") -> dict:
    return {"page": page, "session_id": "s-1", "ts": ts}


@pytest.fixture
def dynamodb(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("RESULT_TABLE_NAME", TABLE)
    with mock_aws():
        client = boto3.client("dynamodb")
        create_moto_table(client, TABLE, "pk", "sk")
        yield client


def views(client, page: str, minute: str):
    item = client.get_item(TableName=TABLE, Key={"pk": {"S": f"PAGE#{page}"}, "sk": {"S": f"MINUTE#{minute}"}}).get("Item")
    return int(item["views"]["N"]) if item else 0


def run(client, records):
    return aggregator.handler({"Records": records}, None, client=client)


def test_counts_views_per_page_per_minute(dynamodb):
    result = run(
        dynamodb,
        [
            record(1, click("/pricing", "2026-11-23T10:00:12Z")),
            record(2, click("/pricing", "2026-11-23T10:00:59+00:00")),
            record(3, click("/pricing", "2026-11-23T11:01:00+01:00")),  # 10:01 UTC
            record(4, click("/docs"), key="s-2"),
        ],
    )
    assert result == {"batchItemFailures": []}
    assert views(dynamodb, "/pricing", "2026-11-23T10:00") == 2
    assert views(dynamodb, "/pricing", "2026-11-23T10:01") == 1
    assert views(dynamodb, "/docs", "2026-11-23T10:00") == 1


def test_redelivered_batch_is_not_counted_twice(dynamodb):
    batch = [record(1, click("/a")), record(2, click("/a")), record(3, click("/a"), key="s-2")]
    run(dynamodb, batch)
    assert run(dynamodb, batch) == {"batchItemFailures": []}
    assert views(dynamodb, "/a", "2026-11-23T10:00") == 3


def test_records_without_timestamp_use_arrival_time(dynamodb):
    run(dynamodb, [record(1, {"page": "/x"}, arrival=1795339212.5)])  # 2026-11-22T09:20:12.5Z
    assert views(dynamodb, "/x", "2026-11-22T09:20") == 1


@pytest.mark.parametrize(
    "data",
    [b"not json", b"[1, 2]", {"page": "pricing"}, {"page": "/p", "ts": "yesterday"}, {"page": "/p", "ts": "2026-11-23T10:00:00"}],
)
def test_malformed_records_are_rejected_not_retried(dynamodb, data):
    result = run(dynamodb, [record(1, data), record(2, click("/ok"))])
    assert result == {"batchItemFailures": []}
    assert views(dynamodb, "/ok", "2026-11-23T10:00") == 1
    rejected = dynamodb.scan(TableName=TABLE, FilterExpression="pk = :r", ExpressionAttributeValues={":r": {"S": "REJECTED"}})
    assert sum(int(i["records"]["N"]) for i in rejected["Items"]) == 1


def test_failure_reports_the_record_and_everything_after_it_in_order(dynamodb):
    real = dynamodb.transact_write_items
    calls = {"n": 0}

    class Flaky:
        def transact_write_items(self, **kwargs):
            calls["n"] += 1
            if calls["n"] == 2:
                raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "TransactWriteItems")
            return real(**kwargs)

    batch = [record(1, click("/a")), record(2, click("/a")), record(3, click("/a"))]
    result = aggregator.handler({"Records": batch}, None, client=Flaky())
    assert result == {"batchItemFailures": [{"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in batch[1:]]}
    assert calls["n"] == 2  # nothing after the failure was attempted
    assert views(dynamodb, "/a", "2026-11-23T10:00") == 1
    # Lambda retries from the failed record: the counts end exact.
    assert run(dynamodb, batch[1:]) == {"batchItemFailures": []}
    assert views(dynamodb, "/a", "2026-11-23T10:00") == 3


def test_checkpoints_are_per_shard_and_partition_key(dynamodb):
    # Same sequence number on another shard, or an older one on another key, still counts.
    run(dynamodb, [record(5, click("/a"), key="s-1")])
    run(dynamodb, [record(5, click("/a"), key="s-1", shard="shardId-000000000001"), record(1, click("/a"), key="s-9")])
    assert views(dynamodb, "/a", "2026-11-23T10:00") == 3


def test_sequence_numbers_of_different_lengths_compare_numerically(dynamodb):
    short = {**record(1, click("/a")), "kinesis": {**record(1, click("/a"))["kinesis"], "sequenceNumber": "9"}}
    long = {**record(2, click("/a")), "kinesis": {**record(2, click("/a"))["kinesis"], "sequenceNumber": "10"}}
    run(dynamodb, [short, long])
    assert views(dynamodb, "/a", "2026-11-23T10:00") == 2
    run(dynamodb, [short])  # 9 < 10: a redelivery of an older record
    assert views(dynamodb, "/a", "2026-11-23T10:00") == 2
