"""Rules about what viewers and callers reach first: CloudFront's TLS, and HTTP APIs without WAF."""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from cdk_serverless_patterns.checks.base import ERROR, WARNING, Finding, Rule
from cdk_serverless_patterns.checks.graph import TemplateGraph

#: CloudFront security policies that still accept TLS 1.0 or 1.1 from viewers.
_OLD_TLS_POLICIES = ("SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016")


def cloudfront_tls(graph: TemplateGraph) -> Iterable[Finding]:
    """Distributions whose viewers may negotiate TLS below 1.2."""
    for lid, props in graph.of_type("AWS::CloudFront::Distribution"):
        config = props.get("DistributionConfig")
        if not isinstance(config, Mapping):
            continue
        certificate = config.get("ViewerCertificate")
        if not isinstance(certificate, Mapping) or certificate.get("CloudFrontDefaultCertificate") in (True, "true"):
            yield Finding(
                lid,
                "Properties/DistributionConfig/ViewerCertificate",
                "CloudFront's default *.cloudfront.net certificate: its security policy is fixed at TLSv1, so "
                "viewers may negotiate TLS 1.0 and 1.1",
            )
            continue
        policy = certificate.get("MinimumProtocolVersion")
        if isinstance(policy, str) and policy in _OLD_TLS_POLICIES:
            yield Finding(
                lid,
                "Properties/DistributionConfig/ViewerCertificate/MinimumProtocolVersion",
                f"security policy {policy} accepts TLS below 1.2",
            )


def _fronted_by_web_acl(graph: TemplateGraph, api: str) -> bool:
    """A distribution in this template with a web ACL has the API as an origin."""
    for _, props in graph.of_type("AWS::CloudFront::Distribution"):
        config = props.get("DistributionConfig")
        if isinstance(config, Mapping) and config.get("WebACLId") and api in json.dumps(config.get("Origins") or []):
            return True
    return False


def http_api_without_waf(graph: TemplateGraph) -> Iterable[Finding]:
    """HTTP APIs, which AWS WAF cannot protect, with no CloudFront web ACL in front."""
    for lid, props in graph.of_type("AWS::ApiGatewayV2::Api"):
        if props.get("ProtocolType") != "HTTP" or _fronted_by_web_acl(graph, lid):
            continue
        disabled: Any = props.get("DisableExecuteApiEndpoint")
        if disabled in (True, "true"):
            continue  # reached only through a custom domain; the front is elsewhere
        yield Finding(
            lid,
            "Properties/ProtocolType",
            "HTTP API: AWS WAF cannot be associated with HTTP APIs, and no CloudFront distribution with a web "
            "ACL in this template fronts it, so nothing filters its traffic (no managed rules, no per-IP rate "
            "limit beyond the stage throttle)",
        )


RULES: list[Rule] = [
    Rule(
        "SP-CLOUDFRONT-TLS",
        ERROR,
        "CloudFront distribution that lets viewers negotiate TLS 1.0 or 1.1: the default *.cloudfront.net "
        "certificate's security policy is fixed at TLSv1, and older security policies allow it too.",
        "Give the distribution a custom domain and an ACM certificate in us-east-1 with security policy "
        "TLSv1.2_2021 (EdgeSite(domain_name=..., certificate=...) sets it). Without a domain of your own, "
        "acknowledge the finding on the distribution, saying who may reach it over TLS 1.0/1.1.",
        cloudfront_tls,
    ),
    Rule(
        "SP-HTTPAPI-WAF",
        WARNING,
        "API Gateway HTTP API with no web ACL in front: AWS WAF can be associated with REST API stages, "
        "not with HTTP APIs, so managed rule groups and per-IP rate limits never see its traffic.",
        "Use a REST API (ApiBackend's default api_type, which associates a web ACL), or put a CloudFront "
        "distribution with a web ACL in front of the HTTP API (and make the API reject calls that bypass "
        "it). Acknowledge on the API when its callers are known and authenticated, naming them.",
        http_api_without_waf,
    ),
]
