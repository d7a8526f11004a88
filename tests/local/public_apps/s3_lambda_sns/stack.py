"""S3 object created → Python function (S3 event notification, CDK's BucketNotifications custom resource) → SNS e-mail."""

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions

SRC = str(Path(__file__).parent / "src")


class S3LambdaSnsStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        email = cdk.CfnParameter(self, "Email", type="String", description="Email address for subscription")
        self.bucket = s3.Bucket(self, "cdk-s3-lambda-sns", versioned=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                                enforce_ssl=True, removal_policy=cdk.RemovalPolicy.DESTROY, auto_delete_objects=True)
        self.topic = sns.Topic(self, "S3LambdaSNSTopic")
        self.topic.add_subscription(subscriptions.EmailSubscription(email.value_as_string))
        self.function = lambda_.Function(self, "MyFunction", runtime=lambda_.Runtime.PYTHON_3_14,
                                         code=lambda_.Code.from_asset(SRC), handler="lambda_function.lambda_handler")
        self.function.add_environment("TOPIC_ARN", self.topic.topic_arn)
        self.bucket.grant_put(self.function)
        self.topic.grant_publish(self.function)
        self.function.add_event_source(sources.S3EventSource(self.bucket, events=[s3.EventType.OBJECT_CREATED]))
