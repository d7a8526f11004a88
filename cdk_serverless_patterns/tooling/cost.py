"""A monthly cost estimate of a synthesized stack: what it costs idle, and under traffic.

Reads the template only (through :mod:`.graph` and :mod:`.traffic`), prices
every line with :mod:`.prices` (us-east-1 list prices, no free tier), and says
what it could not price:

* **fixed** lines are billed at zero traffic: KMS keys, alarms, dashboards,
  Kinesis stream or shard hours, WAF web ACLs and rules, API caches,
  provisioned concurrency, secrets, hosted zones, and the receive requests
  Lambda's pollers make on an idle SQS queue;
* **variable** lines follow the traffic :func:`.traffic.propagate` computes:
  Lambda (requests and GB-seconds per architecture, Lambda@Edge), API Gateway,
  SQS, SNS, EventBridge (events, Pipes, archive, Scheduler), Step Functions,
  DynamoDB (request units, storage, PITR, AWS Backup copies), Kinesis data,
  S3 requests and storage, CloudFront, Cognito MAUs, WAF requests, CloudWatch
  Logs ingestion, X-Ray traces, KMS requests;
* resource types with no price and no known-free status are listed as **not
  priced** (never counted as $0), as are charges the template cannot tell.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Optional

from .cost_model import CostLine, Pricer, StackEstimate
from .cost_services import PRICERS
from .graph import ResourceGraph, build_graph
from .traffic import Profile, propagate

__all__ = ["FREE_TYPES", "PRICED_TYPES", "CostLine", "StackEstimate", "estimate", "estimate_stack", "unknown_types"]

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
#: Types some line below prices.
PRICED_TYPES = frozenset({
    "AWS::Lambda::Function", "AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api", "AWS::SQS::Queue",
    "AWS::SNS::Topic", "AWS::Events::Archive", "AWS::Pipes::Pipe", "AWS::Scheduler::Schedule",
    "AWS::StepFunctions::StateMachine", "AWS::DynamoDB::Table", "AWS::Kinesis::Stream", "AWS::S3::Bucket",
    "AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm", "AWS::CloudWatch::Dashboard", "AWS::KMS::Key",
    "AWS::WAFv2::WebACL", "AWS::Cognito::UserPool", "AWS::CloudFront::Distribution",
    "AWS::SecretsManager::Secret", "AWS::Route53::HostedZone", "AWS::EC2::NatGateway", "AWS::EC2::EIP",
    "AWS::EC2::VPCEndpoint",
})


def estimate(graph: ResourceGraph, profile: Profile) -> StackEstimate:
    """Price ``graph`` under ``profile`` (see the module docstring for what is priced).

    The **fixed** lines are the stack priced at zero requests: what its resources, schedules and
    stated users cost whatever the traffic. The **variable** lines are what the requests add.
    """
    idle = _price(graph, dataclasses.replace(profile, requests_per_month=0))
    busy = _price(graph, profile)
    out = StackEstimate(graph.stack, profile, not_priced=busy.not_priced, notes=busy.notes, volumes=busy.volumes,
                        lambda_compute_x86_usd=busy.lambda_compute_x86_usd, x86_64_compute_usd=busy.x86_64_compute_usd)
    base = {(line.service, line.item): line for line in idle.lines}
    out.lines.extend(dataclasses.replace(line, fixed=True) for line in idle.lines)
    for line in busy.lines:
        before = base.get((line.service, line.item))
        quantity = line.quantity - (before.quantity if before else 0.0)
        usd = line.usd - (before.usd if before else 0.0)
        if quantity > 1e-9 or usd > 1e-9:
            out.lines.append(CostLine(line.service, line.item, quantity, line.unit, usd, False))
    return out


def unknown_types(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Resource type -> logical ids, for the types neither priced nor known to be free."""
    out: dict[str, list[str]] = {}
    for lid, res in resources.items():
        kind = str(res.get("Type", ""))
        if kind not in FREE_TYPES and kind not in PRICED_TYPES:
            out.setdefault(kind, []).append(lid)
    return out


def _price(graph: ResourceGraph, profile: Profile) -> StackEstimate:
    traffic = propagate(graph, profile)
    p = Pricer(graph, traffic)
    for price in PRICERS:
        price(p)
    p.estimate.not_priced.update(unknown_types(graph.resources))
    p.estimate.volumes = [
        (traffic.path(n), graph.nodes[n].label, units, traffic.invocations.get(n, 0.0))
        for n, units in traffic.units.items()
    ]
    for source, target in traffic.loops:
        p.estimate.notes.append(
            f"traffic loops back from {traffic.path(source)} to {traffic.path(target)}: each request is counted "
            "once around the loop (a profile's match_rate or messages_per_event can say it goes round more)"
        )
    p.estimate.notes.extend(graph.notes)
    return p.estimate


def estimate_stack(name: str, template: Mapping[str, Any], profile: Optional[Profile] = None) -> StackEstimate:
    """:func:`estimate` of one template."""
    return estimate(build_graph(name, template), profile or Profile())
