"""A Node.js function that sends an SMS through SNS ``Publish`` (PhoneNumber), denied every topic by its own policy."""

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

SRC = str(Path(__file__).parent / "src")
PHONE_NUMBER = "+15555550100"
TEN_DLC = "+15555550199"


class LambdaSnsSmsStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        phone = cdk.CfnParameter(self, "phoneNumber", type="String", description="Recipient phone number",
                                 default=PHONE_NUMBER)
        ten_dlc = cdk.CfnParameter(self, "tenDLC", type="String", description="10DLC origination number", default=TEN_DLC)
        log_group = logs.LogGroup(self, "SMSPublisherFunctionLogGroup", log_group_name="/aws/lambda/SMSPublisherFunction",
                                  removal_policy=cdk.RemovalPolicy.DESTROY, retention=logs.RetentionDays.FIVE_DAYS)
        self.function = lambda_.Function(
            self, "SMSPublisherFunction", code=lambda_.Code.from_asset(SRC), function_name="SMSPublisherFunction",
            handler="app.handler", runtime=lambda_.Runtime.NODEJS_24_X, timeout=cdk.Duration.seconds(3), memory_size=128,
            environment={"phoneNumber": phone.value_as_string, "tenDLC": ten_dlc.value_as_string},
            initial_policy=[
                iam.PolicyStatement(actions=["sns:Publish"], effect=iam.Effect.DENY, resources=["arn:aws:sns:*:*:*"]),
                iam.PolicyStatement(actions=["sns:Publish"], effect=iam.Effect.ALLOW, resources=["*"]),
            ])
        self.function.node.add_dependency(log_group)
        cdk.CfnOutput(self, "SMSPublisherFunctionName", value=self.function.function_name)
