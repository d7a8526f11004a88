"""Worker 'metadata': derives catalogue metadata of one image and records it as its part."""

from __future__ import annotations

from typing import Any

from imaging import metadata, validate_image

from cdk_serverless_patterns.runtime.batch import process_batch
from cdk_serverless_patterns.runtime.jobs import JobMessage, run_part


def work(job: JobMessage) -> dict[str, Any]:
    return metadata(validate_image(job.payload))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_batch(event, lambda record: run_part(record, work))
