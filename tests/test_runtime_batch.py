"""runtime.batch: partial batch failure responses."""

from __future__ import annotations

import pytest

from cdk_serverless_patterns.runtime.batch import item_identifier, process_batch


def sqs_event(*bodies):
    return {"Records": [{"messageId": f"m{i}", "body": b} for i, b in enumerate(bodies)]}


def kinesis_event(*values):
    return {"Records": [{"kinesis": {"sequenceNumber": str(100 + i), "data": v}} for i, v in enumerate(values)]}


def fail_on(bad):
    seen = []

    def handle(record):
        value = record.get("body", record.get("kinesis", {}).get("data"))
        seen.append(value)
        if value in bad:
            raise ValueError(f"bad record {value}")

    return handle, seen


def test_reports_only_failed_sqs_messages():
    handle, seen = fail_on({"b"})
    assert process_batch(sqs_event("a", "b", "c"), handle) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert seen == ["a", "b", "c"]


def test_all_successful_is_empty_failure_list():
    handle, _ = fail_on(set())
    assert process_batch(sqs_event("a"), handle) == {"batchItemFailures": []}


def test_ordered_source_stops_at_first_failure_and_reports_the_rest():
    handle, seen = fail_on({"y"})
    response = process_batch(kinesis_event("x", "y", "z"), handle, stop_on_first_failure=True)
    assert response == {"batchItemFailures": [{"itemIdentifier": "101"}, {"itemIdentifier": "102"}]}
    assert seen == ["x", "y"]


def test_dynamodb_stream_identifier():
    assert item_identifier({"dynamodb": {"SequenceNumber": "42"}}) == "42"


def test_unknown_record_shape_is_an_error():
    with pytest.raises(ValueError, match="no SQS, Kinesis or DynamoDB"):
        item_identifier({"foo": 1})


def test_a_fully_failed_batch_raises_so_the_errors_alarm_fires():
    from cdk_serverless_patterns.runtime.batch import BatchProcessingError

    handle, seen = fail_on({"a", "b"})
    with pytest.raises(BatchProcessingError, match="all 2 records of the batch failed; first error: ValueError") as err:
        process_batch(sqs_event("a", "b"), handle)
    assert err.value.failures == [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]
    assert seen == ["a", "b"]


def test_ordered_batch_failing_on_its_first_record_raises():
    from cdk_serverless_patterns.runtime.batch import BatchProcessingError

    handle, seen = fail_on({"x"})
    with pytest.raises(BatchProcessingError):
        process_batch(kinesis_event("x", "y"), handle, stop_on_first_failure=True)
    assert seen == ["x"]


def test_opting_out_returns_every_record_instead():
    handle, _ = fail_on({"a"})
    response = process_batch(sqs_event("a"), handle, raise_on_entire_batch_failure=False)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m0"}]}


def test_empty_batch_does_not_raise():
    handle, _ = fail_on(set())
    assert process_batch({"Records": []}, handle) == {"batchItemFailures": []}
