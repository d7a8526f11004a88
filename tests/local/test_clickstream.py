"""Clickstream end to end: Kinesis records → batched, ordered delivery → exactly-once counting."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_serverless_patterns.local import LocalCloud
from tests.support import send_extras

CLICKS = [
    {"page": "/pricing", "session_id": "s-1", "ts": "2026-11-24T10:00:12Z"},
    {"page": "/pricing", "session_id": "s-2", "ts": "2026-11-24T10:00:40Z"},
    {"page": "/docs", "session_id": "s-1", "ts": "2026-11-24T10:01:05Z"},
]


@pytest.fixture(scope="module")
def stack(synthesized_example: Any) -> Any:
    return synthesized_example("clickstream").stacks[0]


def _counts(cloud: Any, stack: Any) -> dict[tuple[str, str], int]:
    items = cloud.table(stack.clicks).scan()["Items"]
    return {(i["pk"], i["sk"]): int(i["views"]) for i in items if "views" in i}


def test_clicks_are_counted_per_page_and_minute(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        cloud.put_records(stack.clicks, CLICKS)
        counts = _counts(cloud, stack)
        assert counts[("PAGE#/pricing", "MINUTE#2026-11-24T10:00")] == 2
        assert counts[("PAGE#/docs", "MINUTE#2026-11-24T10:01")] == 1


def test_a_redelivered_batch_is_not_counted_twice(stack: Any) -> None:
    with LocalCloud(stack, duplicate_deliveries=True) as cloud:
        cloud.put_records(stack.clicks, CLICKS)
        assert len(cloud.invocations(stack.clicks)) == 2
        assert _counts(cloud, stack)[("PAGE#/pricing", "MINUTE#2026-11-24T10:00")] == 2


def test_a_malformed_record_is_rejected_without_blocking_the_shard(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        cloud.put_records(stack.clicks, [b"not json", CLICKS[0]])
        counts = _counts(cloud, stack)
        assert counts[("PAGE#/pricing", "MINUTE#2026-11-24T10:00")] == 1
        assert any(i["pk"] == "REJECTED" for i in cloud.table(stack.clicks).scan()["Items"])


def test_a_batch_that_keeps_failing_goes_to_the_on_failure_queue(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        cloud.fail(stack.clicks, times=1000, error="ProvisionedThroughputExceededException")
        cloud.put_records(stack.clicks, CLICKS)
        failures = cloud.messages(stack.clicks.failure_queue)
        assert failures, "the exhausted batch must be recorded"
        info = failures[0].json()["KinesisBatchInfo"]
        assert info["batchSize"] >= 1 and info["streamArn"].endswith(":stream/" + cloud.template.resources[
            next(r.logical_id for r in cloud.template.of_type("AWS::Kinesis::Stream"))].name)
        assert _counts(cloud, stack) == {}


def test_a_batch_that_crashes_after_committing_is_retried_without_counting_twice(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        cloud.fail(stack.clicks, after_commit=True, error="Timeout")
        cloud.put_records(stack.clicks, CLICKS)
        assert len(cloud.invocations(stack.clicks)) >= 2  # the crashed batch, then its retry (bisected)
        assert _counts(cloud, stack)[("PAGE#/pricing", "MINUTE#2026-11-24T10:00")] == 2


#: Grants no test of this module used, each with why it is still granted (empty: all used).
UNUSED_GRANTS: dict[str, dict[str, str]] = {
    "ClickstreamExample/Clicks/Processor/Function": {
        **send_extras("ClickstreamExample-ClicksOnFailureQueue94972D31"),
        "dynamodb:BatchWriteItem arn:aws:dynamodb:us-east-1:123456789012:table/ClickstreamExample-PageViewsE89FD556":
            "StreamProcessing's result_table grant (the result-store writes); the aggregator counts with one TransactWriteItems of UpdateItems (authorized per contained action), never a batch write",
        "dynamodb:GetItem arn:aws:dynamodb:us-east-1:123456789012:table/ClickstreamExample-PageViewsE89FD556":
            "StreamProcessing's result_table grant; the aggregator never reads a count back (conditional updates decide)",
        "dynamodb:PutItem arn:aws:dynamodb:us-east-1:123456789012:table/ClickstreamExample-PageViewsE89FD556":
            "StreamProcessing's result_table grant; counts are created by UpdateItem (ADD), never put",
    },
}


def test_every_grant_was_used_or_is_named(observed_grants: Any) -> None:
    observed_grants.assert_named(UNUSED_GRANTS)  # last: every cloud of the module has closed
