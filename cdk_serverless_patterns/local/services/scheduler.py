"""EventBridge Scheduler: a schedule fires on ``LocalCloud.run_schedule``, not on a clock.

Templated targets, as Scheduler delivers to them: a Lambda function
(asynchronous invocation), an SQS queue (``SqsParameters.MessageGroupId`` for
FIFO), an SNS topic, a Step Functions state machine (``StartExecution``), an
event bus (``EventBridgeParameters`` ``Source`` and ``DetailType``, the
``Input`` as the detail) and a Kinesis stream (``KinesisParameters.PartitionKey``).
Universal targets (``arn:aws:scheduler:::aws-sdk:<service>:<apiAction>``)
make that SDK call with the ``Input`` as its parameters.

The target's ``Input`` gets Scheduler's context placeholders
(``<aws.scheduler.scheduled-time>`` ...); the schedule's role is checked for
the target call; a call that is denied or fails is retried (at most twice
locally, fewer when ``RetryPolicy.MaximumRetryAttempts`` says so), then recorded
and sent to the target's dead-letter queue with Scheduler's error attributes
(``ERROR_CODE``, ``ERROR_MESSAGE``). A target no local service delivers to is
named at open (``LocalCloud.undelivered()``).
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any, Mapping, Optional

from botocore import xform_name
from botocore.exceptions import ClientError

from ..arns import TARGET_ACTIONS, arn_service
from ..eventbridge import envelope
from ..iam import Permission
from ..service import Service
from ..template import Resource

_UNIVERSAL = "arn:aws:scheduler:::aws-sdk:"
#: Scheduler retries a failed target call (185 times by default); locally at most this many times.
_LOCAL_RETRIES = 2


class _TargetError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Scheduler(Service):
    handles = ("AWS::Scheduler::Schedule",)

    def provision(self) -> None:
        for schedule in self.ctx.template.of_type("AWS::Scheduler::Schedule"):
            arn = str(self.ctx.template.resolve(schedule.properties.get("Target", {})).get("Arn", ""))
            if arn.startswith(_UNIVERSAL):
                continue
            if not self.ctx.can_send(arn):
                self.ctx.skip(schedule.logical_id, f"target {arn}",
                              f"LocalCloud has no sender for service {arn_service(arn)!r}")

    def run_schedule(self, schedule: Resource, at: Optional[datetime.datetime]) -> None:
        """Fire ``schedule`` once, as if at ``at`` (default: now, in UTC)."""
        self._fire(schedule, at or datetime.datetime.now(datetime.timezone.utc))

    def _fire(self, schedule: Resource, at: datetime.datetime, attempt: int = 1) -> None:
        props = self.ctx.template.resolve(schedule.properties)
        target = props["Target"]
        context = {
            "<aws.scheduler.schedule-arn>": schedule.arn,
            "<aws.scheduler.scheduled-time>": at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "<aws.scheduler.execution-id>": str(uuid.uuid4()),
            "<aws.scheduler.attempt-number>": str(attempt),
        }
        payload = str(target.get("Input", "{}"))
        for placeholder, value in context.items():
            payload = payload.replace(placeholder, value)
        try:
            self._check_role(target)
            self._deliver(target, payload)
        except _TargetError as error:
            self._failed(schedule, at, attempt, target, payload, error)
        except ClientError as error:
            info = error.response.get("Error", {})
            self._failed(schedule, at, attempt, target, payload,
                         _TargetError(str(info.get("Code", "ClientError")), str(info.get("Message", error))))

    def _check_role(self, target: Mapping[str, Any]) -> None:
        arn = str(target["Arn"])
        role = self.ctx.iam.role_for_arn(str(target.get("RoleArn", "")))
        if role is None:
            return
        if arn.startswith(_UNIVERSAL):
            service, api = arn[len(_UNIVERSAL):].split(":", 1)
            needed = [Permission(f"{self._iam_prefix(service)}:{api[:1].upper()}{api[1:]}", "*")]
        else:
            needed = self.ctx.iam.delivery_permissions(arn)
        denial = self.ctx.iam.check_role(role, "scheduler", needed)
        if denial is not None:
            raise _TargetError("AccessDenied", f"the schedule's role {role.role_name} is not allowed: {denial}")

    def _iam_prefix(self, service: str) -> str:
        return str(self.ctx.client(service).meta.service_model.signing_name)

    def _deliver(self, target: Mapping[str, Any], payload: str) -> None:
        arn = str(target["Arn"])
        if arn.startswith(_UNIVERSAL):
            service, api = arn[len(_UNIVERSAL):].split(":", 1)
            client = self.ctx.client(service)
            getattr(client, xform_name(api[:1].upper() + api[1:]))(**json.loads(payload or "{}"))
            return
        service = arn_service(arn)
        if service == "events":
            bus = target.get("EventBridgeParameters") or {}
            self.ctx.events.put(arn, envelope(self.ctx.template, {
                "Source": bus.get("Source", "aws.scheduler"),
                "DetailType": bus.get("DetailType", "Scheduled Event"),
                "Detail": payload,
            }))
        elif service == "sqs":
            group = (target.get("SqsParameters") or {}).get("MessageGroupId")
            self.ctx.send(arn, payload, group_id=str(group) if group else None)
        elif service == "kinesis":
            key = (target.get("KinesisParameters") or {}).get("PartitionKey")
            self.ctx.send(arn, payload, partition_key=str(key) if key else None)
        else:
            self.ctx.send(arn, payload)

    def _failed(self, schedule: Resource, at: datetime.datetime, attempt: int, target: Mapping[str, Any],
                payload: str, error: _TargetError) -> None:
        retry = target.get("RetryPolicy") or {}
        if attempt <= min(int(retry.get("MaximumRetryAttempts", 185)), _LOCAL_RETRIES):
            self.ctx.enqueue(lambda: self._fire(schedule, at, attempt + 1))
            return
        self.ctx.record_delivery_failure(f"schedule {schedule.path}", error.message)
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dlq:
            self.ctx.send(str(dlq), payload, attributes={"ERROR_CODE": error.code, "ERROR_MESSAGE": error.message})
