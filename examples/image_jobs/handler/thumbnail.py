"""Worker 'thumbnail': plans the thumbnails of one image and records the plan as its part."""

from __future__ import annotations

from typing import Any

from imaging import thumbnail_plan, validate_image

from cdk_serverless_patterns.runtime.batch import process_batch
from cdk_serverless_patterns.runtime.jobs import JobMessage, run_part


def work(job: JobMessage) -> dict[str, Any]:
    return thumbnail_plan(validate_image(job.payload))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # A record that raises (invalid image, throttled table) is reported as a
    # batch item failure: SQS retries it, then moves it to the worker's DLQ.
    return process_batch(event, lambda record: run_part(record, work))
