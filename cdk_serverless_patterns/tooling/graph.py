"""The resource graph of a synthesized template: what carries traffic and how it flows.

One reading of a template, shared by the diagram (``diagram.py``, ``svg.py``)
and the cost estimate (``cost.py``), so both show the same architecture. The
template itself is read by the package's one reader
(:class:`cdk_serverless_patterns.template.TemplateReader`): references, triggers
and policies come from there; this module turns them into nodes and edges.

**Nodes** are the resources that carry traffic (:data:`NODE_TYPES`: APIs,
functions, queues, topics, streams, tables, buckets, rules, schedules, pipes,
buses, state machines, distributions). Aliases, versions and permissions stand
for their function. Each node is grouped by the pattern construct it belongs
to: the first construct below the stack in its ``aws:cdk:path``.

**Edges** (``Edge.kind``):

* ``trigger`` — events flow: event source mappings (queue/stream/table stream →
  function), SNS subscriptions, EventBridge rule and Scheduler targets, Pipes,
  API Gateway methods and HTTP API integrations, CloudFront origins and
  Lambda@Edge, Step Functions tasks;
* ``data`` — a function or state machine uses a resource through its role's
  IAM policies (``Edge.access``: ``read``, ``write``, ``readwrite`` or ``send``
  for publishing/sending/starting/invoking, which makes traffic downstream);
* ``failure`` — dead-letter queues and on-failure destinations.

Nothing here imports aws_cdk: it reads JSON, so it is fast and works on the
output of any CDK app.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cdk_serverless_patterns.template.catalogue import NODE_TYPES, SCHEDULE_TYPES, unknown_types
from cdk_serverless_patterns.template.reader import TemplateReader, Trigger, TriggerKind, referenced

from .asl import all_states, definition, happy_path, task_reference

__all__ = [
    "NODE_TYPES", "SCHEDULE_TYPES", "Edge", "Node", "ResourceGraph", "Role", "build_graph", "references",
    "schedule_expression",
]

_STANDS_FOR_FUNCTION = {"AWS::Lambda::Alias", "AWS::Lambda::Version", "AWS::Lambda::Permission"}
_HASH = re.compile(r"[0-9A-F]{8}$")
#: Leaf construct ids that only repeat what the node's label says ("Orders/Function" -> "Orders").
_GENERIC_LEAVES = {"Function", "Queue", "Topic", "Table", "Bucket", "Stream", "StateMachine", "Api", "Bus"}

#: IAM action -> (access, edge label). Actions not listed (logs, X-Ray, KMS,
#: describe calls) are plumbing, not data flow.
_ACTIONS: dict[str, tuple[str, str]] = {
    "sqs:SendMessage": ("send", "sends"),
    "sns:Publish": ("send", "publishes"),
    "events:PutEvents": ("send", "puts events"),
    "kinesis:PutRecord": ("send", "puts records"),
    "kinesis:PutRecords": ("send", "puts records"),
    "states:StartExecution": ("send", "starts"),
    "states:StartSyncExecution": ("send", "starts"),
    "lambda:InvokeFunction": ("send", "invokes"),
    "states:SendTaskSuccess": ("write", "reports task"),
    "states:SendTaskFailure": ("write", "reports task"),
}
_READ_PREFIXES = ("dynamodb:Get", "dynamodb:BatchGet", "dynamodb:Query", "dynamodb:Scan", "dynamodb:ConditionCheck",
                  "s3:GetObject", "s3:ListBucket", "kinesis:GetRecords", "sqs:ReceiveMessage")
_WRITE_PREFIXES = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWrite",
                   "dynamodb:PartiQL", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")


class Role:
    """What an edge means, for the code that reads the graph (labels are only for display)."""

    POLL = "poll"  #: event source mapping: queue / stream / table stream -> function
    SUBSCRIPTION = "subscription"  #: SNS topic -> endpoint
    RULE = "rule"  #: event bus -> rule
    EVENT_SOURCE = "event source"  #: a resource named in a rule's event pattern (a bucket) -> rule
    TARGET = "target"  #: rule / schedule / pipe -> target
    PIPE_SOURCE = "pipe source"  #: stream / queue -> pipe
    ROUTE = "route"  #: API -> function (label: the route key)
    AUTHORIZER = "authorizer"  #: API -> Lambda authorizer
    URL = "url"  #: function URL -> function
    ORIGIN = "origin"  #: distribution -> origin
    EDGE_FUNCTION = "edge function"  #: distribution -> Lambda@Edge
    TASK = "task"  #: state machine -> function on its happy path
    ON_ERROR = "on error"  #: state machine -> function only Catch branches reach
    GRANT = "grant"  #: data edge from the role's policies
    FAILURE = "failure"  #: DLQ / on-failure destination / redrive


@dataclass(frozen=True)
class Node:
    """A resource that carries traffic."""

    id: str  #: CloudFormation logical id
    kind: str  #: CloudFormation type
    label: str  #: short type label ("Lambda", "SQS", ...)
    name: str  #: construct path below the pattern (or the logical id without CDK's hash)
    group: str  #: pattern construct path below the stack ("" = stack level)
    deploy_time: bool = False  #: a function that runs only while CloudFormation deploys (custom resources)
    schedule: str = ""  #: a schedule's or scheduled rule's expression

    @property
    def title(self) -> str:
        """The type line a diagram shows: ``Lambda (deploy time)``, ``schedule rate(5 minutes)``."""
        extra = " (deploy time)" if self.deploy_time else f" {self.schedule}" if self.schedule else ""
        return self.label + extra


@dataclass(frozen=True)
class Edge:
    """How traffic or access goes from one node to another."""

    source: str
    target: str
    label: str  #: for display only
    kind: str  #: "trigger" | "data" | "failure"
    access: str = ""  #: for data edges: "read" | "write" | "readwrite" | "send"
    via: str = ""  #: logical id of the resource that wires the edge (mapping, subscription, rule, method...)
    role: str = ""  #: what the edge means (:class:`Role`)

    @property
    def carries_traffic(self) -> bool:
        """Events flow along it: a trigger, or a role's right to send (publish, put, start, invoke)."""
        return self.kind == "trigger" or (self.kind == "data" and self.access == "send")


@dataclass
class ResourceGraph:
    """The nodes and edges of one stack's template."""

    stack: str
    resources: Mapping[str, Mapping[str, Any]]
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    #: notes for the reader: what the graph could not read
    notes: list[str] = field(default_factory=list)
    #: the template reader over ``resources``
    reader: TemplateReader = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.reader = TemplateReader({"Resources": self.resources})

    def not_drawn(self) -> dict[str, list[str]]:
        """Resource type -> logical ids of the resources a diagram leaves out because nothing here
        knows them (not the wiring and plumbing the edges stand for, nor alarms, keys and the like)."""
        return {kind: ids for kind, ids in unknown_types(self.resources).items() if kind not in NODE_TYPES}

    @property
    def deploy_time(self) -> set[str]:
        """Functions that only run while CloudFormation deploys (custom resource providers)."""
        return {n.id for n in self.nodes.values() if n.deploy_time}

    def groups(self) -> dict[str, list[Node]]:
        """Nodes by pattern group, in template order ("" first when present)."""
        out: dict[str, list[Node]] = {}
        for node in sorted(self.nodes.values(), key=lambda n: n.group != ""):
            out.setdefault(node.group, []).append(node)
        return out

    def incoming(self, node_id: str, *kinds: str) -> list[Edge]:
        """Edges into ``node_id`` (of these kinds, when given)."""
        return [e for e in self.edges if e.target == node_id and (not kinds or e.kind in kinds)]

    def outgoing(self, node_id: str, *kinds: str) -> list[Edge]:
        """Edges out of ``node_id`` (of these kinds, when given)."""
        return [e for e in self.edges if e.source == node_id and (not kinds or e.kind in kinds)]

    def type_of(self, logical_id: str) -> str:
        """The CloudFormation type of a resource (``""`` for an unknown id)."""
        return str(self.reader.type_of(logical_id) or "")

    def props(self, logical_id: str) -> Mapping[str, Any]:
        """The ``Properties`` of a resource (``{}`` when it has none)."""
        return self.reader.props(logical_id)

    def node_for(self, logical_id: str) -> str | None:
        """The node a reference stands for: itself, or the function behind an alias/version/permission."""
        kind = self.type_of(logical_id)
        if kind in NODE_TYPES:
            return logical_id
        if kind in _STANDS_FOR_FUNCTION:
            for ref, _attr in self.reader.references(self.props(logical_id).get("FunctionName")):
                return self.node_for(ref)
        return None

    def nodes_in(self, value: Any) -> list[str]:
        """The nodes ``value`` refers to, in order, each once."""
        return list(dict.fromkeys(n for n in (self.node_for(r) for r, _attr in self.reader.references(value)) if n))

    def link(self, sources: Iterable[str], targets: Iterable[str], role: str, label: str = "",
             access: str = "", via: str = "") -> None:
        """An edge from every source to every target; its kind follows from ``role``."""
        kind = "data" if role == Role.GRANT else "failure" if role == Role.FAILURE else "trigger"
        targets = list(targets)
        for source in sources:
            for target in targets:
                edge = Edge(source, target, label or role, kind, access, via, role)
                if source != target and edge not in self.edges:
                    self.edges.append(edge)


def references(value: Any) -> Iterator[str]:
    """Names ``value`` refers to (Ref, Fn::GetAtt, Fn::Sub), depth-first: logical ids, and also
    parameters and pseudo parameters (:func:`cdk_serverless_patterns.template.referenced`)."""
    return (name for name, _attr in referenced(value))


def build_graph(stack: str, template: Mapping[str, Any]) -> ResourceGraph:
    """The resource graph of one template (``stack`` is the name shown for it)."""
    resources = template.get("Resources")
    resources = resources if isinstance(resources, Mapping) else {}
    g = ResourceGraph(stack, {lid: res for lid, res in resources.items() if isinstance(res, Mapping)})
    providers = {r for lid in g.resources for r, _attr in g.reader.references(g.props(lid).get("ServiceToken"))}
    for lid, res in g.resources.items():
        kind = g.type_of(lid)
        if kind in NODE_TYPES:
            g.nodes[lid] = _node(lid, kind, res, stack, lid in providers, schedule_expression(g, lid))
        if kind in SCHEDULE_TYPES:
            expression = g.props(lid).get("ScheduleExpression")
            if expression is not None and not isinstance(expression, str):
                g.notes.append(f"{lid}: its schedule expression is only known at deploy time; counted as never firing")
    _wire_triggers(g)
    _wire_grants(g)
    return g


def schedule_expression(g: ResourceGraph, logical_id: str) -> str:
    """The expression an enabled schedule or scheduled rule fires on (``""`` for anything else,
    a disabled one, or an expression only known at deploy time)."""
    if g.type_of(logical_id) not in SCHEDULE_TYPES:
        return ""
    props = g.props(logical_id)
    expression = props.get("ScheduleExpression")
    if not isinstance(expression, str) or str(props.get("State", "ENABLED")).upper() == "DISABLED":
        return ""
    return expression


def _node(logical_id: str, kind: str, res: Mapping[str, Any], stack: str, deploy_time: bool = False,
          schedule: str = "") -> Node:
    """Group and name from ``aws:cdk:path`` (``Stack/Pattern/Part/Resource``; a stack in a Stage
    has a longer path of its own, ``Stage/Stack/...``)."""
    path = str((res.get("Metadata") or {}).get("aws:cdk:path", ""))
    parts = path[len(stack) + 1:].split("/") if path.startswith(stack + "/") else path.split("/")[1:]
    parts = [p for p in parts if p]
    if parts and parts[-1] in ("Resource", "Default"):
        parts = parts[:-1]
    if len(parts) > 2 and parts[-1] in _GENERIC_LEAVES:
        parts = parts[:-1]
    if not parts:
        return Node(logical_id, kind, NODE_TYPES[kind], _HASH.sub("", logical_id) or logical_id, "", deploy_time,
                    schedule)
    if len(parts) == 1:
        return Node(logical_id, kind, NODE_TYPES[kind], parts[0], "", deploy_time, schedule)
    return Node(logical_id, kind, NODE_TYPES[kind], "/".join(parts[1:]), parts[0], deploy_time, schedule)


def _wire_triggers(g: ResourceGraph) -> None:
    for lid in g.resources:
        kind, props = g.type_of(lid), g.props(lid)
        if kind == "AWS::Events::Rule":
            g.link(g.nodes_in(props.get("EventBusName")), [lid], Role.RULE, "matches", via=lid)
            g.link(g.nodes_in(props.get("EventPattern")), [lid], Role.EVENT_SOURCE, "emits events", via=lid)
        for trigger in g.reader.triggers_via(lid):
            _wire_trigger(g, trigger)
        if kind == "AWS::ApiGateway::Method":
            route = f"{props.get('HttpMethod', 'ANY')} {_rest_path(g, props.get('ResourceId'))}"
            g.link(g.nodes_in(props.get("RestApiId")), g.nodes_in(props.get("Integration")), Role.ROUTE, route, via=lid)
        elif kind == "AWS::ApiGatewayV2::Route":
            integration = next(iter(references(props.get("Target"))), "")
            uri = g.props(integration).get("IntegrationUri")
            g.link(g.nodes_in(props.get("ApiId")), g.nodes_in(uri), Role.ROUTE, str(props.get("RouteKey", "route")), via=lid)
        elif kind in ("AWS::ApiGateway::Authorizer", "AWS::ApiGatewayV2::Authorizer"):
            api = props.get("RestApiId") or props.get("ApiId")
            g.link(g.nodes_in(api), g.nodes_in(props.get("AuthorizerUri")), Role.AUTHORIZER, "authorizes", via=lid)
        elif kind == "AWS::Lambda::Url":
            g.link([lid], g.nodes_in(props.get("TargetFunctionArn")), Role.URL, "invokes", via=lid)
        elif kind == "AWS::CloudFront::Distribution":
            config = props.get("DistributionConfig") or {}
            g.link([lid], g.nodes_in(config.get("Origins")), Role.ORIGIN, via=lid)
            for behavior in [config.get("DefaultCacheBehavior") or {}, *(config.get("CacheBehaviors") or [])]:
                g.link([lid], g.nodes_in(behavior.get("LambdaFunctionAssociations")), Role.EDGE_FUNCTION, "Lambda@Edge", via=lid)
        elif kind == "AWS::StepFunctions::StateMachine":
            _wire_tasks(g, lid, props)
        elif kind == "AWS::Lambda::EventInvokeConfig":
            g.link(g.nodes_in(props.get("FunctionName")), g.nodes_in(props.get("DestinationConfig")), Role.FAILURE,
                   "on failure", via=lid)
        elif kind == "AWS::Lambda::Function":
            g.link([lid], g.nodes_in(props.get("DeadLetterConfig")), Role.FAILURE, "DLQ", via=lid)
        elif kind == "AWS::SQS::Queue":
            g.link([lid], g.nodes_in(props.get("RedrivePolicy")), Role.FAILURE, "redrive", via=lid)


def _wire_trigger(g: ResourceGraph, t: Trigger) -> None:
    """The edges of one trigger the reader found (inline topic subscriptions and S3 notifications
    are not drawn: a bucket reaches its rule through EventBridge, shown as ``emits events``)."""
    if t.kind == TriggerKind.POLL:
        g.link(g.nodes_in(t.source), g.nodes_in(t.target), Role.POLL, "polls", via=t.via)
        g.link(g.nodes_in(t.target), g.nodes_in(t.on_failure), Role.FAILURE, "on failure", via=t.via)
    elif t.kind == TriggerKind.SUBSCRIPTION:
        g.link(g.nodes_in(t.source), g.nodes_in(t.target), Role.SUBSCRIPTION, via=t.via)
        # what the topic could not deliver to the endpoint
        g.link(g.nodes_in(t.source), g.nodes_in(t.on_failure), Role.FAILURE, "DLQ", via=t.via)
    elif t.kind in (TriggerKind.RULE_TARGET, TriggerKind.SCHEDULE_TARGET):
        label = "invokes" if t.kind == TriggerKind.SCHEDULE_TARGET else ""
        g.link([t.via], g.nodes_in(t.target), Role.TARGET, label, via=t.via)
        g.link([t.via], g.nodes_in(t.on_failure), Role.FAILURE, "DLQ", via=t.via)
    elif t.kind == TriggerKind.PIPE:
        g.link(g.nodes_in(t.source), [t.via], Role.PIPE_SOURCE, "source", via=t.via)
        g.link([t.via], g.nodes_in(t.target), Role.TARGET, via=t.via)


def _wire_tasks(g: ResourceGraph, lid: str, props: Mapping[str, Any]) -> None:
    """State machine -> the functions its tasks call: ``task`` on the happy path, ``on error``
    for those only Catch branches reach (a saga's compensations)."""
    asl = definition(props)
    on_path = {g.node_for(task_reference(s)) for s in happy_path(asl)}
    for state in all_states(asl):
        node = g.node_for(task_reference(state))
        if node:
            g.link([lid], [node], Role.TASK if node in on_path else Role.ON_ERROR, via=lid)
    if not asl:  # a definition the template does not spell out: every function it names
        g.link([lid], g.nodes_in(props.get("DefinitionString")), Role.TASK, via=lid)
        g.notes.append(
            f"{lid}: the state machine's definition is not in the template (DefinitionS3Location or built at "
            "deploy time): its state transitions and the functions it calls are not counted"
        )


def _rest_path(g: ResourceGraph, resource: Any) -> str:
    """The path of a REST API resource (``/orders/{id}``), from its ``PathPart`` chain."""
    parts: list[str] = []
    current = next(iter(references(resource)), "")
    while g.type_of(current) == "AWS::ApiGateway::Resource" and len(parts) < 64:
        parts.append(str(g.props(current).get("PathPart", "")))
        current = next(iter(references(g.props(current).get("ParentId"))), "")
    return "/" + "/".join(reversed(parts))


def _role_owners(g: ResourceGraph) -> dict[str, list[str]]:
    """Role logical id -> the functions and state machines that run as it."""
    owners: dict[str, list[str]] = {}
    for lid in g.nodes:
        role = g.reader.role_of(lid)
        if role:
            owners.setdefault(role, []).append(lid)
    return owners


def _access(actions: Iterable[str]) -> list[tuple[str, str]]:
    """(access, label) pairs the actions amount to, most specific first."""
    sends = list(dict.fromkeys(_ACTIONS[a] for a in actions if a in _ACTIONS))
    reads = any(a.startswith(_READ_PREFIXES) or a.endswith(":*") for a in actions)
    writes = any(a.startswith(_WRITE_PREFIXES) or a.endswith(":*") for a in actions)
    rw = [("readwrite", "reads/writes")] if reads and writes else [("read", "reads")] if reads else \
        [("write", "writes")] if writes else []
    return sends + rw


def _wire_grants(g: ResourceGraph) -> None:
    _link_grants(g)
    # one data edge per pair and access kind: reads and writes from several statements merge
    merged: dict[tuple[str, str], str] = {}
    for e in g.edges:
        if e.kind == "data" and e.access in ("read", "write", "readwrite"):
            before = merged.get((e.source, e.target))
            merged[(e.source, e.target)] = e.access if before in (None, e.access) else "readwrite"
    edges: list[Edge] = []
    for e in g.edges:
        if e.kind == "data" and e.access in ("read", "write", "readwrite"):
            access = merged.pop((e.source, e.target), None)
            if access is None:
                continue
            e = Edge(e.source, e.target, _RW_LABELS[access], "data", access, e.via, Role.GRANT)
        edges.append(e)
    g.edges[:] = edges


_RW_LABELS = {"read": "reads", "write": "writes", "readwrite": "reads/writes"}


def _link_grants(g: ResourceGraph) -> None:
    owners = _role_owners(g)
    # a consumer's permissions for its own trigger (receive, stream reads, a state machine's task invokes)
    # and a function's right to send to its own failure destination
    triggered = {pair for e in g.edges if e.kind == "trigger" for pair in ((e.target, e.source), (e.source, e.target))}
    triggered |= {(e.source, e.target) for e in g.edges if e.kind == "failure"}
    for policy in g.reader.policy_statements:
        roles, statement = policy.roles, policy.statement
        if statement.get("Effect", "Allow") != "Allow":
            continue
        actions = statement.get("Action") or []
        actions = [actions] if isinstance(actions, str) else [str(a) for a in actions]
        sources = [o for role in roles for o in owners.get(role, [])]
        for target in g.nodes_in(statement.get("Resource")):
            for source in sources:
                if (source, target) in triggered:
                    continue
                for access, label in _access(actions):
                    g.link([source], [target], Role.GRANT, label, access)
