"""Rules about Lambda@Edge functions built by hand (EdgeSite validates its own)."""

from __future__ import annotations

from typing import Iterable, Mapping

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.base import ERROR, Finding, Rule
from cdk_serverless_patterns.checks.graph import (
    ALIAS,
    VERSION,
    TemplateGraph,
    as_list,
    number,
)

_VIEWER_EVENTS = ("viewer-request", "viewer-response")


def _limits(event_types: set[str]) -> tuple[float, float, str]:
    """(max memory MB, max timeout s, why) for the strictest associated event."""
    if any(e in _VIEWER_EVENTS for e in event_types):
        return (
            defaults.EDGE_VIEWER_MAX_MEMORY_MB,
            defaults.EDGE_VIEWER_MAX_TIMEOUT_S,
            "viewer events",
        )
    why = "origin events" if event_types else "any Lambda@Edge event (origin limits; no association seen here)"
    return defaults.EDGE_ORIGIN_MAX_MEMORY_MB, defaults.EDGE_ORIGIN_MAX_TIMEOUT_S, why


def edge_limits(graph: TemplateGraph) -> Iterable[Finding]:
    """Lambda@Edge functions fit Lambda@Edge's restrictions and per-event quotas."""
    provisioned = {
        t.function
        for lid, props in graph.of_type(ALIAS, VERSION)
        if props.get("ProvisionedConcurrencyConfig")
        for t in [graph.target_of(lid)]
        if t
    }
    for fn in sorted(graph.edge_functions):
        if fn not in graph.user_functions:
            continue
        props = graph.functions[fn]
        architectures = props.get("Architectures")
        if isinstance(architectures, list) and "arm64" in architectures:
            yield Finding(fn, "Properties/Architectures", "arm64: Lambda@Edge runs x86_64 functions only")
        variables = (props.get("Environment") or {}).get("Variables") if isinstance(props.get("Environment"), Mapping) else None
        if variables:
            yield Finding(
                fn, "Properties/Environment", f"environment variables {sorted(variables)}: not supported by Lambda@Edge"
            )
        if as_list(props.get("Layers")):
            yield Finding(fn, "Properties/Layers", "layers: not supported by Lambda@Edge")
        if props.get("VpcConfig"):
            yield Finding(fn, "Properties/VpcConfig", "VPC access: not supported by Lambda@Edge")
        storage = number((props.get("EphemeralStorage") or {}).get("Size")) if isinstance(
            props.get("EphemeralStorage"), Mapping
        ) else None
        if storage is not None and storage > defaults.EDGE_MAX_EPHEMERAL_STORAGE_MB:
            yield Finding(
                fn,
                "Properties/EphemeralStorage",
                f"ephemeral storage {storage:g} MB > {defaults.EDGE_MAX_EPHEMERAL_STORAGE_MB} MB",
            )
        if fn in provisioned:
            yield Finding(fn, "Properties", "provisioned concurrency on a version or alias: not supported by Lambda@Edge")
        max_memory, max_timeout, why = _limits(graph.edge_event_types.get(fn, set()))
        memory = number(props.get("MemorySize", defaults.LAMBDA_DEFAULT_MEMORY_MB))
        timeout = number(props.get("Timeout", defaults.LAMBDA_DEFAULT_TIMEOUT_S))
        if memory is not None and memory > max_memory:
            yield Finding(fn, "Properties/MemorySize", f"memory {memory:g} MB > {max_memory:g} MB allowed for {why}")
        if timeout is not None and timeout > max_timeout:
            yield Finding(fn, "Properties/Timeout", f"timeout {timeout:g} s > {max_timeout:g} s allowed for {why}")


RULES: list[Rule] = [
    Rule(
        "SP-EDGE-LIMITS",
        ERROR,
        "Lambda@Edge function breaks a Lambda@Edge restriction or quota (x86_64 only; no environment "
        "variables, layers, VPC, provisioned concurrency or ephemeral storage over 512 MB; viewer events "
        "at most 128 MB and 5 s, origin events at most 30 s): CloudFront rejects the association at deploy time.",
        "Build edge functions with EdgeSite(edge_functions=...) or EdgeFunction(scope, id, spec), "
        "which validate these limits; otherwise fix the property named in the finding (configuration "
        "goes into the code package, not environment variables).",
        edge_limits,
    ),
]
