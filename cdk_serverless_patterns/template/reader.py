"""One read-only reading of a synthesized CloudFormation template.

:class:`TemplateReader` answers the questions every consumer of a template asks
(the rule pack in ``checks``, the diagram and cost estimate in ``tooling``):

* **resources** — by logical id and type, with their ``Properties`` and construct path;
* **references** — which resources a value names through ``Ref``, ``Fn::GetAtt``,
  ``Fn::Sub`` or ``Fn::Join``, and which function (with qualifier: alias, version)
  an ARN-shaped value invokes;
* **triggers** — where each service names what it delivers from and to: event source
  mappings, SNS subscriptions, EventBridge rule targets, Scheduler schedules, Pipes and
  S3 notifications (:class:`Trigger`, raw template values a consumer resolves its way);
* **policies** — every identity-policy statement with the roles it applies to, and the
  role a function or state machine runs as.

It only reads: values known at deploy time only (parameters, imports, other stacks)
resolve to nothing, and nothing here evaluates an intrinsic to a physical name —
that is LocalCloud's job (``local/template.py`` gives every resource a local name
and ARN). It imports nothing from aws_cdk and nothing from the rest of the package
except the leaf modules :mod:`.catalogue` and :mod:`.metadata`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Optional

from . import catalogue as types
from .metadata import CDK_PATH

#: A parsed template (``json.load`` of ``<stack>.template.json``).
Template = Mapping[str, Any]

#: Qualifier of an unqualified invocation (what ``$LATEST`` configures).
UNQUALIFIED: Optional[str] = None
#: Qualifier of a grant or reference covering every version and alias (``arn:...:*``).
ANY_QUALIFIER = "*"

_SUB_REF = re.compile(r"\$\{(?!!)([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}")


def number(value: Any) -> Optional[float]:
    """A literal number (CloudFormation accepts numeric strings), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def as_list(value: Any) -> list[Any]:
    """``value`` as a list: ``[]`` for None, ``[value]`` for a single item (CloudFormation allows both)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def referenced(value: Any) -> Iterator[tuple[str, Optional[str]]]:
    """Every ``(name, attribute or None)`` that ``value`` refers to, depth-first.

    Names come from ``Ref`` (resources, parameters, pseudo parameters), ``Fn::GetAtt``
    and the ``${Name}``/``${Name.Attr}`` placeholders of ``Fn::Sub`` (not ``${!Literal}``,
    not the names ``Fn::Sub`` defines in its own variable map, whose values are walked
    instead). ``Fn::Join`` and any other structure are walked item by item. Use
    :meth:`TemplateReader.references` for the resources of one template only.
    """
    if isinstance(value, Mapping):
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref" and isinstance(arg, str):
                yield arg, None
                return
            if key == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else arg
                if isinstance(parts, list) and parts and isinstance(parts[0], str):
                    yield parts[0], parts[1] if len(parts) > 1 and isinstance(parts[1], str) else None
                return
            if key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) and arg else arg
                variables = arg[1] if isinstance(arg, list) and len(arg) > 1 else {}
                if isinstance(text, str):
                    for m in _SUB_REF.finditer(text):
                        if not (isinstance(variables, Mapping) and m.group(1) in variables):
                            yield m.group(1), m.group(2)
                yield from referenced(variables)
                return
        for v in value.values():
            yield from referenced(v)
    elif isinstance(value, list):
        for v in value:
            yield from referenced(v)


@dataclass(frozen=True)
class Target:
    """A function as a trigger names it: logical id plus qualifier.

    ``qualifier`` is None for the unqualified function (``$LATEST``), an alias
    name, ``"#version:<logical id>"`` for a published version, or ``"*"``.
    """

    function: str
    qualifier: Optional[str] = UNQUALIFIED


class TriggerKind:
    """What declares a :class:`Trigger` (the values are for display)."""

    POLL = "event source mapping"  #: ``AWS::Lambda::EventSourceMapping``: a poller -> function
    SUBSCRIPTION = "SNS subscription"  #: ``AWS::SNS::Subscription``
    TOPIC_SUBSCRIPTION = "SNS topic subscription"  #: a ``Subscription`` entry inline on ``AWS::SNS::Topic``
    RULE_TARGET = "EventBridge rule target"  #: one entry of an ``AWS::Events::Rule``'s ``Targets``
    SCHEDULE_TARGET = "EventBridge Scheduler target"  #: the ``Target`` of an ``AWS::Scheduler::Schedule``
    PIPE = "EventBridge pipe"  #: ``AWS::Pipes::Pipe``: source -> target
    NOTIFICATION = "S3 event notification"  #: a bucket's notification configuration (inline or CDK's custom resource)


@dataclass(frozen=True)
class Trigger:
    """Where the template says events go from a source to a target.

    The values are the template's own (``{"Ref": ...}``, ``{"Fn::GetAtt": ...}``, ARNs),
    so each consumer resolves them its way (:meth:`TemplateReader.function_targets`,
    :meth:`TemplateReader.references`, LocalCloud's intrinsic evaluation).
    """

    via: str  #: logical id of the resource that declares it
    kind: str  #: :class:`TriggerKind`
    source: Any  #: the value naming the source (None: ``via`` itself is the source, e.g. a bucket, a topic)
    target: Any  #: the value naming the target
    on_failure: Any = None  #: the value naming where undeliverable events go (DLQ, on-failure destination)
    protocol: str = ""  #: ``lambda``, ``sqs``, ``sns``, ``https``... where the kind has several (SNS, S3)
    #: the template entry that declares it (a mapping's or pipe's properties, one rule target, one notification)
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicyStatement:
    """One statement of an identity policy, with the roles it applies to."""

    roles: tuple[str, ...]  #: logical ids of the ``AWS::IAM::Role`` resources it is attached to
    statement: Mapping[str, Any]
    policy: str  #: logical id of the ``AWS::IAM::Policy``/``ManagedPolicy``, or the role for an inline policy


#: S3 notification keys: (list key, target key, protocol), for a bucket's own configuration
#: and for CDK's ``Custom::S3BucketNotifications`` (which uses the API's names).
_BUCKET_NOTIFICATIONS = (
    ("LambdaConfigurations", "Function", "lambda"),
    ("QueueConfigurations", "Queue", "sqs"),
    ("TopicConfigurations", "Topic", "sns"),
)
_CUSTOM_NOTIFICATIONS = (
    ("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"),
    ("QueueConfigurations", "QueueArn", "sqs"),
    ("TopicConfigurations", "TopicArn", "sns"),
)
#: Property naming the role a resource runs as.
_ROLE_PROPERTY = {types.FUNCTION: "Role", types.STATE_MACHINE: "RoleArn"}


class TemplateReader:
    """One template: its resources, references, triggers and policies, computed lazily.

    :param template: the synthesized CloudFormation template (parsed JSON).
    :param construct_paths: logical id -> construct path, when the caller knows
        them (the checks plugin reads them from the construct tree). Falls back to
        the ``aws:cdk:path`` metadata; None when neither has it.
    """

    def __init__(self, template: Template, construct_paths: Optional[Mapping[str, str]] = None) -> None:
        self.template = template
        resources = template.get("Resources")
        resources = resources if isinstance(resources, Mapping) else {}
        self.resources: Mapping[str, Mapping[str, Any]] = {
            lid: res for lid, res in resources.items() if isinstance(res, Mapping)
        }
        self._paths = dict(construct_paths or {})

    # --- resources -------------------------------------------------------------
    def type_of(self, logical_id: str) -> Optional[str]:
        """The CloudFormation type of a resource (None for an id not in the template)."""
        res = self.resources.get(logical_id)
        return res.get("Type") if res else None

    def props(self, logical_id: str) -> Mapping[str, Any]:
        """The ``Properties`` of a resource (``{}`` when it has none)."""
        res = self.resources.get(logical_id) or {}
        props = res.get("Properties")
        return props if isinstance(props, Mapping) else {}

    def of_type(self, *cfn_types: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """``(logical id, properties)`` of the resources of these types, in template order."""
        for lid, res in self.resources.items():
            if res.get("Type") in cfn_types:
                yield lid, self.props(lid)

    def path(self, logical_id: str) -> Optional[str]:
        """Construct path of a resource, when known."""
        if logical_id in self._paths:
            return self._paths[logical_id]
        metadata = (self.resources.get(logical_id) or {}).get("Metadata") or {}
        path = metadata.get(CDK_PATH) if isinstance(metadata, Mapping) else None
        return path if isinstance(path, str) else None

    # --- references ------------------------------------------------------------
    def references(self, value: Any) -> Iterator[tuple[str, Optional[str]]]:
        """Every ``(logical id, attribute or None)`` of this template's resources that ``value`` references."""
        for name, attr in referenced(value):
            if name in self.resources:
                yield name, attr

    def function_targets(self, value: Any) -> set[Target]:
        """The functions ``value`` names (an ARN, a name, an alias, a version, a
        ``Fn::Join`` building one), each with the qualifier it invokes."""
        found: set[Target] = set()
        self._collect_targets(value, found)
        return found

    def functions_in(self, value: Any) -> set[str]:
        """Logical ids of the functions ``value`` names, qualifiers dropped."""
        return {t.function for t in self.function_targets(value)}

    def _collect_targets(self, value: Any, found: set[Target]) -> None:
        if isinstance(value, Mapping) and len(value) == 1 and "Fn::Join" in value:
            join = value["Fn::Join"]
            parts = join[1] if isinstance(join, list) and len(join) == 2 and isinstance(join[1], list) else []
            for i, part in enumerate(parts):
                suffix = parts[i + 1] if i + 1 < len(parts) else None
                qualifier = None
                if isinstance(suffix, str) and suffix.startswith(":"):
                    qualifier = suffix[1:].split("/", 1)[0] or None
                direct = self._direct_targets(part)
                for target in direct:
                    if qualifier is not None and target.qualifier is UNQUALIFIED:
                        target = Target(target.function, qualifier)
                    found.add(target)
                if not direct:
                    self._collect_targets(part, found)
            return
        if isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt"):
            found.update(self._direct_targets(value))
        elif isinstance(value, Mapping) and len(value) == 1 and "Fn::Sub" in value:
            for lid, _attr in self.references(value):
                referenced_target = self.target_of(lid)
                if referenced_target:
                    found.add(referenced_target)
        elif isinstance(value, Mapping):
            for v in value.values():
                self._collect_targets(v, found)
        elif isinstance(value, list):
            for v in value:
                self._collect_targets(v, found)

    def _direct_targets(self, value: Any) -> set[Target]:
        if not (isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt")):
            return set()
        found = set()
        for lid, _attr in self.references(value):
            target = self.target_of(lid)
            if target:
                found.add(target)
        return found

    def target_of(self, logical_id: str) -> Optional[Target]:
        """The function (and qualifier) a function, alias or version resource is."""
        cfn_type = self.type_of(logical_id)
        if cfn_type == types.FUNCTION:
            return Target(logical_id)
        if cfn_type == types.ALIAS:
            fn = self.function_in(self.props(logical_id).get("FunctionName"))
            name = self.props(logical_id).get("Name")
            if fn:
                return Target(fn, name if isinstance(name, str) else ANY_QUALIFIER)
        if cfn_type == types.VERSION:
            fn = self.function_in(self.props(logical_id).get("FunctionName"))
            if fn:
                return Target(fn, f"#version:{logical_id}")
        return None

    def function_in(self, value: Any) -> Optional[str]:
        """The first ``AWS::Lambda::Function`` that ``value`` references directly."""
        for lid, _attr in self.references(value):
            if self.type_of(lid) == types.FUNCTION:
                return lid
        return None

    # --- triggers ----------------------------------------------------------------
    @cached_property
    def triggers(self) -> list[Trigger]:
        """Every :class:`Trigger` in the template, in template order (a resource's own entries in theirs)."""
        found: list[Trigger] = []
        for lid, res in self.resources.items():
            kind, props = res.get("Type"), self.props(lid)
            if kind == types.EVENT_SOURCE_MAPPING:
                found.append(Trigger(lid, TriggerKind.POLL, props.get("EventSourceArn"), props.get("FunctionName"),
                                     props.get("DestinationConfig"), detail=props))
            elif kind == types.SUBSCRIPTION:
                found.append(Trigger(lid, TriggerKind.SUBSCRIPTION, props.get("TopicArn"), props.get("Endpoint"),
                                     props.get("RedrivePolicy"), str(props.get("Protocol", "")).lower(), props))
            elif kind == types.TOPIC:
                for sub in as_list(props.get("Subscription")):
                    if isinstance(sub, Mapping):
                        found.append(Trigger(lid, TriggerKind.TOPIC_SUBSCRIPTION, None, sub.get("Endpoint"),
                                             protocol=str(sub.get("Protocol", "")).lower(), detail=sub))
            elif kind == types.RULE:
                for target in as_list(props.get("Targets")):
                    if isinstance(target, Mapping):
                        found.append(Trigger(lid, TriggerKind.RULE_TARGET, props.get("EventBusName"),
                                             target.get("Arn"), target.get("DeadLetterConfig"), detail=target))
            elif kind == types.SCHEDULE:
                target = props.get("Target")
                if isinstance(target, Mapping):
                    found.append(Trigger(lid, TriggerKind.SCHEDULE_TARGET, None, target.get("Arn"),
                                         target.get("DeadLetterConfig"), detail=target))
            elif kind == types.PIPE:
                found.append(Trigger(lid, TriggerKind.PIPE, props.get("Source"), props.get("Target"), detail=props))
            elif kind in (types.BUCKET, types.BUCKET_NOTIFICATIONS):
                found.extend(self._notifications(lid, kind, props))
        return found

    def _notifications(self, lid: str, kind: str, props: Mapping[str, Any]) -> Iterator[Trigger]:
        config = props.get("NotificationConfiguration")
        if not isinstance(config, Mapping):
            return
        source = props.get("BucketName") if kind == types.BUCKET_NOTIFICATIONS else None
        keys = _CUSTOM_NOTIFICATIONS if kind == types.BUCKET_NOTIFICATIONS else _BUCKET_NOTIFICATIONS
        for list_key, target_key, protocol in keys:
            for entry in as_list(config.get(list_key)):
                if isinstance(entry, Mapping):
                    yield Trigger(lid, TriggerKind.NOTIFICATION, source, entry.get(target_key),
                                  protocol=protocol, detail=entry)

    def triggers_of(self, *kinds: str) -> list[Trigger]:
        """The triggers of these kinds, in template order."""
        return [t for t in self.triggers if t.kind in kinds]

    def triggers_via(self, logical_id: str) -> list[Trigger]:
        """The triggers one resource declares (a rule's targets, a topic's inline subscriptions...)."""
        return [t for t in self.triggers if t.via == logical_id]

    # --- IAM ---------------------------------------------------------------------
    def role_of(self, logical_id: str) -> Optional[str]:
        """The ``AWS::IAM::Role`` a function or state machine runs as (None when not in this template)."""
        key = _ROLE_PROPERTY.get(self.type_of(logical_id) or "")
        if key:
            for lid, _attr in self.references(self.props(logical_id).get(key)):
                if self.type_of(lid) == types.ROLE:
                    return lid
        return None

    def roles_in(self, value: Any) -> tuple[str, ...]:
        """The roles ``value`` (a policy's ``Roles``) names, in order, each once."""
        return tuple(dict.fromkeys(lid for lid, _attr in self.references(value) if self.type_of(lid) == types.ROLE))

    @cached_property
    def policy_statements(self) -> list[PolicyStatement]:
        """Every identity-policy statement, in template order: policies and managed policies
        with the roles their ``Roles`` name, a role's inline ``Policies``, and the managed
        policies of this template that a role lists in ``ManagedPolicyArns``."""
        out: list[PolicyStatement] = []
        managed = {lid: props.get("PolicyDocument") for lid, props in self.of_type(types.MANAGED_POLICY)}
        for lid, res in self.resources.items():
            kind, props = res.get("Type"), self.props(lid)
            if kind in (types.POLICY, types.MANAGED_POLICY):
                out.extend(_statements(self.roles_in(props.get("Roles")), props.get("PolicyDocument"), lid))
            elif kind == types.ROLE:
                for policy in as_list(props.get("Policies")):
                    if isinstance(policy, Mapping):
                        out.extend(_statements((lid,), policy.get("PolicyDocument"), lid))
                for ref, _attr in self.references(props.get("ManagedPolicyArns")):
                    if ref in managed:
                        out.extend(_statements((lid,), managed[ref], ref))
        return out

    @cached_property
    def statements_by_role(self) -> dict[str, list[Mapping[str, Any]]]:
        """Role logical id -> the statements of every identity policy attached to it."""
        out: dict[str, list[Mapping[str, Any]]] = {}
        for st in self.policy_statements:
            for role in st.roles:
                out.setdefault(role, []).append(st.statement)
        return out

    def role_trusts(self, role: str, service: str) -> bool:
        """The role's trust policy lets a service principal starting with ``service`` assume it."""
        doc = self.props(role).get("AssumeRolePolicyDocument")
        if not isinstance(doc, Mapping):
            return False
        for st in as_list(doc.get("Statement")):
            if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
                continue
            principal = st.get("Principal")
            services = as_list(principal.get("Service")) if isinstance(principal, Mapping) else []
            if any(isinstance(s, str) and s.startswith(service) for s in services):
                return True
        return False


def _statements(roles: tuple[str, ...], document: Any, policy: str) -> Iterator[PolicyStatement]:
    if isinstance(document, Mapping):
        for st in as_list(document.get("Statement")):
            if isinstance(st, Mapping):
                yield PolicyStatement(roles, st, policy)
