"""Structured logging for handlers.

ServerlessFunction turns on Lambda's JSON log format, so the standard
``logging`` module already emits one JSON object per record; this module adds
the fields every record should carry (service, correlation id) through
``extra`` and gives handlers one call to get a configured logger.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Mapping

from . import env


class _ContextAdapter(logging.LoggerAdapter[logging.Logger]):
    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        extra = dict(self.extra or {})
        extra.update(kwargs.get("extra") or {})
        kwargs["extra"] = extra
        return msg, kwargs

    def bind(self, **fields: Any) -> "_ContextAdapter":
        """A logger that adds ``fields`` to every record (e.g. ``correlation_id``)."""
        return _ContextAdapter(self.logger, {**(self.extra or {}), **fields})


def get_logger(name: str | None = None, **fields: Any) -> _ContextAdapter:
    """A logger for ``name`` (default: the service name) carrying ``fields``.

    The level comes from ``AWS_LAMBDA_LOG_LEVEL`` (set by Lambda's advanced
    logging controls), INFO otherwise.
    """
    service = os.environ.get(env.SERVICE_NAME, name or "handler")
    logger = logging.getLogger(name or service)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO").upper()
    logger.setLevel(getattr(logging, level, logging.INFO))
    return _ContextAdapter(logger, {"service": service, **fields})


def correlation_id(event: Mapping[str, Any]) -> str | None:
    """The correlation id of an API Gateway, EventBridge or SQS-shaped event, if any."""
    headers = event.get("headers") or {}
    for key in ("x-correlation-id", "X-Correlation-Id"):
        if headers.get(key):
            return str(headers[key])
    request = (event.get("requestContext") or {}).get("requestId")
    return str(request) if request else (str(event["id"]) if "id" in event else None)
