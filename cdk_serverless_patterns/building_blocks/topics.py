"""The topic helper: the one place the library makes SNS topics."""

from __future__ import annotations

import json
from typing import Sequence

from aws_cdk import Annotations, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from .removal import follow_removal_policy


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
    :param display_name: the topic's display name. Default: none.
    :param removal_policy: of the KMS key. Default RETAIN: messages encrypted
        with it (in subscribers' queues, DLQs) stay readable after the stack is
        gone. DESTROY schedules the key's deletion with the shortest pending
        window KMS allows (7 days), so a sandbox leaves nothing behind; a
        DESTROY applied later (``RemovalPolicies.of(stack).destroy()``) gets the
        same window (:mod:`.removal`).

    Attributes: ``topic``, ``key``.
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
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description=f"Encrypts SNS topic {self.node.path}",
            removal_policy=removal_policy,
        )
        follow_removal_policy(self.key)
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


def alarm_topic_gaps(topic: sns.ITopic) -> list[str]:
    """What cdk-nag will flag on ``topic`` used as an alarm topic, as fix-oriented phrases.

    Only topics created in this app (``sns.Topic``) are inspected: an imported
    topic is not in the template, so cdk-nag does not see it either.
    """
    if not isinstance(topic, sns.Topic):
        return []
    gaps = []
    if topic.master_key is None:
        gaps.append("it is not encrypted with a KMS key (AwsSolutions-SNS2)")
    if not _enforces_ssl(topic):
        gaps.append("it accepts publishing without SSL (AwsSolutions-SNS3)")
    return gaps


def _enforces_ssl(topic: sns.Topic) -> bool:
    policy = topic.node.try_find_child("Policy")
    document = getattr(policy, "document", None)
    if document is None:
        return False
    return "aws:SecureTransport" in json.dumps(Stack.of(topic).resolve(document.to_json()))


def warn_about_alarm_topic(topic: sns.ITopic) -> None:
    """A warning on ``topic`` naming the fix, when cdk-nag would fail it (once per topic)."""
    gaps = alarm_topic_gaps(topic)
    if not gaps:
        return
    Annotations.of(topic).add_warning_v2(
        "cdk-serverless-patterns:alarm-topic",
        f"This topic receives the library's alarms, but {' and '.join(gaps)}, so synthesis with "
        "enable_checks fails on it. Fix: use the library's encrypted topic, "
        "EncryptedTopic(self, 'Alarms', service_publishers=['cloudwatch.amazonaws.com']).topic "
        "(from cdk_serverless_patterns import EncryptedTopic), or create the topic with "
        "sns.Topic(..., master_key=key, enforce_ssl=True) and let cloudwatch.amazonaws.com use the key "
        "(kms:Decrypt, kms:GenerateDataKey) so alarm notifications are delivered.",
    )
