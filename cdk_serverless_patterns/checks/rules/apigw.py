"""Rules about API Gateway integrations with Lambda."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.base import ERROR, Finding, Rule
from cdk_serverless_patterns.checks.graph import TemplateGraph, number


def _timeout_findings(
    graph: TemplateGraph, integration_lid: str, uri: object, timeout_ms: object, limit_s: int, api_kind: str, location: str
) -> Iterable[Finding]:
    configured = number(timeout_ms)
    if configured is not None and configured > limit_s * 1000:
        yield Finding(
            integration_lid,
            location,
            f"integration timeout {configured:g} ms > {api_kind}'s {limit_s * 1000} ms",
        )
    for fn in sorted(graph.functions_in(uri)):
        if fn not in graph.user_functions:
            continue
        timeout = number(graph.functions[fn].get("Timeout", defaults.LAMBDA_DEFAULT_TIMEOUT_S))
        if timeout is not None and timeout > limit_s:
            yield Finding(
                fn,
                "Properties/Timeout",
                f"timeout {timeout:g} s behind {api_kind} {integration_lid}, which gives up after {limit_s} s",
            )


def api_timeout_exceeded(graph: TemplateGraph) -> Iterable[Finding]:
    """Functions behind an API finish within the API's integration timeout."""
    seen: set[tuple[str, str]] = set()
    findings: list[Finding] = []
    for lid, props in graph.api_lambda_methods():
        integration: Mapping[str, Any] = props["Integration"]
        findings += _timeout_findings(
            graph,
            lid,
            integration.get("Uri"),
            integration.get("TimeoutInMillis"),
            defaults.API_INTEGRATION_TIMEOUT_S,
            "REST API",
            "Properties/Integration/TimeoutInMillis",
        )
    for lid, props in graph.of_type("AWS::ApiGatewayV2::Integration"):
        if props.get("IntegrationType") != "AWS_PROXY":
            continue
        findings += _timeout_findings(
            graph,
            lid,
            props.get("IntegrationUri"),
            props.get("TimeoutInMillis"),
            defaults.HTTP_API_INTEGRATION_TIMEOUT_S,
            "HTTP API",
            "Properties/TimeoutInMillis",
        )
    for finding in findings:  # one finding per resource: many methods share a function
        if (finding.logical_id, finding.location) not in seen:
            seen.add((finding.logical_id, finding.location))
            yield finding


RULES: list[Rule] = [
    Rule(
        "SP-APIGW-TIMEOUT",
        ERROR,
        "Lambda function behind API Gateway may run longer than the integration timeout (REST APIs: "
        "29 s by default; HTTP APIs: 30 s), or the integration asks for more: the client gets a 504 "
        "while the function keeps running and billing.",
        "Keep API-backed functions' timeout at or below 29 s (ApiBackend enforces it) and move longer "
        "work behind a queue or Step Functions (return 202 and a status URL). Raise TimeoutInMillis "
        "beyond 29 s only on a Regional or private REST API after AWS raised your quota, and "
        "acknowledge with the quota request as reason.",
        api_timeout_exceeded,
    ),
]
