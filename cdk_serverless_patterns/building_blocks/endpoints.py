"""``ServiceEndpoints``: VPC endpoints for the AWS services a VPC function's grants name.

A function in a VPC (``FunctionSpec(vpc=...)``) reaches AWS service APIs only
through a route: a VPC endpoint per service, or a NAT gateway. This building
block reads the grants of the functions it is given and adds

* a **gateway endpoint** for DynamoDB and S3 (free: a route-table entry in
  the functions' subnets), and
* an **interface endpoint** (AWS PrivateLink, private DNS on) for every other
  service (Secrets Manager, Parameter Store, SQS, SNS, EventBridge, Step
  Functions, Kinesis, KMS...), in the functions' subnets, with a security
  group that admits HTTPS from the functions' security groups only.

Endpoints or NAT (the documented choice): an interface endpoint costs about
USD 7.30 a month per Availability Zone (USD 0.01 an hour) plus USD 0.01 per GB;
a NAT gateway about USD 32.85 a month (USD 0.045 an hour) plus USD 0.045 per
GB, and gives the internet too (us-east-1, ``tooling/prices.py``). From about
four interface services across two AZs a NAT gateway is cheaper by the hour;
endpoints keep traffic off the internet, support endpoint policies and cost
less per GB. Gateway endpoints are free either way. ``python -m
cdk_serverless_patterns cost`` prices what the template has.

Create it after the functions' grants (it reads them at construction); a grant
added later is caught by the ``SP-VPC-NO-ROUTE`` rule, which flags a VPC
function calling a service with no endpoint and no NAT route.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence

from aws_cdk import Stack
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_ec2 as ec2, aws_iam as iam
from cdk_serverless_patterns.errors import Problems, child_path
from cdk_serverless_patterns.template.routes import called_services, endpoint_service

from .function import ServerlessFunction
from .function.access import default_subnet_selection, private_subnets_of


class ServiceEndpoints(Construct):
    """Gateway and interface endpoints in ``vpc`` for the services ``functions`` call.

    :param vpc: the VPC the functions run in.
    :param functions: the VPC :class:`ServerlessFunction` s whose grants decide
        the services (their logs, network-interface and X-Ray grants, KMS
        requests made through another service and sends to their own failure
        queue need no route). Default: none.
    :param services: more services, by IAM prefix (``"xray"``, ``"sts"``...), for
        calls the grants do not show. Default: none.
    :param vpc_subnets: the subnets interface endpoints are placed in, and whose
        route tables get the gateway endpoints. Default: the VPC's private
        subnets with egress, else its isolated ones.

    Attributes: ``gateway_endpoints`` and ``interface_endpoints`` (IAM prefix ->
    endpoint), ``security_group`` (of the interface endpoints, or None),
    ``services`` (the IAM prefixes covered, sorted).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        functions: Sequence[ServerlessFunction] = (),
        services: Sequence[str] = (),
        vpc_subnets: Optional[ec2.SubnetSelection] = None,
    ) -> None:
        problems = Problems(child_path(scope, construct_id))
        if not hasattr(vpc, "vpc_id"):
            problems.add("vpc", vpc, "an aws_ec2.IVpc", "pass the VPC the functions run in")
            problems.raise_if_any()
        private_subnets_of(problems, vpc, vpc_subnets, "")
        for index, fn in enumerate(functions):
            spec_vpc = getattr(getattr(fn, "spec", None), "vpc", None)
            problems.check(
                isinstance(fn, ServerlessFunction) and spec_vpc is vpc,
                f"functions[{index}]", getattr(getattr(fn, "node", None), "path", fn),
                "a ServerlessFunction in this VPC (FunctionSpec(vpc=vpc))",
                "pass only the functions whose spec has vpc=<this vpc>",
            )
        for name in services:
            problems.check(isinstance(name, str) and name.islower() and bool(name.strip()), "services", name,
                           "IAM service prefixes, e.g. 'xray', 'sts'", "pass services=['xray']")
        problems.raise_if_any()
        super().__init__(scope, construct_id)
        selection = vpc_subnets or default_subnet_selection(vpc)
        self.services = sorted(self._called(functions) | set(services))
        self.gateway_endpoints: dict[str, ec2.GatewayVpcEndpoint] = {}
        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        self.security_group: Optional[ec2.SecurityGroup] = None
        interface = [s for s in self.services if endpoint_service(s) not in ("dynamodb", "s3")]
        for prefix in self.services:
            if prefix in interface:
                continue
            service = (ec2.GatewayVpcEndpointAwsService.DYNAMODB if prefix == "dynamodb"
                       else ec2.GatewayVpcEndpointAwsService.S3)
            self.gateway_endpoints[prefix] = vpc.add_gateway_endpoint(
                f"{prefix.capitalize()}Gateway", service=service, subnets=[selection] if selection else None
            )
        if interface:
            self.security_group = ec2.SecurityGroup(
                self, "EndpointSecurityGroup", vpc=vpc, allow_all_outbound=False,
                description="HTTPS from the VPC functions to the AWS service interface endpoints",
            )
            for fn in functions:
                if fn.connections is not None:
                    for group in fn.connections.security_groups:
                        self.security_group.add_ingress_rule(
                            group, ec2.Port.tcp(443), f"HTTPS from {fn.node.path}"[:255]
                        )
        for prefix in interface:
            self.interface_endpoints[prefix] = ec2.InterfaceVpcEndpoint(
                self,
                f"{''.join(part.capitalize() for part in endpoint_service(prefix).split('-'))}Endpoint",
                vpc=vpc,
                service=ec2.InterfaceVpcEndpointAwsService(endpoint_service(prefix)),
                subnets=selection,
                private_dns_enabled=True,
                security_groups=[self.security_group] if self.security_group is not None else None,
                open=False,  # only the functions' security groups, above
            )

    @staticmethod
    def _called(functions: Iterable[ServerlessFunction]) -> set[str]:
        found: set[str] = set()
        for fn in functions:
            stack = Stack.of(fn)
            statements: list[Any] = []
            for child in fn.role.node.children:
                if isinstance(child, iam.Policy):
                    document = stack.resolve(child.document.to_json())
                    statements.extend(document.get("Statement", []) if isinstance(document, dict) else [])
            destinations = [stack.resolve(fn.dead_letter_queue.queue_arn)] if fn.dead_letter_queue is not None else []
            found |= called_services(statements, destinations)
        return found
