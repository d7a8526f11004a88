"""EventBridge as the template wires it: buses, rules with event patterns, targets, retries and DLQs.

Events reach a bus from ``PutEvents`` (a handler, a pipe, a test) or from S3's
EventBridge notifications; every ``ENABLED`` rule on that bus whose
``EventPattern`` matches (moto's matcher: prefix, suffix, anything-but,
numeric, exists, ``$or``) sends the event — after ``Input``/``InputPath``/
``InputTransformer`` — to each target. A Lambda target needs a resource policy
(``AWS::Lambda::Permission`` for ``events.amazonaws.com``) as in AWS; without
one the delivery fails, is retried per the target's ``RetryPolicy`` and then
lands in the target's ``DeadLetterConfig`` queue with EventBridge's error
attributes.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import uuid
from typing import TYPE_CHECKING, Any, Mapping, cast

from moto.events.models import EventPattern

from . import targets
from .template import Resource

if TYPE_CHECKING:
    from .cloud import LocalCloud


def pattern_matches(pattern: Any, event: Mapping[str, Any]) -> bool:
    """Does ``event`` match an EventBridge event pattern (a dict or its JSON)? moto's matcher."""
    document = json.loads(pattern) if isinstance(pattern, str) else (pattern or {})
    return bool(EventPattern(json.dumps(document), document).matches_event(cast(Any, event)))


def envelope(cloud: "LocalCloud", entry: Mapping[str, Any]) -> dict[str, Any]:
    detail = entry.get("Detail") or "{}"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry.get("DetailType", ""),
        "source": entry.get("Source", ""),
        "account": cloud.template.account,
        "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": cloud.template.region,
        "resources": list(entry.get("Resources") or []),
        "detail": json.loads(detail) if isinstance(detail, str) else detail,
    }


class EventBridge:
    def __init__(self, cloud: "LocalCloud") -> None:
        self.cloud = cloud
        self.rules_by_bus: dict[str, list[Resource]] = {}
        template = cloud.template
        for rule in template.of_type("AWS::Events::Rule"):
            if rule.properties.get("ScheduleExpression") and not rule.properties.get("EventPattern"):
                continue  # scheduled rules fire through run_schedule
            bus = template.resolve(rule.properties.get("EventBusName", "default"))
            self.rules_by_bus.setdefault(str(bus).rsplit("/", 1)[-1], []).append(rule)

    def put(self, bus_name: str, event: dict[str, Any]) -> None:
        bus_name = bus_name.rsplit("/", 1)[-1] or "default"
        for rule in self.rules_by_bus.get(bus_name, []):
            if str(self.cloud.template.resolve(rule.properties.get("State", "ENABLED"))) != "ENABLED":
                continue
            pattern = self.cloud.template.resolve(rule.properties.get("EventPattern") or {})
            if isinstance(pattern, str):
                pattern = json.loads(pattern)
            if not pattern_matches(pattern, event):
                continue
            for target in self.cloud.template.resolve(rule.properties.get("Targets") or []):
                for _ in range(self.cloud.copies):
                    self.cloud.enqueue(functools.partial(self._deliver, rule, target, event, attempt=1))

    def _deliver(self, rule: Resource, target: Mapping[str, Any], event: dict[str, Any], *, attempt: int) -> None:
        arn = str(target["Arn"])
        payload = transform_input(target, event)
        error = None
        if targets.arn_service(arn) == "lambda" and not self.cloud.lambda_permits(arn, "events.amazonaws.com", rule.arn):
            error = (
                "NoPermissions",
                f"EventBridge has no permission to invoke {arn}: the function's resource policy has no statement "
                f"for events.amazonaws.com (source {rule.arn}); add an AWS::Lambda::Permission",
            )
        if error is None:
            targets.send(self.cloud, arn, payload)
            return
        retry = target.get("RetryPolicy") or {}
        if attempt <= int(retry.get("MaximumRetryAttempts", 185)) and attempt < 3:
            # EventBridge retries a failing delivery with back-off; locally two retries show the behaviour.
            self.cloud.enqueue(lambda: self._deliver(rule, target, event, attempt=attempt + 1))
            return
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        self.cloud.record_delivery_failure(f"rule {rule.path} -> {arn}", error[1])
        if dlq:
            targets.send(
                self.cloud,
                str(dlq),
                event,
                attributes={
                    "ERROR_CODE": error[0],
                    "ERROR_MESSAGE": error[1],
                    "RULE_ARN": rule.arn,
                    "TARGET_ARN": arn,
                },
            )


_PATH = re.compile(r"^\$(\.[A-Za-z0-9_\-]+|\[\d+\])*$")


def json_path(document: Any, path: str) -> Any:
    """A JSONPath of the simple form EventBridge and Pipes accept (``$.a.b[0]``)."""
    if path == "$":
        return document
    if not _PATH.match(path):
        raise ValueError(f"unsupported JSONPath {path!r}")
    value = document
    for part in re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]", path):
        key, index = part
        if value is None:
            return None
        value = value.get(key) if key else (value[int(index)] if int(index) < len(value) else None)
    return value


def transform_input(target: Mapping[str, Any], event: dict[str, Any]) -> Any:
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        return json_path(event, str(target["InputPath"]))
    transformer = target.get("InputTransformer")
    if transformer:
        values = {name: json_path(event, path) for name, path in (transformer.get("InputPathsMap") or {}).items()}
        text = str(transformer["InputTemplate"])

        def one(match: re.Match[str]) -> str:
            value = values.get(match.group(1))
            return value if isinstance(value, str) else json.dumps(value)

        return re.sub(r"<([A-Za-z0-9_\-]+)>", one, text)
    return event


def s3_object_event(cloud: "LocalCloud", bucket: str, key: str, size: int, etag: str, reason: str,
                    deleted: bool = False) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket},
        "object": {"key": key, "size": size, "etag": etag.strip('"'), "sequencer": uuid.uuid4().hex[:18].upper()},
        "request-id": uuid.uuid4().hex[:16].upper(),
        "requester": cloud.template.account,
        "source-ip-address": "127.0.0.1",
        "reason": reason,
    }
    if deleted:
        detail["object"].pop("size")
        detail["deletion-type"] = "Permanently Deleted"
    return envelope(
        cloud,
        {
            "Source": "aws.s3",
            "DetailType": "Object Deleted" if deleted else "Object Created",
            "Resources": [f"arn:aws:s3:::{bucket}"],
            "Detail": detail,
        },
    )
