"""Image jobs end to end: submit → SNS (filter policies) → one queue per worker → workers → fan-in → aggregator once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdk_serverless_patterns.local import LocalCloud
from tests.support import send_extras

IMAGE = {
    "image_id": "cat-1",
    "bucket": "uploads",
    "key": "cats/cat-1.png",
    "width": 4000,
    "height": 3000,
    "size_bytes": 2_500_000,
    "content_type": "image/png",
}


@pytest.fixture(scope="module")
def stack(synthesized_example: Any) -> Any:
    return synthesized_example("image_jobs").stacks[0]


def _records(cloud: Any) -> list[dict[str, Any]]:
    table = next(r for r in cloud.template.of_type("AWS::DynamoDB::Table") if "ImageRecords" in r.logical_id)
    return cloud.table(table.logical_id).scan()["Items"]


def test_both_workers_run_and_the_aggregator_writes_one_record(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        job_id = cloud.invoke(stack.submit, IMAGE)
        assert job_id
        for worker in stack.jobs.workers.values():
            assert len(cloud.invocations(worker)) == 1
        [record] = _records(cloud)
        combined = json.loads(record["record"])
        assert combined["thumbnails"] and combined["metadata"]
        assert sum(len(event["Records"]) for event, _ in cloud.invocations(stack.jobs.aggregator)) == 1


def test_duplicated_parts_still_aggregate_exactly_once(stack: Any) -> None:
    with LocalCloud(stack, duplicate_deliveries=True) as cloud:
        cloud.invoke(stack.submit, IMAGE)
        assert all(len(cloud.invocations(w)) == 2 for w in stack.jobs.workers.values())  # every part delivered twice
        assert len(_records(cloud)) == 1


def test_a_non_image_is_filtered_out_by_the_subscriptions(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        with pytest.raises(Exception, match="content_type"):
            cloud.invoke(stack.submit, {**IMAGE, "content_type": "application/pdf"})
        cloud.publish(stack.jobs, {"job_id": "j-pdf"}, attributes={"content_type": "application/pdf"})
        assert all(cloud.invocations(w) == [] for w in stack.jobs.workers.values())


def test_a_worker_that_keeps_failing_sends_its_message_to_the_dlq(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        thumbnail = stack.jobs.workers["thumbnail"]
        cloud.fail(thumbnail, times=100, error="RuntimeError")
        cloud.invoke(stack.submit, IMAGE)
        queue = stack.jobs.queues["thumbnail"]
        dead = cloud.messages(queue.dead_letter_queue)
        assert len(dead) == 1
        assert dead[0].json()["job_id"] == "image-cat-1"  # raw message delivery: the job itself
        assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= 1
        assert _records(cloud) == []  # the job never completed


def test_a_worker_and_the_aggregator_crashing_after_committing_still_aggregate_once(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        worker = next(iter(stack.jobs.workers.values()))
        cloud.fail(worker, after_commit=True, error="Timeout")
        cloud.fail(stack.jobs.aggregator, after_commit=True, error="Timeout")
        cloud.invoke(stack.submit, IMAGE)
        assert len(cloud.invocations(worker)) == 2  # the message came back after the crash
        assert len(cloud.invocations(stack.jobs.aggregator)) == 2
        assert len(_records(cloud)) == 1


#: Grants no test of this module used, each with why it is still granted (empty: all used).
UNUSED_GRANTS: dict[str, dict[str, str]] = {
    "ImageJobsExample/ImageJobs/Workers/metadata/Worker/Function": {
        **send_extras("ImageJobsExample-ImageJobsAggregatorQueue32DE4BF5"),
    },
    "ImageJobsExample/ImageJobs/Workers/thumbnail/Worker/Function": {
        **send_extras("ImageJobsExample-ImageJobsAggregatorQueue32DE4BF5"),
        "sqs:SendMessage arn:aws:sqs:us-east-1:123456789012:ImageJobsExample-ImageJobsAggregatorQueue32DE4BF5":
            "only the worker that records a job's last part notifies the aggregator; in these tests the metadata worker always records last",
    },
}


def test_every_grant_was_used_or_is_named(observed_grants: Any) -> None:
    observed_grants.assert_named(UNUSED_GRANTS)  # last: every cloud of the module has closed
