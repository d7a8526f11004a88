"""Audit trail end to end: asynchronous invocation, Lambda's retries, the on-failure queue, idempotent writes."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_serverless_patterns.local import LocalCloud
from tests.support import send_extras, table_key

EVENT = {
    "event_id": "e-1",
    "actor": "user:42",
    "action": "order.cancel",
    "resource": "order:981",
    "occurred_at": "2026-11-23T10:00:00Z",
    "detail": {"reason": "duplicate", "amount": 12.5},
}


@pytest.fixture(scope="module")
def stack(synthesized_example: Any) -> Any:
    return synthesized_example("audit_trail").stacks[0]


@pytest.fixture()
def cloud(stack: Any) -> Any:
    with LocalCloud(stack) as local:
        yield local


def _items(cloud: Any) -> list[dict[str, Any]]:
    table = next(r for r in cloud.template.of_type("AWS::DynamoDB::Table"))
    return cloud.table(table.logical_id).scan()["Items"]


def test_an_event_invoked_asynchronously_is_recorded_once(cloud: Any, stack: Any) -> None:
    cloud.invoke_async(stack.recorder, EVENT)
    cloud.invoke_async(stack.recorder, EVENT)  # a redelivery by the caller
    assert len(_items(cloud)) == 1
    assert [result for _, result in cloud.invocations(stack.recorder)] == [
        {"recorded": True, "event_id": "e-1"},
        {"recorded": False, "event_id": "e-1"},
    ]


def test_boto3_invoke_with_invocation_type_event_takes_the_same_path(cloud: Any, stack: Any) -> None:
    import json

    alias = cloud.template.of_type("AWS::Lambda::Alias")[0].arn
    response = cloud.client("lambda").invoke(FunctionName=alias, InvocationType="Event", Payload=json.dumps(EVENT))
    assert response["StatusCode"] == 202
    cloud.drain()
    assert len(_items(cloud)) == 1


def test_an_invalid_event_is_retried_twice_then_lands_in_the_on_failure_queue(cloud: Any, stack: Any) -> None:
    cloud.invoke_async(stack.recorder, {**EVENT, "occurred_at": "yesterday"})
    assert len(cloud.invocations(stack.recorder)) == 3
    [failed] = cloud.messages(stack.recorder.dead_letter_queue)
    record = failed.json()
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert "occurred_at is not an ISO-8601 timestamp" in record["responsePayload"]["errorMessage"]
    assert _items(cloud) == []


def test_a_recorder_that_crashes_after_committing_is_retried_and_records_once(stack: Any) -> None:
    with LocalCloud(stack, duplicate_deliveries=True) as cloud:
        cloud.fail(stack.recorder, after_commit=True, error="Timeout")
        cloud.invoke_async(stack.recorder, EVENT)
        cloud.invoke_async(stack.recorder, EVENT)  # and the caller delivers it again
        assert len(cloud.invocations(stack.recorder)) == 3  # crashed, Lambda's retry, the duplicate
        assert len(_items(cloud)) == 1


#: Grants no test of this module used, each with why it is still granted (empty: all used).
UNUSED_GRANTS: dict[str, dict[str, str]] = {
    "AuditTrailExample/Recorder/Function": {
        **table_key("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey"),
        **send_extras("AuditTrailExample-RecorderAsyncFailuresQueueBE494E9E"),
    },
}


def test_every_grant_was_used_or_is_named(observed_grants: Any) -> None:
    observed_grants.assert_named(UNUSED_GRANTS)  # last: every cloud of the module has closed
