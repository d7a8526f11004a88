"""CSV ingest end to end: S3 upload → EventBridge notification → rule (prefix/suffix) → importer → table + SNS."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdk_serverless_patterns.local import LocalCloud
from tests.support import send_extras, table_key

GOOD = "order_id,customer_id,amount,currency\nA-1001,C-17,25.90,EUR\nA-1002,C-18,10.00,USD\n"
BAD_ROW = "order_id,customer_id,amount,currency\nA-1001,C-17,25.90,EUR\nA-1002,C-18,-3,USD\n"


@pytest.fixture(scope="module")
def stack(synthesized_example: Any) -> Any:
    return synthesized_example("csv_ingest").stacks[0]


@pytest.fixture()
def cloud(stack: Any) -> Any:
    with LocalCloud(stack) as local:
        yield local


def _orders(cloud: Any, stack: Any) -> list[dict[str, Any]]:
    return [i for i in cloud.table(stack.ingest).scan()["Items"] if "customer_id" in i]


def test_an_uploaded_csv_is_imported_and_announced(cloud: Any, stack: Any) -> None:
    cloud.put_object(stack.ingest, "uploads/2026-11-24.csv", GOOD)
    assert sorted(o["customer_id"] for o in _orders(cloud, stack)) == ["C-17", "C-18"]
    [notification] = cloud.published(stack.ingest)
    assert json.loads(notification["Message"])["status"] == "IMPORTED"


def test_objects_outside_the_rule_filter_are_not_processed(cloud: Any, stack: Any) -> None:
    cloud.put_object(stack.ingest, "uploads/readme.txt", "not a csv")
    cloud.put_object(stack.ingest, "archive/2026-11-24.csv", GOOD)
    assert cloud.invocations(stack.ingest) == []


def test_a_file_with_a_bad_row_is_rejected_whole_and_not_retried(cloud: Any, stack: Any) -> None:
    cloud.put_object(stack.ingest, "uploads/bad.csv", BAD_ROW)
    assert _orders(cloud, stack) == []
    [notification] = cloud.published(stack.ingest)
    message = json.loads(notification["Message"])
    assert message["status"] == "REJECTED" and "line 3" in message["reason"]
    assert len(cloud.invocations(stack.ingest)) == 1


def test_a_redelivered_event_imports_once(stack: Any) -> None:
    with LocalCloud(stack, duplicate_deliveries=True) as cloud:
        cloud.put_object(stack.ingest, "uploads/twice.csv", GOOD)
        assert len(cloud.invocations(stack.ingest)) == 2
        assert len(_orders(cloud, stack)) == 2
        assert len(cloud.published(stack.ingest)) == 1


def test_an_import_that_keeps_failing_ends_in_the_failure_queue(cloud: Any, stack: Any) -> None:
    cloud.fail(stack.ingest, times=3, error="ConnectionError")
    cloud.put_object(stack.ingest, "uploads/flaky.csv", GOOD)
    [failed] = cloud.messages(stack.ingest.processor.dead_letter_queue)
    record = failed.json()
    assert record["requestPayload"]["detail"]["object"]["key"] == "uploads/flaky.csv"
    assert record["responsePayload"]["errorType"] == "ConnectionError"


def test_an_import_that_crashes_after_committing_is_retried_and_imports_once(stack: Any) -> None:
    with LocalCloud(stack) as cloud:
        cloud.fail(stack.ingest, after_commit=True, error="Timeout")
        cloud.put_object(stack.ingest, "uploads/crash.csv", GOOD)
        assert len(cloud.invocations(stack.ingest)) == 2  # Lambda's async retry
        assert len(_orders(cloud, stack)) == 2
        assert len(cloud.published(stack.ingest)) == 1


#: Grants no test of this module used, each with why it is still granted (empty: all used).
UNUSED_GRANTS: dict[str, dict[str, str]] = {
    "CsvIngestExample/OrdersImport/Processor/Function": {
        **table_key("DescribeKey", "Encrypt", "GenerateDataKey"),
        **send_extras("CsvIngestExample-OrdersImportProcessorAsyncFailuresQueue99721AE7"),
        "dynamodb:DeleteItem arn:aws:dynamodb:us-east-1:123456789012:table/CsvIngestExample-IdempotencyC15CBC33":
            "one of the four item actions Powertools documents for its DynamoDB idempotency store: it deletes the in-progress record when the handler raises; no test here makes the importer raise after the record was saved",
        "dynamodb:GetItem arn:aws:dynamodb:us-east-1:123456789012:table/CsvIngestExample-IdempotencyC15CBC33":
            "one of the four item actions Powertools documents for its idempotency store: it reads a record back only when a conditional put finds one without returning it; DynamoDB returns it here (ReturnValuesOnConditionCheckFailure)",
        "dynamodb:GetItem arn:aws:dynamodb:us-east-1:123456789012:table/CsvIngestExample-OrdersImportResults9D9F8711":
            "EventProcessing's result-store grant; the importer writes rows with BatchWriteItem and never reads them",
        "dynamodb:PutItem arn:aws:dynamodb:us-east-1:123456789012:table/CsvIngestExample-OrdersImportResults9D9F8711":
            "EventProcessing's result-store grant; the importer writes rows with BatchWriteItem (table.batch_writer), not single puts",
        "dynamodb:UpdateItem arn:aws:dynamodb:us-east-1:123456789012:table/CsvIngestExample-OrdersImportResults9D9F8711":
            "EventProcessing's result-store grant; the importer only adds rows",
        "s3:GetObjectVersion arn:aws:s3:::csvingestexample-ordersimportbucketd27a72ed/uploads/*":
            "EventProcessing lets the processor read an uploaded object in any version; the importer reads the current one (GetObject)",
    },
}


def test_every_grant_was_used_or_is_named(observed_grants: Any) -> None:
    observed_grants.assert_named(UNUSED_GRANTS)  # last: every cloud of the module has closed
