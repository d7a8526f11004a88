"""The CloudFormation resource types the package knows, and what each is to it (a leaf module).

One place for the type names that the template reader, the checks and the
tooling test against, and for the type lists the tooling keeps: which types a
diagram draws (:data:`NODE_TYPES`), which the cost estimate prices
(:data:`PRICED_TYPES`) and which are known to be free (:data:`FREE_TYPES`).
It imports nothing from the package, so any module may import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FUNCTION = "AWS::Lambda::Function"
ALIAS = "AWS::Lambda::Alias"
VERSION = "AWS::Lambda::Version"
PERMISSION = "AWS::Lambda::Permission"
EVENT_SOURCE_MAPPING = "AWS::Lambda::EventSourceMapping"
EVENT_INVOKE_CONFIG = "AWS::Lambda::EventInvokeConfig"
ROLE = "AWS::IAM::Role"
POLICY = "AWS::IAM::Policy"
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"
STATE_MACHINE = "AWS::StepFunctions::StateMachine"
QUEUE = "AWS::SQS::Queue"
TOPIC = "AWS::SNS::Topic"
SUBSCRIPTION = "AWS::SNS::Subscription"
RULE = "AWS::Events::Rule"
EVENT_BUS = "AWS::Events::EventBus"
SCHEDULE = "AWS::Scheduler::Schedule"
PIPE = "AWS::Pipes::Pipe"
BUCKET = "AWS::S3::Bucket"
#: CDK's custom resource that configures a bucket's notifications at deploy time.
BUCKET_NOTIFICATIONS = "Custom::S3BucketNotifications"
STREAM = "AWS::Kinesis::Stream"
STREAM_CONSUMER = "AWS::Kinesis::StreamConsumer"
TABLE = "AWS::DynamoDB::Table"
GLOBAL_TABLE = "AWS::DynamoDB::GlobalTable"

#: Resources that can fire on a schedule expression.
SCHEDULE_TYPES = (SCHEDULE, RULE)

#: Types a diagram draws as nodes (the resources that carry traffic) -> short label.
NODE_TYPES: dict[str, str] = {
    "AWS::ApiGateway::RestApi": "REST API",
    "AWS::ApiGatewayV2::Api": "HTTP API",
    "AWS::CloudFront::Distribution": "CloudFront",
    FUNCTION: "Lambda",
    "AWS::Lambda::Url": "Function URL",
    QUEUE: "SQS",
    TOPIC: "SNS",
    STREAM: "Kinesis",
    TABLE: "DynamoDB",
    GLOBAL_TABLE: "DynamoDB",
    BUCKET: "S3",
    RULE: "rule",
    EVENT_BUS: "event bus",
    SCHEDULE: "schedule",
    PIPE: "pipe",
    STATE_MACHINE: "Step Functions",
}

#: Types that cost nothing themselves (wiring, policies, configuration, deploy-time helpers).
FREE_TYPES = frozenset({
    "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::InstanceProfile",
    "AWS::Lambda::Permission", "AWS::Lambda::Alias", "AWS::Lambda::Version", "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::EventInvokeConfig", "AWS::Lambda::LayerVersion", "AWS::Lambda::LayerVersionPermission",
    "AWS::Lambda::Url", "AWS::Logs::LogGroup", "AWS::Logs::ResourcePolicy", "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy", "AWS::SNS::Subscription", "AWS::ApiGateway::Method", "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage", "AWS::ApiGateway::Account",
    "AWS::ApiGateway::Authorizer", "AWS::ApiGateway::RequestValidator", "AWS::ApiGateway::Model",
    "AWS::ApiGateway::GatewayResponse", "AWS::ApiGateway::UsagePlan", "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::UsagePlanKey", "AWS::ApiGatewayV2::Stage", "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Authorizer", "AWS::Events::Rule",
    "AWS::Events::EventBus", "AWS::Scheduler::ScheduleGroup", "AWS::KMS::Alias", "AWS::S3::BucketPolicy",
    "AWS::CloudFront::OriginAccessControl", "AWS::CloudFront::CachePolicy", "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::CloudFront::OriginRequestPolicy", "AWS::CloudFront::Function", "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolDomain", "AWS::Cognito::UserPoolGroup", "AWS::WAFv2::WebACLAssociation",
    "AWS::WAFv2::LoggingConfiguration", "AWS::Backup::BackupVault", "AWS::Backup::BackupPlan",
    "AWS::Backup::BackupSelection", "AWS::CDK::Metadata", "AWS::SSM::Parameter", "AWS::CloudFormation::WaitConditionHandle",
    "AWS::CloudFormation::Stack",  # a nested stack: its template is priced as a stack of its own
    # CDK's own custom resources: they run at deploy time only (what a Custom::AWS call creates is unknown)
    "Custom::S3AutoDeleteObjects", "Custom::LogRetention", "Custom::CDKBucketDeployment",
    "Custom::CrossRegionExportWriter", "Custom::CrossRegionExportReader", "Custom::VpcRestrictDefaultSG",
    "AWS::RDS::DBSubnetGroup", "AWS::SecretsManager::SecretTargetAttachment",
    "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::RouteTable", "AWS::EC2::Route",
    "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry", "AWS::EC2::SubnetNetworkAclAssociation",
    "AWS::EC2::EgressOnlyInternetGateway", "AWS::EC2::VPCCidrBlock", "AWS::EC2::FlowLog",
})
#: Types some line of the cost estimate (``tooling.cost_services``) prices.
PRICED_TYPES = frozenset({
    "AWS::Lambda::Function", "AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api", "AWS::SQS::Queue",
    "AWS::SNS::Topic", "AWS::Events::Archive", "AWS::Pipes::Pipe", "AWS::Scheduler::Schedule",
    "AWS::StepFunctions::StateMachine", "AWS::DynamoDB::Table", "AWS::Kinesis::Stream", "AWS::S3::Bucket",
    "AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm", "AWS::CloudWatch::Dashboard", "AWS::KMS::Key",
    "AWS::WAFv2::WebACL", "AWS::Cognito::UserPool", "AWS::CloudFront::Distribution",
    "AWS::SecretsManager::Secret", "AWS::Route53::HostedZone", "AWS::EC2::NatGateway", "AWS::EC2::EIP",
    "AWS::EC2::VPCEndpoint", "AWS::Lambda::CapacityProvider",
})


def unknown_types(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Resource type -> logical ids, for the types neither priced nor known to be free."""
    out: dict[str, list[str]] = {}
    for lid, res in resources.items():
        kind = str(res.get("Type", ""))
        if kind not in FREE_TYPES and kind not in PRICED_TYPES:
            out.setdefault(kind, []).append(lid)
    return out
