"""runtime.event_store (contract): append, load, optimistic concurrency, atomicity — on moto."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from cdk_serverless_patterns.runtime import clients, env, event_store
from cdk_serverless_patterns.runtime.event_store import ConcurrencyError, append, load
from tests.support import create_moto_table

TABLE = "events"


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv(env.EVENT_STORE_TABLE, TABLE)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="eu-west-1")
        create_moto_table(ddb, TABLE, "aggregate_id", "version", sort_type="N")
        yield ddb


def count(client) -> int:
    return client.scan(TableName=TABLE, Select="COUNT")["Count"]


def placed(n: int = 1) -> dict:
    return {"type": "OrderPlaced", "data": {"items": n, "total": 12.5, "tags": ["a"]}}


def test_append_to_new_aggregate_returns_version_and_stores_envelope(client):
    version = append("order-1", 0, [placed()], correlation_id="req-1", client=client)
    assert version == 1
    [event] = load("order-1", client=client)
    assert event["aggregate_id"] == "order-1"
    assert event["version"] == 1
    assert event["type"] == "OrderPlaced"
    assert event["data"] == {"items": 1, "total": 12.5, "tags": ["a"]}
    assert event["correlation_id"] == "req-1"
    assert event["timestamp"].endswith("Z") and "T" in event["timestamp"]
    assert len(event["event_id"]) == 36


def test_table_name_comes_from_env_or_argument(client, monkeypatch):
    monkeypatch.delenv(env.EVENT_STORE_TABLE)
    with pytest.raises(RuntimeError, match=env.EVENT_STORE_TABLE):
        append("order-1", 0, [placed()], client=client)
    assert append("order-1", 0, [placed()], table_name=TABLE, client=client) == 1


def test_load_returns_events_in_version_order_across_pages(client):
    version = 0
    for batch in range(12):
        # each event carries ~30 KB so the 1 MB query page limit forces pagination
        events = [{"type": f"E{batch}-{i}", "data": {"blob": "x" * 30_000}} for i in range(4)]
        version = append("order-1", version, events, client=client)
    append("order-2", 0, [placed()], client=client)
    history = load("order-1", client=client)
    assert [e["version"] for e in history] == list(range(1, 49))
    assert [e["type"] for e in history[:5]] == ["E0-0", "E0-1", "E0-2", "E0-3", "E1-0"]
    assert load("order-1", after_version=46, client=client)[0]["version"] == 47
    assert [e["version"] for e in load("order-1", after_version=3, until_version=6, client=client)] == [4, 5, 6]


class BetweenCheckingClient:
    """DynamoDB rejects ``BETWEEN :low AND :high`` with high < low (ValidationException); moto returns []."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def query(self, **kwargs):
        match = re.search(r"BETWEEN (:\w+) AND (:\w+)", kwargs["KeyConditionExpression"])
        if match:
            values = kwargs["ExpressionAttributeValues"]
            low, high = (int(values[key]["N"]) for key in match.groups())
            if high < low:
                raise ClientError(
                    {"Error": {"Code": "ValidationException", "Message": "Invalid KeyConditionExpression: The "
                               "BETWEEN operator requires upper bound to be greater than or equal to lower bound"}},
                    "Query",
                )
        return self._client.query(**kwargs)


def test_load_of_an_empty_version_range_is_empty(client):
    append("order-1", 0, [placed(), placed()], client=client)
    strict = BetweenCheckingClient(client)
    assert load("order-1", after_version=2, until_version=2, client=strict) == []
    assert load("order-1", after_version=2, until_version=1, client=strict) == []
    assert [e["version"] for e in load("order-1", after_version=1, until_version=2, client=strict)] == [2]


def test_load_of_unknown_aggregate_is_empty(client):
    assert load("nope", client=client) == []


def test_stale_expected_version_raises_and_writes_nothing(client):
    append("order-1", 0, [placed()], client=client)
    with pytest.raises(ConcurrencyError, match="no longer at version 0") as caught:
        append("order-1", 0, [placed(2), placed(3)], client=client)
    assert caught.value.aggregate_id == "order-1"
    assert count(client) == 1
    assert load("order-1", client=client)[0]["data"]["items"] == 1


def test_expected_version_ahead_of_the_store_raises_and_leaves_no_gap(client):
    append("order-1", 0, [placed()], client=client)
    with pytest.raises(ConcurrencyError):
        append("order-1", 5, [placed()], client=client)
    assert [e["version"] for e in load("order-1", client=client)] == [1]


def test_multi_event_append_is_atomic(client):
    append("order-1", 0, [placed()], client=client)
    # versions 2 and 3 free, 4 taken by a concurrent writer: the whole append must fail
    client.put_item(
        TableName=TABLE,
        Item={"aggregate_id": {"S": "order-1"}, "version": {"N": "4"}, "type": {"S": "Other"}},
    )
    with pytest.raises(ConcurrencyError):
        append("order-1", 1, [placed(2), placed(3), placed(4)], client=client)
    assert sorted(e["version"] for e in load("order-1", client=client)) == [1, 4]
    assert append("order-1", 1, [placed(2), placed(3)], client=client) == 3


def test_consecutive_appends_continue_the_version(client):
    assert append("order-1", 0, [placed(), placed()], client=client) == 2
    assert append("order-1", 2, [{"type": "OrderCancelled"}], client=client) == 3
    assert load("order-1", client=client)[-1]["data"] == {}


@pytest.mark.parametrize(
    "args, message",
    [
        (("", 0, [placed()]), "aggregate_id must be a non-empty string"),
        (("a", -1, [placed()]), "expected_version must be an integer >= 0"),
        (("a", True, [placed()]), "expected_version must be an integer >= 0"),
        (("a", 0, []), "events must be a non-empty list"),
        (("a", 0, {"type": "X"}), "events must be a non-empty list"),
        (("a", 0, [{"data": {}}]), r"events\[0\] needs a non-empty string 'type'"),
        (("a", 0, [{"type": "X", "total": 3}]), "put the payload under 'data'"),
        (("a", 0, [{"type": "X", "data": [1]}]), r"events\[0\]\['data'\] must be a dict"),
        (("a", 0, [placed()] * 101), "at most 100 fit in one DynamoDB transaction"),
        (("a", 3, [placed()] * 100), "at most 99 fit in one DynamoDB transaction"),
        (("a", 0, [{"type": "X", "data": {"v": float("nan")}}]), "must be finite"),
        (("a", 0, [{"type": "X" * 129}]), "at most 128 \\(it becomes the EventBridge detail-type\\)"),
    ],
)
def test_invalid_arguments_raise_before_writing(client, args, message):
    with pytest.raises(ValueError, match=message):
        append(*args, client=client)
    assert count(client) == 0


def test_hundred_events_fit_in_one_append_of_a_new_aggregate(client):
    assert append("big", 0, [placed(i) for i in range(100)], client=client) == 100
    assert len(load("big", client=client)) == 100


def test_other_client_errors_are_not_concurrency_errors(client):
    with pytest.raises(Exception) as caught:
        append("order-1", 0, [placed()], table_name="missing-table", client=client)
    assert not isinstance(caught.value, ConcurrencyError)


class SerializedClient:
    """moto's DynamoDB backend is not thread-safe (a cancelled transaction restores a
    table snapshot). Real DynamoDB serializes transactions on the same items; the lock
    gives moto that property so the race below exercises *our* concurrency logic."""

    def __init__(self, client):
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name):
        method = getattr(self._client, name)

        def call(**kwargs):
            with self._lock:
                return method(**kwargs)

        return call


def test_racing_writers_never_lose_or_duplicate_events(client):
    shared = SerializedClient(client)
    writers, appends_each = 6, 5
    start = threading.Barrier(writers)
    conflicts = []

    def writer(name: str) -> None:
        start.wait()
        for n in range(appends_each):
            while True:
                seen = len(load("order-1", client=shared))
                try:
                    append("order-1", seen, [{"type": "Touched", "data": {"by": name, "n": n}},
                                             {"type": "Counted", "data": {"by": name}}], client=shared)
                    break
                except ConcurrencyError:
                    conflicts.append(name)

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(writer, [f"w{i}" for i in range(writers)]))

    history = load("order-1", client=client)
    assert [e["version"] for e in history] == list(range(1, writers * appends_each * 2 + 1))
    # each append's two events are adjacent: nothing interleaved inside a transaction
    for first, second in zip(history[::2], history[1::2]):
        assert (first["type"], second["type"]) == ("Touched", "Counted")
        assert first["data"]["by"] == second["data"]["by"]
    for i in range(writers):
        assert sorted(e["data"]["n"] for e in history if e["type"] == "Touched" and e["data"]["by"] == f"w{i}") == list(range(appends_each))
    assert conflicts, "the writers never collided; the race did not happen"


def test_concurrent_creation_has_exactly_one_winner(client):
    shared = SerializedClient(client)
    start = threading.Barrier(8)

    def create(i: int) -> str:
        start.wait()
        try:
            append("order-9", 0, [{"type": "OrderPlaced", "data": {"by": i}}], client=shared)
            return "won"
        except ConcurrencyError:
            return "lost"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(create, range(8)))
    assert results.count("won") == 1
    assert count(client) == 1


def test_client_is_created_lazily_once(client, monkeypatch):
    monkeypatch.setattr(clients, "_clients", {})  # nothing cached: the first call creates the client
    created = []
    real = boto3.client

    def fake(name, **kwargs):
        created.append(name)
        return real(name, region_name="eu-west-1")

    monkeypatch.setattr(boto3, "client", fake)
    append("order-1", 0, [placed()])
    load("order-1")
    assert created == ["dynamodb"]


def test_current_version_reads_the_latest_version_only(client):
    assert event_store.current_version("order-1", client=client) == 0
    append("order-1", 0, [placed(), placed(), placed()], client=client)
    assert event_store.current_version("order-1", client=client) == 3


class CancellingClient:
    """A client whose transaction is cancelled for ``reason`` (as DynamoDB reports it)."""

    def __init__(self, reason: str):
        self.reason = reason

    def transact_write_items(self, **kwargs):
        from botocore.exceptions import ClientError

        reasons = [{"Code": "None"}] * (len(kwargs["TransactItems"]) - 1) + [{"Code": self.reason}]
        raise ClientError(
            {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}, "CancellationReasons": reasons},
            "TransactWriteItems",
        )


def test_transaction_conflict_is_a_concurrency_error():
    with pytest.raises(ConcurrencyError, match="a concurrent transaction on the same items"):
        append("order-1", 0, [placed()], table_name=TABLE, client=CancellingClient("TransactionConflict"))


def test_other_cancellation_reasons_are_not_concurrency_errors():
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        append("order-1", 0, [placed()], table_name=TABLE, client=CancellingClient("ThrottlingError"))
