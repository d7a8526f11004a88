"""The audit-trail example handler against a moto DynamoDB table."""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest
from moto import mock_aws

from examples.audit_trail.handler import recorder
from tests.support import create_moto_table

EVENT = {
    "event_id": "evt-1",
    "actor": "user:42",
    "action": "order.cancel",
    "resource": "order:981",
    "occurred_at": "2026-11-23T10:00:00Z",
    "detail": {"reason": "customer request"},
}


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        ddb = boto3.resource("dynamodb", region_name="eu-west-1")
        table = create_moto_table(ddb, "audit", "pk", "sk")
        yield table


def test_records_a_valid_event(table):
    assert recorder.handler(EVENT, None, table=table) == {"recorded": True, "event_id": "evt-1"}
    items = table.scan()["Items"]
    assert len(items) == 1
    assert items[0]["pk"] == "RESOURCE#order:981"
    assert items[0]["sk"].startswith("2026-11-23T10:00:00+00:00#evt-1")
    assert items[0]["detail"] == {"reason": "customer request"}


def test_redelivery_is_idempotent(table):
    recorder.handler(EVENT, None, table=table)
    assert recorder.handler(EVENT, None, table=table) == {"recorded": False, "event_id": "evt-1"}
    assert table.scan()["Count"] == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"actor": ""}, "missing required string fields: actor"),
        ({"event_id": None}, "missing required string fields: event_id"),
        ({"occurred_at": "yesterday"}, "not an ISO-8601 timestamp"),
        ({"occurred_at": "2026-11-23T10:00:00"}, "must carry a timezone"),
        ({"detail": ["x"]}, "detail must be an object"),
    ],
)
def test_invalid_events_raise_and_write_nothing(table, change, message):
    with pytest.raises(ValueError, match=message):
        recorder.handler({**EVENT, **change}, None, table=table)
    assert table.scan()["Count"] == 0


def test_numbers_with_fractions_in_detail_are_stored(table):
    # Lambda hands the handler JSON numbers as Python floats, which the boto3
    # table resource refuses ("Float types are not supported"): such an event
    # would fail every retry and end in the on-failure queue.
    event = {**EVENT, "detail": {"amount": 12.5, "lines": [{"weight": 0.3, "count": 2}]}}
    assert recorder.handler(event, None, table=table) == {"recorded": True, "event_id": "evt-1"}
    detail = table.scan()["Items"][0]["detail"]
    assert detail == {"amount": Decimal("12.5"), "lines": [{"weight": Decimal("0.3"), "count": 2}]}


def test_non_finite_numbers_in_detail_are_rejected(table):
    with pytest.raises(ValueError, match="must be finite"):
        recorder.handler({**EVENT, "detail": {"ratio": float("nan")}}, None, table=table)
    assert table.scan()["Count"] == 0
