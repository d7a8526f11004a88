"""GET /api/hello behind the site's CloudFront distribution (Cognito-authorized).

CloudFront forwards every viewer header but Host to the API — Authorization
included, so API Gateway's Cognito authorizer has checked the caller before
this runs — and the viewer's cookies, so the API sees which A/B variant the
viewer was assigned at the edge and can answer in kind.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional

COOKIE_NAME = "ab-variant"
VARIANTS = ("a", "b")
GREETINGS = {"a": "Hello", "b": "Welcome back"}


def handler(event: Mapping[str, Any], context: Any = None) -> dict:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    subject = claims.get("sub")
    if not subject:
        # Only reachable if the route were deployed without the authorizer.
        return _response(401, {"error": {"code": "unauthorized", "message": "sign in first"}})
    variant = _variant(event.get("headers") or {}) or "a"
    return _response(200, {"message": f"{GREETINGS[variant]}, {claims.get('email', subject)}", "variant": variant})


def _variant(headers: Mapping[str, str]) -> Optional[str]:
    cookie_header = next((v for k, v in headers.items() if k.lower() == "cookie"), "") or ""
    for pair in cookie_header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name == COOKIE_NAME and value.strip().lower() in VARIANTS:
            return value.strip().lower()
    return None


def _response(status: int, body: dict) -> dict:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": json.dumps(body),
    }
