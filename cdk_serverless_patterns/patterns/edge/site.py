"""``EdgeSite``: CloudFront in front of a private S3 origin and, optionally, an ApiBackend.

::

    viewer ──HTTPS (HTTP/2, HTTP/3)──► CloudFront ── WAF, security headers, access logs
                                          │  Lambda@Edge / CloudFront Functions (default behavior)
                   default (*)  ──────────┤  cached (CachingOptimized)
                                          ├──► S3 bucket (private, Origin Access Control)
                   /api/*       ──────────┘  not cached, all viewer headers but Host
                                          └──► API Gateway REST API (ApiBackend)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, cast

from aws_cdk import Annotations, CfnResource, RemovalPolicy, Stack, Token
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_apigateway as apigateway,
    aws_certificatemanager as acm,
    aws_cloudfront as cloudfront,
    aws_cloudfront_origins as origins,
    aws_cloudwatch as cloudwatch,
    aws_iam as iam,
    aws_logs as logs,
    aws_s3 as s3,
    aws_sns as sns,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.alarms import Graph, AlarmSpec
from cdk_serverless_patterns.building_blocks.alarms import dashboard as make_dashboard
from cdk_serverless_patterns.building_blocks.grants import grant_exactly
from cdk_serverless_patterns.building_blocks.option_types import (
    BUCKET,
    COMMON,
    MAPPING,
    STRING,
    OptionType,
    resource,
)
from cdk_serverless_patterns.building_blocks.buckets import (
    SecureBucket,
    create_access_log_bucket,
)
from cdk_serverless_patterns.building_blocks.function import (
    EdgeFunction,
    FunctionSpec,
)
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.building_blocks.waf import create_web_acl, log_web_acl, validate_waf_logging
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge
from cdk_serverless_patterns.errors import PatternConfigError, Problems, child_path, is_token, or_default

from .functions import (
    EdgeLogic,
    FunctionFile,
    validate_cloudfront_functions,
    validate_edge_functions,
)
from .origin_verify import ORIGIN_VERIFY_HEADER, origin_secret, require_origin_header
from .security import security_headers_policy

if TYPE_CHECKING:  # pragma: no cover - typing only; api.py is not needed at runtime
    from cdk_serverless_patterns.patterns.api.backend import ApiBackend


__all__ = ["EdgeSite"]

#: Warning ids (acknowledge with ``Annotations.of(scope).acknowledge_warning(id, reason)``).
DEFAULT_CERTIFICATE_WARNING = "cdk-serverless-patterns:edge-default-certificate"
API_BYPASS_WARNING = "cdk-serverless-patterns:edge-api-bypass"
_S3_LOG_PREFIX = "s3/"
_CLOUDFRONT_LOG_PREFIX = "cloudfront/"
_HOSTNAME_RE = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


_OPTION_TYPES = {
    **COMMON,
    "bucket": BUCKET,
    "edge_functions": MAPPING,
    "cloudfront_functions": MAPPING,
    "domain_name": STRING,
    "certificate": resource(
        "certificate_arn",
        "an acm.ICertificate (in us-east-1)",
        "pass acm.Certificate.from_certificate_arn(self, 'Cert', arn), not the ARN string",
    ),
    "web_acl_arn": STRING,
    "geo_restriction": OptionType(
        lambda v: isinstance(v, cloudfront.GeoRestriction),
        "a cloudfront.GeoRestriction",
        "pass cloudfront.GeoRestriction.allowlist('DE', 'FR')",
    ),
    "price_class": OptionType(
        lambda v: isinstance(v, cloudfront.PriceClass),
        "a cloudfront.PriceClass",
        "pass cloudfront.PriceClass.PRICE_CLASS_100 (the member, not its name)",
    ),
    "default_root_object": STRING,
    "error_responses": OptionType(
        lambda v: isinstance(v, (list, tuple)) and all(isinstance(r, cloudfront.ErrorResponse) for r in v),
        "a list of cloudfront.ErrorResponse",
        "pass [cloudfront.ErrorResponse(http_status=404, response_page_path='/404.html', response_http_status=404)]",
    ),
    "static_cache_policy": resource(
        "cache_policy_id",
        "a cloudfront.ICachePolicy",
        "pass cloudfront.CachePolicy.CACHING_OPTIMIZED or your own CachePolicy",
    ),
}


class EdgeSite(Construct):
    """A CloudFront distribution for a static site with optional API and edge logic (contract).

    :param bucket: existing private bucket to serve (``IBucket``). Default: a new
        versioned, encrypted, SSL-only bucket with public access blocked. CloudFront
        reads it through Origin Access Control; a new bucket gets the bucket policy
        automatically, an imported one needs it added by its owner (CDK warns).
    :param api: an ``ApiBackend`` to route ``/api/*`` to (its ``.api`` RestApi).
        Not cached, every viewer header but Host forwarded (so ``Authorization``
        reaches the API's authorizer), all HTTP methods. Its routes must include
        the ``/api`` prefix. CloudFront sends it an ``x-origin-verify`` header
        with a per-stack secret and a rule on the API's own web ACL blocks
        requests without it, so the API cannot be called around the
        distribution (:mod:`.origin_verify`; needs the ApiBackend in this stack
        with its default web ACL, else a warning says so). Default: no API origin.
    :param edge_functions: ``{"viewer-request": spec, ...}``; events viewer-request,
        viewer-response, origin-request, origin-response. Lambda@Edge on the
        default (static) behavior. Specs must be x86_64 without environment
        variables; viewer events at most 128 MB and 5 s, origin events 30 s.
        Needs a stack with a concrete Region. Default: none.
    :param cloudfront_functions: ``{"viewer-request": "path/to/fn.js", ...}``;
        CloudFront Functions (cloudfront-js-2.0, at most 10 KB) for viewer
        events: the cheaper option for header and URL rewrites. Not on an event
        that also has a Lambda@Edge function. Default: none.
    :param domain_name: custom domain (e.g. ``www.example.com``); requires
        ``certificate``. Default: the ``*.cloudfront.net`` name.
    :param certificate: ACM certificate in us-east-1 covering ``domain_name``;
        TLS 1.2_2021 minimum, SNI. Requires ``domain_name``. Default: none:
        CloudFront's default certificate, whose policy is fixed at TLSv1 (viewers
        may use TLS 1.0/1.1); the construct warns and the ``SP-CLOUDFRONT-TLS``
        finding must be acknowledged.
    :param web_acl_arn: ARN of an existing CLOUDFRONT-scope WAFv2 web ACL (in
        us-east-1). Default: when the stack is in us-east-1, a new web ACL with
        AWS's baseline managed rule groups and a per-IP rate limit; elsewhere
        none (a warning says so; CloudFront web ACLs can only be made in us-east-1).
    :param waf_logging: log the new web ACL's requests to an ``aws-waf-logs-…``
        log group (``log_retention``, RETAIN, credentials redacted). Default True.
    :param geo_restriction: ``cloudfront.GeoRestriction.allowlist(...)`` or
        ``denylist(...)``. Default: none — who may see a site is a business and
        legal decision, not a default (the AwsSolutions-CFR1 warning is
        acknowledged with that reason only while this is unset).
    :param price_class: default ``PRICE_CLASS_100`` (cheapest edge set).
    :param default_root_object: object served for ``/``. Default ``index.html``.
    :param error_responses: ``cloudfront.ErrorResponse`` list (e.g. SPA 403/404 →
        ``/index.html``). Default: none (errors pass through).
    :param static_cache_policy: cache policy of the static behavior. Default:
        the managed ``CachingOptimized`` (compression, long TTLs, no cookies).
    :param alarm_topic: SNS topic for alarms. Default: none.
    :param create_alarms: 5xx error rate of the distribution and execution errors
        of each CloudFront Function. CloudFront publishes metrics only in
        us-east-1, so alarms are made only when the stack is there. Default: True.
    :param log_retention: retention of the Lambda@Edge log groups. Default one month.
    :param removal_policy: of the buckets and log groups. Default: RETAIN.
        DESTROY (sandboxes) makes the stack deletable in one ``cdk destroy``: tables and
        user pools drop deletion protection, KMS keys get the 7-day minimum pending
        window; buckets must be empty. CDK's ``RemovalPolicies.of(stack).destroy()`` has
        the same effect (see docs/patterns/destroy.md).
    :param dashboard: a CloudWatch dashboard: requests, 4xx/5xx error rates,
        CloudFront Function errors (metrics read from us-east-1, wherever the
        dashboard is), then the alarms. Default False (dashboards bill per month).

    Metrics (what the alarms watch): :meth:`metric_5xx_error_rate`,
    :meth:`metric_function_errors` (per CloudFront Function event); plus
    :meth:`metric_4xx_error_rate`, :meth:`metric_requests`. Grants:
    :meth:`grant_create_invalidation` (deploy pipelines).

    Attributes: ``distribution``, ``bucket``, ``origin_bucket`` (the ``SecureBucket``
    when one was created, else None), ``log_bucket``, ``response_headers_policy``,
    ``edge_functions`` (event → EdgeFunction), ``cloudfront_functions``
    (event → cloudfront.Function), ``web_acl`` (CfnWebACL or None), ``web_acl_log_group``, ``web_acl_arn``,
    ``api``, ``origin_verify_header`` (the header name, or None), ``url``, ``alarms``, ``dashboard`` (or None).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: Optional[s3.IBucket] = None,
        api: Optional["ApiBackend"] = None,
        edge_functions: Optional[Mapping[str, FunctionSpec]] = None,
        cloudfront_functions: Optional[Mapping[str, FunctionFile]] = None,
        domain_name: Optional[str] = None,
        certificate: Optional[acm.ICertificate] = None,
        web_acl_arn: Optional[str] = None,
        waf_logging: bool = True,
        geo_restriction: Optional[cloudfront.GeoRestriction] = None,
        price_class: Optional[cloudfront.PriceClass] = None,
        default_root_object: Optional[str] = None,
        error_responses: Optional[Sequence[cloudfront.ErrorResponse]] = None,
        static_cache_policy: Optional[cloudfront.ICachePolicy] = None,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        log_retention: Optional[logs.RetentionDays] = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        dashboard: bool = False,
    ) -> None:
        options = PatternOptions(alarm_topic=alarm_topic, create_alarms=create_alarms, removal_policy=removal_policy,
                                 log_retention=log_retention, dashboard=dashboard)
        problems = Problems(child_path(scope, construct_id))
        typed = options.check_types(
            problems,
            _OPTION_TYPES,
            bucket=bucket,
            edge_functions=edge_functions,
            cloudfront_functions=cloudfront_functions,
            domain_name=domain_name,
            certificate=certificate,
            web_acl_arn=web_acl_arn,
            geo_restriction=geo_restriction,
            price_class=price_class,
            default_root_object=default_root_object,
            error_responses=error_responses,
            static_cache_policy=static_cache_policy,
        )
        edge_functions = dict(typed["edge_functions"]) if typed["edge_functions"] is not None else {}
        cloudfront_functions = dict(typed["cloudfront_functions"]) if typed["cloudfront_functions"] is not None else {}
        default_root_object, web_acl_arn = typed["default_root_object"], typed["web_acl_arn"]
        domain_name, certificate = typed["domain_name"], typed["certificate"]
        root_object = or_default(default_root_object, defaults.CLOUDFRONT_DEFAULT_ROOT_OBJECT)
        _validate(
            problems,
            scope,
            api=api,
            edge_functions=edge_functions,
            cloudfront_functions=cloudfront_functions,
            domain_name=domain_name,
            certificate=certificate,
            web_acl_arn=web_acl_arn,
            default_root_object=root_object,
            waf_logging=waf_logging,
        )
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        in_edge_region = region == defaults.EDGE_REGION

        # CloudFront standard logging (legacy) delivers through an ACL grant to
        # the awslogsdelivery account, so this log bucket keeps ACLs enabled.
        self.log_bucket = create_access_log_bucket(
            self,
            "AccessLogs",
            removal_policy=options.removal_policy,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
        )
        self.origin_bucket: Optional[SecureBucket] = None
        if bucket is None:
            self.origin_bucket = SecureBucket(
                self,
                "Origin",
                removal_policy=options.removal_policy,
                access_log_bucket=self.log_bucket,
                access_log_prefix=_S3_LOG_PREFIX,
            )
            self.bucket: s3.IBucket = self.origin_bucket.bucket
        else:
            self.bucket = bucket
            acknowledge(
                self.log_bucket,
                AWS_SOLUTIONS + "S1",
                "This is the access-log destination (CloudFront's logs; the origin bucket is the caller's own "
                "and logs where its owner decided). Logging a log bucket into itself would log every one of "
                "its own log deliveries.",
            )
        self.response_headers_policy = security_headers_policy(self, "SecurityHeaders")
        logic = EdgeLogic(
            self,
            edge_functions=edge_functions,
            cloudfront_functions=cloudfront_functions,
            log_retention=options.log_retention,
            removal_policy=options.removal_policy,
        )
        self.edge_functions: dict[str, EdgeFunction] = logic.edge_functions
        if self.edge_functions and not in_edge_region:
            _drop_redundant_provider_dependency(Stack.of(self))
        self.cloudfront_functions: dict[str, cloudfront.Function] = logic.cloudfront_functions

        self.web_acl = None
        self.web_acl_log_group: Optional[logs.LogGroup] = None
        if web_acl_arn is None and in_edge_region:
            self.web_acl = create_web_acl(self, "WebAcl", waf_scope="CLOUDFRONT")
            if waf_logging:
                self.web_acl_log_group = log_web_acl(
                    self, "WebAclLogs", self.web_acl, retention=options.log_retention,
                    removal_policy=options.removal_policy,
                )
            web_acl_arn = self.web_acl.attr_arn
        elif web_acl_arn is None:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:edge-no-waf",
                f"No WAF web ACL: CloudFront web ACLs live in us-east-1 and this stack is in {region}. "
                "Create one there and pass web_acl_arn.",
            )
        self.web_acl_arn = web_acl_arn

        self.api = api
        self.origin_verify_header: Optional[str] = None
        additional: dict[str, cloudfront.BehaviorOptions] = {}
        if api is not None:
            additional[defaults.CLOUDFRONT_API_PATH_PATTERN] = cloudfront.BehaviorOptions(
                origin=origins.RestApiOrigin(api.api, custom_headers=self._verify_origin(api)),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                # API Gateway rejects a foreign Host; with caching disabled this
                # policy may forward Authorization, so authorizers see it.
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                response_headers_policy=self.response_headers_policy,
            )

        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{self.node.path}"[:128],
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=static_cache_policy
                if static_cache_policy is not None
                else cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.response_headers_policy,
                compress=True,
                edge_lambdas=logic.edge_lambdas or None,
                function_associations=logic.function_associations or None,
            ),
            additional_behaviors=additional or None,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            domain_names=[domain_name] if domain_name else None,
            certificate=certificate,
            # TLS policy and SNI only mean something with a custom certificate; CDK warns
            # (and ignores them) on the default *.cloudfront.net one.
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None,
            ssl_support_method=cloudfront.SSLMethod.SNI if certificate else None,
            price_class=price_class
            if price_class is not None
            else getattr(cloudfront.PriceClass, defaults.CLOUDFRONT_PRICE_CLASS_NAME),
            default_root_object=root_object,
            error_responses=list(error_responses) if error_responses else None,
            geo_restriction=geo_restriction,
            web_acl_id=web_acl_arn,
            enable_logging=True,
            log_bucket=self.log_bucket,
            log_file_prefix=_CLOUDFRONT_LOG_PREFIX,
            enable_ipv6=True,
        )
        self.url = f"https://{domain_name or self.distribution.distribution_domain_name}"
        self._acknowledge(certificate, geo_restriction)
        if certificate is None:
            Annotations.of(self).add_warning_v2(
                DEFAULT_CERTIFICATE_WARNING,
                "No domain_name/certificate: the distribution serves CloudFront's default *.cloudfront.net "
                "certificate, whose security policy is fixed at TLSv1, so viewers may negotiate TLS 1.0 and 1.1 "
                "(finding ServerlessPatterns::SP-CLOUDFRONT-TLS, which synthesis reports until acknowledged). "
                "Pass domain_name and a us-east-1 certificate to get TLSv1.2_2021.",
            )

        self.alarms: list[cloudwatch.Alarm] = options.alarms(self, self._alarm_specs()) if in_edge_region else []
        if options.create_alarms and not in_edge_region:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:edge-alarms-region",
                f"No alarms: CloudFront publishes its metrics only in us-east-1 and this stack is in {region}. "
                "Deploy the EdgeSite's stack in us-east-1 to get them.",
            )
        self.dashboard: Optional[cloudwatch.Dashboard] = (
            make_dashboard(self, "Dashboard", self.alarms, self.dashboard_graphs()) if options.dashboard else None
        )

    def _verify_origin(self, api: "ApiBackend") -> Optional[dict[str, str]]:
        """The origin header that proves a request came through this distribution, and the
        rule on the API's web ACL that requires it (see :mod:`.origin_verify`)."""
        if Stack.of(api) is not Stack.of(self):
            reason = "the ApiBackend is in another stack (the header's secret and the rule must share one)"
        elif require_origin_header(getattr(api, "web_acl", None), origin_secret(Stack.of(self))) is None:
            reason = "the ApiBackend has no web ACL of its own (waf=False, or an existing ACL's ARN) to add the rule to"
        else:
            self.origin_verify_header = ORIGIN_VERIFY_HEADER
            return {ORIGIN_VERIFY_HEADER: origin_secret(Stack.of(self))}
        self.origin_verify_header = None
        Annotations.of(self).add_warning_v2(
            API_BYPASS_WARNING,
            f"The API origin also answers requests that do not come through the distribution: {reason}. "
            "Callers of its execute-api URL bypass the distribution's web ACL, geo restriction and edge "
            f"functions. Build the ApiBackend in this stack with its default web ACL, or require the "
            f"'{ORIGIN_VERIFY_HEADER}' header on its ACL yourself.",
        )
        return None

    # --- metrics: exactly what the alarms watch ------------------------------
    def metric_5xx_error_rate(self) -> cloudwatch.Metric:
        """``AWS/CloudFront 5xxErrorRate`` (%, Average over 5 min, ``Region=Global``, read in us-east-1)."""
        return _cloudfront_metric("5xxErrorRate", "Average", DistributionId=self.distribution.distribution_id)

    def metric_4xx_error_rate(self) -> cloudwatch.Metric:
        """``AWS/CloudFront 4xxErrorRate`` (%, Average over 5 min)."""
        return _cloudfront_metric("4xxErrorRate", "Average", DistributionId=self.distribution.distribution_id)

    def metric_requests(self) -> cloudwatch.Metric:
        """``AWS/CloudFront Requests`` (Sum over 5 min)."""
        return _cloudfront_metric("Requests", "Sum", DistributionId=self.distribution.distribution_id)

    def metric_function_errors(self, event: str) -> cloudwatch.Metric:
        """``FunctionExecutionErrors`` of the CloudFront Function on ``event`` (Sum over 5 min)."""
        function = self.cloudfront_functions.get(event)
        if function is None:
            raise PatternConfigError(
                self.node.path,
                [f"metric_function_errors: event={event!r} is invalid: allowed "
                 f"{', '.join(map(repr, self.cloudfront_functions)) or 'none (no CloudFront Functions)'}. "
                 "Fix: pass an event given in cloudfront_functions="],
            )
        return _cloudfront_metric("FunctionExecutionErrors", "Sum", FunctionName=function.function_name)

    def dashboard_graphs(self) -> list[Graph]:
        """The graphs ``dashboard=True`` shows; every metric is read in us-east-1."""
        graphs: list[Graph] = [
            ("Requests", [("requests", self.metric_requests())]),
            ("Error rates (%)", [("5xx", self.metric_5xx_error_rate()), ("4xx", self.metric_4xx_error_rate())]),
        ]
        if self.cloudfront_functions:
            graphs.append(
                ("CloudFront Function errors", [(event, self.metric_function_errors(event)) for event in self.cloudfront_functions])
            )
        return [
            (title, [(label, cast(cloudwatch.Metric, metric).with_(region=defaults.EDGE_REGION)) for label, metric in metrics])
            for title, metrics in graphs
        ]

    # --- grants ---------------------------------------------------------------
    def grant_create_invalidation(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let a deploy pipeline invalidate cached paths: exactly
        ``cloudfront:CreateInvalidation`` on this distribution."""
        return grant_exactly(
            grantee, actions=["cloudfront:CreateInvalidation"], resources=[self.distribution.distribution_arn]
        )

    def _acknowledge(
        self, certificate: Optional[acm.ICertificate], geo_restriction: Optional[cloudfront.GeoRestriction]
    ) -> None:
        if certificate is None:
            acknowledge(
                self.distribution,
                AWS_SOLUTIONS + "CFR4",
                "The distribution uses CloudFront's default *.cloudfront.net certificate, whose TLS "
                "policy CloudFront fixes (TLSv1) and which cannot be given SNI or a minimum protocol. "
                "Pass domain_name and a us-east-1 certificate to get TLSv1.2_2021 (set by default then).",
            )
        if geo_restriction is None:
            acknowledge(
                self.distribution,
                AWS_SOLUTIONS + "CFR1",
                "No geo restriction was requested: which countries may reach a site is a business and "
                "legal decision of its owner, and blocking countries by default would cut off legitimate "
                "viewers. Pass geo_restriction to restrict.",
            )

    def _alarm_specs(self) -> list[AlarmSpec]:
        specs = [
            AlarmSpec(
                "ErrorRateAlarm",
                metric=self.metric_5xx_error_rate(),
                threshold=defaults.CLOUDFRONT_5XX_RATE_ALARM_PERCENT,
                description=(
                    f"{self.node.path}: over {defaults.CLOUDFRONT_5XX_RATE_ALARM_PERCENT}% of viewer requests "
                    "got a 5xx (origin errors or failing Lambda@Edge functions)."
                ),
            )
        ]
        for event, fn in self.cloudfront_functions.items():
            specs.append(
                AlarmSpec(
                    f"{fn.node.id}ErrorsAlarm",
                    metric=self.metric_function_errors(event),
                    threshold=1,
                    description=f"{self.node.path}: the {event} CloudFront Function failed.",
                )
            )
        return specs


def _drop_redundant_provider_dependency(stack: Stack) -> None:
    """CDK's cross-Region ARN reader declares DependsOn its role next to a GetAtt of
    it (cfn-lint W3005); the GetAtt already orders them."""
    provider = stack.node.try_find_child("Custom::CrossRegionStringParameterReaderCustomResourceProvider")
    handler = provider.node.try_find_child("Handler") if provider is not None else None
    if handler is not None:
        cast(CfnResource, handler).add_deletion_override("DependsOn")


def _cloudfront_metric(name: str, statistic: str, **dimensions: str) -> cloudwatch.Metric:
    """A CloudFront metric. CloudFront publishes with ``Region=Global`` (in us-east-1);
    a metric without that dimension never has data."""
    return cloudwatch.Metric(
        namespace="AWS/CloudFront",
        metric_name=name,
        dimensions_map={**dimensions, "Region": "Global"},
        statistic=statistic,
        period=defaults.ALARM_PERIOD,
    )


def _validate(
    problems: Problems,
    scope: Construct,
    *,
    api: Any,
    edge_functions: dict[str, FunctionSpec],
    cloudfront_functions: dict[str, FunctionFile],
    domain_name: Optional[str],
    certificate: Optional[acm.ICertificate],
    web_acl_arn: Optional[str],
    default_root_object: str,
    waf_logging: Any = True,
) -> None:
    """Every value rule of :class:`EdgeSite`, added to ``problems`` (which may hold type problems), then raised."""
    validate_waf_logging(problems, waf_logging)
    validate_edge_functions(problems, edge_functions)
    validate_cloudfront_functions(problems, cloudfront_functions, edge_functions)
    if edge_functions:
        region = Stack.of(scope).region
        problems.check(
            not Token.is_unresolved(region),
            "edge_functions",
            sorted(edge_functions),
            "a stack with a concrete Region (Lambda@Edge lives in us-east-1; from another Region CDK "
            "deploys it through a companion stack and must know the parent's Region)",
            "give the stack env=Environment(account=..., region='us-east-1')",
        )
    if api is not None:
        problems.check(
            isinstance(getattr(api, "api", None), apigateway.RestApiBase),
            "api",
            api,
            "an ApiBackend (anything whose .api is an aws_apigateway RestApi)",
            "pass the ApiBackend construct itself",
        )
    _validate_domain(problems, domain_name, certificate)
    if web_acl_arn is not None and not is_token(web_acl_arn):
        parts = web_acl_arn.split(":")
        problems.check(
            len(parts) >= 6
            and parts[2] == "wafv2"
            and parts[3] == defaults.EDGE_REGION
            and parts[5].startswith("global/webacl/"),
            "web_acl_arn",
            web_acl_arn,
            "the ARN of a CLOUDFRONT-scope WAFv2 web ACL (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)",
            "create the web ACL with scope CLOUDFRONT in us-east-1 and pass its ARN",
        )
    problems.check(
        is_token(default_root_object) or (bool(default_root_object) and not default_root_object.startswith("/")),
        "default_root_object",
        default_root_object,
        "an object name without a leading '/' (e.g. 'index.html')",
        "drop the leading slash",
    )
    problems.raise_if_any()


def _validate_domain(problems: Problems, domain_name: Optional[str], certificate: Optional[acm.ICertificate]) -> None:
    if domain_name is not None and certificate is None:
        problems.add(
            "certificate",
            None,
            "an ACM certificate (in us-east-1) whenever domain_name is set",
            f"pass certificate=acm.Certificate.from_certificate_arn(...) covering {domain_name}",
        )
    if certificate is not None and domain_name is None:
        problems.add(
            "domain_name",
            None,
            "a domain name whenever certificate is set (CloudFront needs an alternate domain name for it)",
            "pass domain_name='www.example.com', or drop certificate to use *.cloudfront.net",
        )
    if domain_name is not None and not is_token(domain_name):
        problems.check(
            isinstance(domain_name, str) and bool(_HOSTNAME_RE.match(domain_name)),
            "domain_name",
            domain_name,
            "a lower-case DNS name such as 'www.example.com' (no scheme, path or port)",
            "pass only the host name",
        )
    if certificate is not None:
        region = _certificate_region(certificate)
        problems.check(
            region is None or region == defaults.EDGE_REGION,
            "certificate",
            f"a certificate in {region}",
            "a certificate in us-east-1 (CloudFront only uses ACM certificates from US East (N. Virginia))",
            "request or import the certificate in us-east-1 and pass that one",
        )


def _certificate_region(certificate: acm.ICertificate) -> Optional[str]:
    """The certificate's Region when it can be known at synth time, else None."""
    arn = certificate.certificate_arn
    if not is_token(arn):
        parts = arn.split(":")
        return parts[3] if len(parts) > 3 and parts[3] else None
    if isinstance(certificate, acm.Certificate):
        region = Stack.of(certificate).region
        return None if Token.is_unresolved(region) else region
    return None
