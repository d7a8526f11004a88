"""Traffic profiles: the assumptions the cost estimate makes, global or per construct path.

A :class:`Profile` holds the monthly request volume, the average Lambda
duration, and knobs (:data:`DEFAULTS`) a user can set for every resource under a
construct path (``--profile FILE``, JSON or TOML). Patterns can record better
defaults for their own resources in the template (:data:`TRAFFIC_HINT`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

#: Every profile knob and its default.
DEFAULTS: dict[str, Any] = {
    "requests_share": 1.0,  # fraction of requests_per_month an entry point receives
    "avg_duration_ms": None,  # None: the global --avg-duration-ms
    "messages_per_event": 1.0,  # per send edge (SQS, SNS, EventBridge, Kinesis, Step Functions, Lambda)
    "reads_per_event": 1.0,  # per readable table/bucket (read request units / GETs)
    "writes_per_event": 1.0,  # per writable table/bucket (write request units / PUTs)
    "records_per_batch": 1.0,  # records per consumer invocation (queues, streams)
    "match_rate": 1.0,  # fraction of messages a subscription filter / rule / pipe filter lets through
    "cache_hit_ratio": 0.8,  # CloudFront: fraction served from the edge cache
    "routes": None,  # API: {"GET /orders": weight, ...}; None: even split
    "transitions_per_execution": None,  # Step Functions Standard; None: the happy path's states
    "item_kb": 1.0,  # DynamoDB item size (storage, one month of writes retained)
    "object_kb": 100.0,  # S3 object size (storage, one month of writes retained)
    "record_kb": 1.0,  # Kinesis record size (ingest/retrieval)
    "event_kb": 1.0,  # EventBridge event size (archive)
    "response_kb": 50.0,  # CloudFront response size (data transfer out)
    "log_kb_per_invocation": 1.0,  # Lambda: platform lines plus one or two JSON log lines
    "log_kb_per_request": 0.5,  # API access log line, WAF log (x3), Step Functions log per transition (x2)
    "monthly_active_users": None,  # Cognito user pools; None: one per 1,000 requests
}


#: Template metadata key under which a pattern records defaults for its resource (see
#: ``building_blocks.traffic_hints``); a profile's path settings win over them.
TRAFFIC_HINT = "cdk_serverless_patterns:traffic"


class ProfileError(ValueError):
    """A traffic profile that cannot be used: names the key, the value and what is allowed."""


@dataclass(frozen=True)
class Profile:
    """Traffic assumptions: a global volume plus per-construct-path overrides.

    The file form (JSON, or TOML by extension)::

        {"requests_per_month": 1000000, "avg_duration_ms": 120,
         "defaults": {"log_kb_per_invocation": 2},
         "paths": {"ImageJobsExample/Submit": {"messages_per_event": 3},
                   "OrdersApiExample/Orders": {"routes": {"GET /orders": 4, "POST /orders": 1}}}}
    """

    requests_per_month: float = 1_000_000
    avg_duration_ms: float = 120.0
    defaults: Mapping[str, Any] = field(default_factory=dict)
    paths: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for where, values in [("defaults", self.defaults), *((f"paths.{p}", v) for p, v in self.paths.items())]:
            for key, value in values.items():
                _check_knob(where, key, value)
        for name in ("requests_per_month", "avg_duration_ms"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ProfileError(f"{name}={value!r} is invalid: use a number >= 0")

    def setting(self, path: str, key: str, hint: Optional[Mapping[str, Any]] = None) -> Any:
        """The value of ``key`` for the resource at construct path ``path``: the longest matching
        path's, else the pattern's ``hint`` (template metadata), else ``defaults``, else :data:`DEFAULTS`."""
        best, value = -1, None
        for prefix, values in self.paths.items():
            prefix = prefix.strip("/")
            if key in values and (path == prefix or path.startswith(prefix + "/")) and len(prefix) > best:
                best, value = len(prefix), values[key]
        if best < 0:
            value = (hint or {}).get(key, self.defaults.get(key, DEFAULTS[key]))
        if key == "avg_duration_ms" and value is None:
            return self.avg_duration_ms
        return value

    @classmethod
    def load(cls, file: str | Path, **overrides: Any) -> Profile:
        """Read a profile file (``.json`` or ``.toml``); ``overrides`` (not None) win over its values."""
        path = Path(file)
        if not path.is_file():
            raise ProfileError(f"profile file {path} does not exist")
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix == ".toml":
                import tomllib

                data: Any = tomllib.loads(text)
            else:
                data = json.loads(text)
        except ValueError as error:
            raise ProfileError(f"profile file {path} is not valid {path.suffix.lstrip('.') or 'JSON'}: {error}") from None
        if not isinstance(data, dict):
            raise ProfileError(f"profile file {path} must hold an object")
        unknown = sorted(set(data) - {"requests_per_month", "avg_duration_ms", "defaults", "paths"})
        if unknown:
            raise ProfileError(
                f"profile key {unknown[0]!r} is not known: use requests_per_month, avg_duration_ms, defaults, paths"
            )
        values = {k: v for k, v in data.items() if k in ("requests_per_month", "avg_duration_ms")}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(defaults=data.get("defaults") or {}, paths=data.get("paths") or {}, **values)


def _check_knob(where: str, key: str, value: Any) -> None:
    if key not in DEFAULTS:
        raise ProfileError(f"{where}.{key} is not a profile setting: use one of {', '.join(sorted(DEFAULTS))}")
    if key == "routes":
        ok = isinstance(value, Mapping) and all(
            isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 for w in value.values()
        )
        if not ok:
            raise ProfileError(f'{where}.routes={value!r} is invalid: use {{"GET /orders": 3, "POST /orders": 1}}')
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ProfileError(f"{where}.{key}={value!r} is invalid: use a number >= 0")
    if key in ("requests_share", "match_rate", "cache_hit_ratio") and value > 1:
        raise ProfileError(f"{where}.{key}={value!r} is invalid: use a fraction between 0 and 1")
    if key == "records_per_batch" and value < 1:
        raise ProfileError(f"{where}.{key}={value!r} is invalid: use a number >= 1")
