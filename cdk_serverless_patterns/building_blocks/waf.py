"""The web ACL helper: AWS managed rule groups plus a per-IP rate limit.

One place for the default web ACL, for regional resources (API Gateway stages)
and CloudFront distributions alike.
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk_serverless_patterns import defaults


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def create_web_acl(
    scope: Construct,
    construct_id: str,
    *,
    waf_scope: str = "REGIONAL",
    rate_limit: Optional[int] = None,
    metric_name: str = "WebAcl",
) -> wafv2.CfnWebACL:
    """A web ACL that allows by default, runs :data:`defaults.WAF_MANAGED_RULE_GROUPS`
    and blocks a source IP above ``rate_limit`` requests per 5 minutes.

    :param waf_scope: ``"REGIONAL"`` (API Gateway, ALB) or ``"CLOUDFRONT"`` (the
        latter must be deployed in us-east-1).
    :param rate_limit: requests per IP per 5 minutes, 10-2,000,000,000.
        Default :data:`defaults.WAF_RATE_LIMIT_PER_5_MIN`.
    :param metric_name: CloudWatch metric name of the ACL itself.
    """
    limit = rate_limit if rate_limit is not None else defaults.WAF_RATE_LIMIT_PER_5_MIN
    rules = [
        wafv2.CfnWebACL.RuleProperty(
            name=group,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=group
                )
            ),
            visibility_config=_visibility(group),
        )
        for priority, group in enumerate(defaults.WAF_MANAGED_RULE_GROUPS)
    ]
    rules.append(
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp",
            priority=len(rules),
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=limit, aggregate_key_type="IP", evaluation_window_sec=300
                )
            ),
            visibility_config=_visibility("RateLimitPerIp"),
        )
    )
    return wafv2.CfnWebACL(
        scope,
        construct_id,
        scope=waf_scope,
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility(metric_name),
        rules=rules,
    )
