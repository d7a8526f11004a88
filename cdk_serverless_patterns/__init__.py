"""cdk-serverless-patterns: production-grade serverless L3 constructs for AWS CDK v2.

Public API (contract): ``FunctionSpec``, ``ServerlessFunction``,
``PatternConfigError``, ``enable_checks``, ``ServerlessPatternsChecks`` and one
construct per pattern.

Exports are resolved lazily (PEP 562): Lambda handlers import
``cdk_serverless_patterns.runtime``, which imports this package first, and
must not pay for aws_cdk/jsii at cold start. To export a name, add it to
``_EXPORTS`` (name -> module).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # foundation
    "FunctionSpec": ".function",
    "Invocation": ".function",
    "ServerlessFunction": ".function",
    "PatternConfigError": ".errors",
    "ServerlessPatternsChecks": ".checks",
    "enable_checks": ".checks",
    # patterns
    "ApiBackend": ".api",
    "ApiAuth": ".api",
    "ApiCache": ".api",
    "Route": ".api_routes",
    "parse_route": ".api_routes",
    "EventProcessing": ".events",
    "StreamProcessing": ".streams",
    "FanOutFanIn": ".fan_out",
    "Saga": ".saga",
    "SagaStep": ".saga",
    "SagaApproval": ".saga",
    "SagaStartApi": ".saga_api",
    "Cqrs": ".cqrs",
    "CqrsProjection": ".cqrs",
    "ScheduledJob": ".schedule",
    "EdgeSite": ".edge",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cdk_serverless_patterns' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # resolve once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .checks import ServerlessPatternsChecks, enable_checks
    from .errors import PatternConfigError
    from .function import FunctionSpec, Invocation, ServerlessFunction
