"""The response headers policy of an :class:`~cdk_serverless_patterns.patterns.edge.site.EdgeSite`.

(Its web ACL and buckets come from the shared :mod:`.waf` and :mod:`.buckets` helpers.)
"""

from __future__ import annotations


from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_cloudfront as cloudfront
from cdk_serverless_patterns import defaults


#: CloudFront comments (function config, response headers policy, distribution):
#: at most 128 characters, enforced at deploy time.
#: https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_FunctionConfig.html
CLOUDFRONT_COMMENT_MAX = 128


def cloudfront_comment(text: str) -> str:
    """``text`` cut to CloudFront's 128-character comment limit (as CDK's Distribution does)."""
    if len(text) <= CLOUDFRONT_COMMENT_MAX:
        return text
    return text[: CLOUDFRONT_COMMENT_MAX - 3] + "..."


def security_headers_policy(scope: Construct, construct_id: str) -> cloudfront.ResponseHeadersPolicy:
    """HSTS (2 years, subdomains), nosniff, DENY framing, strict referrer, XSS block.

    ``override=True`` everywhere: the edge, not each origin, decides these headers.
    HSTS ``preload`` stays off: preloading commits the whole registered domain
    and is the owner's decision.
    """
    return cloudfront.ResponseHeadersPolicy(
        scope,
        construct_id,
        comment=cloudfront_comment(f"Security headers of {scope.node.path}"),
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
