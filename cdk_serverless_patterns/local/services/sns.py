"""SNS: topics (FIFO too) created in moto; every publish fans out to the template's subscriptions.

Subscriptions with an SQS endpoint get the notification envelope (or the raw
message with ``RawMessageDelivery``), Lambda endpoints an asynchronous
invocation; ``FilterPolicy`` (attributes or body scope) is moto's matcher.
Every published message is kept for ``LocalCloud.published``.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Mapping, Optional

from ..arns import queue_url
from ..context import CloudContext, body_of
from ..service import Service


class Sns(Service):
    handles = ("AWS::SNS::Topic", "AWS::SNS::Subscription")
    #: The subscription protocols delivered locally.
    _PROTOCOLS = ("sqs", "lambda")

    def __init__(self, ctx: CloudContext) -> None:
        super().__init__(ctx)
        self.published: dict[str, list[dict[str, Any]]] = {}
        self.subscriptions: dict[str, list[dict[str, Any]]] = {}
        for subscription in ctx.template.of_type("AWS::SNS::Subscription"):
            props = ctx.template.resolve(subscription.properties)
            self.subscriptions.setdefault(str(props["TopicArn"]), []).append(props)
        ctx.register_sender("sns", self.send)
        ctx.on_call("sns", "Publish", self._publish)
        ctx.on_call("sns", "PublishBatch", self._publish_batch)

    def provision(self) -> None:
        template = self.ctx.template
        for topic in template.of_type("AWS::SNS::Topic"):
            attributes = {}
            if str(template.resolve(topic.properties.get("FifoTopic", False))).lower() == "true":
                attributes["FifoTopic"] = "true"
                if str(template.resolve(topic.properties.get("ContentBasedDeduplication", False))).lower() == "true":
                    attributes["ContentBasedDeduplication"] = "true"
            self.ctx.client("sns").create_topic(Name=topic.name, Attributes=attributes)
        for subscription in template.of_type("AWS::SNS::Subscription"):
            protocol = str(template.resolve(subscription.properties.get("Protocol")))
            if protocol not in self._PROTOCOLS:
                self.ctx.skip(subscription.logical_id, f"{protocol} subscription",
                              f"LocalCloud delivers SNS subscriptions with protocol {' or '.join(self._PROTOCOLS)} only")

    def send(self, arn: str, payload: Any, *, attributes: Optional[Mapping[str, str]] = None,
             group_id: Optional[str] = None) -> None:
        self.ctx.client("sns").publish(TopicArn=arn, Message=body_of(payload))

    def _publish(self, params: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
        self._route(dict(params), str(parsed.get("MessageId", "")))

    def _publish_batch(self, params: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
        topic = params.get("TopicArn")
        for entry, ok in zip(params.get("PublishBatchRequestEntries", []), parsed.get("Successful", [])):
            self._route({**entry, "TopicArn": topic}, str(ok.get("MessageId", "")))

    def _route(self, params: Mapping[str, Any], message_id: str) -> None:
        topic = str(params.get("TopicArn") or params.get("TargetArn") or "")
        message = str(params.get("Message", ""))
        attributes = params.get("MessageAttributes") or {}
        self.published.setdefault(topic, []).append(
            {"MessageId": message_id, "Message": message, "Subject": params.get("Subject"), "MessageAttributes": dict(attributes)}
        )
        from moto.sns.utils import FilterPolicyMatcher

        for subscription in self.subscriptions.get(topic, []):
            policy = subscription.get("FilterPolicy")
            if policy:
                policy = json.loads(policy) if isinstance(policy, str) else policy
                matcher = FilterPolicyMatcher(policy, subscription.get("FilterPolicyScope"))
                if not matcher.matches(
                    {k: {"Type": v.get("DataType", "String"), "Value": v.get("StringValue", v.get("BinaryValue"))} for k, v in attributes.items()},
                    message,
                ):
                    continue
            self._deliver(subscription, params, topic, message_id, message, attributes)

    def _deliver(self, subscription: Mapping[str, Any], params: Mapping[str, Any], topic: str, message_id: str,
                 message: str, attributes: Mapping[str, Any]) -> None:
        raw = str(subscription.get("RawMessageDelivery", False)).lower() == "true"
        envelope_body = {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": topic,
            "Message": message,
            "Timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "SignatureVersion": "1",
            "Signature": "local",
            "SigningCertURL": "https://sns.local/cert.pem",
            "UnsubscribeURL": "https://sns.local/unsubscribe",
            "MessageAttributes": {
                k: {"Type": v.get("DataType", "String"), "Value": v.get("StringValue")} for k, v in attributes.items()
            },
        }
        if params.get("Subject"):
            envelope_body["Subject"] = params["Subject"]
        protocol = str(subscription.get("Protocol"))
        publisher = {"sqs": self._to_queue, "lambda": self._to_function}.get(protocol)
        if publisher is None:
            return  # named at open (provision)
        # SNS delivers as sns.amazonaws.com: the endpoint's resource policy must allow it (queue policy, Lambda permission).
        denial = self.ctx.iam.service_delivery("sns.amazonaws.com", str(subscription.get("Endpoint")), topic)
        if denial is not None:
            self.ctx.record_delivery_failure(f"subscription {topic} -> {subscription.get('Endpoint')}", denial)
            return
        publisher(str(subscription.get("Endpoint")), raw, params, topic, message_id, message, attributes, envelope_body)

    # One publisher per subscription protocol, as LocalStack's sns/publisher.py has.
    def _to_queue(self, endpoint: str, raw: bool, params: Mapping[str, Any], topic: str, message_id: str,
                  message: str, attributes: Mapping[str, Any], envelope_body: Mapping[str, Any]) -> None:
        send: dict[str, Any] = {"QueueUrl": queue_url(endpoint), "MessageBody": message if raw else json.dumps(envelope_body)}
        if raw and attributes:
            send["MessageAttributes"] = dict(attributes)
        if endpoint.endswith(".fifo"):
            send["MessageGroupId"] = params.get("MessageGroupId") or "default"
            send["MessageDeduplicationId"] = params.get("MessageDeduplicationId") or message_id
        self.ctx.client("sqs").send_message(**send)

    def _to_function(self, endpoint: str, raw: bool, params: Mapping[str, Any], topic: str, message_id: str,
                     message: str, attributes: Mapping[str, Any], envelope_body: Mapping[str, Any]) -> None:
        functions = self.ctx.functions
        function, _ = functions.function_for_arn(endpoint)
        event = {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": f"{topic}:local", "Sns": dict(envelope_body)}]}
        functions.invoke_async(function, event, invoked_arn=functions.function_arn_of(endpoint))
