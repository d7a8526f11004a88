"""Traffic profiles: the assumptions the cost estimate makes, global or per construct path.

A :class:`Profile` holds the monthly request volume, the average Lambda
duration, and knobs (:data:`DEFAULTS`) a user can set for every resource under a
construct path (``--profile FILE``, JSON or TOML). Patterns can record better
defaults for their own resources in the template (:data:`TRAFFIC_HINT`).
"""

from __future__ import annotations

import json
import math
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
    "durable_operations_per_execution": None,  # Lambda durable functions; None: its declared calls (see TRAFFIC_CALLS), else one per function it may invoke
    # Compensations (DurableSaga) run only when an execution fails; the default prices the happy
    # path alone (no execution fails). With a rate, each failed execution is priced as running
    # every compensation once: an upper bound (a saga that fails at step k undoes k steps).
    "failure_rate": 0.0,  # fraction of executions that fail and run their compensations
    "durable_kb_per_operation": 1.0,  # Lambda durable functions: data each operation checkpoints
    "item_kb": 1.0,  # DynamoDB item size (storage, one month of writes retained)
    "object_kb": 100.0,  # S3 object size (storage, one month of writes retained)
    "record_kb": 1.0,  # Kinesis record size (ingest/retrieval)
    "event_kb": 1.0,  # EventBridge event size (archive)
    "response_kb": 50.0,  # CloudFront response size (data transfer out)
    "log_kb_per_invocation": 1.0,  # Lambda: platform lines plus one or two JSON log lines
    # Lambda INIT, billed for on-demand functions since 2025-08-01 (AWS Compute Blog, "AWS Lambda
    # standardizes billing for INIT Phase", 2025-04-29). Cold starts: "INITs (cold starts) typically
    # occur in under 1% of invocations" (same post). INIT duration: seed 000's cold start benchmark
    # for Python at 512 MB, 200-300 ms (the midpoint).
    "cold_start_rate": 0.01,  # fraction of a function's invocations that start a new execution environment
    "init_duration_ms": 250.0,  # the INIT phase of one cold start
    "log_kb_per_request": 0.5,  # API access log line, WAF log (x3), Step Functions log per transition (x2)
    "monthly_active_users": None,  # Cognito user pools; None: one per 1,000 requests
}


#: Template metadata key under which a pattern records defaults for its resource (see
#: ``building_blocks.traffic_hints``); a profile's path settings win over them.
TRAFFIC_HINT = "cdk_serverless_patterns:traffic"

#: Template metadata key under which a function that invokes other functions from its code (a
#: durable orchestrator) declares which it calls and when: ``{"per_execution": [ARN, ...],
#: "on_failure": [ARN, ...]}``, an entry per call (a function listed twice is invoked twice).
#: Without it the traffic model sends ``messages_per_event`` to every function its role may invoke.
TRAFFIC_CALLS = "cdk_serverless_patterns:calls"


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
        """Check every value: :class:`ProfileError` naming the key, the value and what is allowed."""
        for name in ("requests_per_month", "avg_duration_ms"):
            value = getattr(self, name)
            if not _is_number(value):
                raise ProfileError(f"{name}={value!r} is invalid: use a finite number >= 0")
        _check_settings("defaults", self.defaults)
        if not isinstance(self.paths, Mapping):
            raise ProfileError(
                f"paths={self.paths!r} is invalid: use an object of construct path -> settings, "
                'e.g. {"App/Orders": {"item_kb": 2}}'
            )
        for path, values in self.paths.items():
            _check_settings(f"paths.{path}", values)

    def setting(self, path: str, key: str, hint: Optional[Mapping[str, Any]] = None) -> Any:
        """The value of ``key`` for the resource at construct path ``path``: the longest matching
        path's, else the pattern's ``hint`` (template metadata), else ``defaults``, else :data:`DEFAULTS`."""
        best, value = -1, None
        for prefix, values in self.paths.items():
            prefix = prefix.strip("/")
            if key in values and (path == prefix or path.startswith(prefix + "/")) and len(prefix) > best:
                best, value = len(prefix), values[key]
        if best < 0 and hint and key in hint:
            value = hint[key]
            _check_knob(f"template metadata {TRAFFIC_HINT} of {path}:", key, value)
        elif best < 0:
            value = self.defaults.get(key, DEFAULTS[key])
        if key == "avg_duration_ms" and value is None:
            return self.avg_duration_ms
        return value

    @classmethod
    def load(cls, file: str | Path, **overrides: Any) -> Profile:
        """Read a profile file (``.toml`` as TOML, anything else as JSON); ``overrides`` that are
        not None (the command line's) win over its values.

        Raises :class:`ProfileError` when the file is missing, unreadable, not UTF-8, not valid
        JSON/TOML, or holds a key or value that is not allowed.
        """
        path = Path(file)
        if not path.is_file():
            raise ProfileError(f"profile file {path} does not exist")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise ProfileError(f"profile file {path} is not UTF-8 text (byte {error.start})") from None
        except OSError as error:
            raise ProfileError(f"profile file {path}: {(error.strerror or str(error)).lower()}") from None
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
        return cls(defaults=data.get("defaults", {}), paths=data.get("paths", {}), **values)


def _is_number(value: Any) -> bool:
    """A finite int or float >= 0 (not a bool, not NaN, not infinity)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _check_settings(where: str, values: Any) -> None:
    """``values`` (the ``defaults``, or one path's settings) is an object of known, valid settings."""
    if not isinstance(values, Mapping):
        raise ProfileError(f'{where}={values!r} is invalid: use an object of settings, e.g. {{"messages_per_event": 3}}')
    for key, value in values.items():
        _check_knob(where, key, value)


def _check_knob(where: str, key: str, value: Any) -> None:
    """:class:`ProfileError` unless ``key`` is a setting (:data:`DEFAULTS`) and ``value`` is allowed for it.

    ``where`` names the place (``defaults``, ``paths.App/X``, or a template hint ending in ":").
    """
    name = f"{where} {key}" if where.endswith(":") else f"{where}.{key}"
    if key not in DEFAULTS:
        raise ProfileError(f"{name} is not a profile setting: use one of {', '.join(sorted(DEFAULTS))}")
    if key == "routes":
        ok = isinstance(value, Mapping) and all(isinstance(r, str) and _is_number(w) for r, w in value.items())
        if not ok:
            raise ProfileError(
                f'{name}={value!r} is invalid: use finite weights >= 0 by route, {{"GET /orders": 3, "POST /orders": 1}}'
            )
        return
    if not _is_number(value):
        raise ProfileError(f"{name}={value!r} is invalid: use a finite number >= 0")
    if key in ("requests_share", "match_rate", "cache_hit_ratio", "cold_start_rate", "failure_rate") and value > 1:
        raise ProfileError(f"{name}={value!r} is invalid: use a fraction between 0 and 1")
    if key == "records_per_batch" and value < 1:
        raise ProfileError(f"{name}={value!r} is invalid: use a number >= 1")
