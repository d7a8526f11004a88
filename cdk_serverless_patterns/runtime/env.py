"""Environment variable names shared by constructs (which set them) and handlers
(which read them), so the two cannot drift."""

from __future__ import annotations

import os

#: DynamoDB table an ApiBackend's handlers use.
TABLE_NAME = "TABLE_NAME"
#: Fan-in state table of a FanOutFanIn.
FAN_IN_TABLE = "FAN_IN_TABLE_NAME"
#: Queue that triggers a FanOutFanIn's aggregator.
AGGREGATOR_QUEUE_URL = "AGGREGATOR_QUEUE_URL"
#: SNS topic a FanOutFanIn's jobs are published to.
FAN_OUT_TOPIC_ARN = "FAN_OUT_TOPIC_ARN"
#: Payload field whose value is a FIFO FanOutFanIn job's message group id.
FAN_OUT_MESSAGE_GROUP_KEY = "FAN_OUT_MESSAGE_GROUP_KEY"
#: Seconds a FanOutFanIn keeps job state after its last write (DynamoDB TTL).
FAN_IN_RETENTION = "FAN_IN_RETENTION_SECONDS"
#: The part name of a FanOutFanIn worker (its key in ``workers``).
FAN_OUT_WORKER = "FAN_OUT_WORKER_NAME"
#: Event store table of a Cqrs.
EVENT_STORE_TABLE = "EVENT_STORE_TABLE_NAME"
#: Read model table of a Cqrs.
READ_MODEL_TABLE = "READ_MODEL_TABLE_NAME"
#: Name of the projection a Cqrs projector builds (its items' sort key in the read model).
PROJECTION_NAME = "PROJECTION_NAME"
#: JSON list of the event types a Cqrs projection's rule lets through (unset: all).
PROJECTION_EVENT_TYPES = "PROJECTION_EVENT_TYPES"
#: Marker table of :mod:`cdk_serverless_patterns.runtime.saga_steps` (idempotent saga steps).
SAGA_STEPS_TABLE = "SAGA_STEPS_TABLE_NAME"
#: Result store of an EventProcessing / StreamProcessing.
RESULT_TABLE = "RESULT_TABLE_NAME"
#: Notification topic of an EventProcessing.
NOTIFY_TOPIC_ARN = "NOTIFY_TOPIC_ARN"
#: Name of the pattern-level service, used in structured logs.
SERVICE_NAME = "SERVICE_NAME"
#: Idempotency marker of an at-least-once consumer: a non-empty value saying how
#: the handler makes a redelivered record harmless (e.g. "conditional put on
#: event id"). ServerlessPatternsChecks' SP-IDEMPOTENCY rule accepts it (or the
#: function tag of the same meaning) in place of ReportBatchItemFailures.
IDEMPOTENCY = "IDEMPOTENCY"
#: Powertools' service name (``FunctionSpec(powertools=True)`` sets it from the
#: construct path); Powertools' Logger/Metrics/Tracer and :mod:`.log` read it.
POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
#: CloudWatch namespace business metrics go to (Powertools' ``Metrics`` and
#: :func:`cdk_serverless_patterns.runtime.metrics.emit`).
POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
#: Comma-separated CORS origins an ApiBackend allows (handlers echo a matching Origin).
CORS_ALLOW_ORIGINS = "CORS_ALLOW_ORIGINS"


def require(name: str, explicit: str | None = None) -> str:
    """``explicit`` if given, else the environment variable ``name``.

    Raises a ``RuntimeError`` naming the variable when neither is set, which
    happens when a handler runs outside the construct that configures it.
    """
    if explicit:
        return explicit
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set; pass the value explicitly or deploy the handler with its construct")
    return value
