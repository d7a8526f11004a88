"""SQS: queues (FIFO, redrive to a DLQ) created in moto, and the sender that puts a message on one.

Lambda polls queues through :class:`~..sources.SqsMapping` (an event source
mapping belongs to the Lambda service); SQS's own redrive moves messages.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Mapping, Optional

from ..arns import queue_url
from ..context import CloudContext, body_of
from ..service import Service
from ..template import Resource


class LocalMessage(dict):  # type: ignore[type-arg]
    """A message sitting in a queue: boto3's ``receive_message`` keys, plus ``.body`` and ``.json()``."""

    @property
    def body(self) -> str:
        return str(self["Body"])

    @property
    def attributes(self) -> dict[str, Any]:
        return dict(self.get("MessageAttributes") or {})

    def json(self) -> Any:
        return json.loads(self.body)


class Sqs(Service):
    handles = ("AWS::SQS::Queue",)

    def __init__(self, ctx: CloudContext) -> None:
        super().__init__(ctx)
        ctx.register_sender("sqs", self.send)

    def provision(self) -> None:
        queues = self.ctx.template.of_type("AWS::SQS::Queue")
        for queue in sorted(queues, key=lambda q: "RedrivePolicy" in q.properties):  # DLQs first
            self._create_queue(queue)

    def _create_queue(self, queue: Resource) -> None:
        props = self.ctx.template.resolve(queue.properties)
        attributes: dict[str, str] = {"ReceiveMessageWaitTimeSeconds": "0"}
        for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize"):
            if key in props:
                attributes[key] = str(props[key])
        if str(props.get("FifoQueue", False)).lower() == "true":
            attributes["FifoQueue"] = "true"
            if str(props.get("ContentBasedDeduplication", False)).lower() == "true":
                attributes["ContentBasedDeduplication"] = "true"
        if props.get("RedrivePolicy"):
            redrive = props["RedrivePolicy"]
            attributes["RedrivePolicy"] = json.dumps(redrive if isinstance(redrive, dict) else json.loads(redrive))
        self.ctx.client("sqs").create_queue(QueueName=queue.name, Attributes=attributes)

    def send(self, arn: str, payload: Any, *, attributes: Optional[Mapping[str, str]] = None,
             group_id: Optional[str] = None) -> None:
        params: dict[str, Any] = {"QueueUrl": queue_url(arn), "MessageBody": body_of(payload)}
        if attributes:
            params["MessageAttributes"] = {k: {"DataType": "String", "StringValue": str(v)} for k, v in attributes.items()}
        if arn.endswith(".fifo"):
            params["MessageGroupId"] = group_id or "default"
            params["MessageDeduplicationId"] = uuid.uuid4().hex
        self.ctx.client("sqs").send_message(**params)

    def messages(self, queue_name: str) -> list[LocalMessage]:
        """What sits in a queue now, without receiving it (receive counts do not change)."""
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[self.ctx.template.account][self.ctx.template.region]
        found = backend.queues[queue_name]
        return [
            LocalMessage(
                MessageId=message.id,
                Body=message.body,
                Attributes={"ApproximateReceiveCount": str(message.approximate_receive_count)},
                MessageAttributes={k: dict(v) for k, v in (message.message_attributes or {}).items()},
            )
            for message in list(found._messages)  # noqa: SLF001 - reading moto's store without receiving
        ]
