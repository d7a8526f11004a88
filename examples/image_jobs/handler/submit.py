"""Starts an image job: validates the image description and fans it out.

Invoked synchronously (for example by the upload service) with one image
description (see ``imaging.validate_image``); returns the job id. The job id is
derived from the image id, so submitting the same image twice while its job is
still known to the fan-in produces no second result.
"""

from __future__ import annotations

import os
from typing import Any

from imaging import validate_image

from cdk_serverless_patterns.runtime.jobs import start_job
from cdk_serverless_patterns.runtime.log import get_logger

#: Set by the stack from FanOutFanIn.worker_names, so the job always lists every worker.
PARTS_ENV = "IMAGE_JOB_PARTS"
log = get_logger("image-jobs")


def handler(event: dict[str, Any], context: Any, sns_client: Any = None) -> dict[str, Any]:
    image = validate_image(event)
    parts = [p for p in os.environ[PARTS_ENV].split(",") if p]
    job_id = start_job(
        image,
        parts=parts,
        job_id=f"image-{image['image_id']}",
        attributes={"content_type": image["content_type"]},
        client=sns_client,
    )
    log.info("image job submitted", extra={"job_id": job_id, "image_id": image["image_id"]})
    return {"job_id": job_id}
