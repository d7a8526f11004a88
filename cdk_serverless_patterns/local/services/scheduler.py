"""EventBridge Scheduler: a schedule fires on ``LocalCloud.run_schedule``, not on a clock.

The target's ``Input`` gets Scheduler's context placeholders
(``<aws.scheduler.scheduled-time>`` ...); the schedule's role is checked for
the target call; a denied call is retried (twice locally), then recorded and
sent to the target's dead-letter queue with Scheduler's error attributes.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Optional

from ..service import Service
from ..template import Resource


class Scheduler(Service):
    handles = ("AWS::Scheduler::Schedule",)

    def run_schedule(self, schedule: Resource, at: Optional[datetime.datetime]) -> None:
        """Fire ``schedule`` once, as if at ``at`` (default: now, in UTC)."""
        self._fire(schedule, at or datetime.datetime.now(datetime.timezone.utc))

    def _fire(self, schedule: Resource, at: datetime.datetime, attempt: int = 1) -> None:
        template = self.ctx.template
        props = template.resolve(schedule.properties)
        target = props["Target"]
        arn = str(target["Arn"])
        context = {
            "<aws.scheduler.schedule-arn>": schedule.arn,
            "<aws.scheduler.scheduled-time>": at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "<aws.scheduler.execution-id>": str(uuid.uuid4()),
            "<aws.scheduler.attempt-number>": str(attempt),
        }
        payload = str(target.get("Input", "{}"))
        for placeholder, value in context.items():
            payload = payload.replace(placeholder, value)
        role = self.ctx.iam.role_for_arn(str(target.get("RoleArn", "")))
        denial = self.ctx.iam.role_delivery(role, "scheduler", arn) if role is not None else None
        if denial is not None:
            retry = target.get("RetryPolicy") or {}
            if attempt <= min(int(retry.get("MaximumRetryAttempts", 185)), 2):
                self.ctx.enqueue(lambda: self._fire(schedule, at, attempt + 1))
                return
            self.ctx.record_delivery_failure(f"schedule {schedule.path}", denial)
            dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
            if dlq:
                self.ctx.send(str(dlq), payload, attributes={"ERROR_CODE": "AccessDenied", "ERROR_MESSAGE": denial})
            return
        self.ctx.send(arn, payload)
