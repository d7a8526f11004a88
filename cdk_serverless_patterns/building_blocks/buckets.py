"""The bucket helper: the one place the library makes S3 buckets.

* :func:`create_access_log_bucket` — a bucket that receives S3 server access
  logs (or other service logs): SSE-S3 (log delivery cannot use SSE-KMS),
  private, SSL-only, ACLs disabled, logs expire after
  :data:`defaults.ACCESS_LOG_EXPIRATION`.
* :class:`SecureBucket` — a private, encrypted, SSL-only (TLS 1.2+), versioned
  data bucket whose server access logs go to its own (or a given) log bucket,
  optionally sending its events to EventBridge. SSE-S3, or SSE-KMS with the
  stack's data key under :func:`~.hardening.enable_hardening`.

Log delivery is granted with a bucket policy scoped to the source bucket (not
the legacy ``LogDeliveryWrite`` ACL, which CDK would otherwise pick unless the
app sets the ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`` flag), so the
result does not depend on the app's feature flags.

EventBridge delivery is turned on with the bucket's own
``NotificationConfiguration.EventBridgeConfiguration`` property. CDK's
``event_bridge_enabled=True`` would instead add the ``Custom::S3BucketNotifications``
resource and its helper Lambda (x86_64, unmanaged runtime) for a setting
CloudFormation supports natively. Consequence: do not call
``add_event_notification`` on a ``SecureBucket(event_bridge=True)`` — the
custom resource would overwrite the configuration; route events with
EventBridge rules instead.
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import Duration, RemovalPolicy, Stack
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_iam as iam, aws_s3 as s3
from cdk_serverless_patterns.errors import or_default
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import COMPLIANCE, acknowledge, acknowledge_checkov, in_one_batch

from .hardening import data_key_for


_REPLICATION_REASON = (
    "S3 stores every object redundantly across at least three Availability Zones, and versioning plus "
    "RemovalPolicy.RETAIN protect against overwrites and deletion. Cross-Region replication is a "
    "disaster-recovery decision (a second Region, double storage and transfer cost) that the workload owner "
    "makes and adds through bucket.node.default_child.replication_configuration."
)


@in_one_batch
def create_access_log_bucket(
    scope: Construct,
    construct_id: str,
    *,
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    expiration: Optional[Duration] = None,
    object_ownership: Optional[s3.ObjectOwnership] = None,
) -> s3.Bucket:
    """A private, SSL-only bucket for access logs.

    :param removal_policy: default RETAIN (logs are evidence after an incident).
        DESTROY only succeeds on an empty bucket: the library adds no
        auto-delete custom resource.
    :param expiration: logs are deleted after this long. Default
        :data:`defaults.ACCESS_LOG_EXPIRATION`.
    :param object_ownership: default ``BUCKET_OWNER_ENFORCED`` (ACLs off), right
        for S3 server access logs delivered through a bucket policy. CloudFront
        standard logs (legacy) need ``BUCKET_OWNER_PREFERRED``.

    AwsSolutions-S1 (the log bucket's own access logs) is satisfied as soon as
    another bucket in the stack logs into this one, which is how it is used;
    logging a log bucket into itself would log its own log deliveries forever.
    """
    bucket = s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        minimum_tls_version=defaults.S3_MINIMUM_TLS_VERSION,
        object_ownership=object_ownership or s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=removal_policy,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ExpireAccessLogs",
                expiration=or_default(expiration, defaults.ACCESS_LOG_EXPIRATION),
                abort_incomplete_multipart_upload_after=defaults.ABORT_INCOMPLETE_UPLOADS_AFTER,
            )
        ],
    )
    acknowledge(
        bucket,
        COMPLIANCE + "S3DefaultEncryptionKMS",
        "Access-log bucket: S3 server access logging delivers only to buckets encrypted with SSE-S3 (SSE-KMS "
        "targets are not supported), so it is SSE-S3 (AES-256) by necessity.",
    )
    acknowledge(
        bucket,
        COMPLIANCE + "S3BucketVersioningEnabled",
        "Access-log bucket: log objects are written once by the logging service and expire by lifecycle rule; "
        "versioning would only keep expired logs as noncurrent versions. Writes are limited by the bucket "
        "policy to the logging service for the source bucket's prefix.",
    )
    acknowledge(
        bucket,
        COMPLIANCE + "S3BucketReplicationEnabled",
        "Access-log bucket: S3 stores every log object redundantly across at least three Availability "
        "Zones, and the bucket is retained when its stack is deleted (RETAIN unless a sandbox chose DESTROY); it is not "
        "versioned (logs are written once and expire by lifecycle rule). Copying access logs to a second "
        "Region is a disaster-recovery decision of the owner (escape hatch: replication_configuration, "
        "which needs versioning on).",
    )
    acknowledge_checkov(
        bucket,
        ("CKV_AWS_18",),
        "This is an access-log destination: other buckets (or CloudFront) log into it. Logging a log bucket "
        "into itself would log each of its own log deliveries, forever.",
    )
    return bucket


def grant_access_log_delivery(log_bucket: s3.IBucket, source: s3.IBucket, prefix: str) -> None:
    """Let S3's logging service write ``source``'s access logs under ``prefix``.

    Scoped with ``aws:SourceArn`` and ``aws:SourceAccount`` so no other bucket
    can deliver into this prefix (AWS's recommended policy for server access
    logging). A no-op for imported log buckets, whose policy CDK cannot change.
    """
    log_bucket.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[log_bucket.arn_for_objects(f"{prefix}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": source.bucket_arn},
                "StringEquals": {"aws:SourceAccount": Stack.of(source).account},
            },
        )
    )


class SecureBucket(Construct):
    """A private data bucket with the production checklist built in.

    SSE-S3 encryption (SSE-KMS with the stack's data key and S3 Bucket Keys
    when hardened), all public access blocked, SSL-only with TLS 1.2 or
    newer, ACLs disabled, versioning on, incomplete multipart uploads aborted,
    server access logs delivered to a log bucket.

    :param removal_policy: of the bucket and of the log bucket it creates.
        Default RETAIN. DESTROY only succeeds on empty buckets (no auto-delete
        custom resource is added).
    :param versioned: default True (recover overwritten or deleted objects; the
        version id also identifies what a processor has seen).
    :param access_log_bucket: where server access logs go. Default: a new
        bucket from :func:`create_access_log_bucket`, exposed as
        ``access_log_bucket``. A given ``s3.Bucket`` gets the delivery policy
        statement; an imported one must already allow delivery.
    :param access_log_prefix: key prefix of the logs. Default ``"<construct id>/"``.
    :param event_bridge: send the bucket's events to EventBridge. Default False.

    Attributes: ``bucket``, ``access_log_bucket``.
    """

    @in_one_batch
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        versioned: bool = True,
        access_log_bucket: Optional[s3.IBucket] = None,
        access_log_prefix: Optional[str] = None,
        event_bridge: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_log_bucket: s3.IBucket = (
            access_log_bucket
            if access_log_bucket is not None
            else create_access_log_bucket(self, "AccessLogs", removal_policy=removal_policy)
        )
        prefix = access_log_prefix if access_log_prefix is not None else f"{construct_id}/"
        key = data_key_for(self)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS if key is not None else s3.BucketEncryption.S3_MANAGED,
            encryption_key=key,
            bucket_key_enabled=True if key is not None else None,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=defaults.S3_MINIMUM_TLS_VERSION,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=versioned,
            removal_policy=removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="AbortIncompleteUploads",
                    abort_incomplete_multipart_upload_after=defaults.ABORT_INCOMPLETE_UPLOADS_AFTER,
                )
            ],
        )
        cfn_bucket: s3.CfnBucket = self.bucket.node.default_child  # type: ignore[assignment]
        # Set on the L1 so CDK does not pick the legacy ACL path (see module docstring).
        cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=self.access_log_bucket.bucket_name, log_file_prefix=prefix
        )
        grant_access_log_delivery(self.access_log_bucket, self.bucket, prefix)
        if key is None:
            acknowledge(
                self.bucket,
                COMPLIANCE + "S3DefaultEncryptionKMS",
                "Encrypted with SSE-S3 (AES-256, S3-managed keys); access is controlled by IAM and the bucket "
                "policy (SSL only, public access blocked). SSE-KMS with a customer managed key, for regulated "
                "data, comes with enable_hardening(scope); this scope did not opt into it.",
            )
        acknowledge(self.bucket, COMPLIANCE + "S3BucketReplicationEnabled", _REPLICATION_REASON)
        if event_bridge:
            cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                    event_bridge_enabled=True
                )
            )
