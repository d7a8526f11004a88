"""REST API ``POST /`` → EventBridge ``PutEvents`` (``AWS`` integration with request and response mapping templates)."""

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam

REQUEST = """
{
    "Entries": [
        {
            "Detail": "$util.escapeJavaScript($input.body)",
            "DetailType": "POST-Request",
            "EventBusName": "apigw-event-bus",
            "Source": "WebClient"
        }
    ]
}
"""
RESPONSE = """
{
    $util.escapeJavaScript($input.body)
}
"""


class RestApiEventBridgeStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "EventBus", event_bus_name="apigw-event-bus")
        role = iam.Role(self, "ApiGWRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=["events:PutEvents"], resources=[self.bus.event_bus_arn]))
        self.api = apigw.RestApi(self, "RestAPIGw")
        integration = apigw.AwsIntegration(
            service="events", action="PutEvents",
            options=apigw.IntegrationOptions(
                credentials_role=role, passthrough_behavior=apigw.PassthroughBehavior.WHEN_NO_TEMPLATES,
                request_templates={"application/json": REQUEST},
                integration_responses=[apigw.IntegrationResponse(status_code="200",
                                                                 response_templates={"application/json": RESPONSE})]))
        self.api.root.add_method(
            "POST", integration,
            request_parameters={"method.request.header.X-Amz-Target": False, "method.request.header.Content-Type": False},
            method_responses=[apigw.MethodResponse(status_code="200")])
