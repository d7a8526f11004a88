"""Static site: a private bucket behind CloudFront, an API under /api/*, and an A/B test at the edge.

* ``/*``      → S3 (Origin Access Control), cached; a Lambda@Edge viewer-request
  function assigns each viewer variant ``a`` or ``b`` by cookie and serves the
  matching build (``a/`` or ``b/`` in the bucket).
* ``/api/*``  → an ``ApiBackend`` (Cognito-authorized ``GET /api/hello``), never
  cached, with the viewer's Authorization header and cookies forwarded.

The stack lives in us-east-1: Lambda@Edge, CloudFront certificates, web ACLs
and metrics all live there, so the whole site (and its alarms) can too. The
builds are uploaded by the site's own pipeline (``aws s3 sync dist/a s3://<bucket>/a``),
not by this stack.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudfront as cloudfront
from constructs import Construct

from cdk_serverless_patterns import ApiBackend, EdgeSite, FunctionSpec
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic
from cdk_serverless_patterns.checks import acknowledge
from cdk_serverless_patterns.patterns.edge.site import DEFAULT_CERTIFICATE_WARNING
from cdk_serverless_patterns.runtime import env

HANDLER_DIR = Path(__file__).parent / "handler"
#: Countries the shop sells to (ISO 3166-1 alpha-2); everyone else gets a 403.
SALES_COUNTRIES = ("US", "CA", "GB", "IE", "DE", "FR", "NL", "BE", "AT", "ES", "IT")


class StaticSiteStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        alarms = EncryptedTopic(self, "Alarms", service_publishers=["cloudwatch.amazonaws.com"])
        self.backend = ApiBackend(
            self,
            "Api",
            routes={
                "GET /api/hello": FunctionSpec(
                    code=HANDLER_DIR / "api",
                    handler="hello.handler",
                    description="Greets the signed-in viewer in their A/B variant",
                )
            },
            environment={env.SERVICE_NAME: "static-site"},
            alarm_topic=alarms.topic,
        )
        self.site = EdgeSite(
            self,
            "Site",
            api=self.backend,
            edge_functions={
                "viewer-request": FunctionSpec(
                    code=HANDLER_DIR / "edge",
                    handler="ab_test.viewer_request",
                    # Lambda@Edge: architecture left unset, so the pattern picks x86_64 (the
                    # only one Lambda@Edge runs); viewer events allow 128 MB and 5 s.
                    memory_size=128,
                    timeout=cdk.Duration.seconds(3),
                    description="Assigns A/B variants by cookie and serves the matching build",
                )
            },
            geo_restriction=cloudfront.GeoRestriction.allowlist(*SALES_COUNTRIES),
            alarm_topic=alarms.topic,
        )
        # No domain of its own yet: CloudFront's default certificate, whose TLS policy is fixed at TLSv1.
        tls_reason = (
            "The shop runs on its *.cloudfront.net name until its domain is registered: CloudFront's default "
            "certificate cannot take a minimum protocol, so viewers may negotiate TLS 1.0/1.1. Passing "
            "domain_name and a us-east-1 certificate to EdgeSite raises it to TLSv1.2_2021."
        )
        acknowledge(self.site.distribution, "ServerlessPatterns::SP-CLOUDFRONT-TLS", tls_reason)
        cdk.Annotations.of(self.site).acknowledge_warning(DEFAULT_CERTIFICATE_WARNING, tls_reason)
        cdk.CfnOutput(self, "SiteUrl", value=self.site.url)
        cdk.CfnOutput(self, "BucketName", value=self.site.bucket.bucket_name)
        cdk.CfnOutput(self, "UserPoolId", value=self.backend.user_pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=self.backend.user_pool_client.user_pool_client_id)


def build(app: cdk.App) -> list[cdk.Stack]:
    return [StaticSiteStack(app, "StaticSiteExample", env=cdk.Environment(region="us-east-1"))]
