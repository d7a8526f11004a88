"""Fan-out jobs: start one from your code, and run one worker's part of it.

A job is one SNS message on a :class:`~cdk_serverless_patterns.FanOutFanIn`
topic. Every worker queue receives it (raw delivery, so the SQS body is the
message itself) unless the worker's filter policy drops it. The message shape::

    {"job_id": "2f1c...", "parts": ["thumbnail", "metadata"], "payload": {...}}

``parts`` names the workers whose results complete the job (by default all of
them); the job completes when each of them has recorded its part. Starting a job::

    from cdk_serverless_patterns.runtime.jobs import start_job

    job_id = start_job({"bucket": "photos", "key": "cat.jpg"}, parts=["thumbnail", "metadata"])

A worker handler::

    from cdk_serverless_patterns.runtime.batch import process_batch
    from cdk_serverless_patterns.runtime.jobs import run_part

    def handler(event, context):
        return process_batch(event, lambda record: run_part(record, make_thumbnail))

The publisher needs ``sns:Publish`` and the topic key (``FanOutFanIn.grant_start_jobs``).

On a FIFO fan-out (``FanOutFanIn(fifo=True)``, topic ARN ending ``.fifo``) every
job belongs to a message group: ``group_id=...``, or the payload field named by
``FAN_OUT_MESSAGE_GROUP_KEY`` (``message_group_key`` of the construct). The job
id is the deduplication id, so re-publishing a job within SNS's 5-minute
deduplication window is a no-op. FIFO topics have no per-message delay.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence, cast

from . import clients, env, fan_in
from .log import CORRELATION_FIELD, correlation_scope, current_correlation_id, get_logger

#: SNS maximum message size (256 KB), body plus attributes.
#: https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html
MAX_MESSAGE_BYTES = 256 * 1024
#: SNS FIFO message group ids: 1-128 characters, printable ASCII except space.
#: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
GROUP_ID_RE = re.compile(r"^[!-~]{1,128}$")
#: Part names are worker names: the construct's rule for construct ids.
PART_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")

_log = get_logger("fan-out")


@dataclass(frozen=True)
class JobMessage:
    """One job as a worker receives it."""

    job_id: str
    parts: tuple[str, ...]
    payload: dict[str, Any]
    #: the correlation id of the request that started the job, if any
    correlation_id: Optional[str] = None

    @property
    def expected(self) -> int:
        return len(self.parts)

    def to_json(self) -> str:
        message: dict[str, Any] = {"job_id": self.job_id, "parts": list(self.parts), "payload": self.payload}
        if self.correlation_id:
            message[CORRELATION_FIELD] = self.correlation_id
        return json.dumps(message)


def new_job_message(
    payload: Mapping[str, Any],
    *,
    parts: Sequence[str],
    job_id: Optional[str] = None,
    correlation_id: Optional[str] = None,
) -> JobMessage:
    """Build and validate a job message (``job_id`` defaults to a random UUID,
    ``correlation_id`` to the current one)."""
    job = JobMessage(
        job_id=job_id if job_id is not None else str(uuid.uuid4()),
        parts=tuple(parts),
        payload=dict(payload),
        correlation_id=correlation_id if correlation_id is not None else current_correlation_id(),
    )
    _check(job)
    return job


def _check(job: JobMessage) -> None:
    if not isinstance(job.job_id, str) or not job.job_id or len(job.job_id.encode()) > 1024:
        raise ValueError(f"job_id must be a non-empty string of at most 1024 bytes, got {job.job_id!r}")
    if not job.parts:
        raise ValueError("parts must name at least one worker")
    bad = [p for p in job.parts if not isinstance(p, str) or not PART_NAME_RE.match(p)]
    if bad:
        raise ValueError(f"parts must be worker names (letters, digits, '-', '_'; start with a letter): {bad!r}")
    if len(set(job.parts)) != len(job.parts):
        raise ValueError(f"parts must be unique, got {list(job.parts)!r}")
    if len(job.parts) > fan_in.MAX_EXPECTED:
        raise ValueError(f"a job has at most {fan_in.MAX_EXPECTED} parts, got {len(job.parts)}")


def parse_job_message(body: str) -> JobMessage:
    """The :class:`JobMessage` in an SQS record body; ``ValueError`` if malformed."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"job message is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("job message must be a JSON object")
    payload = data.get("payload", {})
    if not isinstance(payload, dict):
        raise ValueError("job message payload must be an object")
    parts = data.get("parts")
    if not isinstance(parts, list):
        raise ValueError("job message must list its parts")
    correlation = data.get(CORRELATION_FIELD)
    # _check rejects a job_id that is not a non-empty string
    job = JobMessage(
        job_id=cast(str, data.get("job_id")),
        parts=tuple(parts),
        payload=payload,
        correlation_id=correlation if isinstance(correlation, str) and correlation else None,
    )
    _check(job)
    return job


def start_job(
    payload: Mapping[str, Any],
    *,
    parts: Sequence[str],
    job_id: Optional[str] = None,
    attributes: Optional[Mapping[str, str]] = None,
    topic_arn: Optional[str] = None,
    client: Any = None,
    group_id: Optional[str] = None,
    correlation_id: Optional[str] = None,
) -> str:
    """Publish a job to the fan-out topic and return its id.

    :param payload: JSON object every worker receives.
    :param parts: worker names whose parts complete the job.
    :param job_id: default: a random UUID. Reusing an id re-delivers the job,
        which the fan-in ignores once complete (a safe retry for publishers).
    :param attributes: string message attributes that workers' filter
        policies match on. Default: none.
    :param topic_arn: default: the ``FAN_OUT_TOPIC_ARN`` environment variable.
    :param group_id: FIFO topics only: the job's message group (jobs of one
        group reach each worker in publish order). Default: the payload's value
        at the ``FAN_OUT_MESSAGE_GROUP_KEY`` field.
    :param correlation_id: carried in the message (body and ``correlation_id``
        attribute) to every worker, the fan-in state and the aggregator.
        Default: the current correlation id (``runtime.log``), if any.
    """
    job = new_job_message(payload, parts=parts, job_id=job_id, correlation_id=correlation_id)
    body = job.to_json()
    all_attributes = dict(attributes or {})
    if job.correlation_id:
        all_attributes.setdefault(CORRELATION_FIELD, job.correlation_id)
    message_attributes = {k: {"DataType": "String", "StringValue": v} for k, v in all_attributes.items()}
    size = len(body.encode()) + sum(len(k.encode()) + len(v.encode()) for k, v in all_attributes.items())
    if size > MAX_MESSAGE_BYTES:
        raise ValueError(
            f"job message is {size} bytes; SNS accepts at most {MAX_MESSAGE_BYTES}. Put large inputs in S3 and pass their key."
        )
    arn = env.require(env.FAN_OUT_TOPIC_ARN, topic_arn)
    sns = clients.client("sns", client)
    kwargs: dict[str, Any] = {"TopicArn": arn, "Message": body}
    if arn.endswith(".fifo"):
        kwargs["MessageGroupId"] = message_group_id(job.payload, group_id)
        kwargs["MessageDeduplicationId"] = deduplication_id(job.job_id)
    elif group_id is not None:
        raise ValueError(f"group_id is for FIFO topics; {arn} is a standard topic")
    if message_attributes:
        kwargs["MessageAttributes"] = message_attributes
    sns.publish(**kwargs)
    _log.info("job started", extra={"job_id": job.job_id, "parts": list(job.parts)})
    return job.job_id


def deduplication_id(job_id: str) -> str:
    """The job id if it fits SNS's 128-character deduplication id, else its SHA-256
    (a prefix could make two long job ids duplicates of each other)."""
    if len(job_id) <= 128 and all("!" <= c <= "~" for c in job_id):
        return job_id
    return hashlib.sha256(job_id.encode()).hexdigest()


def message_group_id(payload: Mapping[str, Any], explicit: Optional[str] = None) -> str:
    """The message group of a FIFO job: ``explicit``, else ``payload[FAN_OUT_MESSAGE_GROUP_KEY]``."""
    if explicit is None:
        key = os.environ.get(env.FAN_OUT_MESSAGE_GROUP_KEY)
        if not key:
            raise ValueError(
                "a FIFO fan-out job needs a message group: pass group_id=..., or set message_group_key "
                "on FanOutFanIn (FAN_OUT_MESSAGE_GROUP_KEY) and put that field in the payload"
            )
        if key not in payload or payload[key] in (None, ""):
            raise ValueError(f"the payload has no {key!r} field, which names this job's message group")
        explicit = str(payload[key])
    if not isinstance(explicit, str) or not GROUP_ID_RE.match(explicit):
        raise ValueError(
            f"message group id {explicit!r} is invalid: 1-128 printable ASCII characters without spaces"
        )
    return explicit


def run_part(
    record: Mapping[str, Any],
    work: Callable[[JobMessage], Any],
    *,
    part: Optional[str] = None,
    **submit_options: Any,
) -> bool:
    """Do this worker's part of the job in one SQS ``record`` and record its result.

    ``work(job)`` returns the part's JSON-serializable result; if it raises, the
    record fails (use with :func:`~cdk_serverless_patterns.runtime.batch.process_batch`
    so only that record is retried). A job that does not list this worker's part
    is acknowledged without work. Returns True when this call completed the job.

    :param part: default: the ``FAN_OUT_WORKER_NAME`` environment variable.
    :param submit_options: passed to :func:`fan_in.submit_part` (table, queue, clients).
    """
    name = env.require(env.FAN_OUT_WORKER, part)
    job = parse_job_message(record["body"])
    with correlation_scope(job.correlation_id or current_correlation_id()):
        log = _log.bind(job_id=job.job_id, part=name)
        if name not in job.parts:
            log.info("job does not include this part; nothing to do")
            return False
        result = work(job)
        completed = fan_in.submit_part(job.job_id, name, expected=job.expected, result=result, **submit_options)
        log.info("part recorded", extra={"completed_job": completed})
        return completed
