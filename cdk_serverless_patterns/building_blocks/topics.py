"""The topic helper: the one place the library makes SNS topics."""

from __future__ import annotations

from typing import Sequence

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct


class EncryptedTopic(Construct):
    """An SNS topic encrypted with its own rotating KMS key and SSL-only publishing.

    A customer-managed key (not ``alias/aws/sns``) is used because AWS services
    that publish to the topic (CloudWatch alarms, EventBridge, S3) must be
    allowed to use the key, which the AWS-managed key's policy does not allow.

    :param service_publishers: service principals allowed to use the key, e.g.
        ``["cloudwatch.amazonaws.com"]``. Default: none.
    :param fifo: a FIFO topic (ordered per message group, deduplicated for
        5 minutes; only SQS FIFO queues subscribe), in high-throughput mode
        (per message group). CloudFormation names it with the required
        ``.fifo`` suffix. Default: False.
    :param content_based_deduplication: FIFO only: deduplicate by a SHA-256 of
        the message when a publisher gives no deduplication id. Default: False.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_publishers: Sequence[str] = (),
        display_name: str | None = None,
        fifo: bool = False,
        content_based_deduplication: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description=f"Encrypts SNS topic {self.node.path}",
        )
        for service in service_publishers:
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    principals=[iam.ServicePrincipal(service)],
                    resources=["*"],  # in a key policy, "*" means this key
                )
            )
        self.topic = sns.Topic(
            self,
            "Topic",
            master_key=self.key,
            enforce_ssl=True,
            display_name=display_name,
            fifo=True if fifo else None,
            content_based_deduplication=True if fifo and content_based_deduplication else None,
            # High-throughput FIFO: limits and deduplication per message group.
            fifo_throughput_scope=sns.FifoThroughputScope.MESSAGE_GROUP if fifo else None,
        )
        for service in service_publishers:
            self.topic.grant_publish(iam.ServicePrincipal(service))
