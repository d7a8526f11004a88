"""Module paths of 0.1.0 that moved in 0.2.0's layout, kept as deprecated re-exports.

Each old path is a small module that re-exports the new one and calls
``warn_moved(__name__)``; they are removed in 1.0.0 (docs/upgrading.md).
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any, Callable

#: old module -> the module its names live in now
MOVED_MODULES: dict[str, str] = {
    f"cdk_serverless_patterns.{old}": f"cdk_serverless_patterns.{new}"
    for old, new in {
        "acknowledge": "checks.acknowledge",
        "alarms": "building_blocks.alarms",
        "api": "patterns.api.backend",
        "api_auth": "patterns.api.auth",
        "api_routes": "patterns.api.routes",
        "api_stage": "patterns.api.stage",
        "api_validation": "patterns.api.validation",
        "buckets": "building_blocks.buckets",
        "checks.rules_apigw": "checks.rules.apigw",
        "checks.rules_edge": "checks.rules.edge",
        "checks.rules_event_sources": "checks.rules.event_sources",
        "checks.rules_lambda": "checks.rules.lambda_",
        "cqrs": "patterns.cqrs",
        "delivery_rules": "building_blocks.delivery_rules",
        "edge": "patterns.edge.site",
        "edge_functions": "patterns.edge.functions",
        "edge_security": "patterns.edge.security",
        "events": "patterns.events",
        "fan_out": "patterns.fan_out",
        "function": "building_blocks.function",
        "logs": "building_blocks.logs",
        "nag_ids": "checks.nag_ids",
        "queues": "building_blocks.queues",
        "results": "building_blocks.results",
        "runtime_layer": "building_blocks.runtime_layer",
        "saga": "patterns.saga.workflow",
        "saga_api": "patterns.saga.start_api",
        "schedule": "patterns.schedule.job",
        "schedule_expressions": "patterns.schedule.expressions",
        "sqs_consumers": "building_blocks.sqs_consumers",
        "streams": "patterns.streams",
        "tables": "building_blocks.tables",
        "topic_grants": "building_blocks.topic_grants",
        "topics": "building_blocks.topics",
        "waf": "building_blocks.waf",
    }.items()
}


def warn_moved(old: str) -> None:
    """Warn (``DeprecationWarning``, at the user's import line) that module ``old`` moved."""
    new = MOVED_MODULES[old]
    warnings.warn(
        f"{old} is deprecated since 0.2.0 and will be removed in 1.0.0: import from {new} instead "
        "(the constructs are also exported from cdk_serverless_patterns itself)",
        DeprecationWarning,
        stacklevel=3,  # warn_moved -> the old module -> the import (importlib's frames are skipped)
    )
    # ``import *`` copies what the new module has defined; names it builds on first use
    # (module ``__getattr__``, e.g. alarms.GTE) are forwarded on access.
    sys.modules[old].__getattr__ = _forward(new)  # type: ignore[method-assign]


def _forward(new: str) -> Callable[[str], Any]:
    def __getattr__(name: str) -> Any:
        return getattr(importlib.import_module(new), name)

    return __getattr__
