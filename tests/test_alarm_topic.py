"""A user's own alarm topic (issue 15 item 3): a plain ``sns.Topic`` fails cdk-nag
(AwsSolutions-SNS2/SNS3), whose message says how to acknowledge; the library adds a
warning on the topic that says how to fix it."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import assertions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from cdk_serverless_patterns import EncryptedTopic, FunctionSpec, ServerlessFunction
from tests.support import HANDLER_DIR

SPEC = FunctionSpec(code=HANDLER_DIR, handler="app.handler")


def _topic_warnings(make_topic) -> list[str]:
    stack = cdk.Stack(cdk.App(), "T")
    topic = make_topic(stack)
    ServerlessFunction(stack, "Fn", SPEC, alarm_topic=topic)
    found = assertions.Annotations.from_stack(stack).find_warning(
        "*", assertions.Match.string_like_regexp("receives the library's alarms")
    )
    return [w.entry.data for w in found]


def test_a_plain_topic_gets_a_warning_naming_the_fix_once():
    warnings = _topic_warnings(lambda s: sns.Topic(s, "Alarms"))
    assert len(warnings) == 1, "three alarms, one warning on the topic"
    (message,) = warnings
    assert "AwsSolutions-SNS2" in message and "AwsSolutions-SNS3" in message
    assert "EncryptedTopic(self, 'Alarms', service_publishers=['cloudwatch.amazonaws.com']).topic" in message
    assert "master_key=key, enforce_ssl=True" in message


def test_an_encrypted_topic_without_ssl_enforcement_is_told_about_sns3_only():
    (message,) = _topic_warnings(lambda s: sns.Topic(s, "Alarms", master_key=kms.Key(s, "Key", enable_key_rotation=True)))
    assert "AwsSolutions-SNS3" in message and "SNS2" not in message


def test_the_library_topic_and_imported_topics_get_no_warning():
    assert _topic_warnings(lambda s: EncryptedTopic(s, "Alarms", service_publishers=["cloudwatch.amazonaws.com"]).topic) == []
    assert _topic_warnings(lambda s: sns.Topic.from_topic_arn(s, "Alarms", "arn:aws:sns:eu-west-1:111111111111:a")) == []
