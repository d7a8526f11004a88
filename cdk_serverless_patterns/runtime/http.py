"""JSON responses and errors for handlers behind API Gateway (Lambda proxy integration).

A handler raises :class:`HttpError` for anything the caller did wrong and lets
:func:`api_handler` turn it into a JSON error; anything unexpected becomes a
500 that reveals nothing but the request id (the details go to the log)::

    from cdk_serverless_patterns.runtime.http import HttpError, api_handler, json_body, json_response

    @api_handler
    def handler(event, context):
        order = json_body(event)
        if "items" not in order:
            raise HttpError(400, "validation_error", "items is required")
        return json_response(201, {"id": "..."})

Error bodies look like ``{"error": {"code": "...", "message": "...", "request_id": "..."}}``.
CORS: when the ``CORS_ALLOW_ORIGINS`` variable (set by ``ApiBackend``) lists
the request's ``Origin`` (or is ``*``), responses carry the matching
``Access-Control-Allow-Origin`` header.
"""

from __future__ import annotations

import base64
import functools
import json
import os
from decimal import Decimal
from typing import Any, Callable, Mapping, Optional

from . import env
from .log import correlation_id, correlation_scope, get_logger

_log = get_logger("http")
_CURRENT_EVENT: dict[str, Any] = {}


class HttpError(Exception):
    """An error the caller can act on: ``status`` (4XX), a stable ``code``, a ``message``."""

    def __init__(self, status: int, code: str, message: str, details: Optional[Any] = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def _json_default(value: Any) -> Any:
    # DynamoDB returns numbers as Decimal; integers stay integers.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def cors_headers(event: Optional[Mapping[str, Any]]) -> dict[str, str]:
    """``Access-Control-Allow-Origin`` for ``event``'s Origin when it is allowed."""
    allowed = [o.strip() for o in os.environ.get(env.CORS_ALLOW_ORIGINS, "").split(",") if o.strip()]
    if not allowed:
        return {}
    if "*" in allowed:
        return {"Access-Control-Allow-Origin": "*"}
    headers = {k.lower(): v for k, v in ((event or {}).get("headers") or {}).items()}
    origin = headers.get("origin")
    if origin in allowed:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {}


def json_response(
    status: int,
    body: Any = None,
    *,
    headers: Optional[Mapping[str, str]] = None,
    event: Optional[Mapping[str, Any]] = None,
) -> dict[str, Any]:
    """A proxy-integration response with a JSON body (``None`` → empty body, e.g. for 204)."""
    merged = {"Content-Type": "application/json", **cors_headers(event if event is not None else _CURRENT_EVENT)}
    merged.update(headers or {})
    return {
        "statusCode": status,
        "headers": merged,
        "body": "" if body is None else json.dumps(body, default=_json_default, separators=(",", ":")),
    }


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: Optional[Any] = None,
    event: Optional[Mapping[str, Any]] = None,
) -> dict[str, Any]:
    """The JSON error response every API handler returns."""
    event = event if event is not None else _CURRENT_EVENT
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    request_id = ((event or {}).get("requestContext") or {}).get("requestId")
    if request_id:
        error["request_id"] = request_id
    return json_response(status, {"error": error}, event=event)


def json_body(event: Mapping[str, Any]) -> dict[str, Any]:
    """The request body as a JSON object; :class:`HttpError` 400 when it is not one."""
    raw = event.get("body")
    if raw is None or raw == "":
        raise HttpError(400, "invalid_body", "the request body must be a JSON object")
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise HttpError(400, "invalid_body", "the request body is not valid UTF-8") from exc
    try:
        body = json.loads(raw, parse_float=Decimal)
    except ValueError as exc:
        raise HttpError(400, "invalid_body", f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise HttpError(400, "invalid_body", "the request body must be a JSON object")
    return body


def path_parameter(event: Mapping[str, Any], name: str) -> str:
    """A path parameter; :class:`HttpError` 400 when it is missing or empty."""
    value = (event.get("pathParameters") or {}).get(name)
    if not value:
        raise HttpError(400, "missing_parameter", f"path parameter {name!r} is required")
    return str(value)


def query_parameter(event: Mapping[str, Any], name: str, default: Optional[str] = None) -> Optional[str]:
    """A query string parameter, or ``default``."""
    return (event.get("queryStringParameters") or {}).get(name, default)


def header(event: Mapping[str, Any], name: str) -> Optional[str]:
    """A request header, case-insensitively."""
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted:
            found: Optional[str] = value
            return found
    return None


def caller_id(event: Mapping[str, Any]) -> Optional[str]:
    """Who is calling, as the gateway authorized it.

    REST (payload 1.0): Cognito's ``sub`` claim, a Lambda authorizer's
    ``principalId``, or the IAM caller's ARN. HTTP API / function URL (payload
    2.0): the JWT's ``sub``, the simple-response authorizer context's
    ``principalId``/``sub``, or the IAM caller's ARN. None for a public API.
    """
    context = event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    claims = authorizer.get("claims") or (authorizer.get("jwt") or {}).get("claims") or {}
    if claims.get("sub"):
        return str(claims["sub"])
    if authorizer.get("principalId"):
        return str(authorizer["principalId"])
    lambda_context = authorizer.get("lambda") or {}
    for key in ("principalId", "sub"):
        if lambda_context.get(key):
            return str(lambda_context[key])
    iam = authorizer.get("iam") or {}
    if iam.get("userArn"):
        return str(iam["userArn"])
    identity = context.get("identity") or {}
    return identity.get("userArn") or None


def api_handler(fn: Callable[[dict[str, Any], Any], dict[str, Any]]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Wrap a proxy handler: :class:`HttpError` → its JSON error, anything else → 500.

    Logs one structured line per request (method, resource, status, correlation id).
    The request's correlation id (its ``X-Correlation-ID`` header in any case,
    else API Gateway's request id) is current while ``fn`` runs, so events it
    appends and jobs it starts carry it, and the response returns it in
    ``X-Correlation-ID``.
    """

    @functools.wraps(fn)
    def wrapper(event: dict[str, Any], context: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        _CURRENT_EVENT.clear()
        _CURRENT_EVENT.update(event)
        http = (event.get("requestContext") or {}).get("http") or {}  # payload 2.0
        cid = correlation_id(event)
        log = _log.bind(
            http_method=event.get("httpMethod") or http.get("method"),
            resource=event.get("resource") or event.get("routeKey"),
        )
        try:
            with correlation_scope(cid):
                response = fn(event, context, *args, **kwargs)
        except HttpError as err:
            log.info("request rejected", extra={"status": err.status, "error_code": err.code, "correlation_id": cid})
            response = error_response(err.status, err.code, err.message, details=err.details, event=event)
        except Exception:  # noqa: BLE001 - the caller gets a 500, the log gets the traceback
            log.exception("request failed", extra={"correlation_id": cid})
            response = error_response(500, "internal_error", "internal server error", event=event)
        else:
            log.info("request handled", extra={"status": response.get("statusCode"), "correlation_id": cid})
        finally:
            _CURRENT_EVENT.clear()
        if cid and isinstance(response, dict) and isinstance(response.get("headers", {}), dict):
            response["headers"] = {**response.get("headers", {}), "X-Correlation-ID": cid}
        return response

    return wrapper
