"""The web ACL helper: AWS managed rule groups plus a per-IP rate limit, logged.

One place for the default web ACL, for regional resources (API Gateway stages)
and CloudFront distributions alike, and for its logging (:func:`log_web_acl`):
every request the ACL evaluates goes to a CloudWatch Logs group named
``aws-waf-logs-…`` (WAF only delivers to names with that prefix), with the
library's retention, retained on stack deletion (logs are evidence after an
incident), ``Authorization`` and ``Cookie`` redacted so no credential or session
lands in the logs. Cost: CloudWatch Logs ingestion of about 1-2 KB per request
(USD 0.50/GB in us-east-1, e.g. about USD 1 per million requests) plus storage.
"""

from __future__ import annotations

import weakref
from typing import Any, Optional, cast

from aws_cdk import ArnFormat, Names, RemovalPolicy, Stack
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_logs as logs, aws_wafv2 as wafv2
from cdk_serverless_patterns import defaults

from cdk_serverless_patterns.errors import Problems, or_default

from .logs import create_log_group


#: WAF delivers logs only to CloudWatch Logs groups whose name starts with this.
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"
#: Request headers WAF blanks out in its logs (credentials and sessions).
WAF_REDACTED_HEADERS = ("authorization", "cookie")


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
    limit = or_default(rate_limit, defaults.WAF_RATE_LIMIT_PER_5_MIN)
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
    web_acl = wafv2.CfnWebACL(
        scope,
        construct_id,
        scope=waf_scope,
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility(metric_name),
        rules=rules,
    )
    _RULES[web_acl] = rules
    return web_acl


#: The rules of each web ACL built here, as Python objects: reading ``CfnWebACL.rules``
#: back costs a jsii round trip per nested property (~150 for the default rules).
_RULES: "weakref.WeakKeyDictionary[wafv2.CfnWebACL, list[Any]]" = weakref.WeakKeyDictionary()


def add_rule(web_acl: wafv2.CfnWebACL, rule: wafv2.CfnWebACL.RuleProperty) -> None:
    """Append ``rule`` to ``web_acl``'s rules (one jsii call for a web ACL built here)."""
    known = _RULES.get(web_acl)
    rules = [*(known if known is not None else cast(list[Any], web_acl.rules or [])), rule]
    web_acl.rules = rules
    _RULES[web_acl] = rules


def log_web_acl(
    scope: Construct,
    construct_id: str,
    web_acl: wafv2.CfnWebACL,
    *,
    retention: Optional[logs.RetentionDays] = None,
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
) -> logs.LogGroup:
    """Log every request ``web_acl`` evaluates to a new ``aws-waf-logs-…`` log group.

    :param retention: default :data:`defaults.LOG_RETENTION`.
    :param removal_policy: of the log group. Default RETAIN.

    The group is made in ``scope``'s stack, which must be the web ACL's (a
    CLOUDFRONT-scope ACL and its logs both live in us-east-1). Its name is
    ``aws-waf-logs-<unique id of scope>`` so two stacks never collide.
    """
    name = f"{WAF_LOG_GROUP_PREFIX}{Names.unique_id(scope)}{construct_id}"[: defaults.LOG_GROUP_NAME_MAX]
    log_group = create_log_group(
        scope, construct_id, retention=retention, removal_policy=removal_policy, log_group_name=name
    )
    # WAF wants the group's ARN without the ":*" suffix CDK's log_group_arn carries.
    destination = Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name=log_group.log_group_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    wafv2.CfnLoggingConfiguration(
        scope,
        f"{construct_id}Configuration",
        resource_arn=web_acl.attr_arn,
        log_destination_configs=[destination],
        redacted_fields=[
            wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
            for header in WAF_REDACTED_HEADERS
        ],
    )
    return log_group


def validate_waf_logging(problems: Problems, waf_logging: object, field: str = "waf_logging") -> None:
    """``waf_logging`` is a bool (a truthy string would silently keep or drop the logs)."""
    problems.check(
        isinstance(waf_logging, bool),
        field,
        waf_logging,
        "True (log the web ACL's requests, the default) or False (no WAF logs)",
        f"pass {field}=True, or {field}=False to opt out of WAF logging",
    )
