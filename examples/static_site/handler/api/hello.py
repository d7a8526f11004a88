"""GET /api/hello behind the site's CloudFront distribution (Cognito-authorized).

CloudFront forwards every viewer header but Host to the API — Authorization
included, so API Gateway's Cognito authorizer has checked the caller before
this runs — and the viewer's cookies, so the API sees which A/B variant the
viewer was assigned at the edge and can answer in kind.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from cdk_serverless_patterns.runtime.http import HttpError, api_handler, caller_id, header, json_response

COOKIE_NAME = "ab-variant"
VARIANTS = ("a", "b")
GREETINGS = {"a": "Hello", "b": "Welcome back"}


#: Personalised answers must never be cached by CloudFront or the browser.
NO_STORE = {"Cache-Control": "no-store"}


@api_handler
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    subject = caller_id(event)
    if not subject:
        # Only reachable if the route were deployed without the authorizer.
        raise HttpError(401, "unauthorized", "sign in first")
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    variant = _variant(event) or "a"
    return json_response(
        200, {"message": f"{GREETINGS[variant]}, {claims.get('email', subject)}", "variant": variant}, headers=NO_STORE
    )


def _variant(event: Mapping[str, Any]) -> Optional[str]:
    cookie_header = header(event, "cookie") or ""
    for pair in cookie_header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name == COOKIE_NAME and value.strip().lower() in VARIANTS:
            return value.strip().lower()
    return None
