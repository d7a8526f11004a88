"""A read-only view of one synthesized template that the rules query.

Rules ask questions about *wiring* ("which queue feeds this function?", "is this
function behind an API?"), so this module resolves CloudFormation references once
(``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``) from triggers to the
``AWS::Lambda::Function`` they reach, through aliases and versions, and caches
the answers. Values only known at deploy time (parameters, imports, other
stacks) resolve to nothing: a rule skips what it cannot see rather than guess.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable, Iterator, Mapping, Optional

from .base import Template

FUNCTION = "AWS::Lambda::Function"
ALIAS = "AWS::Lambda::Alias"
VERSION = "AWS::Lambda::Version"

#: Qualifier of an unqualified invocation (what ``$LATEST`` configures).
UNQUALIFIED: Optional[str] = None
#: Qualifier of a grant or reference covering every version and alias (``arn:...:*``).
ANY_QUALIFIER = "*"

_SUB_REF = re.compile(r"\$\{(?!!)([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}")

#: Construct ids CDK gives the Lambda functions behind its own custom resources
#: and framework code: not the user's to change, and mostly not arm64 yet.
_INTERNAL_SEGMENT = re.compile(
    r"^(?:Custom::.*"  # CustomResourceProvider handlers, Custom::CDKBucketDeployment...
    r"|.*CustomResourceProvider.*"
    r"|SingletonLambda[0-9a-fA-F]{32}"
    r"|AWS679f53fac002430cb0da5b7982bd2287"  # AwsCustomResource
    r"|LogRetention[0-9a-fA-F]{32}"
    r"|BucketNotificationsHandler[0-9a-fA-F]{32}"
    r"|framework-(?:onEvent|isComplete|onTimeout)"  # custom_resources.Provider
    r")$"
)
#: The same, for templates without construct paths: logical ids are the path
#: segments concatenated (non-alphanumerics dropped) plus an 8-character hash.
_INTERNAL_LOGICAL_ID = re.compile(
    r"(?:CustomResourceProvider"
    r"|^SingletonLambda[0-9a-fA-F]{32}"
    r"|^AWS679f53fac002430cb0da5b7982bd2287"
    r"|^LogRetention[0-9a-fA-F]{32}"
    r"|^BucketNotificationsHandler[0-9a-fA-F]{32}"
    r"|^CustomCDKBucketDeployment[0-9A-Fa-f]{32}"
    r"|framework(?:onEvent|isComplete|onTimeout)[0-9A-F]{8}$)"
)

_SYNC_API_INTEGRATIONS = ("AWS_PROXY", "AWS")
_LAMBDA_INVOKE_ACTIONS = ("lambda:invokefunction",)


@dataclass(frozen=True)
class Target:
    """A function as a trigger names it: logical id plus qualifier.

    ``qualifier`` is None for the unqualified function (``$LATEST``), an alias
    name, ``"#version:<logical id>"`` for a published version, or ``"*"``.
    """

    function: str
    qualifier: Optional[str] = UNQUALIFIED


@dataclass(frozen=True)
class Trigger:
    """Something that invokes a function: the resource and how it names it."""

    source: str
    target: Target
    kind: str


@dataclass(frozen=True)
class EventSourceMapping:
    """An ``AWS::Lambda::EventSourceMapping`` with both ends resolved where possible.

    ``source_kind`` is ``"sqs"``, ``"kinesis"``, ``"dynamodb"``, another service
    name from a literal ARN, or None when the source cannot be seen.
    """

    logical_id: str
    props: Mapping[str, Any]
    target: Optional[Target]
    source: Optional[str]
    source_kind: Optional[str]


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
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


class TemplateGraph:
    """One template plus the wiring facts the rules need, computed lazily.

    :param template: the synthesized CloudFormation template (parsed JSON).
    :param construct_paths: logical id -> construct path, when the caller knows
        them (the plugin reads them from the construct tree). Falls back to the
        ``aws:cdk:path`` metadata, then to the logical id itself.
    """

    def __init__(self, template: Template, construct_paths: Optional[Mapping[str, str]] = None) -> None:
        self.template = template
        resources = template.get("Resources") or {}
        self.resources: Mapping[str, Mapping[str, Any]] = {
            lid: res for lid, res in resources.items() if isinstance(res, Mapping)
        }
        self._paths = dict(construct_paths or {})

    # --- basic access ------------------------------------------------------
    def type_of(self, logical_id: str) -> Optional[str]:
        res = self.resources.get(logical_id)
        return res.get("Type") if res else None

    def props(self, logical_id: str) -> Mapping[str, Any]:
        res = self.resources.get(logical_id) or {}
        props = res.get("Properties")
        return props if isinstance(props, Mapping) else {}

    def of_type(self, *cfn_types: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for lid, res in self.resources.items():
            if res.get("Type") in cfn_types:
                yield lid, self.props(lid)

    def path(self, logical_id: str) -> Optional[str]:
        """Construct path of a resource, when known."""
        if logical_id in self._paths:
            return self._paths[logical_id]
        metadata = (self.resources.get(logical_id) or {}).get("Metadata") or {}
        path = metadata.get("aws:cdk:path") if isinstance(metadata, Mapping) else None
        return path if isinstance(path, str) else None

    # --- references ----------------------------------------------------------
    def references(self, value: Any) -> Iterator[tuple[str, Optional[str]]]:
        """Every (logical id, attribute or None) that ``value`` references."""
        if isinstance(value, Mapping):
            if len(value) == 1:
                (key, arg), = value.items()
                if key == "Ref" and isinstance(arg, str):
                    if arg in self.resources:
                        yield arg, None
                    return
                if key == "Fn::GetAtt":
                    parts = arg.split(".", 1) if isinstance(arg, str) else arg
                    if isinstance(parts, list) and parts and isinstance(parts[0], str) and parts[0] in self.resources:
                        attr = parts[1] if len(parts) > 1 and isinstance(parts[1], str) else None
                        yield parts[0], attr
                    return
                if key == "Fn::Sub":
                    text = arg[0] if isinstance(arg, list) and arg else arg
                    if isinstance(text, str):
                        for m in _SUB_REF.finditer(text):
                            if m.group(1) in self.resources:
                                yield m.group(1), m.group(2)
                    if isinstance(arg, list) and len(arg) > 1:
                        yield from self.references(arg[1])
                    return
            for v in value.values():
                yield from self.references(v)
        elif isinstance(value, list):
            for v in value:
                yield from self.references(v)

    def function_targets(self, value: Any) -> set[Target]:
        """The functions ``value`` names (an ARN, a name, an alias, a version, a
        ``Fn::Join`` building one), each with the qualifier it invokes."""
        found: set[Target] = set()
        self._collect_targets(value, found)
        return found

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
                referenced = self.target_of(lid)
                if referenced:
                    found.add(referenced)
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
        if cfn_type == FUNCTION:
            return Target(logical_id)
        if cfn_type == ALIAS:
            fn = self._function_in(self.props(logical_id).get("FunctionName"))
            name = self.props(logical_id).get("Name")
            if fn:
                return Target(fn, name if isinstance(name, str) else ANY_QUALIFIER)
        if cfn_type == VERSION:
            fn = self._function_in(self.props(logical_id).get("FunctionName"))
            if fn:
                return Target(fn, f"#version:{logical_id}")
        return None

    def _function_in(self, value: Any) -> Optional[str]:
        for lid, _attr in self.references(value):
            if self.type_of(lid) == FUNCTION:
                return lid
        return None

    def functions_in(self, value: Any) -> set[str]:
        """Logical ids of the functions ``value`` names, qualifiers dropped."""
        return {t.function for t in self.function_targets(value)}

    # --- functions -----------------------------------------------------------
    @cached_property
    def functions(self) -> dict[str, Mapping[str, Any]]:
        return dict(self.of_type(FUNCTION))

    def is_cdk_internal(self, function: str) -> bool:
        """A Lambda function CDK creates for its own custom resources or framework."""
        path = self.path(function)
        if path:
            return any(_INTERNAL_SEGMENT.match(seg) for seg in path.split("/"))
        return bool(_INTERNAL_LOGICAL_ID.search(function))

    @cached_property
    def user_functions(self) -> dict[str, Mapping[str, Any]]:
        """Functions that are not CDK internals: the ones rules hold to account."""
        return {lid: p for lid, p in self.functions.items() if not self.is_cdk_internal(lid)}

    def role_of(self, function: str) -> Optional[str]:
        for lid, _attr in self.references(self.functions.get(function, {}).get("Role")):
            if self.type_of(lid) == "AWS::IAM::Role":
                return lid
        return None

    def environment(self, function: str) -> Mapping[str, Any]:
        env = (self.functions.get(function, {}).get("Environment") or {})
        variables = env.get("Variables") if isinstance(env, Mapping) else None
        return variables if isinstance(variables, Mapping) else {}

    def tags(self, function: str) -> dict[str, Any]:
        tags = self.functions.get(function, {}).get("Tags") or []
        return {t["Key"]: t.get("Value") for t in tags if isinstance(t, Mapping) and isinstance(t.get("Key"), str)}

    # --- IAM -------------------------------------------------------------------
    @cached_property
    def _role_statements(self) -> dict[str, list[Mapping[str, Any]]]:
        statements: dict[str, list[Mapping[str, Any]]] = {}

        def add(role: str, document: Any) -> None:
            if isinstance(document, Mapping):
                for st in as_list(document.get("Statement")):
                    if isinstance(st, Mapping):
                        statements.setdefault(role, []).append(st)

        managed: dict[str, Any] = {}
        for lid, props in self.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            if self.type_of(lid) == "AWS::IAM::ManagedPolicy":
                managed[lid] = props.get("PolicyDocument")
            for role in self._roles_in(props.get("Roles")):
                add(role, props.get("PolicyDocument"))
        for lid, props in self.of_type("AWS::IAM::Role"):
            for policy in as_list(props.get("Policies")):
                if isinstance(policy, Mapping):
                    add(lid, policy.get("PolicyDocument"))
            for ref, _attr in self.references(props.get("ManagedPolicyArns")):
                if ref in managed:
                    add(lid, managed[ref])
        return statements

    def _roles_in(self, value: Any) -> set[str]:
        return {lid for lid, _attr in self.references(value) if self.type_of(lid) == "AWS::IAM::Role"}

    def invocable_by(self, role: str) -> set[Target]:
        """Functions a role's policies allow ``lambda:InvokeFunction`` on."""
        targets: set[Target] = set()
        for st in self._role_statements.get(role, []):
            if st.get("Effect") != "Allow":
                continue
            actions = [a.lower() for a in as_list(st.get("Action")) if isinstance(a, str)]
            if not any(fnmatch.fnmatchcase(wanted, a) for a in actions for wanted in _LAMBDA_INVOKE_ACTIONS):
                continue
            targets |= self.function_targets(st.get("Resource"))
        return targets

    def role_trusts(self, role: str, service: str) -> bool:
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

    # --- Lambda@Edge -----------------------------------------------------------
    @cached_property
    def edge_event_types(self) -> dict[str, set[str]]:
        """Function -> CloudFront event types it is associated with in this template."""
        found: dict[str, set[str]] = {}
        for _lid, props in self.of_type("AWS::CloudFront::Distribution"):
            config = props.get("DistributionConfig") or {}
            if not isinstance(config, Mapping):
                continue
            behaviors = [config.get("DefaultCacheBehavior")] + as_list(config.get("CacheBehaviors"))
            for behavior in behaviors:
                if not isinstance(behavior, Mapping):
                    continue
                for assoc in as_list(behavior.get("LambdaFunctionAssociations")):
                    if not isinstance(assoc, Mapping):
                        continue
                    event_type = assoc.get("EventType")
                    for fn in self.functions_in(assoc.get("LambdaFunctionARN")):
                        found.setdefault(fn, set())
                        if isinstance(event_type, str):
                            found[fn].add(event_type)
        return found

    @cached_property
    def edge_functions(self) -> set[str]:
        """Lambda@Edge functions: associated with a distribution, or whose role
        trusts ``edgelambda.amazonaws.com`` (which only Lambda@Edge needs)."""
        edge = set(self.edge_event_types)
        for fn in self.functions:
            role = self.role_of(fn)
            if role and self.role_trusts(role, "edgelambda."):
                edge.add(fn)
        return edge

    # --- how functions are invoked ----------------------------------------------
    @cached_property
    def sync_fronts(self) -> dict[str, list[str]]:
        """Function -> resources that invoke it synchronously on a caller's behalf
        (API Gateway methods and authorizers, HTTP API integrations, function URLs,
        ALB target groups, AppSync data sources)."""
        fronts: dict[str, list[str]] = {}

        def add(values: Iterable[Any], source: str) -> None:
            for value in values:
                for fn in self.functions_in(value):
                    fronts.setdefault(fn, []).append(source)

        for lid, props in self.api_lambda_methods():
            add([props["Integration"].get("Uri")], lid)
        for lid, props in self.of_type("AWS::ApiGateway::Authorizer"):
            add([props.get("AuthorizerUri")], lid)
        for lid, props in self.of_type("AWS::ApiGatewayV2::Integration"):
            if props.get("IntegrationType") == "AWS_PROXY":
                add([props.get("IntegrationUri")], lid)
        for lid, props in self.of_type("AWS::Lambda::Url"):
            add([props.get("TargetFunctionArn")], lid)
        for lid, props in self.of_type("AWS::ElasticLoadBalancingV2::TargetGroup"):
            if props.get("TargetType") == "lambda":
                add([t.get("Id") for t in as_list(props.get("Targets")) if isinstance(t, Mapping)], lid)
        for lid, props in self.of_type("AWS::AppSync::DataSource"):
            config = props.get("LambdaConfig")
            if isinstance(config, Mapping):
                add([config.get("LambdaFunctionArn")], lid)
        return fronts

    def api_lambda_methods(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """REST API methods whose integration is a Lambda function."""
        for lid, props in self.of_type("AWS::ApiGateway::Method"):
            integration = props.get("Integration")
            if isinstance(integration, Mapping) and integration.get("Type") in _SYNC_API_INTEGRATIONS:
                if self.function_targets(integration.get("Uri")):
                    yield lid, props

    @cached_property
    def async_triggers(self) -> list[Trigger]:
        """Services that invoke functions asynchronously (Lambda's event queue):
        EventBridge rules, EventBridge Scheduler, S3 notifications, SNS."""
        triggers: list[Trigger] = []

        def add(source: str, value: Any, kind: str) -> None:
            for target in self.function_targets(value):
                triggers.append(Trigger(source, target, kind))

        for lid, props in self.of_type("AWS::Events::Rule"):
            for target in as_list(props.get("Targets")):
                if isinstance(target, Mapping):
                    add(lid, target.get("Arn"), "EventBridge rule")
        for lid, props in self.of_type("AWS::Scheduler::Schedule"):
            target = props.get("Target")
            if isinstance(target, Mapping):
                add(lid, target.get("Arn"), "EventBridge Scheduler schedule")
        for lid, props in self.of_type("AWS::S3::Bucket"):
            config = props.get("NotificationConfiguration")
            if isinstance(config, Mapping):
                for c in as_list(config.get("LambdaConfigurations")):
                    if isinstance(c, Mapping):
                        add(lid, c.get("Function"), "S3 event notification")
        for lid, props in self.of_type("Custom::S3BucketNotifications"):
            config = props.get("NotificationConfiguration")
            if isinstance(config, Mapping):
                for c in as_list(config.get("LambdaFunctionConfigurations")):
                    if isinstance(c, Mapping):
                        add(lid, c.get("LambdaFunctionArn"), "S3 event notification")
        for lid, props in self.of_type("AWS::SNS::Subscription"):
            if str(props.get("Protocol", "")).lower() == "lambda":
                add(lid, props.get("Endpoint"), "SNS subscription")
        for lid, props in self.of_type("AWS::SNS::Topic"):
            for sub in as_list(props.get("Subscription")):
                if isinstance(sub, Mapping) and str(sub.get("Protocol", "")).lower() == "lambda":
                    add(lid, sub.get("Endpoint"), "SNS subscription")
        return triggers

    @cached_property
    def _on_failure_qualifiers(self) -> dict[str, set[Optional[str]]]:
        """Function -> qualifiers that have an EventInvokeConfig with OnFailure."""
        found: dict[str, set[Optional[str]]] = {}
        for _lid, props in self.of_type("AWS::Lambda::EventInvokeConfig"):
            destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            if not destination:
                continue
            qualifier = self._qualifier(props.get("Qualifier"))
            for target in self.function_targets(props.get("FunctionName")):
                found.setdefault(target.function, set()).add(
                    qualifier if target.qualifier is UNQUALIFIED else target.qualifier
                )
        return found

    def _qualifier(self, value: Any) -> Optional[str]:
        if value == "$LATEST" or value is None:
            return UNQUALIFIED
        if isinstance(value, str):
            return value
        for lid, attr in self.references(value):
            if self.type_of(lid) == VERSION:
                return f"#version:{lid}"
            if self.type_of(lid) == ALIAS:
                name = self.props(lid).get("Name")
                return name if isinstance(name, str) else ANY_QUALIFIER
        return ANY_QUALIFIER

    def has_dead_letter_config(self, function: str) -> bool:
        dlq = self.functions.get(function, {}).get("DeadLetterConfig")
        return isinstance(dlq, Mapping) and bool(dlq.get("TargetArn"))

    def configured_for_async(self, function: str) -> bool:
        """The function keeps failed async events for some qualifier (DLQ or
        on-failure destination): it is meant to be invoked asynchronously."""
        return self.has_dead_letter_config(function) or function in self._on_failure_qualifiers

    def handles_async_failures(self, target: Target) -> bool:
        """Failed async invocations of ``target`` end up somewhere: a DLQ on the
        function, or an on-failure destination configured for the qualifier the
        trigger invokes (Lambda applies event-invoke configs per qualifier)."""
        if self.has_dead_letter_config(target.function):
            return True
        qualifiers = self._on_failure_qualifiers.get(target.function, set())
        return ANY_QUALIFIER in qualifiers or target.qualifier in qualifiers

    # --- event source mappings ---------------------------------------------------
    @cached_property
    def event_source_mappings(self) -> list[EventSourceMapping]:
        mappings = []
        for lid, props in self.of_type("AWS::Lambda::EventSourceMapping"):
            targets = sorted(self.function_targets(props.get("FunctionName")), key=repr)
            source, kind = self._event_source(props.get("EventSourceArn"))
            mappings.append(EventSourceMapping(lid, props, targets[0] if targets else None, source, kind))
        return mappings

    def _event_source(self, value: Any) -> tuple[Optional[str], Optional[str]]:
        kinds = {
            "AWS::SQS::Queue": "sqs",
            "AWS::Kinesis::Stream": "kinesis",
            "AWS::Kinesis::StreamConsumer": "kinesis",
            "AWS::DynamoDB::Table": "dynamodb",
            "AWS::DynamoDB::GlobalTable": "dynamodb",
        }
        for lid, _attr in self.references(value):
            kind = kinds.get(self.type_of(lid) or "")
            if kind:
                return lid, kind
        if isinstance(value, str) and value.startswith("arn:"):
            parts = value.split(":")
            return None, parts[2] if len(parts) > 2 else None
        return None, None
