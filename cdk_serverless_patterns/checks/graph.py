"""The rule pack's view of one synthesized template: wiring facts the rules query.

Rules ask questions about *wiring* ("which queue feeds this function?", "is this
function behind an API?"). :class:`TemplateGraph` is the package's one template
reader (:class:`cdk_serverless_patterns.template.TemplateReader`: resources,
``Ref``/``Fn::GetAtt``/``Fn::Join``/``Fn::Sub`` resolution through aliases and
versions, triggers, policies) plus the facts only rules need, cached. Values only
known at deploy time (parameters, imports, other stacks) resolve to nothing: a rule
skips what it cannot see rather than guess.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable, Iterator, Mapping, Optional

from cdk_serverless_patterns.template import catalogue as types
from cdk_serverless_patterns.template.catalogue import ALIAS, FUNCTION, VERSION
from cdk_serverless_patterns.template.reader import (
    ANY_QUALIFIER,
    UNQUALIFIED,
    Target,
    TemplateReader,
    TriggerKind,
    as_list,
    number,
)

__all__ = [
    "ALIAS", "ANY_QUALIFIER", "FUNCTION", "UNQUALIFIED", "VERSION", "EventSourceMapping", "Target",
    "TemplateGraph", "Trigger", "as_list", "number",
]

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
class Trigger:
    """Something that invokes a function asynchronously: the resource and how it names it."""

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


#: The triggers that invoke through Lambda's async event queue, in the order rules
#: report them: (trigger kind, type of the declaring resource, label in findings).
_ASYNC_TRIGGERS = (
    (TriggerKind.RULE_TARGET, types.RULE, "EventBridge rule"),
    (TriggerKind.SCHEDULE_TARGET, types.SCHEDULE, "EventBridge Scheduler schedule"),
    (TriggerKind.NOTIFICATION, types.BUCKET, "S3 event notification"),
    (TriggerKind.NOTIFICATION, types.BUCKET_NOTIFICATIONS, "S3 event notification"),
    (TriggerKind.SUBSCRIPTION, types.SUBSCRIPTION, "SNS subscription"),
    (TriggerKind.TOPIC_SUBSCRIPTION, types.TOPIC, "SNS subscription"),
)
#: Event source types of a mapping -> the kind the rules call them.
_EVENT_SOURCE_KINDS = {
    types.QUEUE: "sqs",
    types.STREAM: "kinesis",
    types.STREAM_CONSUMER: "kinesis",
    types.TABLE: "dynamodb",
    types.GLOBAL_TABLE: "dynamodb",
}


class TemplateGraph(TemplateReader):
    """One template plus the wiring facts the rules need, computed lazily.

    :param template: the synthesized CloudFormation template (parsed JSON).
    :param construct_paths: logical id -> construct path, when the caller knows
        them (the plugin reads them from the construct tree). Falls back to the
        ``aws:cdk:path`` metadata.
    """

    # --- functions -----------------------------------------------------------
    @cached_property
    def functions(self) -> dict[str, Mapping[str, Any]]:
        """Logical id -> properties of every ``AWS::Lambda::Function``."""
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

    def environment(self, function: str) -> Mapping[str, Any]:
        """A function's environment variables (``{}`` when it has none)."""
        env = (self.functions.get(function, {}).get("Environment") or {})
        variables = env.get("Variables") if isinstance(env, Mapping) else None
        return variables if isinstance(variables, Mapping) else {}

    def tags(self, function: str) -> dict[str, Any]:
        """A function's tags, key -> value."""
        tags = self.functions.get(function, {}).get("Tags") or []
        return {t["Key"]: t.get("Value") for t in tags if isinstance(t, Mapping) and isinstance(t.get("Key"), str)}

    # --- IAM -------------------------------------------------------------------
    def invocable_by(self, role: str) -> set[Target]:
        """Functions a role's policies allow ``lambda:InvokeFunction`` on."""
        targets: set[Target] = set()
        for st in self.statements_by_role.get(role, []):
            if st.get("Effect") != "Allow":
                continue
            actions = [a.lower() for a in as_list(st.get("Action")) if isinstance(a, str)]
            if not any(fnmatch.fnmatchcase(wanted, a) for a in actions for wanted in _LAMBDA_INVOKE_ACTIONS):
                continue
            targets |= self.function_targets(st.get("Resource"))
        return targets

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
        """REST API methods whose integration is a Lambda function the gateway waits for (not an
        ``AWS`` integration that invokes with ``X-Amz-Invocation-Type: 'Event'``, which returns at once)."""
        for lid, props in self.of_type("AWS::ApiGateway::Method"):
            integration = props.get("Integration")
            if isinstance(integration, Mapping) and integration.get("Type") in _SYNC_API_INTEGRATIONS:
                headers = integration.get("RequestParameters") or {}
                invocation = headers.get("integration.request.header.X-Amz-Invocation-Type") if isinstance(headers, Mapping) else None
                if integration.get("Type") == "AWS" and invocation == "'Event'":
                    continue
                if self.function_targets(integration.get("Uri")):
                    yield lid, props

    @cached_property
    def async_triggers(self) -> list[Trigger]:
        """Services that invoke functions asynchronously (Lambda's event queue):
        EventBridge rules, EventBridge Scheduler, S3 notifications, SNS."""
        triggers: list[Trigger] = []
        for kind, via_type, label in _ASYNC_TRIGGERS:
            for trigger in self.triggers_of(kind):
                if self.type_of(trigger.via) != via_type:
                    continue
                if kind != TriggerKind.RULE_TARGET and kind != TriggerKind.SCHEDULE_TARGET \
                        and trigger.protocol != "lambda":
                    continue
                for target in self.function_targets(trigger.target):
                    triggers.append(Trigger(trigger.via, target, label))
        return triggers

    @cached_property
    def _on_failure_qualifiers(self) -> dict[str, set[Optional[str]]]:
        """Function -> qualifiers that have an EventInvokeConfig with OnFailure."""
        found: dict[str, set[Optional[str]]] = {}
        for _lid, props in self.of_type(types.EVENT_INVOKE_CONFIG):
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
        for lid, _attr in self.references(value):
            if self.type_of(lid) == VERSION:
                return f"#version:{lid}"
            if self.type_of(lid) == ALIAS:
                name = self.props(lid).get("Name")
                return name if isinstance(name, str) else ANY_QUALIFIER
        return ANY_QUALIFIER

    def has_dead_letter_config(self, function: str) -> bool:
        """The function has an async-invoke dead-letter queue or topic."""
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
        """Every event source mapping, in template order, with function and source resolved."""
        mappings = []
        for trigger in self.triggers_of(TriggerKind.POLL):
            targets = sorted(self.function_targets(trigger.target), key=repr)
            source, kind = self._event_source(trigger.source)
            mappings.append(EventSourceMapping(trigger.via, trigger.detail, targets[0] if targets else None,
                                               source, kind))
        return mappings

    def _event_source(self, value: Any) -> tuple[Optional[str], Optional[str]]:
        for lid, _attr in self.references(value):
            kind = _EVENT_SOURCE_KINDS.get(self.type_of(lid) or "")
            if kind:
                return lid, kind
        if isinstance(value, str) and value.startswith("arn:"):
            parts = value.split(":")
            return None, parts[2] if len(parts) > 2 else None
        return None, None
