"""How many requests, messages and invocations each resource of a stack sees in a month.

Traffic enters at the stack's entry points and follows the edges of the
resource graph (:mod:`.graph`):

* **entry points** get ``requests_per_month`` each (times their
  ``requests_share``): APIs, function URLs, distributions, and any function,
  queue, topic, stream or bucket that carries traffic on and nothing in the
  stack feeds. Schedules (EventBridge Scheduler, and rules with a schedule
  expression) fire as their expression says. Dead-letter queues, alarm topics,
  failure destinations and functions that run only at deploy time (custom
  resource providers) get nothing.
* an **API** splits its requests over its routes (evenly, or by the
  profile's ``routes`` weights); each route's function handles each request
  once, and a Lambda authorizer runs on every request;
* a **function** handles *events* (an API request, a message, a record, an
  event): for each it sends ``messages_per_event`` messages along each of its
  send edges (SQS, SNS, EventBridge, Kinesis, Step Functions, Lambda) and does
  ``reads_per_event`` / ``writes_per_event`` operations on each table or bucket
  it may read or write. A queue or stream consumer is invoked once per
  ``records_per_batch`` records, so batching changes invocations, not work;
* a **topic** delivers each message to every subscription, a **bus** to every
  rule, a **rule** to every target (times ``match_rate``); a **table** with a
  stream passes its writes on as stream records;
* a **state machine** invokes the tasks on its happy path (Catch branches,
  i.e. compensations, are not taken) once per execution;
* a **distribution** serves ``1 - cache_hit_ratio`` of its requests from its
  origins; viewer-event Lambda@Edge functions run on every request,
  origin-event ones on misses.

Every knob has a default (:data:`DEFAULTS`) and can be set per construct path
in a profile (:class:`Profile`): the longest path prefix that matches a
resource's ``aws:cdk:path`` wins, so a pattern's path sets it for the pattern
and a function's path for that function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from .asl import definition, happy_path, task_reference
from .graph import SCHEDULE_TYPES, Edge, ResourceGraph, Role, references, schedule_expression
from .profile import DEFAULTS, TRAFFIC_CALLS, TRAFFIC_HINT, Profile, ProfileError
from .schedules import firings_per_month

__all__ = [
    "DEFAULTS", "TRAFFIC_HINT", "Profile", "ProfileError", "Traffic", "alarm_topics", "declared_calls", "entry_points",
    "happy_path_tasks", "propagate", "resource_path", "unmatched_paths",
]


@dataclass
class Traffic:
    """Monthly volumes of one stack under a profile.

    ``units[node]``: what each node handles — requests (APIs, distributions),
    events (functions: one per API request, message, record or event, however
    batched), messages (queues, topics), events (buses, rules), records
    (streams, table streams, pipes), executions (state machines), firings
    (schedules), objects written (entry buckets). ``invocations[function]``:
    Lambda invocations (batch consumers get ``records_per_batch`` records each).
    ``reads``/``writes``: operations on each table or bucket.
    """

    graph: ResourceGraph
    profile: Profile
    units: dict[str, float] = field(default_factory=dict)
    invocations: dict[str, float] = field(default_factory=dict)
    reads: dict[str, float] = field(default_factory=dict)
    writes: dict[str, float] = field(default_factory=dict)
    entries: list[str] = field(default_factory=list)
    #: (from, to) edges that close a loop; traffic is not sent round them again
    loops: list[tuple[str, str]] = field(default_factory=list)

    def setting(self, node_id: str, key: str) -> Any:
        hint = ((self.graph.resources.get(node_id) or {}).get("Metadata") or {}).get(TRAFFIC_HINT)
        return self.profile.setting(self.path(node_id), key, hint if isinstance(hint, Mapping) else None)

    def path(self, node_id: str) -> str:
        return resource_path(self.graph, node_id)


def resource_path(graph: ResourceGraph, node_id: str) -> str:
    """The construct path of a resource (``Stack/Pattern/Part``), as profiles name it."""
    meta = (graph.resources.get(node_id) or {}).get("Metadata") or {}
    return str(meta.get("aws:cdk:path", f"{graph.stack}/{node_id}")).removesuffix("/Resource")


def unmatched_paths(profile: Profile, graphs: Sequence[ResourceGraph]) -> list[str]:
    """Profile paths that name no resource of ``graphs`` (a typo would otherwise change nothing)."""
    paths = [resource_path(g, lid) for g in graphs for lid in g.resources]
    return [
        prefix for prefix in profile.paths
        if not any(p == prefix.strip("/") or p.startswith(prefix.strip("/") + "/") for p in paths)
    ]


#: Propagation steps at most (a safety net: with loop edges left out the flow always ends).
MAX_STEPS = 100_000


def alarm_topics(graph: ResourceGraph) -> set[str]:
    """Topics that CloudWatch alarms notify (no request traffic)."""
    out: set[str] = set()
    for lid in graph.resources:
        if graph.type_of(lid) == "AWS::CloudWatch::Alarm":
            props = graph.props(lid)
            for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
                out.update(r for r in references(props.get(key)) if graph.type_of(r) == "AWS::SNS::Topic")
    return out


def _scheduled(graph: ResourceGraph, node_id: str) -> bool:
    """A schedule or rule that fires on a schedule (enabled or not: it is never an entry point)."""
    return graph.type_of(node_id) in SCHEDULE_TYPES and graph.props(node_id).get("ScheduleExpression") is not None


def entry_points(graph: ResourceGraph) -> list[str]:
    """Nodes that receive outside requests: nothing in the stack feeds them and they pass traffic on.

    Not entry points: schedules (they fire on their own), dead-letter and failure queues, alarm
    topics, Lambda@Edge functions, and functions that run only at deploy time (custom resources).
    """
    fed = {e.target for e in graph.edges if e.carries_traffic or e.kind == "failure" or e.access in ("write", "readwrite")}
    quiet = alarm_topics(graph) | graph.deploy_time
    out = []
    for node in graph.nodes.values():
        if node.id in fed or node.id in quiet or _scheduled(graph, node.id):
            continue
        carries_on = any(e.carries_traffic for e in graph.outgoing(node.id)) or node.kind in (
            "AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api", "AWS::CloudFront::Distribution",
            "AWS::Lambda::Url", "AWS::Lambda::Function",
        )
        if carries_on and not any(e.role == Role.EDGE_FUNCTION for e in graph.incoming(node.id)):
            out.append(node.id)
    return out


def propagate(graph: ResourceGraph, profile: Profile) -> Traffic:
    """Monthly volumes of every node of ``graph`` (see the module docstring for the rules)."""
    t = Traffic(graph, profile)
    pending: dict[str, float] = {}

    def deliver(target: str, amount: float, batched: bool = False) -> None:
        pending[target] = pending.get(target, 0.0) + amount
        if graph.type_of(target) == "AWS::Lambda::Function":
            per_call = float(t.setting(target, "records_per_batch")) if batched else 1.0
            t.invocations[target] = t.invocations.get(target, 0.0) + amount / per_call

    t.entries = entry_points(graph) + [n for n in graph.nodes if _scheduled(graph, n)]
    t.loops = loop_edges(graph, t.entries)
    loops = set(t.loops)
    for node_id in t.entries:
        if _scheduled(graph, node_id):
            deliver(node_id, firings_per_month(schedule_expression(graph, node_id)))
        else:
            deliver(node_id, profile.requests_per_month * float(t.setting(node_id, "requests_share")))
    # volumes add up linearly, so a node can be visited again as more input arrives; with the
    # loop edges left out the flow is acyclic and this ends (the bound is a safety net)
    for _ in range(MAX_STEPS):
        if not pending:
            break
        node_id, amount = next(iter(pending.items()))
        del pending[node_id]
        if amount > 0:
            t.units[node_id] = t.units.get(node_id, 0.0) + amount
            for target, more, batched in _downstream(t, node_id, amount):
                if (node_id, target) not in loops:
                    deliver(target, more, batched)
    return t


def _flow_targets(graph: ResourceGraph, node_id: str) -> list[str]:
    """Where traffic at ``node_id`` can go: triggers, sends, and writes to a table or bucket that
    triggers something."""
    out = [e.target for e in graph.outgoing(node_id) if e.carries_traffic]
    out += [
        e.target for e in graph.outgoing(node_id, "data")
        if e.access in ("write", "readwrite") and graph.outgoing(e.target, "trigger")
    ]
    return list(dict.fromkeys(out))


def loop_edges(graph: ResourceGraph, entries: Sequence[str]) -> list[tuple[str, str]]:
    """The edges that lead back into a node the traffic came through (depth-first from the
    entries): a function that publishes to the bus its rule reads from, a queue ping-pong.
    Each request goes round such a loop once; an estimate cannot know how often it repeats."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    out: list[tuple[str, str]] = []
    for root in [*entries, *graph.nodes]:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(_flow_targets(graph, root)))]
        while stack:
            node, targets = stack[-1]
            target = next(targets, None)
            if target is None:
                state[node] = 2
                stack.pop()
            elif state.get(target) == 1:
                out.append((node, target))
            elif target not in state:
                state[target] = 1
                stack.append((target, iter(_flow_targets(graph, target))))
    return out


def _downstream(t: Traffic, node_id: str, amount: float) -> list[tuple[str, float, bool]]:
    """(target, amount, delivered in batches) for everything ``amount`` at ``node_id`` sets off."""
    g = t.graph
    kind = g.type_of(node_id)
    flows = [e for e in g.outgoing(node_id) if e.carries_traffic]
    if kind in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"):
        return [(n, a, False) for n, a in _routes(t, node_id, amount, flows)]
    if kind == "AWS::CloudFront::Distribution":
        return [(n, a, False) for n, a in _distribution(t, node_id, amount, flows)]
    if kind in ("AWS::Lambda::Function", "AWS::StepFunctions::StateMachine"):
        per = float(t.setting(node_id, "messages_per_event"))
        calls = declared_calls(t, node_id)
        sends = [
            (e.target, amount * (calls[e.target] if e.target in calls else per), False) for e in flows if e.kind == "data"
        ]
        sends += [(n, a, False) for n, a in _data_access(t, node_id, amount)]
        if kind == "AWS::Lambda::Function":
            return sends
        on_path = happy_path_tasks(g, node_id)
        return [(e.target, amount * on_path.get(e.target, 0), False) for e in flows if e.kind == "trigger"] + sends
    if kind in ("AWS::SQS::Queue", "AWS::Kinesis::Stream", "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
        return [
            (e.target, amount, True) if g.type_of(e.target) == "AWS::Lambda::Function"
            else (e.target, amount * float(t.setting(e.target, "match_rate")), False)
            for e in flows
        ]
    # topics, buses, rules, pipes, schedules, buckets, URLs: every flow edge passes everything on
    return [
        (e.target, amount * (float(t.setting(e.target, "match_rate")) if _filters(e) else 1.0), False) for e in flows
    ]


def _filters(edge: Edge) -> bool:
    """Edges whose delivery a filter decides: subscriptions, bus -> rule, pipe source."""
    return edge.role in (Role.SUBSCRIPTION, Role.RULE, Role.EVENT_SOURCE, Role.PIPE_SOURCE)


def _routes(t: Traffic, node_id: str, amount: float, flows: list[Edge]) -> list[tuple[str, float]]:
    routes = [e for e in flows if e.role == Role.ROUTE]
    # a Lambda authorizer runs on every request (its cache is not modelled: an upper bound)
    authorizers = [(e.target, amount) for e in flows if e.role == Role.AUTHORIZER]
    weights: Optional[Mapping[str, float]] = t.setting(node_id, "routes")
    if weights:
        unknown = sorted(set(weights) - {e.label for e in routes})
        if unknown:
            raise ProfileError(
                f"routes of {t.path(node_id)}: {unknown[0]!r} is not a route; the routes are "
                + ", ".join(sorted({e.label for e in routes}))
            )
        total = sum(weights.values()) or 1.0
        return authorizers + [(e.target, amount * weights.get(e.label, 0.0) / total) for e in routes]
    return authorizers + [(e.target, amount / len(routes)) for e in routes]


def _distribution(t: Traffic, node_id: str, amount: float, flows: list[Edge]) -> list[tuple[str, float]]:
    misses = amount * (1 - float(t.setting(node_id, "cache_hit_ratio")))
    origins = [e for e in flows if e.role == Role.ORIGIN]
    out = [(e.target, misses / len(origins)) for e in origins]
    for e in flows:
        if e.role == Role.EDGE_FUNCTION:
            viewer = any(str(event).startswith("viewer") for event in _edge_events(t.graph, node_id, e.target))
            out.append((e.target, amount if viewer else misses))
    return out


def _edge_events(g: ResourceGraph, distribution: str, function: str) -> list[str]:
    """The CloudFront event types ``function`` is associated with on ``distribution``."""
    config = g.props(distribution).get("DistributionConfig") or {}
    events = []
    for behavior in [config.get("DefaultCacheBehavior") or {}, *(config.get("CacheBehaviors") or [])]:
        for assoc in behavior.get("LambdaFunctionAssociations") or []:
            if function in g.nodes_in(assoc.get("LambdaFunctionARN")):
                events.append(str(assoc.get("EventType", "")))
    return events


def _data_access(t: Traffic, node_id: str, amount: float) -> list[tuple[str, float]]:
    """Count reads and writes; writes to a table with a stream (or a bucket with event rules) flow on."""
    flows = []
    for e in t.graph.outgoing(node_id, "data"):
        if e.access in ("read", "readwrite"):
            t.reads[e.target] = t.reads.get(e.target, 0.0) + amount * float(t.setting(node_id, "reads_per_event"))
        if e.access in ("write", "readwrite"):
            writes = amount * float(t.setting(node_id, "writes_per_event"))
            t.writes[e.target] = t.writes.get(e.target, 0.0) + writes
            if t.graph.outgoing(e.target, "trigger"):
                flows.append((e.target, writes))
    return flows


def declared_calls(t: Traffic, function: str) -> dict[str, float]:
    """Function node -> calls per event that ``function`` declares (metadata
    :data:`~.profile.TRAFFIC_CALLS`, e.g. a durable saga's orchestrator): each ``per_execution``
    entry once, each ``on_failure`` entry ``failure_rate`` times. Empty when it declares nothing."""
    declared = ((t.graph.resources.get(function) or {}).get("Metadata") or {}).get(TRAFFIC_CALLS)
    if not isinstance(declared, Mapping):
        return {}
    rate = float(t.setting(function, "failure_rate"))
    out: dict[str, float] = {}
    for key, weight in (("per_execution", 1.0), ("on_failure", rate)):
        for ref in declared.get(key) or []:
            for node in t.graph.nodes_in(ref):
                out[node] = out.get(node, 0.0) + weight
    return out


def happy_path_tasks(g: ResourceGraph, state_machine: str) -> dict[str, int]:
    """Function node -> how often one execution that succeeds invokes it (Catch branches not taken)."""
    counts: dict[str, int] = {}
    for state in happy_path(definition(g.props(state_machine))):
        node = g.node_for(task_reference(state))
        if node:
            counts[node] = counts.get(node, 0) + 1
    return counts
