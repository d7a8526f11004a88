"""The order saga on a Lambda durable function, end to end on LocalCloud: the synthesized
orchestrator (DurableConfig, live alias, checkpoint policy) replays against the local
checkpoint store; the step functions are order_saga's handlers.

Invariants after every scenario: stock is taken once or given back, the money is charged
once or refunded, a shipment exists only for an order that ended SUCCEEDED, and nothing
that was checkpointed runs again on a replay.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("aws_durable_execution_sdk_python_testing")
from botocore.exceptions import ClientError  # noqa: E402

from cdk_serverless_patterns.local import LocalCloud  # noqa: E402
from cdk_serverless_patterns.runtime import durable_saga as ds  # noqa: E402

# the same order, stock seed and look-ups as the Standard saga's tests; `cloud` resolves this module's `stack`
from tests.local.test_order_saga import CLAIM_RELEASED_ON_RAISE, ORDER, _item, _stock, cloud  # noqa: E402,F401
from tests.support import DATA_KEY_ARN, send_extras, table_key  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::cdk_serverless_patterns.local.LocalCloudWarning")

STEPS = ("reserve_inventory", "charge_payment", "ship_order")
SIMULATED = {"reserve_inventory": "reserve", "charge_payment": "charge", "ship_order": "ship"}


@pytest.fixture(scope="module")
def stack(synthesized_example: Any) -> Any:
    return synthesized_example("order_saga_durable").stacks[0]


def _calls(cloud: Any, stack: Any, step: str, role: str = "action") -> int:
    return len(cloud.invocations(getattr(stack.saga.functions[step], role)))


def _assert_done(cloud: Any, stack: Any, order_id: str) -> None:
    assert _stock(cloud, stack) == 3
    assert _item(cloud, stack, order_id, "RESERVATION")["status"] == "RESERVED"
    assert _item(cloud, stack, order_id, "PAYMENT")["status"] == "CHARGED"
    assert _item(cloud, stack, order_id, "SHIPMENT")["status"] == "SHIPPED"


def _assert_undone(cloud: Any, stack: Any, order_id: str) -> None:
    assert _stock(cloud, stack) == 5
    payment, shipment = _item(cloud, stack, order_id, "PAYMENT"), _item(cloud, stack, order_id, "SHIPMENT")
    assert payment is None or payment["status"] == "REFUNDED"
    assert shipment is None or shipment["status"] == "CANCELLED"


def test_an_order_runs_every_step_once_and_succeeds(cloud: Any, stack: Any) -> None:
    execution = cloud.start_durable_execution(stack.saga, ORDER, name="o-1")
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    _assert_done(cloud, stack, "o-1")
    assert [o["name"] for o in execution.operations] == list(STEPS)
    assert execution.output["results"]["charge_payment"]["status"] == "CHARGED"
    assert [_calls(cloud, stack, s) for s in STEPS] == [1, 1, 1]
    [unused] = cloud.unused_grants(stack.saga.orchestrator).values()
    # the checkpoints went through the orchestrator's own policy, and every action's invoke was used
    # (GetDurableExecutionState is read only when the state outgrows the invocation input)
    assert not [pair for pair in unused if pair.startswith("lambda:CheckpointDurableExecution")]
    assert not [pair for pair in unused if "Action" in pair and pair.startswith("lambda:InvokeFunction")]


@pytest.mark.parametrize("failing", STEPS)
def test_a_failure_at_each_step_compensates_it_and_the_earlier_steps_in_reverse(cloud: Any, stack: Any, failing: str) -> None:
    order_id = f"f-{failing}"
    execution = cloud.start_durable_execution(
        stack.saga, {**ORDER, "order_id": order_id, "simulate_failure": SIMULATED[failing]}, name=order_id
    )
    assert (execution.status, execution.error) == ("FAILED", ds.STEP_FAILED_ERROR)
    state = json.loads(execution.cause)
    assert state["failure"]["step"] == failing
    _assert_undone(cloud, stack, order_id)
    index = STEPS.index(failing)
    compensations = [o["name"] for o in execution.operations if o["name"].startswith("compensate-")]
    assert compensations == [f"compensate-{s}" for s in reversed(STEPS[: index + 1])]
    assert _calls(cloud, stack, failing) == 1  # a business error is not retried


@pytest.mark.parametrize("crashing", STEPS)
def test_a_step_function_crashing_after_its_commit_is_retried_and_takes_effect_once(cloud: Any, stack: Any, crashing: str) -> None:
    order_id = f"c-{crashing}"
    cloud.fail(stack.saga.functions[crashing].action, after_commit=True, error="Timeout")
    execution = cloud.start_durable_execution(stack.saga, {**ORDER, "order_id": order_id}, name=order_id)
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    _assert_done(cloud, stack, order_id)
    assert _calls(cloud, stack, crashing) == 2  # the crash (Lambda.Unknown) and the retry, answered from the step marker
    assert execution.step(crashing)["attempt"] >= 1
    assert execution.virtual_seconds > 0  # the back-off was virtual


@pytest.mark.parametrize("crashes", [1, 2, 3])
def test_the_orchestrator_crashing_after_each_step_commit_replays_without_redoing_steps(cloud: Any, stack: Any, crashes: int) -> None:
    order_id = f"r-{crashes}"
    cloud.fail(stack.saga.orchestrator, times=crashes, after_commit=True, error="Timeout")
    execution = cloud.start_durable_execution(stack.saga, {**ORDER, "order_id": order_id}, name=order_id)
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    _assert_done(cloud, stack, order_id)
    assert [_calls(cloud, stack, s) for s in STEPS] == [1, 1, 1]  # checkpointed steps never ran again
    assert execution.invocations == crashes + 1
    crashed = [r for _, r in cloud.invocations(stack.saga.orchestrator) if not isinstance(r, dict)]
    assert len(crashed) == crashes and all(c.error_type == "Sandbox.Timedout" for c in crashed)


def test_a_refund_failing_for_good_still_releases_the_stock_and_ends_incomplete(cloud: Any, stack: Any) -> None:
    refund = stack.saga.functions["charge_payment"].compensation
    cloud.fail(refund, times=100, error="PaymentProviderDown")
    execution = cloud.start_durable_execution(
        stack.saga, {**ORDER, "order_id": "o-8", "simulate_failure": "ship"}, name="o-8"
    )
    assert (execution.status, execution.error) == ("FAILED", ds.COMPENSATION_INCOMPLETE_ERROR)
    state = json.loads(execution.cause)
    assert state["incomplete"] == ["charge_payment"]
    assert state["compensations"]["charge_payment"]["failed"]["Error"] == "PaymentProviderDown"
    assert _calls(cloud, stack, "charge_payment", "compensation") == 1 + 5  # the first try and 5 retries
    assert _stock(cloud, stack) == 5  # release ran after the refund gave up
    assert _item(cloud, stack, "o-8", "PAYMENT")["status"] == "CHARGED"  # what is left to undo
    assert _item(cloud, stack, "o-8", "SHIPMENT") is None  # the failed shipment wrote nothing
    assert execution.operations[-1]["name"] == "report-incomplete"


def test_duplicate_starts_run_one_execution_and_take_stock_and_money_once(stack: Any) -> None:
    with LocalCloud(stack, duplicate_deliveries=True) as cloud:
        cloud.table(stack.table).put_item(Item={"pk": "SKU#book-1", "sk": "STOCK", "available": 5})
        first = cloud.start_durable_execution(stack.saga, {**ORDER, "order_id": "o-9"}, name="o-9")
        again = cloud.start_durable_execution(stack.saga, {**ORDER, "order_id": "o-9"}, name="o-9")
        assert first.arn == again.arn and len(cloud.durable_executions(stack.saga)) == 1
        with pytest.raises(ClientError, match="DurableExecutionAlreadyStartedException"):
            cloud.start_durable_execution(stack.saga, {**ORDER, "order_id": "o-9", "customer_id": "c-8"}, name="o-9")
        # a second execution of the same order under another name changes nothing either
        other = cloud.start_durable_execution(stack.saga, {**ORDER, "order_id": "o-9"}, name="o-9-retry")
        assert (first.status, other.status) == ("SUCCEEDED", "SUCCEEDED")
        assert other.output["results"]["charge_payment"] == cloud.durable_executions(stack.saga)[0].output["results"]["charge_payment"]
        _assert_done(cloud, stack, "o-9")


#: Grants no test of this module used, each with why it is still granted (empty: all used).
_TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/OrderSagaDurableExample-OrdersA9B65338"
_ORCHESTRATOR = "OrderSagaDurableExample-OrderSagaOrchestratorFunction37587548"
UNUSED_GRANTS: dict[str, dict[str, str]] = {
    "OrderSagaDurableExample/OrderSaga/Orchestrator/Function": {
        f"kms:{action} {DATA_KEY_ARN}": (
            "Lambda encrypts the durable execution's checkpoints with DurableConfig.KMSKeyArn (the hardened "
            "stack's data key) under the orchestrator's role; LocalCloud's checkpoint store keeps them in memory "
            "unencrypted, so no local call uses the key"
        )
        for action in ("Decrypt", "GenerateDataKey")
    } | {
        f"lambda:GetDurableExecutionState arn:aws:lambda:us-east-1:123456789012:function:{_ORCHESTRATOR}:*": (
            "the durable SDK pages in checkpointed state with GetDurableExecutionState only when the invocation "
            "input does not carry all of it (a NextMarker); these executions' few steps always fit"
        ),
        **send_extras("OrderSagaDurableExample-OrderSagaOrchestratorAsyncFailuresQueueB0AD602C"),
    },
    **{
        f"OrderSagaDurableExample/OrderSaga/{step}Action/Function": table_key("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey")
        for step in ("reserve_inventory", "charge_payment", "ship_order")
    },
    **{
        f"OrderSagaDurableExample/OrderSaga/{step}Compensation/Function": {
            **table_key("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey"),
            f"dynamodb:DeleteItem {_TABLE}": CLAIM_RELEASED_ON_RAISE,
        }
        for step in ("reserve_inventory", "charge_payment", "ship_order")
    },
}


def test_every_grant_was_used_or_is_named(observed_grants: Any) -> None:
    observed_grants.assert_named(UNUSED_GRANTS)  # last: every cloud of the module has closed
