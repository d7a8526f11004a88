"""HTTP plumbing both API Gateway services share: the response object, request parsing, route matching."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional


@dataclass
class LocalResponse:
    """An HTTP response from a local API: ``status``, ``headers``, ``body`` (text) and ``json()``."""

    status: int
    headers: dict[str, str]
    body: str
    multi_value_headers: dict[str, list[str]] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def status_code(self) -> int:  # the name `requests` users reach for
        return self.status


def parse_request(
    path: str,
    json_body: Any,
    body: Optional[str | bytes],
    headers: Optional[Mapping[str, str]],
    query: Optional[Mapping[str, Any]],
) -> tuple[str, str, dict[str, list[str]], dict[str, str], Optional[str]]:
    """A test's request as a gateway receives it: path, raw query, query values, headers, body text.

    ``json`` is serialized (with ``Content-Type: application/json`` unless given);
    ``query`` values and the path's own ``?a=1&a=2`` are merged, lists kept.
    """
    headers = dict(headers or {})
    if json_body is not None:
        body = json_dumps(json_body)
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    if isinstance(body, bytes):
        body = body.decode()
    path, _, raw_query = path.partition("?")
    values: dict[str, list[str]] = {}
    for pair in [p for p in raw_query.split("&") if p]:
        key, _, value = pair.partition("=")
        values.setdefault(key, []).append(value)
    for key, value in (query or {}).items():
        values.setdefault(key, []).extend([str(v) for v in value] if isinstance(value, list) else [str(value)])
    raw_query = raw_query or "&".join(f"{k}={v}" for k, vs in values.items() for v in vs)
    return path, raw_query, values, headers, body


def route_score(template_segments: list[str]) -> tuple[int, int]:
    """How specific a matching route is: no greedy ``{proxy+}`` first, then the most literal segments."""
    literal = sum(1 for s in template_segments if not s.startswith("{"))
    greedy = any(s.endswith("+}") for s in template_segments)
    return (0 if greedy else 1, literal)


def match_segments(template_segments: list[str], segments: list[str]) -> Optional[dict[str, str]]:
    params: dict[str, str] = {}
    for index, part in enumerate(template_segments):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if not rest:
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = segments[index]
        elif part != segments[index]:
            return None
    return params if len(template_segments) == len(segments) else None


def json_dumps(value: Any) -> str:
    return json.dumps(value, default=str)
