"""The topic helper: the one place the library makes SNS topics."""

from __future__ import annotations

import json
from typing import Any, Sequence

from aws_cdk import Annotations, ArnFormat, RemovalPolicy, Stack
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_iam as iam, aws_kms as kms, aws_sns as sns
from cdk_serverless_patterns.errors import Problems, child_path, or_default

from .option_types import BOOL, REMOVAL_POLICY, STRING, OptionType, check_option_types
from .removal import follow_removal_policy


#: What an AWS service publishing to a KMS-encrypted topic needs on the key, as
#: AWS documents it (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
#: "compatibility between event sources from AWS services and encrypted topics").
SERVICE_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")

#: Services whose KMS request (made by SNS on their behalf) carries
#: ``aws:SourceAccount``/``aws:SourceArn``, so the key grant can be conditioned
#: too. EventBridge's does not (AWS: those keys are not supported in a KMS
#: policy for EventBridge delivery): conditioning its key grant would drop
#: every notification silently. For the others the topic policy holds the
#: conditions and the key grant is usable only through a publish SNS accepted.
_KEY_CONDITIONS_SUPPORTED = frozenset({"cloudwatch.amazonaws.com"})


def source_conditions(scope: Construct, service: str) -> dict[str, Any]:
    """``aws:SourceAccount`` (and, where the source ARN is known, ``aws:SourceArn``)
    conditions that limit ``service`` to acting for resources of ``scope``'s account
    and Region: the confused-deputy guard for a service principal."""
    stack = Stack.of(scope)
    conditions: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": stack.account}}
    source_arn = _source_arn(stack, service)
    if source_arn is not None:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    return conditions


def _source_arn(stack: Stack, service: str) -> str | None:
    """The ARN pattern of ``service``'s resources in ``stack``'s account and Region, if known."""
    if service == "cloudwatch.amazonaws.com":  # alarm ARNs: arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>
        return stack.format_arn(
            service="cloudwatch", resource="alarm", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
    if service == "events.amazonaws.com":
        return stack.format_arn(service="events", resource="rule", resource_name="*")
    if service == "s3.amazonaws.com":  # bucket ARNs carry no account or Region: aws:SourceAccount does that part
        return f"arn:{stack.partition}:s3:::*"
    return None


_TOPIC_OPTION_TYPES = {
    "service_publishers": OptionType(
        lambda v: isinstance(v, (list, tuple)) and all(isinstance(i, str) and i for i in v),
        "a list of service principals such as ['cloudwatch.amazonaws.com']",
        "pass a list, e.g. service_publishers=['cloudwatch.amazonaws.com'] (a single string is not a list)",
    ),
    "display_name": STRING,
    "fifo": BOOL,
    "content_based_deduplication": BOOL,
    "removal_policy": REMOVAL_POLICY,
}


class EncryptedTopic(Construct):
    """An SNS topic encrypted with its own rotating KMS key and SSL-only publishing.

    A customer-managed key (not ``alias/aws/sns``) is used because AWS services
    that publish to the topic (CloudWatch alarms, EventBridge, S3) must be
    allowed to use the key, which the AWS-managed key's policy does not allow.

    :param service_publishers: service principals allowed to publish, e.g.
        ``["cloudwatch.amazonaws.com"]``. Default: none. Each gets
        ``sns:Publish`` on the topic and ``kms:Decrypt``/``kms:GenerateDataKey*``
        on the key (one statement each), both limited to this account with
        ``aws:SourceAccount`` and, for CloudWatch (alarms), EventBridge (rules)
        and S3 (buckets), to that kind of source with ``aws:SourceArn``; the key
        grant of EventBridge and S3 carries only what their KMS requests support
        (see :data:`_KEY_CONDITIONS_SUPPORTED`).
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
        problems = Problems(child_path(scope, construct_id))
        check_option_types(
            problems,
            dict(
                service_publishers=service_publishers,
                display_name=display_name,
                fifo=fifo,
                content_based_deduplication=content_based_deduplication,
                removal_policy=removal_policy,
            ),
            _TOPIC_OPTION_TYPES,
        )
        problems.check(
            fifo is True or content_based_deduplication is not True,
            "content_based_deduplication",
            content_based_deduplication,
            "True only on a FIFO topic (fifo=True); standard topics do not deduplicate",
            "pass fifo=True as well, or drop content_based_deduplication",
        )
        problems.raise_if_any()
        service_publishers = tuple(service_publishers or ())
        removal_policy = or_default(removal_policy, RemovalPolicy.RETAIN)
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description=f"Encrypts SNS topic {self.node.path}",
            removal_policy=removal_policy,
        )
        follow_removal_policy(self.key)
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
            conditions = source_conditions(self, service)
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=list(SERVICE_KEY_ACTIONS),
                    principals=[iam.ServicePrincipal(service)],
                    resources=["*"],  # in a key policy, "*" means this key
                    conditions=conditions if service in _KEY_CONDITIONS_SUPPORTED else None,
                )
            )
            # Not topic.grant_publish: for a service principal it also adds a second
            # key statement (kms:GenerateDataKey*, no conditions) beside the one above.
            self.topic.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["sns:Publish"],
                    principals=[iam.ServicePrincipal(service)],
                    resources=[self.topic.topic_arn],
                    conditions=conditions,
                )
            )


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
