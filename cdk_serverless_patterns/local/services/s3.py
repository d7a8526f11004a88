"""S3: buckets created in moto, and their EventBridge notifications (``Object Created`` / ``Object Deleted``).

A bucket with ``EventBridgeConfiguration.EventBridgeEnabled`` sends an event to
the default bus for every object written or deleted, through the context's
event buses.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..context import CallObserver, CloudContext
from ..eventbridge import s3_object_event
from ..service import Service

_OBJECT_OPERATIONS = ("PutObject", "CopyObject", "CompleteMultipartUpload", "DeleteObject")


class S3(Service):
    handles = ("AWS::S3::Bucket",)

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
