"""Security pieces of an :class:`~cdk_serverless_patterns.edge.EdgeSite`: response headers, WAF, log bucket."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from . import defaults
from .acknowledge import AWS_SOLUTIONS, acknowledge

#: AWS managed rule groups every default web ACL carries (no extra WCU fees).
#: https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)


def security_headers_policy(scope: Construct, construct_id: str) -> cloudfront.ResponseHeadersPolicy:
    """HSTS (2 years, subdomains), nosniff, DENY framing, strict referrer, XSS block.

    ``override=True`` everywhere: the edge, not each origin, decides these headers.
    HSTS ``preload`` stays off: preloading commits the whole registered domain
    and is the owner's decision.
    """
    return cloudfront.ResponseHeadersPolicy(
        scope,
        construct_id,
        comment=f"Security headers of {scope.node.path}",
        security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=defaults.HSTS_MAX_AGE, include_subdomains=True, override=True
            ),
            content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
            frame_options=cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption.DENY, override=True
            ),
            referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True
            ),
            xss_protection=cloudfront.ResponseHeadersXSSProtection(protection=True, mode_block=True, override=True),
        ),
    )


def default_web_acl(scope: Construct, construct_id: str) -> wafv2.CfnWebACL:
    """A CLOUDFRONT-scope web ACL: AWS managed baseline rule groups plus a per-IP rate limit.

    CloudFront web ACLs must be created in us-east-1; the caller checks the Region.
    """
    metric_prefix = scope.node.path.replace("/", "-")[:100]

    def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=f"{metric_prefix}-{name}"[:128], sampled_requests_enabled=True
        )

    rules = [
        wafv2.CfnWebACL.RuleProperty(
            name=group,
            priority=index,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=group
                )
            ),
            visibility_config=visibility(group),
        )
        for index, group in enumerate(MANAGED_RULE_GROUPS)
    ]
    rules.append(
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp",
            priority=len(MANAGED_RULE_GROUPS),
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=defaults.WAF_RATE_LIMIT_PER_5_MIN, aggregate_key_type="IP"
                )
            ),
            visibility_config=visibility("RateLimitPerIp"),
        )
    )
    return wafv2.CfnWebACL(
        scope,
        construct_id,
        scope="CLOUDFRONT",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility("WebAcl"),
        rules=rules,
    )


def access_log_bucket(scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy) -> s3.Bucket:
    """Private bucket for CloudFront standard logs and the origin bucket's S3 access logs.

    CloudFront standard logging (legacy) writes with an ACL grant to the
    awslogsdelivery account, so ACLs must be enabled: BUCKET_OWNER_PREFERRED
    keeps the delivered objects owned by this account. Public access stays blocked
    (the grant is not public). Logs expire after :data:`defaults.ACCESS_LOG_EXPIRATION`.
    """
    bucket = s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
        lifecycle_rules=[s3.LifecycleRule(expiration=defaults.ACCESS_LOG_EXPIRATION)],
        removal_policy=removal_policy,
    )
    acknowledge(
        bucket,
        AWS_SOLUTIONS + "S1",
        "This bucket is the access-log destination itself; logging its own access into itself would "
        "log every log delivery (AWS advises against it), and a further bucket would only move the question.",
    )
    return bucket
