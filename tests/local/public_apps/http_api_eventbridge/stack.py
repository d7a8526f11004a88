"""HTTP API ``POST /`` → EventBridge ``PutEvents`` (first-class integration, subtype EventBridge-PutEvents)."""

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs


class HttpApiEventBridgeStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "MyEventBus", event_bus_name="MyEventBus")
        rule = events.Rule(self, "EventLoggerRule", description="Log all events", event_bus=self.bus,
                           event_pattern=events.EventPattern(region=["app-southeast-2"]))
        self.log_group = logs.LogGroup(self, "EventLogGroup", log_group_name=f"/aws/events/{self.bus.event_bus_name}")
        rule.add_target(targets.CloudWatchLogGroup(self.log_group))
        self.api = apigwv2.HttpApi(self, "MyRestApi", api_name="MyRestApi")
        role = iam.Role(self, "EventBridgeIntegrationRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=["events:PutEvents"], resources=[self.bus.event_bus_arn]))
        integration = apigwv2.CfnIntegration(
            self, "EventBridgeIntegration", api_id=self.api.http_api_id, integration_type="AWS_PROXY",
            integration_subtype="EventBridge-PutEvents", credentials_arn=role.role_arn, payload_format_version="1.0",
            timeout_in_millis=10000,
            request_parameters={"Source": "WebApp", "DetailType": "MyDetailType", "Detail": "$request.body",
                                "EventBusName": self.bus.event_bus_arn})
        apigwv2.CfnRoute(self, "EventRoute", api_id=self.api.http_api_id, route_key="POST /",
                         target=f"integrations/{integration.ref}")
        cdk.CfnOutput(self, "apiUrl", value=self.api.url or "")
