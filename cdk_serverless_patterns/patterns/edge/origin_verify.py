"""The API origin answers only requests that came through the distribution.

CloudFront adds a header with a per-stack secret to every request it sends to
the API origin, and a rule on the API stage's web ACL blocks every request
without it: a caller who finds the ``execute-api`` URL cannot bypass the
distribution's web ACL, geo restriction and edge logic. This is the pattern of
AWS's Well-Architected security lab "Prevent requests from accessing API
directly" (custom origin header checked by AWS WAF on the API); REST API
resource policies cannot test request headers, so WAF is where the check lives.

The secret is the random UUID in the stack's id (``AWS::StackId``): 122 random
bits, fixed for the stack's life, known to CloudFormation, the distribution's
configuration and the web ACL, and never to viewers (CloudFront replaces a
viewer's header of the same name). Anyone who may read those in the account can
read the value; replace the stack to change it.
"""

from __future__ import annotations

from typing import Any, Optional

from aws_cdk import Fn, Stack

from cdk_serverless_patterns._cdk_modules import aws_wafv2 as wafv2
from cdk_serverless_patterns.building_blocks.waf import add_rule


#: The header CloudFront sends to the API origin (the name AWS's lab uses).
ORIGIN_VERIFY_HEADER = "x-origin-verify"
#: Name of the web ACL rule that blocks requests without it.
ORIGIN_VERIFY_RULE = "RequireCloudFrontOriginHeader"
#: Above the library's managed rule groups and rate limit (priorities 0..n).
_RULE_PRIORITY = 100


def origin_secret(stack: Stack) -> str:
    """The random part of ``stack``'s id: ``Fn::Select [2, Fn::Split ["/", AWS::StackId]]``."""
    return Fn.select(2, Fn.split("/", stack.stack_id))


def require_origin_header(web_acl: Any, secret: str) -> Optional[wafv2.CfnWebACL]:
    """Add the blocking rule to ``web_acl`` (a ``CfnWebACL``); None when it is not one."""
    if not isinstance(web_acl, wafv2.CfnWebACL):
        return None
    rule = wafv2.CfnWebACL.RuleProperty(
        name=ORIGIN_VERIFY_RULE,
        priority=_RULE_PRIORITY,
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            not_statement=wafv2.CfnWebACL.NotStatementProperty(
                statement=wafv2.CfnWebACL.StatementProperty(
                    byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                        field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                            single_header={"Name": ORIGIN_VERIFY_HEADER}
                        ),
                        positional_constraint="EXACTLY",
                        search_string=secret,
                        text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
                    )
                )
            )
        ),
        visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=ORIGIN_VERIFY_RULE, sampled_requests_enabled=True
        ),
    )
    add_rule(web_acl, rule)
    return web_acl
