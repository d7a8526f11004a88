"""Aggregator: combines a completed image job's parts into one catalogue record.

Receives ``{"job_id": ...}`` messages from the fan-in. SQS may deliver a job
twice, so the record is written with a condition (no record for this image
yet): a redelivery finds it and does nothing.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Mapping

from botocore.exceptions import ClientError

from cdk_serverless_patterns.runtime import fan_in
from cdk_serverless_patterns.runtime.batch import process_batch
from cdk_serverless_patterns.runtime.log import get_logger

RESULTS_TABLE_ENV = "IMAGE_RESULTS_TABLE_NAME"
log = get_logger("image-jobs")
_dynamodb = None


def _client(explicit: Any = None) -> Any:
    global _dynamodb
    if explicit is not None:
        return explicit
    if _dynamodb is None:
        import boto3

        _dynamodb = boto3.client("dynamodb")
    return _dynamodb


def combine(job: fan_in.FanInJob) -> dict[str, Any]:
    """The catalogue record of a completed job; ``ValueError`` if a part is missing."""
    missing = {"thumbnail", "metadata"} - set(job.results)
    if not job.complete or missing:
        raise ValueError(f"job {job.job_id} is not complete (missing parts: {sorted(missing)})")
    thumbnails = job.results["thumbnail"]["thumbnails"]
    return {
        "source": job.results["thumbnail"]["source"],
        "metadata": job.results["metadata"],
        "thumbnails": {str(t["box"]): {"key": t["key"], "width": t["width"], "height": t["height"]} for t in thumbnails},
    }


def aggregate(record: Mapping[str, Any], *, dynamodb: Any = None, table_name: str | None = None) -> bool:
    """Write the combined record of the job in ``record``; False if it was already written."""
    job_id = fan_in.aggregator_job_id(record)
    job = fan_in.load_job(job_id, client=dynamodb)
    combined = combine(job)
    client = _client(dynamodb)
    try:
        client.put_item(
            TableName=table_name or os.environ[RESULTS_TABLE_ENV],
            Item={
                "pk": {"S": job_id},
                "record": {"S": json.dumps(combined, sort_keys=True)},
                "aggregated_at": {"N": str(int(time.time()))},
            },
            ConditionExpression="attribute_not_exists(pk)",
        )
    except ClientError as err:
        if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        log.info("job already aggregated", extra={"job_id": job_id})
        return False
    log.info("job aggregated", extra={"job_id": job_id})
    return True


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_batch(event, aggregate)
