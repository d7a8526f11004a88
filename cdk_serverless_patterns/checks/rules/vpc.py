"""Rules about functions in a VPC: every AWS service their code calls needs a route."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from cdk_serverless_patterns.checks.base import ERROR, Finding, Rule
from cdk_serverless_patterns.checks.graph import TemplateGraph, as_list
from cdk_serverless_patterns.template.routes import called_services, endpoint_service, endpoint_suffix

_SUBNET = "AWS::EC2::Subnet"


def _vpc_of_subnets(graph: TemplateGraph, subnet_ids: Any) -> Optional[str]:
    """The template VPC all ``subnet_ids`` belong to; None when one is not in the template."""
    vpcs = set()
    for value in as_list(subnet_ids):
        subnets = [lid for lid, _ in graph.references(value) if graph.type_of(lid) == _SUBNET]
        if len(subnets) != 1:
            return None
        found = [lid for lid, _ in graph.references(graph.props(subnets[0]).get("VpcId"))]
        if len(found) != 1:
            return None
        vpcs.add(found[0])
    return vpcs.pop() if len(vpcs) == 1 else None


def _subnets(graph: TemplateGraph, subnet_ids: Any) -> set[str]:
    return {lid for value in as_list(subnet_ids) for lid, _ in graph.references(value) if graph.type_of(lid) == _SUBNET}


def _has_internet_route(graph: TemplateGraph, subnets: set[str]) -> bool:
    """A default route (0.0.0.0/0) to a NAT gateway, transit gateway or instance in every one of ``subnets``' route tables."""
    tables: dict[str, set[str]] = {}
    for _lid, props in graph.of_type("AWS::EC2::SubnetRouteTableAssociation"):
        for subnet in _subnets(graph, props.get("SubnetId")) & subnets:
            tables.setdefault(subnet, set()).update(lid for lid, _ in graph.references(props.get("RouteTableId")))
    routed: set[str] = set()
    for _lid, props in graph.of_type("AWS::EC2::Route"):
        if props.get("DestinationCidrBlock") != "0.0.0.0/0":
            continue
        if not any(props.get(k) for k in ("NatGatewayId", "TransitGatewayId", "InstanceId", "NetworkInterfaceId")):
            continue
        routed.update(lid for lid, _ in graph.references(props.get("RouteTableId")))
    return bool(subnets) and all(tables.get(s, set()) & routed for s in subnets)


def _endpoint_services(graph: TemplateGraph, vpc: str) -> set[str]:
    found = set()
    for _lid, props in graph.of_type("AWS::EC2::VPCEndpoint"):
        if vpc in {lid for lid, _ in graph.references(props.get("VpcId"))}:
            found.add(endpoint_suffix(props.get("ServiceName")))
    return found


def _service_side_resources(graph: TemplateGraph, fn: str) -> list[Any]:
    """The on-failure destinations and dead-letter target the Lambda service writes to for ``fn``."""
    out: list[Any] = []
    for _lid, props in graph.of_type("AWS::Lambda::EventInvokeConfig"):
        if fn in graph.functions_in(props.get("FunctionName")):
            destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            if destination is not None:
                out.append(destination)
    dead_letter = (graph.props(fn).get("DeadLetterConfig") or {}).get("TargetArn")
    if dead_letter is not None:
        out.append(dead_letter)
    return out


def vpc_function_without_route(graph: TemplateGraph) -> Iterable[Finding]:
    """A VPC function's grants name a service with no endpoint in its VPC and no default route to NAT."""
    for fn, props in graph.user_functions.items():
        config = props.get("VpcConfig")
        if not isinstance(config, Mapping) or not config.get("SubnetIds"):
            continue
        vpc = _vpc_of_subnets(graph, config.get("SubnetIds"))
        role = graph.role_of(fn)
        if vpc is None or role is None:
            continue  # an imported VPC or role: its routes are not in this template
        if _has_internet_route(graph, _subnets(graph, config.get("SubnetIds"))):
            continue
        statements = graph.statements_by_role.get(role, [])
        endpoints = _endpoint_services(graph, vpc)
        missing = sorted(s for s in called_services(statements, _service_side_resources(graph, fn))
                         if endpoint_service(s) not in endpoints)
        if missing:
            yield Finding(
                fn,
                "Properties/VpcConfig",
                f"grants reach {', '.join(missing)} but VPC {vpc} has no endpoint for "
                f"{'it' if len(missing) == 1 else 'them'} and the function's subnets no NAT route",
            )


RULES: list[Rule] = [
    Rule(
        "SP-VPC-NO-ROUTE",
        ERROR,
        "Function in a VPC is granted an AWS service it has no route to: no VPC endpoint for that service "
        "in its VPC, and no default route to a NAT gateway in its subnets. Its calls to that service time "
        "out (Lambda's interfaces never get a public IP).",
        "Add the endpoints: ServiceEndpoints(scope, 'Endpoints', vpc=vpc, functions=[fn]) after the grants "
        "(gateway endpoints for DynamoDB and S3, interface endpoints for the rest); or run the function in "
        "PRIVATE_WITH_EGRESS subnets with a NAT gateway. Acknowledge when egress is outside this template "
        "(a shared transit gateway or proxy), saying which.",
        vpc_function_without_route,
    ),
]
