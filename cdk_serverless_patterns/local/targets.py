"""Sending to a destination ARN the way AWS services do: SQS, SNS, Lambda (async), an event bus, a state machine.

Rule targets, on-failure destinations, dead-letter queues and pipe targets all
end here, so each kind of destination is handled once.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any, Mapping, Optional

if TYPE_CHECKING:
    from .cloud import LocalCloud


def arn_service(arn: str) -> str:
    return arn.split(":")[2] if arn.startswith("arn:") else ""


def send(cloud: "LocalCloud", arn: str, payload: Any, *, attributes: Optional[Mapping[str, str]] = None,
         group_id: Optional[str] = None) -> None:
    """Deliver ``payload`` (a JSON-able value or a string) to the resource ``arn``."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    service = arn_service(arn)
    if service == "sqs":
        params: dict[str, Any] = {"QueueUrl": cloud.queue_url(arn), "MessageBody": body}
        if attributes:
            params["MessageAttributes"] = {
                k: {"DataType": "String", "StringValue": str(v)} for k, v in attributes.items()
            }
        if arn.endswith(".fifo"):
            params["MessageGroupId"] = group_id or "default"
            params["MessageDeduplicationId"] = uuid.uuid4().hex
        cloud.client("sqs").send_message(**params)
    elif service == "sns":
        cloud.client("sns").publish(TopicArn=arn, Message=body)
    elif service == "lambda":
        function, qualifier = cloud.function_for_arn(arn)
        cloud.deliver_async(function, json.loads(body) if _is_json(body) else body, invoked_arn=arn)
    elif service == "events":
        bus = arn.rsplit("/", 1)[-1]
        event = json.loads(body)
        cloud.client("events").put_events(
            Entries=[
                {
                    "EventBusName": bus,
                    "Source": event.get("source", "local"),
                    "DetailType": event.get("detail-type", "Event"),
                    "Detail": json.dumps(event.get("detail", {})),
                }
            ]
        )
    elif service == "states":
        cloud.client("stepfunctions").start_execution(stateMachineArn=arn, name=uuid.uuid4().hex, input=body)
    else:
        cloud.warn_once(f"target:{service}", f"LocalCloud cannot deliver to {arn} (service {service!r}); dropped")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
