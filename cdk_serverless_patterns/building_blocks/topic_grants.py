"""Publishing to an SNS topic, with exactly the KMS actions an encrypted topic needs.

SNS encrypts a published message with the *publisher's* permissions on the
topic's key, so a publisher of a KMS-encrypted topic needs ``kms:GenerateDataKey``
and ``kms:Decrypt`` on it
(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html). CDK's
``Topic.grant_publish`` grants ``kms:GenerateDataKey*`` instead (a wildcard
cdk-nag flags); :func:`grant_publish` names the two actions. It reads the key
from ``topic.master_key``, so it covers a topic the library created
(:class:`~.topics.EncryptedTopic`) and an existing one imported with its key
(``Topic.from_topic_attributes(..., key_arn=...)``) alike.
"""

from __future__ import annotations


from cdk_serverless_patterns._cdk_modules import aws_iam as iam, aws_sns as sns


#: What SNS needs from a publisher on the topic's KMS key.
PUBLISH_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


def grant_publish(topic: sns.ITopic, grantee: iam.IGrantable) -> iam.Grant:
    """``sns:Publish`` on ``topic`` and, if it is KMS-encrypted, :data:`PUBLISH_KEY_ACTIONS` on its key."""
    grant = iam.Grant.add_to_principal_or_resource(
        grantee=grantee, actions=["sns:Publish"], resource_arns=[topic.topic_arn], resource=topic
    )
    if topic.master_key is not None:
        topic.master_key.grant(grantee, *PUBLISH_KEY_ACTIONS)
    return grant
