"""A Mermaid flowchart of synthesized templates: resources and the edges events and calls take.

Nodes are the resources that carry traffic (APIs, functions, queues, topics,
streams, tables, buckets, rules, schedules, pipes, buses, state machines,
distributions). Edges come from the resources that wire them:

* event source mappings (queue/stream/table stream → function), SNS
  subscriptions, EventBridge rule and Scheduler targets, Pipes (source → target);
* API Gateway methods / HTTP API integrations (API → function), CloudFront
  origins and Lambda@Edge associations, state machine definitions (→ function);
* async on-failure destinations (function → queue, dashed) and the resources a
  function's environment names (dashed: it uses them).

Aliases, versions and permissions stand for their function. Everything is read
from the template, so the diagram shows what ``cdk deploy`` would create.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .assembly import StackTemplate

#: CloudFormation type -> (short label, Mermaid node shape open/close).
NODE_TYPES: dict[str, tuple[str, str, str]] = {
    "AWS::ApiGateway::RestApi": ("REST API", "([", "])"),
    "AWS::ApiGatewayV2::Api": ("HTTP API", "([", "])"),
    "AWS::CloudFront::Distribution": ("CloudFront", "([", "])"),
    "AWS::Lambda::Function": ("Lambda", "[", "]"),
    "AWS::SQS::Queue": ("SQS", "[/", "/]"),
    "AWS::SNS::Topic": ("SNS", "{{", "}}"),
    "AWS::Kinesis::Stream": ("Kinesis", "[/", "/]"),
    "AWS::DynamoDB::Table": ("DynamoDB", "[(", ")]"),
    "AWS::DynamoDB::GlobalTable": ("DynamoDB", "[(", ")]"),
    "AWS::S3::Bucket": ("S3", "[(", ")]"),
    "AWS::Events::Rule": ("rule", "{{", "}}"),
    "AWS::Events::EventBus": ("event bus", "{{", "}}"),
    "AWS::Scheduler::Schedule": ("schedule", "{{", "}}"),
    "AWS::Pipes::Pipe": ("pipe", "{{", "}}"),
    "AWS::StepFunctions::StateMachine": ("Step Functions", "[[", "]]"),
}
_STANDS_FOR_FUNCTION = {"AWS::Lambda::Alias", "AWS::Lambda::Version", "AWS::Lambda::Permission"}
_SUB_REF = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def references(value: Any) -> Iterator[str]:
    """Logical ids ``value`` refers to (Ref, Fn::GetAtt, Fn::Sub), depth-first."""
    if isinstance(value, Mapping):
        if "Ref" in value and isinstance(value["Ref"], str):
            yield value["Ref"]
        elif "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            yield str(target[0] if isinstance(target, list) else str(target).split(".")[0])
        elif "Fn::Sub" in value:
            sub = value["Fn::Sub"]
            text, names = (sub[0], sub[1]) if isinstance(sub, list) else (sub, {})
            yield from (m for m in _SUB_REF.findall(str(text)) if m not in (names or {}))
            yield from references(names)
        else:
            for item in value.values():
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


class _Graph:
    def __init__(self, prefix: str, resources: Mapping[str, Mapping[str, Any]]) -> None:
        self.prefix = prefix
        self.resources = resources
        self.edges: list[tuple[str, str, str, bool]] = []  # (from, to, label, dashed)

    def type_of(self, logical_id: str) -> str:
        return str((self.resources.get(logical_id) or {}).get("Type", ""))

    def props(self, logical_id: str) -> Mapping[str, Any]:
        props = (self.resources.get(logical_id) or {}).get("Properties")
        return props if isinstance(props, Mapping) else {}

    def node(self, logical_id: str) -> str | None:
        """The node a reference stands for: itself, or the function behind an alias/version/permission."""
        kind = self.type_of(logical_id)
        if kind in NODE_TYPES:
            return logical_id
        if kind in _STANDS_FOR_FUNCTION:
            field = "FunctionName"
            for ref in references(self.props(logical_id).get(field)):
                return self.node(ref)
        return None

    def nodes_in(self, value: Any) -> list[str]:
        return list(dict.fromkeys(n for n in (self.node(r) for r in references(value)) if n))

    def link(self, sources: Iterable[str], targets: Iterable[str], label: str = "", dashed: bool = False) -> None:
        for source in sources:
            for target in targets:
                if source != target:
                    self.edges.append((source, target, label, dashed))


def _wire(g: _Graph) -> None:
    for lid, res in g.resources.items():
        kind, props = str(res.get("Type", "")), g.props(lid)
        if kind == "AWS::Lambda::EventSourceMapping":
            g.link(g.nodes_in(props.get("EventSourceArn")), g.nodes_in(props.get("FunctionName")), "polls")
            g.link(g.nodes_in(props.get("FunctionName")), g.nodes_in(props.get("DestinationConfig")), "on failure", True)
        elif kind == "AWS::SNS::Subscription":
            g.link(g.nodes_in(props.get("TopicArn")), g.nodes_in(props.get("Endpoint")), "subscription")
        elif kind == "AWS::Events::Rule":
            g.link(g.nodes_in(props.get("EventBusName")), [lid])
            for target in props.get("Targets") or []:
                g.link([lid], g.nodes_in(target.get("Arn")), "target")
                g.link([lid], g.nodes_in(target.get("DeadLetterConfig")), "DLQ", True)
        elif kind == "AWS::Scheduler::Schedule":
            target = props.get("Target") or {}
            g.link([lid], g.nodes_in(target.get("Arn")), "invokes")
            g.link([lid], g.nodes_in(target.get("DeadLetterConfig")), "DLQ", True)
        elif kind == "AWS::Pipes::Pipe":
            g.link(g.nodes_in(props.get("Source")), [lid], "source")
            g.link([lid], g.nodes_in(props.get("Target")), "target")
        elif kind == "AWS::ApiGateway::Method":
            g.link(g.nodes_in(props.get("RestApiId")), g.nodes_in(props.get("Integration")),
                   f"{props.get('HttpMethod', '')}".strip())
        elif kind == "AWS::ApiGatewayV2::Integration":
            g.link(g.nodes_in(props.get("ApiId")), g.nodes_in(props.get("IntegrationUri")), "integration")
        elif kind == "AWS::CloudFront::Distribution":
            config = props.get("DistributionConfig") or {}
            g.link([lid], g.nodes_in(config.get("Origins")), "origin")
            for behavior in [config.get("DefaultCacheBehavior") or {}, *(config.get("CacheBehaviors") or [])]:
                g.link([lid], g.nodes_in(behavior.get("LambdaFunctionAssociations")), "Lambda@Edge")
        elif kind == "AWS::StepFunctions::StateMachine":
            g.link([lid], g.nodes_in(props.get("DefinitionString")), "task")
        elif kind == "AWS::Lambda::EventInvokeConfig":
            g.link(g.nodes_in(props.get("FunctionName")), g.nodes_in(props.get("DestinationConfig")), "on failure", True)
        elif kind == "AWS::Lambda::Function":
            env = (props.get("Environment") or {}).get("Variables")
            g.link([lid], g.nodes_in(env), "uses", True)
            g.link([lid], g.nodes_in(props.get("DeadLetterConfig")), "DLQ", True)


def _node_id(prefix: str, logical_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{prefix}_{logical_id}")


def _label(g: _Graph, logical_id: str) -> str:
    """Type and name: the construct path inside the stack when the template records it
    (``cdk synth`` does), else the logical id without CDK's 8-character hash suffix."""
    kind, open_, close = NODE_TYPES[g.type_of(logical_id)]
    path = str(((g.resources.get(logical_id) or {}).get("Metadata") or {}).get("aws:cdk:path", ""))
    name = path.split("/", 1)[1].removesuffix("/Resource") if "/" in path else re.sub(r"[0-9A-F]{8}$", "", logical_id)
    return f'{open_}"{kind}<br/>{name or logical_id}"{close}'


def mermaid(templates: Sequence[StackTemplate]) -> str:
    """One ``flowchart LR`` with a subgraph per stack."""
    lines = ["flowchart LR"]
    for stack in templates:
        g = _Graph(stack.name, stack.resources())
        _wire(g)
        lines.append(f'  subgraph {_node_id("stack", stack.name)}["{stack.path}"]')
        for lid in g.resources:
            if g.type_of(lid) in NODE_TYPES:
                lines.append(f"    {_node_id(stack.name, lid)}{_label(g, lid)}")
        lines.append("  end")
        for source, target, label, dashed in dict.fromkeys(g.edges):
            arrow = "-.->" if dashed else "-->"
            text = f"|{label}|" if label else ""
            lines.append(f"  {_node_id(stack.name, source)} {arrow}{text} {_node_id(stack.name, target)}")
    return "\n".join(lines)
