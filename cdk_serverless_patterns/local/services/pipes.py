"""EventBridge Pipes: source (SQS queue, Kinesis or DynamoDB stream) -> filter -> enrichment -> target.

* **Sources** are polled as Lambda polls them (:mod:`..sources`): an SQS
  source deletes what the target took and returns a failed batch to the queue
  (the queue's own redrive moves it on); a stream source retries, bisects
  (``OnPartialBatchItemFailure``) and sends to its ``DeadLetterConfig``.
  Records have the shape Pipes documents (a Kinesis record is flat: ``data``,
  ``partitionKey``, ``sequenceNumber``... at the top).
* **Filters** (``SourceParameters.FilterCriteria``) are EventBridge patterns on
  the record, SQS ``body`` and Kinesis ``data`` parsed when they are JSON.
* **Enrichment**: a Lambda function (invoked synchronously with the batch as
  a JSON array) or an Express state machine (``StartSyncExecution``); what it
  returns is the batch the target gets (an array: one event per item; an
  object: one event). ``EnrichmentParameters.InputTemplate`` shapes each record
  first. API destinations and API Gateway enrichments are not called: the pipe
  delivers its records unenriched and lists that in ``LocalCloud.undelivered()``.
* **Targets**: Lambda (the batch as an array; ``REQUEST_RESPONSE`` runs it
  synchronously and a handler error fails the batch, ``FIRE_AND_FORGET``
  invokes asynchronously), Step Functions (the batch as input), and one call
  per event for an event bus (``EventBridgeEventBusParameters`` ``Source``/
  ``DetailType``, static or a JSONPath), SQS (``MessageGroupId``), SNS, Kinesis
  (``PartitionKey``) and CloudWatch Logs (``LogStreamName``).
  ``TargetParameters.InputTemplate`` shapes each event: ``<$.path>`` (SQS
  ``body`` and Kinesis ``data`` parsed as JSON) and the reserved variables
  ``<aws.pipes.pipe-arn>``, ``<aws.pipes.pipe-name>``, ``<aws.pipes.source-arn>``,
  ``<aws.pipes.enrichment-arn>``, ``<aws.pipes.target-arn>``,
  ``<aws.pipes.event.ingestion-time>``, ``<aws.pipes.event>``,
  ``<aws.pipes.event.json>``.

The pipe's role is checked for the enrichment and target calls
(``lambda:InvokeFunction``, ``states:StartSyncExecution``, ``events:PutEvents``,
``sqs:SendMessage``, ...): a pipe whose role lacks one fails every batch, as the
real pipe does. A pipe with ``DesiredState: STOPPED`` does not run.
"""

from __future__ import annotations

import datetime
import json
import re
import time
import uuid
from typing import Any, Mapping, Optional

from botocore.exceptions import ClientError

from ..arns import arn_service
from ..context import CloudContext
from ..eventbridge import envelope, json_path
from ..functions import HandlerError
from ..iam import Permission
from ..service import Service
from ..sources import SqsPoller, StreamMapping, StreamSource, decoded_data, dynamodb_record, kinesis_record
from ..template import Resource

#: The target services a pipe delivers to locally (API destinations, API Gateway, Firehose... are listed as undelivered).
_TARGETS = ("lambda", "states", "events", "sqs", "sns", "kinesis", "logs")
#: How long (real seconds) an Express enrichment may run.
_ENRICHMENT_SECONDS = 60.0


class Pipes(Service):
    handles = ("AWS::Pipes::Pipe",)

    def provision(self) -> None:
        for pipe in self.ctx.template.of_type("AWS::Pipes::Pipe"):
            props = self.ctx.template.resolve(pipe.properties)
            if str(props.get("DesiredState", "RUNNING")) == "STOPPED":
                continue
            source = str(props.get("Source", ""))
            service = arn_service(source)
            if service not in ("sqs", "kinesis", "dynamodb"):
                self.ctx.skip(pipe.logical_id, f"source {source}",
                              "LocalCloud runs pipes from SQS queues, Kinesis streams and DynamoDB streams only")
                continue
            runner = PipeRunner(self.ctx, pipe, props)
            if not runner.runnable:
                continue
            if service == "sqs":
                sqs_params = (props.get("SourceParameters") or {}).get("SqsQueueParameters") or {}
                self.ctx.add_poller(SqsPoller(
                    self.ctx, source, batch_size=int(sqs_params.get("BatchSize", 10)), filters=runner.filters,
                    deliver=runner.deliver,
                ))
            else:
                self.ctx.add_poller(runner.stream_mapping(self.ctx.stream_source(source)))


def _flat_kinesis(record: dict[str, Any]) -> dict[str, Any]:
    """A Lambda Kinesis record as Pipes has it: the ``kinesis`` object's fields at the top."""
    flat = {k: v for k, v in record.items() if k != "kinesis"}
    flat.update(record.get("kinesis") or {})
    return flat


def _parsed_view(event: Any) -> Any:
    """What an InputTemplate's JSONPath sees: an SQS ``body`` / Kinesis ``data`` parsed when it is JSON."""
    if not isinstance(event, dict):
        return event
    view = dict(event)
    if event.get("eventSource") == "aws:sqs" and isinstance(view.get("body"), str):
        try:
            view["body"] = json.loads(view["body"])
        except ValueError:
            pass
    if event.get("eventSource") == "aws:kinesis" and "data" in view:
        view["data"] = decoded_data(view["data"])
    return view


_PLACEHOLDER = re.compile(r'("?)<(\$(?:\.[^>]*)?|aws\.pipes\.[a-z.\-]+)>("?)')


class PipeRunner:
    """One pipe's enrichment and target delivery for a batch of source records."""

    def __init__(self, ctx: CloudContext, pipe: Resource, props: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.pipe = pipe
        self.props = props
        self.source_arn = str(props.get("Source", ""))
        self.target_arn = str(props["Target"])
        self.role = ctx.iam.role_for_arn(str(props.get("RoleArn", "")))
        source_params = props.get("SourceParameters") or {}
        self.filters = list((source_params.get("FilterCriteria") or {}).get("Filters") or [])
        self.target_params: Mapping[str, Any] = props.get("TargetParameters") or {}
        self.enrichment = str(props.get("Enrichment") or "") or None
        self.enrichment_template = (props.get("EnrichmentParameters") or {}).get("InputTemplate")
        self.runnable = True
        if self.enrichment and arn_service(self.enrichment) not in ("lambda", "states"):
            ctx.skip(pipe.logical_id, f"enrichment {self.enrichment}",
                     "LocalCloud calls Lambda and Step Functions Express enrichments only; records reach the "
                     "target unenriched")
            self.enrichment = None
        target_service = arn_service(self.target_arn)
        if target_service not in _TARGETS or not ctx.can_send(self.target_arn):
            ctx.skip(pipe.logical_id, f"target {self.target_arn}",
                     f"LocalCloud delivers pipes to {', '.join(_TARGETS)} targets only; the pipe is not run")
            self.runnable = False

    # -- sources ---------------------------------------------------------------------------
    def stream_mapping(self, source: StreamSource) -> StreamMapping:
        source_params = self.props.get("SourceParameters") or {}
        stream_params = source_params.get("DynamoDBStreamParameters") or source_params.get("KinesisStreamParameters") or {}
        kinesis = source.kind == "kinesis"
        to_lambda_record = kinesis_record(self.ctx, source.stream_arn, self.role.role_arn if self.role else "")

        def to_record(raw: dict[str, Any], shard_id: str) -> dict[str, Any]:
            return _flat_kinesis(to_lambda_record(raw, shard_id))

        dlq = (stream_params.get("DeadLetterConfig") or {}).get("Arn")
        return StreamMapping(
            self.ctx,
            source,
            deliver=self.deliver,
            to_record=to_record if kinesis else dynamodb_record(self.ctx, source.stream_arn),
            item_id=lambda r: str(r["sequenceNumber"] if kinesis else r["dynamodb"]["SequenceNumber"]),
            batch_size=int(stream_params.get("BatchSize", 100)),
            max_retries=int(stream_params.get("MaximumRetryAttempts", -1)),
            bisect=stream_params.get("OnPartialBatchItemFailure") == "AUTOMATIC_BISECT",
            on_failure=str(dlq) if dlq else None,
            filters=self.filters,
            failure_context=lambda: {"pipeArn": self.pipe.arn},
        )

    # -- a batch ---------------------------------------------------------------------------
    def deliver(self, batch: list[dict[str, Any]]) -> Optional[list[str]]:
        """Enrich and deliver ``batch``; [] when the target took it, None when the batch failed."""
        try:
            self._check_role()
            events: list[Any] = list(batch)
            if self.enrichment:
                events = self._enrich(events)
            if events:
                self._to_target(events)
        except (HandlerError, ClientError, _PipeError) as error:
            self.ctx.record_delivery_failure(f"pipe {self.pipe.path}", _describe(error))
            return None
        return []

    def _check_role(self) -> None:
        if self.role is None:
            return
        needed = []
        if self.enrichment:
            service = arn_service(self.enrichment)
            needed.append(Permission("lambda:InvokeFunction" if service == "lambda" else "states:StartSyncExecution",
                                     self.enrichment))
        # the target action plus the KMS requests an encrypted target implies, through the full evaluator
        needed.extend(self.ctx.iam.delivery_permissions(self.target_arn))
        denial = self.ctx.iam.check_role(self.role, self.pipe.name, needed)
        if denial is not None:
            raise _PipeError(f"the pipe's role {self.role.role_name} is not allowed: {denial}")

    def _enrich(self, events: list[Any]) -> list[Any]:
        assert self.enrichment is not None
        payload = [self._transform(self.enrichment_template, e) for e in events] if self.enrichment_template else events
        if arn_service(self.enrichment) == "lambda":
            functions = self.ctx.functions
            function, _ = functions.function_for_arn(self.enrichment)
            result = functions.run(function, payload, invoked_arn=functions.function_arn_of(self.enrichment))
        else:
            result = self._express(self.enrichment, payload)
        if result is None:
            return []
        return list(result) if isinstance(result, list) else [result]

    def _express(self, arn: str, payload: Any) -> Any:
        """An Express state machine's output for ``payload`` (StartSyncExecution); a failed execution fails the batch."""
        sfn = self.ctx.client("stepfunctions")
        execution = sfn.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex, input=json.dumps(payload))["executionArn"]
        deadline = time.monotonic() + _ENRICHMENT_SECONDS
        while True:
            described = sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise _PipeError(f"enrichment {arn} still running after {_ENRICHMENT_SECONDS:.0f} s")
            time.sleep(0.002)
        if described["status"] != "SUCCEEDED":
            raise _PipeError(f"enrichment {arn} {described['status']}: {described.get('error')} {described.get('cause') or ''}".strip())
        return json.loads(described["output"]) if described.get("output") else None

    def _to_target(self, events: list[Any]) -> None:
        template = self.target_params.get("InputTemplate")
        payloads = [self._transform(template, e) for e in events] if template else events
        service = arn_service(self.target_arn)
        if service == "lambda":
            lambda_params = self.target_params.get("LambdaFunctionParameters") or {}
            functions = self.ctx.functions
            function, _ = functions.function_for_arn(self.target_arn)
            invoked = functions.function_arn_of(self.target_arn)
            if lambda_params.get("InvocationType") == "FIRE_AND_FORGET":
                functions.invoke_async(function, payloads, invoked_arn=invoked)
            else:
                functions.run(function, payloads, invoked_arn=invoked)
            return
        if service == "states":
            self.ctx.send(self.target_arn, payloads)
            return
        for original, payload in zip(events, payloads):
            self._one(service, original, payload)

    def _one(self, service: str, event: Any, payload: Any) -> None:
        """One event to a target that takes events one by one."""
        view = _parsed_view(event)
        if service == "events":
            bus = self.target_params.get("EventBridgeEventBusParameters") or {}
            source_kind = str(event.get("eventSource", "")) if isinstance(event, dict) else ""
            entry = {
                "Source": _value(bus.get("Source"), view) or f"Pipe {self.pipe.name}",
                "DetailType": _value(bus.get("DetailType"), view) or f"Event from {source_kind or 'pipe'}",
                "Detail": payload if isinstance(payload, str) else json.dumps(payload),
                "Resources": list(bus.get("Resources") or []),
            }
            self.ctx.events.put(self.target_arn, envelope(self.ctx.template, entry))
        elif service == "sqs":
            sqs = self.target_params.get("SqsQueueParameters") or {}
            self.ctx.send(self.target_arn, payload, group_id=_value(sqs.get("MessageGroupId"), view))
        elif service == "kinesis":
            kinesis = self.target_params.get("KinesisStreamParameters") or {}
            key = _value(kinesis.get("PartitionKey"), view)
            self.ctx.send(self.target_arn, payload, partition_key=str(key) if key not in (None, "") else uuid.uuid4().hex)
        elif service == "logs":
            logs = self.target_params.get("CloudWatchLogsParameters") or {}
            stream = _value(logs.get("LogStreamName"), view)
            self.ctx.send(self.target_arn, payload, group_id=str(stream) if stream else f"pipe-{self.pipe.name}")
        else:
            self.ctx.send(self.target_arn, payload)

    def _transform(self, template: str, event: Any) -> Any:
        """An ``InputTemplate`` applied to one event; JSON results are parsed, text stays text."""
        view = _parsed_view(event)
        reserved = {
            "aws.pipes.pipe-arn": self.pipe.arn,
            "aws.pipes.pipe-name": self.pipe.name,
            "aws.pipes.source-arn": self.source_arn,
            "aws.pipes.enrichment-arn": self.enrichment or "",
            "aws.pipes.target-arn": self.target_arn,
            "aws.pipes.event.ingestion-time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "aws.pipes.event": json.dumps(event),
            "aws.pipes.event.json": json.dumps(view),
        }

        def one(match: re.Match[str]) -> str:
            open_quote, name, close_quote = match.groups()
            if name.startswith("$"):
                value = json_path(view, name)
            elif name in ("aws.pipes.event", "aws.pipes.event.json"):
                value = json.loads(reserved[name])
            else:
                value = reserved.get(name, match.group(0))
            if isinstance(value, str):  # a string goes in as text (quoted when the template quotes it)
                inner = json.dumps(value)[1:-1] if open_quote and close_quote else value
                return f"{open_quote}{inner}{close_quote}"
            return f"{open_quote}{json.dumps(value)}{close_quote}"

        text = _PLACEHOLDER.sub(one, template)
        try:
            return json.loads(text)
        except ValueError:
            return text


class _PipeError(Exception):
    """A batch the pipe could not deliver (its role, a failed enrichment)."""


def _describe(error: Exception) -> str:
    if isinstance(error, HandlerError):
        return f"{error.error_type}: {error.error_message}"
    return str(error)


def _value(spec: Any, record: Any) -> Any:
    """A target parameter: a JSONPath into the event (``$.body.id``) or a static value."""
    if isinstance(spec, str) and spec.startswith("$."):
        return json_path(record, spec)
    return spec
