"""Idempotent saga steps: one conditional marker per execution, step and phase.

A saga invokes its actions and compensations *at least once*: Step Functions
retries a step whose Lambda timed out or crashed (possibly after the handler
committed), an Express execution may run twice, and a failed action's own
compensation runs although the action may have done nothing. Decorate a step
handler (:class:`~cdk_serverless_patterns.Saga` or
:class:`~cdk_serverless_patterns.DurableSaga` payload) and every run after the
first completed one returns the recorded result instead of running again::

    from cdk_serverless_patterns.runtime.saga_steps import idempotent_step, nothing_to_undo

    @idempotent_step()                     # table: env SAGA_STEPS_TABLE_NAME
    def reserve(event, context):
        ...                                # runs once per execution for this step
        return {"reservation_id": "r-1"}

    @idempotent_step()
    def release(event, context):
        reservation = (event["results"] or {}).get("reserve")
        if reservation is None and not find_reservation(event["input"]["order_id"]):
            return nothing_to_undo("nothing was reserved")
        ...

How it holds (the Powertools idempotency protocol, keyed by the saga's
``execution_id`` / ``step`` / ``phase`` so the handler needs no key of its own):

1. A conditional ``PutItem`` claims ``SAGA#<execution_id>`` / ``STEP#<step>#<phase>``
   as ``IN_PROGRESS`` until the invocation's deadline. If the marker is
   ``COMPLETED``, the recorded result is returned and the handler does not run;
   if another invocation holds it, :class:`StepInProgress` is raised (a
   compensation retries it; Step Functions runs one attempt of an action at a
   time, so only duplicate Express executions see it).
2. The handler runs. If it raises, the claim is deleted so a retry runs it
   again (the handler's own writes must then tolerate the retry: conditional
   writes, as in the examples), and the error propagates unchanged.
3. Its result is recorded as ``COMPLETED`` (conditional on still holding the
   claim), then returned. A timeout *after* this point, the costly "crash after
   commit", is therefore answered by the recorded result on retry.

The marker is the record that a compensation ran and what it found (
:func:`nothing_to_undo` marks "nothing to undo" as a success worth recording).
Markers expire after ``retention`` (DynamoDB TTL on ``expires_at``; turn TTL on
for that attribute). The table needs ``pk``/``sk`` string keys, which can be the
saga's own table (the order saga example stores its markers beside its orders);
grant the step functions ``dynamodb:GetItem``, ``PutItem``, ``UpdateItem`` and
``DeleteItem`` on it.

Light at import: boto3 is imported on the first call (:mod:`.clients`).
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Mapping, Optional, TypeVar, cast

from . import clients, env

__all__ = [
    "COMPLETED",
    "IN_PROGRESS",
    "StepInProgress",
    "StepKey",
    "idempotent_step",
    "nothing_to_undo",
    "step_key",
]

IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
#: How long a claim lasts when the Lambda context cannot say (15 min, Lambda's longest run).
DEFAULT_CLAIM_SECONDS = 900
#: How long markers are kept (DynamoDB TTL): a Standard execution's redrive window is 14 days.
DEFAULT_RETENTION_SECONDS = 30 * 86400

Handler = TypeVar("Handler", bound=Callable[..., Any])


class StepInProgress(Exception):
    """Another invocation of the same execution, step and phase holds the claim."""


@dataclass(frozen=True)
class StepKey:
    """Which saga call a payload is: ``execution_id``, ``step`` and ``phase`` (action or compensate)."""

    execution_id: str
    step: str
    phase: str

    @property
    def pk(self) -> str:
        return f"SAGA#{self.execution_id}"

    @property
    def sk(self) -> str:
        return f"STEP#{self.step}#{self.phase}"


def step_key(event: Mapping[str, Any]) -> StepKey:
    """The :class:`StepKey` of a saga payload (``event["saga"]``); ``ValueError`` if it has none."""
    saga = event.get("saga") if isinstance(event, Mapping) else None
    if not isinstance(saga, Mapping):
        raise ValueError("not a saga step payload: no 'saga' object (deploy the handler as a Saga step)")
    values = [saga.get(field) for field in ("execution_id", "step", "phase")]
    if not all(isinstance(value, str) and value for value in values):
        raise ValueError(f"saga payload lacks execution_id/step/phase: {dict(saga)!r}")
    return StepKey(*cast(list[str], values))


def nothing_to_undo(reason: str, **details: Any) -> dict[str, Any]:
    """What a compensation returns when the action left nothing behind (recorded like any result)."""
    return {"undone": False, "nothing_to_undo": True, "reason": reason, **details}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _claim_seconds(context: Any) -> int:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        try:
            return max(1, int(remaining()) // 1000 + 1)
        except (TypeError, ValueError):
            pass
    return DEFAULT_CLAIM_SECONDS


class _Markers:
    def __init__(self, table_name: str, client: Any, retention_seconds: int) -> None:
        self.table = table_name
        self.client = client
        self.retention = retention_seconds

    def claim(self, key: StepKey, token: str, claim_seconds: int, now: int) -> Optional[Mapping[str, Any]]:
        """Claim the marker; None when claimed, else the existing marker (completed or held)."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": key.pk},
                    "sk": {"S": key.sk},
                    "status": {"S": IN_PROGRESS},
                    "token": {"S": token},
                    "claimed_until": {"N": str(now + claim_seconds)},
                    "expires_at": {"N": str(now + self.retention)},
                },
                # Free, or held by an invocation whose deadline has passed (it died).
                ConditionExpression="attribute_not_exists(pk) OR (#s = :held AND claimed_until < :now)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":held": {"S": IN_PROGRESS}, ":now": {"N": str(now)}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return None
        except self.client.exceptions.ConditionalCheckFailedException as err:
            item = getattr(err, "response", {}).get("Item")
            if item is None:  # older services do not return the item: read it
                item = self.client.get_item(
                    TableName=self.table, Key={"pk": {"S": key.pk}, "sk": {"S": key.sk}}, ConsistentRead=True
                ).get("Item", {})
            return cast(Mapping[str, Any], item)

    def complete(self, key: StepKey, token: str, result: Any) -> None:
        self.client.update_item(
            TableName=self.table,
            Key={"pk": {"S": key.pk}, "sk": {"S": key.sk}},
            UpdateExpression="SET #s = :done, #r = :result REMOVE claimed_until",
            ConditionExpression="#t = :token",
            ExpressionAttributeNames={"#s": "status", "#r": "result", "#t": "token"},
            ExpressionAttributeValues={
                ":done": {"S": COMPLETED},
                ":result": {"S": json.dumps(result, default=_plain)},
                ":token": {"S": token},
            },
        )

    def release(self, key: StepKey, token: str) -> None:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key={"pk": {"S": key.pk}, "sk": {"S": key.sk}},
                ConditionExpression="#t = :token",
                ExpressionAttributeNames={"#t": "token"},
                ExpressionAttributeValues={":token": {"S": token}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            pass  # the claim expired and another invocation took it: leave it alone


def idempotent_step(
    handler: Optional[Handler] = None,
    *,
    table_name: Optional[str] = None,
    retention_seconds: int = DEFAULT_RETENTION_SECONDS,
    client: Any = None,
) -> Any:
    """Decorate a saga action or compensation so it runs once per execution, step and phase.

    :param table_name: the marker table (``pk``/``sk`` strings). Default: the
        environment variable :data:`~.env.SAGA_STEPS_TABLE`, read on the first call.
    :param retention_seconds: how long a marker is kept (``expires_at``, for
        DynamoDB TTL). Default 30 days (beyond the 14-day redrive window).
    :param client: a DynamoDB client. Default: the shared lazy one (:mod:`.clients`).

    Usable bare (``@idempotent_step``) or with options (``@idempotent_step(table_name=...)``).
    The wrapped handler keeps its signature; extra arguments pass through.
    """

    def decorate(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def run(event: Any, context: Any = None, *args: Any, **kwargs: Any) -> Any:
            key = step_key(event)
            markers = _Markers(
                env.require(env.SAGA_STEPS_TABLE, table_name), clients.client("dynamodb", client), retention_seconds
            )
            token = uuid.uuid4().hex
            existing = markers.claim(key, token, _claim_seconds(context), int(time.time()))
            if existing is not None:
                status = existing.get("status", {}).get("S")
                if status == COMPLETED:
                    return json.loads(existing.get("result", {}).get("S", "null"))
                raise StepInProgress(
                    f"{key.phase} of step {key.step} in {key.execution_id} is running in another invocation"
                )
            try:
                result = fn(event, context, *args, **kwargs)
            except BaseException:
                markers.release(key, token)
                raise
            markers.complete(key, token, result)
            return result

        return cast(Handler, run)

    if handler is not None:
        return decorate(handler)
    return decorate
