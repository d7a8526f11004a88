"""runtime.saga_steps against moto: one run per execution, step and phase."""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cdk_serverless_patterns.runtime import env, saga_steps
from cdk_serverless_patterns.runtime.saga_steps import StepInProgress, idempotent_step, nothing_to_undo, step_key
from tests.support import create_moto_table
from tests.test_runtime_fan_in import SerializedClient

REGION = "eu-west-1"
TABLE = "saga-steps"


def payload(execution: str = "exec-1", step: str = "reserve", phase: str = "action") -> dict[str, Any]:
    return {"saga": {"execution_id": execution, "step": step, "phase": phase}, "input": {"order_id": "o-1"}, "results": {}}


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv(env.SAGA_STEPS_TABLE, TABLE)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_moto_table(client, TABLE, "pk", "sk")
        yield client


class Counter:
    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def bump(self) -> int:
        with self.lock:
            self.calls += 1
            return self.calls


def test_a_retry_after_the_result_was_recorded_returns_it_without_running_again(ddb: Any) -> None:
    counter = Counter()

    @idempotent_step(client=ddb)
    def reserve(event: Any, context: Any) -> dict[str, Any]:
        return {"reservation": counter.bump()}

    assert reserve(payload(), None) == {"reservation": 1}
    assert reserve(payload(), None) == {"reservation": 1}  # a crash after commit, retried
    assert counter.calls == 1
    marker = ddb.get_item(TableName=TABLE, Key={"pk": {"S": "SAGA#exec-1"}, "sk": {"S": "STEP#reserve#action"}})["Item"]
    assert marker["status"]["S"] == "COMPLETED" and "claimed_until" not in marker
    assert int(marker["expires_at"]["N"]) > time.time() + 29 * 86400


def test_each_execution_step_and_phase_has_its_own_marker(ddb: Any) -> None:
    counter = Counter()

    @idempotent_step(client=ddb)
    def handler(event: Any, context: Any) -> int:
        return counter.bump()

    results = [handler(payload(*key), None) for key in
               (("e1", "a", "action"), ("e1", "a", "compensate"), ("e1", "b", "action"), ("e2", "a", "action"))]
    assert results == [1, 2, 3, 4]


def test_a_failed_run_leaves_no_marker_so_the_retry_runs_and_the_error_propagates(ddb: Any) -> None:
    attempts = Counter()

    @idempotent_step(client=ddb)
    def charge(event: Any, context: Any) -> str:
        if attempts.bump() == 1:
            raise TimeoutError("provider timed out")
        return "charged"

    with pytest.raises(TimeoutError):
        charge(payload(step="charge"), None)
    assert charge(payload(step="charge"), None) == "charged"
    assert attempts.calls == 2


def test_a_compensation_records_that_there_was_nothing_to_undo(ddb: Any) -> None:
    @idempotent_step(client=ddb)
    def release(event: Any, context: Any) -> dict[str, Any]:
        return nothing_to_undo("nothing was reserved", order_id="o-1")

    first = release(payload(phase="compensate"), None)
    assert first == {"undone": False, "nothing_to_undo": True, "reason": "nothing was reserved", "order_id": "o-1"}
    assert release(payload(phase="compensate"), None) == first


def test_a_claim_held_by_a_live_invocation_refuses_a_duplicate(ddb: Any) -> None:
    entered, leave = threading.Event(), threading.Event()

    @idempotent_step(client=ddb)
    def slow(event: Any, context: Any) -> str:
        entered.set()
        leave.wait(5)
        return "done"

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(slow, payload(), None)
        assert entered.wait(5)
        with pytest.raises(StepInProgress, match="action of step reserve in exec-1"):
            slow(payload(), None)
        leave.set()
        assert first.result() == "done"
    assert slow(payload(), None) == "done"


def test_a_claim_of_an_invocation_that_died_is_taken_over_after_its_deadline(ddb: Any) -> None:
    now = int(time.time())
    ddb.put_item(
        TableName=TABLE,
        Item={"pk": {"S": "SAGA#exec-1"}, "sk": {"S": "STEP#reserve#action"}, "status": {"S": "IN_PROGRESS"},
              "token": {"S": "dead"}, "claimed_until": {"N": str(now - 1)}, "expires_at": {"N": str(now + 60)}},
    )

    @idempotent_step(client=ddb)
    def reserve(event: Any, context: Any) -> str:
        return "reserved"

    assert reserve(payload(), None) == "reserved"


def test_the_claim_lasts_as_long_as_the_invocation_may_run(ddb: Any) -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 4_200

    seen: dict[str, Any] = {}

    @idempotent_step(client=ddb)
    def peek(event: Any, context: Any) -> None:
        item = ddb.get_item(TableName=TABLE, Key={"pk": {"S": "SAGA#exec-1"}, "sk": {"S": "STEP#reserve#action"}})
        seen.update(item["Item"])

    before = int(time.time())
    peek(payload(), Context())
    assert before + 5 <= int(seen["claimed_until"]["N"]) <= before + 7


def test_racing_duplicates_run_the_handler_once_and_all_see_its_result(ddb: Any) -> None:
    counter = Counter()
    # The first two claims meet while both are in flight: the overlap is certain, not
    # left to the scheduler (under load the threads could otherwise run one by one).
    meet = threading.Barrier(2)
    arrivals = itertools.count()

    def both_in_flight(name: str) -> None:
        if name == "put_item" and next(arrivals) < 2:
            meet.wait(5)

    serialized = SerializedClient(ddb, before_call=both_in_flight)
    gate = threading.Barrier(8)

    @idempotent_step(client=serialized)
    def reserve(event: Any, context: Any) -> int:
        time.sleep(0.05)  # hold the claim while the others arrive
        return counter.bump()

    def duplicate(_: int) -> Any:
        gate.wait(5)
        for _attempt in range(100):  # a compensation's retrier: StepInProgress is retried
            try:
                return reserve(payload(), None)
            except StepInProgress:
                time.sleep(0.01)
        raise AssertionError("never completed")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(duplicate, range(8)))
    assert counter.calls == 1
    assert results == [1] * 8
    assert serialized.max_in_flight > 1  # the requests really overlapped


def test_a_payload_that_is_not_a_saga_step_is_refused() -> None:
    with pytest.raises(ValueError, match="no 'saga' object"):
        step_key({"input": {}})
    with pytest.raises(ValueError, match="lacks execution_id/step/phase"):
        step_key({"saga": {"step": "a", "phase": "action"}})


def test_without_a_table_the_error_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(env.SAGA_STEPS_TABLE, raising=False)

    @idempotent_step
    def handler(event: Any, context: Any) -> None:
        return None

    with pytest.raises(RuntimeError, match=env.SAGA_STEPS_TABLE):
        handler(payload(), None)


def test_the_module_is_light_at_import() -> None:
    assert not hasattr(saga_steps, "boto3")
