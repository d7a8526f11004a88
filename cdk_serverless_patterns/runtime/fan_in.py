"""Fan-in: record workers' parts of a job and trigger the aggregator exactly once.

The data-plane half of :class:`~cdk_serverless_patterns.FanOutFanIn`. A worker
calls :func:`submit_part` (or the lower-level contract function
:func:`complete_part`) when its part of a job is done; exactly one call per job
wins, and the winner sends the job id to the aggregator's queue. The aggregator
reads every part's result with :func:`load_job`. ::

    from cdk_serverless_patterns.runtime import fan_in

    def handle(job_id, result):
        fan_in.submit_part(job_id, "thumbnail", expected=2, result=result)

Item layout (table keys ``pk``/``sk``, TTL attribute ``expires_at``):

* job item ``pk=<job id>, sk="JOB"``: ``expected`` (number of parts),
  ``parts`` (string set of recorded part names), ``completed_at`` and
  ``completed_by`` once the last part landed, ``notified_at`` once the
  aggregator message was sent.
* part item ``pk=<job id>, sk="PART#<part>"``: the part's ``result`` (JSON
  text). One item per part keeps each result under DynamoDB's 400 KB item
  limit independently, and the aggregator reads them all with one Query.

Why it is exactly once: each call writes the part item (condition: it does not
exist) and updates the job item in ONE transaction. The job update's condition
says the job is not complete, the part is not in ``parts`` yet, and ``parts``
has exactly the size the caller read. The call that adds the last missing part
sets ``completed_at`` in that same transaction, so "recorded the last part" and
"completed the job" cannot be separated by a crash or by another worker. A
duplicate fails the part item's condition and writes nothing; a call whose read
went stale fails the size condition and re-reads (each such failure means
another part landed, so the loop ends). Concurrent transactions on the same
job item are cancelled with ``TransactionConflict`` and retried with backoff.

Sending the aggregator message is a separate step (:func:`submit_part`): the
contract function only decides. If the winner crashes after its transaction
but before the send, its SQS message is redelivered; that retry returns False
from :func:`complete_part`, sees ``completed_by`` is its own part and
``notified_at`` is missing, and sends. The aggregator can therefore receive a
job id more than once (SQS is at-least-once anyway) and must be idempotent.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from . import clients, env
from .log import CORRELATION_FIELD, current_correlation_id

#: Table key schema the construct creates (and an existing table must have).
PARTITION_KEY = "pk"
SORT_KEY = "sk"
#: TTL attribute (epoch seconds): finished and abandoned jobs expire.
TTL_ATTRIBUTE = "expires_at"
JOB_SORT_KEY = "JOB"
PART_PREFIX = "PART#"
#: Keep job state this long after its last write unless the construct says otherwise
#: (FAN_IN_RETENTION_SECONDS); longer than SQS's 14-day maximum retention, so a
#: late duplicate can never find its job gone and start it again.
DEFAULT_RETENTION_S = 30 * 24 * 60 * 60
#: A part name is at most this long and a job at most this many parts: the job
#: item holds every part name in one string set, within DynamoDB's 400 KB item.
MAX_PART_NAME = 255
MAX_EXPECTED = 1000
#: DynamoDB items are at most 400 KB; a part item's result must leave room for
#: its keys and bookkeeping attributes.
#: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
MAX_RESULT_BYTES = 390 * 1024
#: Retries of a transaction cancelled by a concurrent one on the same job.
MAX_CONFLICT_RETRIES = 10

def set_clients(*, dynamodb: Any = None, sqs: Any = None, sns: Any = None) -> None:
    """Replace the lazily created boto3 clients (tests, custom endpoints); None forgets one.

    The clients are shared with every runtime helper (:mod:`.clients`).
    """
    for name, replacement in (("dynamodb", dynamodb), ("sqs", sqs), ("sns", sns)):
        clients.set_client(name, replacement)


@dataclass(frozen=True)
class FanInJob:
    """A job as the aggregator sees it: every recorded part and its result."""

    job_id: str
    expected: int
    results: dict[str, Any] = field(default_factory=dict)
    completed_at: Optional[int] = None
    completed_by: Optional[str] = None
    #: the correlation id of the request that started the job (first part's), if any
    correlation_id: Optional[str] = None

    @property
    def complete(self) -> bool:
        return self.completed_at is not None


class FanInError(RuntimeError):
    """The job's state cannot be updated (persistent conflicts, inconsistent state)."""


def _validate(job_id: str, part: str, expected: int) -> None:
    if not isinstance(job_id, str) or not job_id or len(job_id.encode()) > 1024:
        raise ValueError(f"job_id must be a non-empty string of at most 1024 bytes, got {job_id!r}")
    if not isinstance(part, str) or not part or len(part) > MAX_PART_NAME:
        raise ValueError(f"part must be a non-empty string of at most {MAX_PART_NAME} characters, got {part!r}")
    if isinstance(expected, bool) or not isinstance(expected, int) or not 1 <= expected <= MAX_EXPECTED:
        raise ValueError(f"expected must be an integer 1-{MAX_EXPECTED}, got {expected!r}")


def _retention(explicit: Optional[int]) -> int:
    if explicit is not None:
        return int(explicit)
    value = os.environ.get(env.FAN_IN_RETENTION)
    return int(value) if value else DEFAULT_RETENTION_S


def _job_key(job_id: str) -> dict[str, Any]:
    return {PARTITION_KEY: {"S": job_id}, SORT_KEY: {"S": JOB_SORT_KEY}}


def _read_job_item(client: Any, table: str, job_id: str) -> Optional[dict[str, Any]]:
    response = client.get_item(TableName=table, Key=_job_key(job_id), ConsistentRead=True)
    item: Optional[dict[str, Any]] = response.get("Item")
    return item


def _serialize_result(result: Any) -> str:
    try:
        text = json.dumps(result, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"result must be JSON-serializable: {exc}") from exc
    if len(text.encode()) > MAX_RESULT_BYTES:
        raise ValueError(
            f"result is {len(text.encode())} bytes as JSON; at most {MAX_RESULT_BYTES} fit in a DynamoDB item. "
            "Store large results in S3 and record their key instead."
        )
    return text


def complete_part(
    job_id: str,
    part: str,
    *,
    expected: int,
    result: Any = None,
    table_name: Optional[str] = None,
    client: Any = None,
    retention_seconds: Optional[int] = None,
    correlation_id: Optional[str] = None,
) -> bool:
    """Record ``part`` of ``job_id``; True only for the call that recorded the last missing part (contract).

    :param job_id: the job's id (from the job message).
    :param part: this worker's part name; each part counts once.
    :param expected: how many distinct parts complete the job (1-1000); every
        call for a job must pass the same number (``ValueError`` otherwise).
    :param result: JSON-serializable result of this part, stored for the
        aggregator (at most ~390 KB as JSON; put larger results in S3).
    :param table_name: default: the ``FAN_IN_TABLE_NAME`` environment variable.
    :param client: a boto3 DynamoDB client. Default: one created on first use.
    :param retention_seconds: job state expires this long after its last write.
        Default: ``FAN_IN_RETENTION_SECONDS`` or 30 days.
    :param correlation_id: stored with the part and (first writer wins) the
        job. Default: the current correlation id (``runtime.log``), if any.

    Duplicates, retries and calls after completion return False and write
    nothing. Sending the aggregator message is :func:`submit_part`'s job.
    """
    _validate(job_id, part, expected)
    table = env.require(env.FAN_IN_TABLE, table_name)
    dynamodb = clients.client("dynamodb", client)
    result_text = _serialize_result(result)
    correlation = correlation_id if correlation_id is not None else current_correlation_id()
    conflicts = stale_reads = 0
    while True:
        item = _read_job_item(dynamodb, table, job_id)
        recorded: set[str] = set(item["parts"]["SS"]) if item and "parts" in item else set()
        if item is not None and "expected" in item and int(item["expected"]["N"]) != expected:
            raise ValueError(
                f"job {job_id!r} expects {item['expected']['N']} parts, this call says {expected}: "
                "every worker of a job must pass the same expected count"
            )
        if item is not None and "completed_at" in item:
            return False
        if part in recorded:
            return False
        if len(recorded) >= expected:
            raise FanInError(
                f"job {job_id!r} has {len(recorded)} parts recorded but no completion; expected {expected}"
            )
        final = len(recorded) == expected - 1
        try:
            _record(
                dynamodb, table, job_id, part, expected, len(recorded), final, result_text, retention_seconds, correlation
            )
            return final
        except dynamodb.exceptions.TransactionCanceledException as err:
            codes = [r.get("Code") for r in err.response.get("CancellationReasons", [])]
            if "TransactionConflict" in codes:
                conflicts += 1
                if conflicts > MAX_CONFLICT_RETRIES:
                    raise FanInError(f"job {job_id!r}: gave up after {conflicts} transaction conflicts") from err
                time.sleep(random.uniform(0, min(1.0, 0.02 * 2**conflicts)))
                continue
            if codes and codes[0] == "ConditionalCheckFailed":
                return False  # the part item exists: this part was already recorded
            if "ConditionalCheckFailed" not in codes:
                raise
            # The job changed since we read it: another part landed or the job
            # completed, which can happen at most `expected` times. Read again.
            stale_reads += 1
            if stale_reads > expected:
                raise FanInError(
                    f"job {job_id!r}: state kept changing without completing; expected {expected} parts"
                ) from err


def _record(
    dynamodb: Any,
    table: str,
    job_id: str,
    part: str,
    expected: int,
    recorded_count: int,
    final: bool,
    result_text: str,
    retention_seconds: Optional[int],
    correlation: Optional[str] = None,
) -> None:
    now = int(time.time())
    expires = now + _retention(retention_seconds)
    # DynamoDB rejects a request (here: the whole transaction) with an
    # ExpressionAttributeValues key no expression uses, so ':part' and ':count'
    # are only added when the update or the condition below refers to them.
    values: dict[str, Any] = {
        ":partset": {"SS": [part]},
        ":expected": {"N": str(expected)},
        ":now": {"N": str(now)},
        ":expires": {"N": str(expires)},
    }
    update = "ADD parts :partset SET expected = if_not_exists(expected, :expected), updated_at = :now, expires_at = :expires"
    if recorded_count == 0:
        size_condition = "attribute_not_exists(parts)"
    else:
        size_condition = "NOT contains(parts, :part) AND size(parts) = :count"
        values[":part"] = {"S": part}
        values[":count"] = {"N": str(recorded_count)}
    if final:
        update += ", completed_at = :now, completed_by = :part"
        values[":part"] = {"S": part}
    part_item: dict[str, Any] = {}
    if correlation:
        update += f", {CORRELATION_FIELD} = if_not_exists({CORRELATION_FIELD}, :correlation)"
        values[":correlation"] = {"S": correlation}
        part_item[CORRELATION_FIELD] = {"S": correlation}
    condition = (
        "attribute_not_exists(completed_at) AND (attribute_not_exists(expected) OR expected = :expected) AND "
        + size_condition
    )
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": table,
                    "Item": {
                        PARTITION_KEY: {"S": job_id},
                        SORT_KEY: {"S": PART_PREFIX + part},
                        "part": {"S": part},
                        "result": {"S": result_text},
                        "recorded_at": {"N": str(now)},
                        TTL_ATTRIBUTE: {"N": str(expires)},
                        **part_item,
                    },
                    "ConditionExpression": f"attribute_not_exists({SORT_KEY})",
                }
            },
            {
                "Update": {
                    "TableName": table,
                    "Key": _job_key(job_id),
                    "UpdateExpression": update,
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": values,
                }
            },
        ]
    )


def notify_aggregator(
    job_id: str,
    *,
    queue_url: Optional[str] = None,
    table_name: Optional[str] = None,
    sqs_client: Any = None,
    dynamodb_client: Any = None,
    correlation_id: Optional[str] = None,
) -> None:
    """Send ``{"job_id": ...}`` to the aggregator queue, then mark the job notified.

    :param queue_url: default: the ``AGGREGATOR_QUEUE_URL`` environment variable.
    :param correlation_id: sent in the body and as the ``correlation_id``
        message attribute. Default: the current correlation id, if any.
    """
    url = env.require(env.AGGREGATOR_QUEUE_URL, queue_url)
    correlation = correlation_id if correlation_id is not None else current_correlation_id()
    message: dict[str, Any] = {"QueueUrl": url, "MessageBody": json.dumps({"job_id": job_id})}
    if correlation:
        message["MessageBody"] = json.dumps({"job_id": job_id, CORRELATION_FIELD: correlation})
        message["MessageAttributes"] = {CORRELATION_FIELD: {"DataType": "String", "StringValue": correlation}}
    clients.client("sqs", sqs_client).send_message(**message)
    table = env.require(env.FAN_IN_TABLE, table_name)
    dynamodb = clients.client("dynamodb", dynamodb_client)
    try:
        dynamodb.update_item(
            TableName=table,
            Key=_job_key(job_id),
            UpdateExpression="SET notified_at = :now",
            ConditionExpression="attribute_exists(completed_at)",
            ExpressionAttributeValues={":now": {"N": str(int(time.time()))}},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        # Only completed jobs are notified; the message already went out, which is
        # harmless for an idempotent aggregator, so do not fail the worker.
        pass


def submit_part(
    job_id: str,
    part: str,
    *,
    expected: int,
    result: Any = None,
    table_name: Optional[str] = None,
    queue_url: Optional[str] = None,
    dynamodb_client: Any = None,
    sqs_client: Any = None,
    correlation_id: Optional[str] = None,
) -> bool:
    """:func:`complete_part`, then trigger the aggregator if this call completed the job.

    Returns :func:`complete_part`'s answer. When the completing call's message is
    redelivered because its send failed (the worker crashed or the send raised),
    the retry sends the aggregator message: it finds the job completed by its
    own part and not yet notified. Other parts' duplicates never send.
    """
    correlation = correlation_id if correlation_id is not None else current_correlation_id()
    won = complete_part(
        job_id,
        part,
        expected=expected,
        result=result,
        table_name=table_name,
        client=dynamodb_client,
        correlation_id=correlation,
    )
    if not won:
        table = env.require(env.FAN_IN_TABLE, table_name)
        item = _read_job_item(clients.client("dynamodb", dynamodb_client), table, job_id) or {}
        unsent = "completed_at" in item and "notified_at" not in item
        if not (unsent and item.get("completed_by", {}).get("S") == part):
            return False
    notify_aggregator(
        job_id,
        queue_url=queue_url,
        table_name=table_name,
        sqs_client=sqs_client,
        dynamodb_client=dynamodb_client,
        correlation_id=correlation,
    )
    return won


def load_job(job_id: str, *, table_name: Optional[str] = None, client: Any = None) -> FanInJob:
    """Every recorded part of ``job_id`` with its result (strongly consistent Query).

    Raises ``LookupError`` when the job does not exist (never started, or expired).
    """
    table = env.require(env.FAN_IN_TABLE, table_name)
    dynamodb = clients.client("dynamodb", client)
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :job",
        "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
        "ExpressionAttributeValues": {":job": {"S": job_id}},
        "ConsistentRead": True,
    }
    while True:
        page = dynamodb.query(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    job = next((i for i in items if i[SORT_KEY]["S"] == JOB_SORT_KEY), None)
    if job is None:
        raise LookupError(f"fan-in job {job_id!r} not found in {table}")
    results = {
        i["part"]["S"]: json.loads(i["result"]["S"])
        for i in items
        if i[SORT_KEY]["S"].startswith(PART_PREFIX)
    }
    return FanInJob(
        job_id=job_id,
        expected=int(job["expected"]["N"]),
        results=results,
        completed_at=int(job["completed_at"]["N"]) if "completed_at" in job else None,
        completed_by=job.get("completed_by", {}).get("S"),
        correlation_id=job.get(CORRELATION_FIELD, {}).get("S"),
    )


def aggregator_job_id(record: Mapping[str, Any]) -> str:
    """The job id of one aggregator-queue SQS record (``{"job_id": ...}`` body)."""
    try:
        body = json.loads(record["body"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"aggregator message is not JSON with a job_id: {exc}") from exc
    job_id = body.get("job_id") if isinstance(body, dict) else None
    if not isinstance(job_id, str) or not job_id:
        raise ValueError(f"aggregator message has no job_id: {record.get('body')!r}")
    return job_id
