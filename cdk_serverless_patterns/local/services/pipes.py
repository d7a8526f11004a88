"""EventBridge Pipes with a stream source: filter, then the target (an event bus, a queue, a function...).

The pipe's role is checked for the target call (``events:PutEvents`` on the
bus, ``sqs:SendMessage``, ``lambda:InvokeFunction``, ``states:StartExecution``):
a pipe whose role lacks it fails every batch, retries, and sends the batch to
its dead-letter queue, as the real pipe does.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from ..arns import arn_service
from ..context import CloudContext
from ..eventbridge import envelope, json_path
from ..service import Service
from ..sources import StreamMapping, StreamSource, dynamodb_record, kinesis_record
from ..template import Resource

def _value(spec: Optional[str], record: dict[str, Any]) -> Any:
    if isinstance(spec, str) and spec.startswith("$."):
        return json_path(record, spec)
    return spec


class Pipes(Service):
    handles = ("AWS::Pipes::Pipe",)

    def provision(self) -> None:
        for pipe in self.ctx.template.of_type("AWS::Pipes::Pipe"):
            source = str(self.ctx.template.resolve(pipe.properties.get("Source", "")))
            if ":kinesis:" in source or ":dynamodb:" in source:
                self.ctx.add_poller(pipe_mapping(self.ctx, pipe, self.ctx.stream_source(source)))
            else:
                self.ctx.warn_once(f"pipe:{source}", f"pipe {pipe.path}: source {source} is not run locally")


def pipe_mapping(ctx: CloudContext, pipe: Resource, source: StreamSource) -> StreamMapping:
    props = ctx.template.resolve(pipe.properties)
    target_arn = str(props["Target"])
    role = ctx.iam.role_for_arn(str(props.get("RoleArn", "")))
    source_params = props.get("SourceParameters") or {}
    stream_params = source_params.get("DynamoDBStreamParameters") or source_params.get("KinesisStreamParameters") or {}
    target_params = props.get("TargetParameters") or {}
    bus_params = target_params.get("EventBridgeEventBusParameters") or {}
    input_template = target_params.get("InputTemplate")

    def payload_of(record: dict[str, Any]) -> Any:
        if input_template:
            return re.sub(r"<(\$\.[^>]+)>", lambda m: json.dumps(json_path(record, m.group(1))), input_template)
        return record

    def deliver(batch: list[dict[str, Any]]) -> Optional[list[str]]:
        service = arn_service(target_arn)
        denial = ctx.iam.role_delivery(role, pipe.name, target_arn) if role is not None else None
        if denial is not None:
            ctx.record_delivery_failure(f"pipe {pipe.path}", denial)
            return None
        for record in batch:
            if service == "events":
                entry = {
                    "Source": _value(bus_params.get("Source"), record) or "Pipe " + pipe.name,
                    "DetailType": _value(bus_params.get("DetailType"), record) or "Event from aws:dynamodb",
                    "Detail": payload_of(record) if input_template else json.dumps(record),
                    "Resources": list(bus_params.get("Resources") or []),
                }
                ctx.events.put(target_arn, envelope(ctx.template, entry))
            else:
                ctx.send(target_arn, payload_of(record))
        return []

    kinesis = source.kind == "kinesis"
    dlq = (stream_params.get("DeadLetterConfig") or {}).get("Arn")
    return StreamMapping(
        ctx,
        source,
        deliver=deliver,
        to_record=kinesis_record(ctx, source.stream_arn, role.role_arn if role else "")
        if kinesis
        else dynamodb_record(ctx, source.stream_arn),
        item_id=lambda r: str(r["kinesis"]["sequenceNumber"] if kinesis else r["dynamodb"]["SequenceNumber"]),
        batch_size=int(stream_params.get("BatchSize", 100)),
        max_retries=int(stream_params.get("MaximumRetryAttempts", -1)),
        bisect=stream_params.get("OnPartialBatchItemFailure") == "AUTOMATIC_BISECT",
        on_failure=str(dlq) if dlq else None,
        filters=list((source_params.get("FilterCriteria") or {}).get("Filters") or []),
        failure_context=lambda: {"pipeArn": pipe.arn},
    )
