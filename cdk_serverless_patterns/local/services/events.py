"""EventBridge as the template wires it: buses, rules with event patterns, targets, retries and DLQs.

Events reach a bus from ``PutEvents`` (a handler, a pipe, a test) or from S3's
EventBridge notifications; every ``ENABLED`` rule on that bus whose
``EventPattern`` matches sends the event — after ``Input``/``InputPath``/
``InputTransformer`` — to each target. A Lambda target needs a resource policy
(``AWS::Lambda::Permission`` for ``events.amazonaws.com``) as in AWS; without
one the delivery fails, is retried per the target's ``RetryPolicy`` and then
lands in the target's ``DeadLetterConfig`` queue with EventBridge's error
attributes. A scheduled rule fires on ``run_schedule``.

CloudWatch Logs log groups are a target of rules and pipes: this module also
registers the ``logs`` sender (the group is created on first delivery; one
log event per delivery, in the stream the target names).
"""

from __future__ import annotations

import datetime
import functools
import json
from typing import Any, Mapping, Optional

from ..arns import arn_service
from ..context import CloudContext, body_of
from ..eventbridge import envelope, pattern_matches, transform_input
from ..service import Service
from ..template import Resource


class EventBridge(Service):
    handles = ("AWS::Events::EventBus", "AWS::Events::Rule")

    def __init__(self, ctx: CloudContext) -> None:
        super().__init__(ctx)
        self.rules_by_bus: dict[str, list[Resource]] = {}
        template = ctx.template
        for rule in template.of_type("AWS::Events::Rule"):
            if rule.properties.get("ScheduleExpression") and not rule.properties.get("EventPattern"):
                continue  # scheduled rules fire through run_schedule
            bus = template.resolve(rule.properties.get("EventBusName", "default"))
            self.rules_by_bus.setdefault(str(bus).rsplit("/", 1)[-1], []).append(rule)
        ctx.provide_events(self)
        ctx.register_sender("events", self.send)
        ctx.register_sender("logs", send_to_log_group(ctx))
        ctx.on_call("events", "PutEvents", self._put_events)

    def check_targets(self) -> None:
        """Name (at open) each rule target no local service delivers to."""
        for rules in self.rules_by_bus.values():
            for rule in rules:
                for target in self.ctx.template.resolve(rule.properties.get("Targets") or []):
                    if not self.ctx.can_send(str(target["Arn"])):
                        self.ctx.skip(rule.logical_id, f"target {target['Arn']}",
                                      f"LocalCloud has no sender for service {arn_service(str(target['Arn']))!r}")

    def provision(self) -> None:
        for bus in self.ctx.template.of_type("AWS::Events::EventBus"):
            self.ctx.client("events").create_event_bus(Name=bus.name)
        self.check_targets()

    def _put_events(self, params: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
        for entry in params.get("Entries", []):
            self.put(str(entry.get("EventBusName") or "default"), envelope(self.ctx.template, entry))

    def send(self, arn: str, payload: Any, *, attributes: Optional[Mapping[str, str]] = None,
             group_id: Optional[str] = None) -> None:
        """A bus as a target: ``PutEvents`` with the event's source, detail-type and detail."""
        event = json.loads(body_of(payload))
        self.ctx.client("events").put_events(
            Entries=[
                {
                    "EventBusName": arn.rsplit("/", 1)[-1],
                    "Source": event.get("source", "local"),
                    "DetailType": event.get("detail-type", "Event"),
                    "Detail": json.dumps(event.get("detail", {})),
                }
            ]
        )

    def run_schedule(self, rule: Resource, at: Optional[datetime.datetime]) -> None:
        """Fire a scheduled rule once: a ``Scheduled Event`` to each of its targets."""
        event = envelope(
            self.ctx.template, {"Source": "aws.events", "DetailType": "Scheduled Event", "Resources": [rule.arn], "Detail": {}}
        )
        for target in self.ctx.template.resolve(rule.properties.get("Targets") or []):
            self.ctx.send(str(target["Arn"]), transform_input(target, event))

    def put(self, bus_name: str, event: dict[str, Any]) -> None:
        bus_name = bus_name.rsplit("/", 1)[-1] or "default"
        for rule in self.rules_by_bus.get(bus_name, []):
            if str(self.ctx.template.resolve(rule.properties.get("State", "ENABLED"))) != "ENABLED":
                continue
            pattern = self.ctx.template.resolve(rule.properties.get("EventPattern") or {})
            if isinstance(pattern, str):
                pattern = json.loads(pattern)
            if not pattern_matches(pattern, event):
                continue
            for target in self.ctx.template.resolve(rule.properties.get("Targets") or []):
                for _ in range(self.ctx.copies):
                    self.ctx.enqueue(functools.partial(self._deliver, rule, target, event, attempt=1))

    def _deliver(self, rule: Resource, target: Mapping[str, Any], event: dict[str, Any], *, attempt: int) -> None:
        arn = str(target["Arn"])
        payload = transform_input(target, event)
        error = None
        # With a RoleArn EventBridge calls the target as that role; without, as events.amazonaws.com
        # (the target's resource policy must allow it: Lambda permission, queue or topic policy).
        role = self.ctx.iam.role_for_arn(str(target.get("RoleArn", "")))
        denial = (
            self.ctx.iam.role_delivery(role, "events", arn) if role is not None
            else self.ctx.iam.service_delivery("events.amazonaws.com", arn, rule.arn)
        )
        if denial is not None:
            fix = "add an AWS::Lambda::Permission" if arn_service(arn) == "lambda" else "allow it in the target's resource policy"
            error = ("NoPermissions", f"EventBridge has no permission to deliver to {arn}: {denial}; {fix}")
        if error is None:
            self.ctx.send(arn, payload)
            return
        retry = target.get("RetryPolicy") or {}
        if attempt <= int(retry.get("MaximumRetryAttempts", 185)) and attempt < 3:
            # EventBridge retries a failing delivery with back-off; locally two retries show the behaviour.
            self.ctx.enqueue(lambda: self._deliver(rule, target, event, attempt=attempt + 1))
            return
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        self.ctx.record_delivery_failure(f"rule {rule.path} -> {arn}", error[1])
        if dlq:
            self.ctx.send(
                str(dlq),
                event,
                attributes={
                    "ERROR_CODE": error[0],
                    "ERROR_MESSAGE": error[1],
                    "RULE_ARN": rule.arn,
                    "TARGET_ARN": arn,
                },
            )


def send_to_log_group(ctx: CloudContext) -> Any:
    """The ``logs`` sender: one log event in the group the ARN names (stream: ``group_id``, else ``local``)."""
    created: set[tuple[str, str]] = set()

    def send(arn: str, payload: Any, *, attributes: Optional[Mapping[str, str]] = None,
             group_id: Optional[str] = None) -> None:
        group = arn.split(":log-group:", 1)[-1].removesuffix(":*")
        stream = group_id or "local"
        logs = ctx.client("logs")
        if (group, stream) not in created:
            for call, params in (("create_log_group", {"logGroupName": group}),
                                 ("create_log_stream", {"logGroupName": group, "logStreamName": stream})):
                try:
                    getattr(logs, call)(**params)
                except logs.exceptions.ResourceAlreadyExistsException:
                    pass
            created.add((group, stream))
        now = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": now, "message": body_of(payload)}])

    return send
