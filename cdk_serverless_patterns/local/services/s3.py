"""S3: buckets created in moto, their EventBridge notifications and their event notifications.

A bucket with ``EventBridgeConfiguration.EventBridgeEnabled`` sends an event to
the default bus for every object written or deleted, through the context's
event buses. Event notifications to a function, queue or topic — the bucket's
own ``NotificationConfiguration`` or the ``Custom::S3BucketNotifications``
resource CDK's ``add_event_notification`` synthesizes (set at deploy by an
inline CDK function; here, read from the template) — deliver S3's event
record (``Records[].s3``) for the events and key filters they name; a function
needs its resource policy to let ``s3.amazonaws.com`` invoke it.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Iterator, Mapping, Optional
from urllib.parse import quote_plus

from ..context import CallObserver, CloudContext
from ..eventbridge import s3_object_event
from ..service import Service

_OBJECT_OPERATIONS = ("PutObject", "CopyObject", "CompleteMultipartUpload", "DeleteObject")


#: The S3 event name of each object operation.
_EVENT_NAMES = {
    "PutObject": "ObjectCreated:Put",
    "CopyObject": "ObjectCreated:Copy",
    "CompleteMultipartUpload": "ObjectCreated:CompleteMultipartUpload",
    "DeleteObject": "ObjectRemoved:Delete",
}
#: (configuration list, target key) in CDK's custom resource (the S3 API's shape) and in AWS::S3::Bucket.
_API_TARGETS = (("LambdaFunctionConfigurations", "LambdaFunctionArn"), ("QueueConfigurations", "QueueArn"),
                ("TopicConfigurations", "TopicArn"))
_CFN_TARGETS = (("LambdaConfigurations", "Function"), ("QueueConfigurations", "Queue"), ("TopicConfigurations", "Topic"))


class S3(Service):
    handles = ("AWS::S3::Bucket", "Custom::S3BucketNotifications")

    def __init__(self, ctx: CloudContext) -> None:
        super().__init__(ctx)
        for operation in _OBJECT_OPERATIONS:
            ctx.on_call("s3", operation, self._object_changed(operation))

    def provision(self) -> None:
        template = self.ctx.template
        for bucket in template.of_type("AWS::S3::Bucket"):
            kwargs: dict[str, Any] = {"Bucket": bucket.name}
            if template.region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": template.region}
            self.ctx.client("s3").create_bucket(**kwargs)

    def _object_changed(self, operation: str) -> CallObserver:
        def observer(params: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
            self._notify(str(params.get("Bucket", "")), str(params.get("Key", "")), operation)

        return observer

    def _notify(self, bucket_name: str, key: str, operation: str) -> None:
        template = self.ctx.template
        bucket = next((b for b in template.of_type("AWS::S3::Bucket") if b.name == bucket_name), None)
        if bucket is None:
            return
        self._event_notifications(bucket_name, bucket.arn, key, operation)
        config = template.resolve(bucket.properties.get("NotificationConfiguration") or {})
        if str((config.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled", False)).lower() != "true":
            return
        from moto.s3.models import s3_backends

        deleted = operation == "DeleteObject"
        size, etag = 0, ""
        if not deleted:
            stored = s3_backends[template.account]["aws"].get_object(bucket_name, key)
            size, etag = (stored.size, stored.etag) if stored is not None else (0, "")
        self.ctx.events.put("default", s3_object_event(template, bucket_name, key, size, etag, operation, deleted))

    # -- event notifications (function, queue, topic) ----------------------------------------
    def _configurations(self, bucket_name: str) -> Iterator[tuple[str, list[str], list[dict[str, Any]]]]:
        """``(target ARN, events, filter rules)`` of every event notification of the bucket."""
        template = self.ctx.template
        for custom in template.of_type("Custom::S3BucketNotifications"):
            props = template.resolve(custom.properties)
            if str(props.get("BucketName")) != bucket_name:
                continue
            config = props.get("NotificationConfiguration") or {}
            for list_key, target_key in _API_TARGETS:
                for item in config.get(list_key) or []:
                    rules = ((item.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
                    yield str(item.get(target_key)), list(item.get("Events") or []), list(rules)
        bucket = next(b for b in template.of_type("AWS::S3::Bucket") if b.name == bucket_name)
        config = template.resolve(bucket.properties.get("NotificationConfiguration") or {})
        for list_key, target_key in _CFN_TARGETS:
            for item in config.get(list_key) or []:
                rules = ((item.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
                yield str(item.get(target_key)), [str(item.get("Event"))], list(rules)

    def _event_notifications(self, bucket_name: str, bucket_arn: str, key: str, operation: str) -> None:
        event_name = _EVENT_NAMES.get(operation)
        if event_name is None:
            return
        record: Optional[dict[str, Any]] = None
        for target, events, rules in self._configurations(bucket_name):
            if not any(_event_matches(e, event_name) for e in events) or not _key_matches(rules, key):
                continue
            if ":lambda:" in target and not self.ctx.functions.permits(target, "s3.amazonaws.com", bucket_arn):
                self.ctx.record_delivery_failure(
                    f"s3 notification {bucket_name} -> {target}",
                    "the function's resource policy does not let s3.amazonaws.com invoke it",
                )
                continue
            record = record or self._record(bucket_name, bucket_arn, key, event_name)
            self.ctx.send(target, {"Records": [record]})

    def _record(self, bucket_name: str, bucket_arn: str, key: str, event_name: str) -> dict[str, Any]:
        """S3's event notification record (event structure version 2.1)."""
        from moto.s3.models import s3_backends

        template = self.ctx.template
        size, etag = 0, ""
        if event_name.startswith("ObjectCreated"):
            stored = s3_backends[template.account]["aws"].get_object(bucket_name, key)
            size, etag = (stored.size, stored.etag.strip('"')) if stored is not None else (0, "")
        now = datetime.datetime.now(datetime.timezone.utc)
        return {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": template.region,
            "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
            "eventName": event_name,
            "userIdentity": {"principalId": "AWS:LOCALCLOUD"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": "local"},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "local",
                "bucket": {"name": bucket_name, "ownerIdentity": {"principalId": "LOCALCLOUD"}, "arn": bucket_arn},
                "object": {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag, "sequencer": f"{now.timestamp():.6f}".replace(".", "").upper()},
            },
        }


def _event_matches(pattern: str, event_name: str) -> bool:
    """``s3:ObjectCreated:*`` matches ``ObjectCreated:Put``."""
    wanted = pattern.removeprefix("s3:")
    return wanted == event_name or (wanted.endswith(":*") and event_name.startswith(wanted[:-1]))


def _key_matches(rules: list[dict[str, Any]], key: str) -> bool:
    for rule in rules:
        name, value = str(rule.get("Name", "")).lower(), str(rule.get("Value", ""))
        if name == "prefix" and not key.startswith(value):
            return False
        if name == "suffix" and not key.endswith(value):
            return False
    return True
