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

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .asl import definition, happy_path, task_reference
from .graph import Edge, ResourceGraph, references
from .schedules import firings_per_month

#: Every profile knob and its default.
DEFAULTS: dict[str, Any] = {
    "requests_share": 1.0,  # fraction of requests_per_month an entry point receives
    "avg_duration_ms": None,  # None: the global --avg-duration-ms
    "messages_per_event": 1.0,  # per send edge (SQS, SNS, EventBridge, Kinesis, Step Functions, Lambda)
    "reads_per_event": 1.0,  # per readable table/bucket (read request units / GETs)
    "writes_per_event": 1.0,  # per writable table/bucket (write request units / PUTs)
    "records_per_batch": 1.0,  # records per consumer invocation (queues, streams)
    "match_rate": 1.0,  # fraction of messages a subscription filter / rule / pipe filter lets through
    "cache_hit_ratio": 0.8,  # CloudFront: fraction served from the edge cache
    "routes": None,  # API: {"GET /orders": weight, ...}; None: even split
    "transitions_per_execution": None,  # Step Functions Standard; None: the happy path's states
    "item_kb": 1.0,  # DynamoDB item size (storage, one month of writes retained)
    "object_kb": 100.0,  # S3 object size (storage, one month of writes retained)
    "record_kb": 1.0,  # Kinesis record size (ingest/retrieval)
    "event_kb": 1.0,  # EventBridge event size (archive)
    "response_kb": 50.0,  # CloudFront response size (data transfer out)
    "log_kb_per_invocation": 1.0,  # Lambda: platform lines plus one or two JSON log lines
    "log_kb_per_request": 0.5,  # API access log line, WAF log (x3), Step Functions log per transition (x2)
    "monthly_active_users": None,  # Cognito user pools; None: one per 1,000 requests
}


#: Template metadata key under which a pattern records defaults for its resource (see
#: ``building_blocks.traffic_hints``); a profile's path settings win over them.
TRAFFIC_HINT = "cdk_serverless_patterns:traffic"


class ProfileError(ValueError):
    """A traffic profile that cannot be used: names the key, the value and what is allowed."""


@dataclass(frozen=True)
class Profile:
    """Traffic assumptions: a global volume plus per-construct-path overrides.

    The file form (JSON, or TOML by extension)::

        {"requests_per_month": 1000000, "avg_duration_ms": 120,
         "defaults": {"log_kb_per_invocation": 2},
         "paths": {"ImageJobsExample/Submit": {"messages_per_event": 3},
                   "OrdersApiExample/Orders": {"routes": {"GET /orders": 4, "POST /orders": 1}}}}
    """

    requests_per_month: float = 1_000_000
    avg_duration_ms: float = 120.0
    defaults: Mapping[str, Any] = field(default_factory=dict)
    paths: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for where, values in [("defaults", self.defaults), *((f"paths.{p}", v) for p, v in self.paths.items())]:
            for key, value in values.items():
                _check_knob(where, key, value)
        for name in ("requests_per_month", "avg_duration_ms"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ProfileError(f"{name}={value!r} is invalid: use a number >= 0")

    def setting(self, path: str, key: str, hint: Optional[Mapping[str, Any]] = None) -> Any:
        """The value of ``key`` for the resource at construct path ``path``: the longest matching
        path's, else the pattern's ``hint`` (template metadata), else ``defaults``, else :data:`DEFAULTS`."""
        best, value = -1, None
        for prefix, values in self.paths.items():
            prefix = prefix.strip("/")
            if key in values and (path == prefix or path.startswith(prefix + "/")) and len(prefix) > best:
                best, value = len(prefix), values[key]
        if best < 0:
            value = (hint or {}).get(key, self.defaults.get(key, DEFAULTS[key]))
        if key == "avg_duration_ms" and value is None:
            return self.avg_duration_ms
        return value

    @classmethod
    def load(cls, file: str | Path, **overrides: Any) -> Profile:
        """Read a profile file (``.json`` or ``.toml``); ``overrides`` (not None) win over its values."""
        path = Path(file)
        if not path.is_file():
            raise ProfileError(f"profile file {path} does not exist")
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix == ".toml":
                import tomllib

                data: Any = tomllib.loads(text)
            else:
                data = json.loads(text)
        except ValueError as error:
            raise ProfileError(f"profile file {path} is not valid {path.suffix.lstrip('.') or 'JSON'}: {error}") from None
        if not isinstance(data, dict):
            raise ProfileError(f"profile file {path} must hold an object")
        unknown = sorted(set(data) - {"requests_per_month", "avg_duration_ms", "defaults", "paths"})
        if unknown:
            raise ProfileError(
                f"profile key {unknown[0]!r} is not known: use requests_per_month, avg_duration_ms, defaults, paths"
            )
        values = {k: v for k, v in data.items() if k in ("requests_per_month", "avg_duration_ms")}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(defaults=data.get("defaults") or {}, paths=data.get("paths") or {}, **values)


def _check_knob(where: str, key: str, value: Any) -> None:
    if key not in DEFAULTS:
        raise ProfileError(f"{where}.{key} is not a profile setting: use one of {', '.join(sorted(DEFAULTS))}")
    if key == "routes":
        ok = isinstance(value, Mapping) and all(
            isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 for w in value.values()
        )
        if not ok:
            raise ProfileError(f'{where}.routes={value!r} is invalid: use {{"GET /orders": 3, "POST /orders": 1}}')
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ProfileError(f"{where}.{key}={value!r} is invalid: use a number >= 0")
    if key in ("requests_share", "match_rate", "cache_hit_ratio") and value > 1:
        raise ProfileError(f"{where}.{key}={value!r} is invalid: use a fraction between 0 and 1")
    if key == "records_per_batch" and value < 1:
        raise ProfileError(f"{where}.{key}={value!r} is invalid: use a number >= 1")


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
    cycles: list[str] = field(default_factory=list)

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


#: Propagation steps before the rest is reported as a cycle.
MAX_STEPS = 10_000
_SCHEDULES = ("AWS::Scheduler::Schedule", "AWS::Events::Rule")


def _is_flow(edge: Edge) -> bool:
    return edge.kind == "trigger" or (edge.kind == "data" and edge.access == "send")


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
    return graph.type_of(node_id) in _SCHEDULES and bool(graph.props(node_id).get("ScheduleExpression"))


def entry_points(graph: ResourceGraph) -> list[str]:
    """Nodes that receive outside requests: nothing in the stack feeds them and they pass traffic on.

    Not entry points: schedules (they fire on their own), dead-letter and failure queues, alarm
    topics, Lambda@Edge functions, and functions that run only at deploy time (custom resources).
    """
    fed = {e.target for e in graph.edges if _is_flow(e) or e.kind == "failure" or e.access in ("write", "readwrite")}
    quiet = alarm_topics(graph) | graph.deploy_time
    out = []
    for node in graph.nodes.values():
        if node.id in fed or node.id in quiet or _scheduled(graph, node.id):
            continue
        carries_on = any(_is_flow(e) for e in graph.outgoing(node.id)) or node.kind in (
            "AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api", "AWS::CloudFront::Distribution",
            "AWS::Lambda::Url", "AWS::Lambda::Function",
        )
        if carries_on and not any(e.label == "Lambda@Edge" for e in graph.incoming(node.id)):
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

    for node_id in entry_points(graph):
        t.entries.append(node_id)
        deliver(node_id, profile.requests_per_month * float(t.setting(node_id, "requests_share")))
    for node_id in graph.nodes:
        if _scheduled(graph, node_id):
            t.entries.append(node_id)
            deliver(node_id, firings_per_month(str(graph.props(node_id).get("ScheduleExpression", ""))))
    # volumes add up linearly, so nodes can be visited as their inputs arrive; the bound ends a
    # cycle (a function feeding its own queue)
    for _ in range(MAX_STEPS):
        if not pending:
            break
        node_id, amount = next(iter(pending.items()))
        del pending[node_id]
        if amount > 0:
            t.units[node_id] = t.units.get(node_id, 0.0) + amount
            for target, more, batched in _downstream(t, node_id, amount):
                deliver(target, more, batched)
    t.cycles = sorted(pending)
    return t


def _downstream(t: Traffic, node_id: str, amount: float) -> list[tuple[str, float, bool]]:
    """(target, amount, delivered in batches) for everything ``amount`` at ``node_id`` sets off."""
    g = t.graph
    kind = g.type_of(node_id)
    flows = [e for e in g.outgoing(node_id) if _is_flow(e)]
    if kind in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"):
        return [(n, a, False) for n, a in _routes(t, node_id, amount, flows)]
    if kind == "AWS::CloudFront::Distribution":
        return [(n, a, False) for n, a in _distribution(t, node_id, amount, flows)]
    if kind in ("AWS::Lambda::Function", "AWS::StepFunctions::StateMachine"):
        per = float(t.setting(node_id, "messages_per_event"))
        sends = [(e.target, amount * per, False) for e in flows if e.kind == "data"]
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
    return edge.label in ("subscription", "matches", "emits events", "source")


def _routes(t: Traffic, node_id: str, amount: float, flows: list[Edge]) -> list[tuple[str, float]]:
    routes = [e for e in flows if e.kind == "trigger" and e.label != "authorizes"]
    # a Lambda authorizer runs on every request (its cache is not modelled: an upper bound)
    authorizers = [(e.target, amount) for e in flows if e.label == "authorizes"]
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
    origins = [e for e in flows if e.label == "origin"]
    out = [(e.target, misses / len(origins)) for e in origins]
    for e in flows:
        if e.label == "Lambda@Edge":
            viewer = any(str(event).startswith("viewer") for event in edge_events(t.graph, node_id, e.target))
            out.append((e.target, amount if viewer else misses))
    return out


def edge_events(g: ResourceGraph, distribution: str, function: str) -> list[str]:
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


def happy_path_tasks(g: ResourceGraph, state_machine: str) -> dict[str, int]:
    """Function node -> how often one execution that succeeds invokes it (Catch branches not taken)."""
    counts: dict[str, int] = {}
    for state in happy_path(definition(g.props(state_machine))):
        node = g.node_for(task_reference(state))
        if node:
            counts[node] = counts.get(node, 0) + 1
    return counts
