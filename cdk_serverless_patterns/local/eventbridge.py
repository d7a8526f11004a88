"""EventBridge's formats, shared by the services that produce or filter events.

Event patterns (moto's matcher: prefix, suffix, anything-but, numeric, exists,
equals-ignore-case, wildcard, cidr, ``$or``; arrays of objects flattened as
EventBridge does) — also what Lambda and Pipes filter criteria use, on the
record views of :mod:`.sources`; the event envelope;
the simple JSONPath and input transformation of targets and pipes; S3's
``Object Created``/``Object Deleted`` events.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from typing import Any, Mapping, cast

from moto.events.models import EventPattern

from .template import StackTemplate


class _Pattern(EventPattern):
    """moto's matcher, with arrays of objects flattened too: ``{"items": [{"sku": "a"}]}`` matches
    ``{"items": {"sku": ["a"]}}`` as in EventBridge (moto keeps such an array as one opaque value)."""

    @staticmethod
    def _flatten_dict(node: Any, prefix: str = "", result: dict[str, Any] | None = None) -> dict[str, Any]:
        result = {} if result is None else result
        if not isinstance(node, dict):
            return result
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict) and v:
                _Pattern._flatten_dict(v, key, result)
            elif isinstance(v, list) and any(isinstance(item, dict) for item in v):
                for item in v:
                    for sub_key, sub_value in (_Pattern._flatten_dict(item, key) if isinstance(item, dict) else {key: item}).items():
                        _merge(result, sub_key, sub_value)
            else:
                _merge(result, key, v)
        return result


def _merge(result: dict[str, Any], key: str, value: Any) -> None:
    """Values of one flattened key from several array elements become one list (any element may match)."""
    if key not in result:
        result[key] = value
        return
    existing = result[key] if isinstance(result[key], list) else [result[key]]
    result[key] = existing + (value if isinstance(value, list) else [value])


def pattern_matches(pattern: Any, event: Mapping[str, Any]) -> bool:
    """Does ``event`` match an EventBridge event pattern (a dict or its JSON)? The one matcher rules, filter
    criteria (Lambda event source mappings, pipes) and the scheduler share."""
    document = json.loads(pattern) if isinstance(pattern, str) else (pattern or {})
    return bool(_Pattern(json.dumps(document), document).matches_event(cast(Any, event)))


def envelope(template: StackTemplate, entry: Mapping[str, Any]) -> dict[str, Any]:
    detail = entry.get("Detail") or "{}"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry.get("DetailType", ""),
        "source": entry.get("Source", ""),
        "account": template.account,
        "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": template.region,
        "resources": list(entry.get("Resources") or []),
        "detail": json.loads(detail) if isinstance(detail, str) else detail,
    }


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


def s3_object_event(template: StackTemplate, bucket: str, key: str, size: int, etag: str, reason: str,
                    deleted: bool = False) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket},
        "object": {"key": key, "size": size, "etag": etag.strip('"'), "sequencer": uuid.uuid4().hex[:18].upper()},
        "request-id": uuid.uuid4().hex[:16].upper(),
        "requester": template.account,
        "source-ip-address": "127.0.0.1",
        "reason": reason,
    }
    if deleted:
        detail["object"].pop("size")
        detail["deletion-type"] = "Permanently Deleted"
    return envelope(
        template,
        {
            "Source": "aws.s3",
            "DetailType": "Object Deleted" if deleted else "Object Created",
            "Resources": [f"arn:aws:s3:::{bucket}"],
            "Detail": detail,
        },
    )
