"""HTTP API ``POST /send`` → SQS ``SendMessage`` (subtype SQS-SendMessage) → a Python function."""

import os
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import SqsEventSource

SRC = str(Path(__file__).parent / "src")


class HttpApiSqsLambdaStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(self, "ApigwV2SqsLambdaQueue", visibility_timeout=cdk.Duration.seconds(300))
        self.handler = lambda_.Function(
            self, "SqsMessageHandler", runtime=lambda_.Runtime.PYTHON_3_8, handler="app.handler",
            code=lambda_.Code.from_asset(SRC), timeout=cdk.Duration.minutes(3), memory_size=128,
            environment={"REGION": os.environ.get("CDK_DEFAULT_REGION", "us-east-1"),
                         "ACCOUNT_ID": os.environ.get("CDK_DEFAULT_ACCOUNT", "123456789012")})
        self.handler.add_event_source(SqsEventSource(self.queue))
        self.api = apigwv2.CfnApi(
            self, "HttpToSqs", name="HttpToSqs", protocol_type="HTTP",
            cors_configuration=apigwv2.CfnApi.CorsProperty(
                allow_credentials=False, allow_headers=["*"], allow_methods=["GET", "POST", "PUT", "DELETE"],
                allow_origins=["*"], max_age=43200))
        role = iam.Role(self, "ApiGwV2ToSqsRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"))
        role.add_managed_policy(iam.ManagedPolicy.from_managed_policy_arn(
            self, "ApiGwPushCwPolicy", "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"))
        role.attach_inline_policy(iam.Policy(self, "ApiGwV2ToSqsInlinePolicy", statements=[iam.PolicyStatement(
            actions=["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:PurgeQueue", "sqs:DeleteMessage"],
            resources=[self.queue.queue_arn])]))
        integration = apigwv2.CfnIntegration(
            self, "HttpApiIntegSqsSendMessage", api_id=self.api.ref, integration_type="AWS_PROXY",
            integration_subtype="SQS-SendMessage", payload_format_version="1.0", credentials_arn=role.role_arn,
            request_parameters={"QueueUrl": self.queue.queue_url, "MessageBody": "$request.body.MessageBody"})
        apigwv2.CfnRoute(self, "HttpApiRouteSqsSendMsg", api_id=self.api.ref, route_key="POST /send",
                         target=f"integrations/{integration.ref}")
        apigwv2.CfnStage(self, "HttpToSqsStage", api_id=self.api.ref, stage_name="$default", auto_deploy=True)
        cdk.CfnOutput(self, "API Endpoint", value=self.api.attr_api_endpoint)
