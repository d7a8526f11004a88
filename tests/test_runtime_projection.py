"""runtime.projection: idempotent, ordered read-model updates from bus events — on moto."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from cdk_serverless_patterns.runtime import env, event_store
from cdk_serverless_patterns.runtime.event_store import serialize_item
from cdk_serverless_patterns.runtime.projection import (
    OutOfOrderError,
    event_from_bus,
    get_view,
    project,
)
from tests.support import create_moto_table

TABLE = "read-model"
STORE = "events"


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv(env.READ_MODEL_TABLE, TABLE)
    monkeypatch.setenv(env.PROJECTION_NAME, "order-summary")
    monkeypatch.delenv(env.EVENT_STORE_TABLE, raising=False)
    monkeypatch.delenv(env.PROJECTION_EVENT_TYPES, raising=False)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="eu-west-1")
        create_moto_table(ddb, TABLE, "aggregate_id", "projection")
        create_moto_table(ddb, STORE, "aggregate_id", "version", sort_type="N")
        yield ddb


def bus_event(version: int, type_: str = "ItemAdded", **data) -> dict:
    """What the pipe puts on the bus: the DynamoDB stream record as detail."""
    image = {
        "aggregate_id": "order-1",
        "version": version,
        "type": type_,
        "data": data,
        "event_id": f"e{version}",
        "timestamp": "2026-11-23T10:00:00.000Z",
        "correlation_id": None,
    }
    return {
        "source": "cqrs.Orders",
        "detail-type": type_,
        "detail": {"eventName": "INSERT", "dynamodb": {"NewImage": serialize_item(image), "SequenceNumber": "1"}},
    }


def count_items(view, event):
    view = dict(view or {"count": 0, "seen": []})
    view["count"] += event["data"].get("n", 1)
    view["seen"] = view["seen"] + [event["version"]]
    return view


def test_event_from_bus_decodes_the_stream_image():
    event = event_from_bus(bus_event(3, total=12.5))
    assert event["aggregate_id"] == "order-1"
    assert event["version"] == 3
    assert event["data"] == {"total": 12.5}
    assert event["correlation_id"] is None


@pytest.mark.parametrize(
    "detail, message",
    [({"dynamodb": {"NewImage": serialize_item({"version": 1})}}, "missing aggregate_id, type"), ([1], "not an object")],
)
def test_event_from_bus_rejects_foreign_events(detail, message):
    with pytest.raises(ValueError, match=message):
        event_from_bus({"detail": detail})


def test_applies_events_in_order(client):
    assert project(bus_event(1), count_items, client=client) is True
    assert project(bus_event(2, n=5), count_items, client=client) is True
    item = get_view("order-1", projection="order-summary", client=client)
    assert item["version"] == 2
    assert item["view"] == {"count": 6, "seen": [1, 2]}


def test_duplicates_and_replays_change_nothing(client):
    project(bus_event(1), count_items, client=client)
    project(bus_event(2), count_items, client=client)
    before = get_view("order-1", projection="order-summary", client=client)
    assert project(bus_event(1), count_items, client=client) is False
    assert project(bus_event(2), count_items, client=client) is False
    assert get_view("order-1", projection="order-summary", client=client) == before


def test_event_ahead_of_the_view_raises_for_a_retry_without_an_event_store(client):
    with pytest.raises(OutOfOrderError, match="arrived before v1 and no event store is configured"):
        project(bus_event(2), count_items, client=client)
    assert get_view("order-1", projection="order-summary", client=client) is None
    project(bus_event(1), count_items, client=client)
    assert project(bus_event(2), count_items, client=client) is True


def test_projections_keep_separate_views(client):
    project(bus_event(1), count_items, client=client)
    project(bus_event(1), lambda view, event: {"last": event["type"]}, projection="audit", client=client)
    assert get_view("order-1", projection="audit", client=client)["view"] == {"last": "ItemAdded"}
    assert get_view("order-1", projection="order-summary", client=client)["view"]["count"] == 1


def test_lost_conditional_write_rereads_and_reapplies(client):
    calls = []

    def racing_apply(view, event):
        calls.append(view)
        if len(calls) == 1:
            # another projector instance projects the same event meanwhile
            project(bus_event(1), count_items, client=client)
        return count_items(view, event)

    assert project(bus_event(1), racing_apply, client=client) is False
    assert len(calls) == 1
    assert get_view("order-1", projection="order-summary", client=client)["view"]["count"] == 1


def test_apply_must_return_a_dict(client):
    with pytest.raises(TypeError, match="must return the new view"):
        project(bus_event(1), lambda view, event: None, client=client)


def stored_event(version: int, type_: str = "ItemAdded", **data) -> dict:
    """The bus event of a version that is also in the event store."""
    return bus_event(version, type_, **data)


def fill_store(client, types):
    version = 0
    for type_ in types:
        version = event_store.append("order-1", version, [{"type": type_, "data": {"n": 1}}], table_name=STORE, client=client)


def test_gap_is_caught_up_from_the_event_store_in_order(client, monkeypatch):
    monkeypatch.setenv(env.EVENT_STORE_TABLE, STORE)
    fill_store(client, ["ItemAdded"] * 4)
    assert project(stored_event(3), count_items, client=client) is True
    item = get_view("order-1", projection="order-summary", client=client)
    assert item["version"] == 3
    assert item["view"]["seen"] == [1, 2, 3]
    # the late deliveries of v1 and v2 are now duplicates
    assert project(stored_event(1), count_items, client=client) is False
    assert project(stored_event(2), count_items, client=client) is False
    assert project(stored_event(4), count_items, client=client) is True
    assert get_view("order-1", projection="order-summary", client=client)["view"]["seen"] == [1, 2, 3, 4]


def test_filtered_projection_skips_other_types_during_catch_up(client, monkeypatch):
    monkeypatch.setenv(env.EVENT_STORE_TABLE, STORE)
    monkeypatch.setenv(env.PROJECTION_EVENT_TYPES, '["ItemAdded"]')
    fill_store(client, ["ItemAdded", "Renamed", "Renamed", "ItemAdded"])
    project(stored_event(1), count_items, client=client)
    # v2 and v3 are filtered out by the rule and never delivered
    assert project(stored_event(4), count_items, client=client) is True
    item = get_view("order-1", projection="order-summary", client=client)
    assert item["version"] == 4
    assert item["view"]["seen"] == [1, 4]


def test_catch_up_waits_when_the_store_lacks_versions(client):
    fill_store(client, ["ItemAdded"])
    with pytest.raises(OutOfOrderError, match="does not hold versions 1-3"):
        project(stored_event(3), count_items, event_store_table=STORE, client=client)
    assert get_view("order-1", projection="order-summary", client=client) is None


def test_filtered_projection_ignores_a_delivered_event_of_another_type(client):
    project(bus_event(1), count_items, event_types=["ItemAdded"], client=client)
    assert project(bus_event(2, "Renamed"), count_items, event_types=["ItemAdded"], client=client) is True
    item = get_view("order-1", projection="order-summary", client=client)
    assert item["version"] == 2 and item["view"]["seen"] == [1]
