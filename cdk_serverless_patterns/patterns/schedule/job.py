"""``ScheduledJob``: EventBridge Scheduler → a Lambda job, with retries, DLQs and no overlap.

::

    EventBridge Scheduler ──(role: lambda:InvokeFunction on the alias only)──▶ job:live (async)
      rate / cron / at, IANA timezone,              │                          │
      flexible window, start/end, enabled           │ delivery failed          │ run failed / expired
                                                    ▼                          ▼
                                         schedule DLQ (FailureQueue)   job on-failure queue

Failure handling has two layers, both ending in an alarmed queue:

* **Delivery** — Scheduler calls Lambda's ``Invoke`` (asynchronous). If that
  call fails, Scheduler retries with the schedule's retry policy
  (``retry_attempts``, ``max_event_age``), then sends the run to the schedule's
  DLQ.
* **Execution** — Lambda queues the event and runs the job. Errors are retried
  by Lambda (up to 2 times), throttled runs are retried until the job's
  ``job_max_event_age``; then the event goes to the job's on-failure queue.

``allow_overlap=False`` (the default) reserves a concurrency of 1 for the job.
A run that starts while the previous one is still running is throttled, and
Lambda's asynchronous queue retries it (backing off up to 5 minutes) until the
previous run has finished or ``job_max_event_age`` has passed; the construct
insists that this age exceeds the job timeout, so a delayed run is retried,
never dropped while its predecessor can still be running.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any, Mapping, Optional

from aws_cdk import Annotations, Duration, RemovalPolicy, Stack, TimeZone
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_iam as iam,
    aws_logs as logs,
    aws_scheduler as scheduler,
    aws_scheduler_targets as targets,
    aws_sns as sns,
    aws_sqs as sqs,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.alarms import Graph, AlarmSpec, function_graphs
from cdk_serverless_patterns.building_blocks.alarms import dashboard as make_dashboard
from cdk_serverless_patterns.building_blocks.concurrency import declare_concurrency_bound
from cdk_serverless_patterns.building_blocks.grants import grant_exactly
from cdk_serverless_patterns.building_blocks.function import (
    FunctionSpec,
    Invocation,
    ServerlessFunction,
    validate_spec,
)
from cdk_serverless_patterns.building_blocks.option_types import BOOL, COMMON, MAPPING, STRING
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.building_blocks.queues import FailureQueue
from cdk_serverless_patterns.checks.acknowledge import acknowledge_inline_policies
from cdk_serverless_patterns.errors import Problems, child_path, is_token, or_default

from .expressions import ParsedSchedule, check_schedule, check_timezone


#: ``ParsedSchedule.kind`` of an expression only known at deploy time (a token).
UNRESOLVED = "unresolved"
#: Key of the scheduler context object in every run's event; user payload keys may not use it.
CONTEXT_KEY = "schedule"


_OPTION_TYPES = {
    **COMMON,
    "allow_overlap": BOOL,
    "enabled": BOOL,
    "payload": MAPPING,
    "description": STRING,
    "environment": MAPPING,
}


class ScheduledJob(Construct):
    """Runs a Lambda job on an EventBridge Scheduler schedule (contract).

    :param schedule: ``rate(value unit)``, ``cron(min hour dom month dow year)``
        (AWS six-field syntax; exactly one of day-of-month/day-of-week is ``?``)
        or ``at(yyyy-mm-ddThh:mm:ss)`` (one time, in ``timezone``, not in the past).
        Checked in full at synth time; see :mod:`.schedule_expressions`.
    :param job: the :class:`FunctionSpec` of the job. It is invoked asynchronously
        with ``{"schedule": {"arn", "scheduled_time", "execution_id", "attempt"}, **payload}``.
    :param timezone: IANA name the expression is evaluated in (DST-aware).
        Default ``"UTC"``.
    :param allow_overlap: False (default) reserves concurrency 1 for the job so
        two runs never overlap; a run due while another is running waits in
        Lambda's async queue (see the module docs). True leaves concurrency alone.
        Default False because most jobs (clean-ups, reports, syncs) are not safe
        to run twice at once.
    :param flexible_window: let Scheduler start a run anywhere within this
        window after its time (1-1440 whole minutes) to spread load. Default:
        none (``OFF``; runs start within the minute).
    :param start_date: timezone-aware datetime before which a recurring schedule
        does not run. Default: none (runs from deployment).
    :param end_date: timezone-aware datetime after which a recurring schedule
        stops; must be in the future and after ``start_date``. Default: none.
    :param enabled: False deploys the schedule disabled (``State: DISABLED``).
        Default True.
    :param payload: JSON-serialisable mapping merged into every run's event.
        Default: none.
    :param retry_attempts: Scheduler's retries when the ``Invoke`` call fails,
        0-185. Default 185 (AWS's own; backoff is exponential).
    :param max_event_age: how long Scheduler keeps retrying a failed delivery,
        60 s-24 h (whole seconds). Default 1 h: a run that cannot be delivered
        within an hour goes to the schedule DLQ rather than running late.
    :param job_max_event_age: how long Lambda keeps a queued run (throttled by
        ``allow_overlap=False`` or retried after an error), 60 s-6 h; with
        ``allow_overlap=False`` it must exceed the job timeout. Default 1 h.
    :param description: of the schedule. Default: names the construct path.
    :param environment: extra environment variables for the job.
    :param alarm_topic: SNS topic for every alarm. Default: none.
    :param create_alarms: job errors/throttles/duration, both DLQ depths and, for
        enabled rate schedules, "did not run". Default True.
    :param removal_policy: of the job's log group. Default RETAIN.
        DESTROY (sandboxes) makes the stack deletable in one ``cdk destroy``: tables and
        user pools drop deletion protection, KMS keys get the 7-day minimum pending
        window; buckets must be empty. CDK's ``RemovalPolicies.of(stack).destroy()`` has
        the same effect (see docs/patterns/destroy.md).
    :param log_retention: of the job's log group. Default one month.
    :param dashboard: a CloudWatch dashboard: runs, undelivered and failed
        runs, the job's graphs, then the alarms. Default False (dashboards
        bill per month).

    Metrics (what the alarms watch): :meth:`metric_runs` (the "did not run"
    alarm's, over its period), :meth:`metric_undelivered_runs`,
    :meth:`metric_failed_runs` and the job's ``metric_*``. Grants:
    :meth:`grant_run` (start a run by hand, e.g. a backfill).

    Attributes: ``schedule`` (``aws_scheduler.Schedule``), ``job``
    (:class:`ServerlessFunction`), ``role`` (the scheduler's execution role),
    ``failure_queue`` / ``dead_letter_queue`` (the schedule's DLQ),
    ``expression`` (the parsed :class:`ParsedSchedule`), ``did_not_run_alarm``
    (or None) and ``alarms`` (all of them, including the job's and both queues').
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedule: str,
        job: FunctionSpec,
        timezone: Optional[str] = None,
        allow_overlap: bool = False,
        flexible_window: Optional[Duration] = None,
        start_date: Optional[datetime] = None,
        end_date: Optional[datetime] = None,
        enabled: bool = True,
        payload: Optional[Mapping[str, Any]] = None,
        retry_attempts: Optional[int] = None,
        max_event_age: Optional[Duration] = None,
        job_max_event_age: Optional[Duration] = None,
        description: Optional[str] = None,
        environment: Optional[Mapping[str, str]] = None,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: Optional[logs.RetentionDays] = None,
        dashboard: bool = False,
    ) -> None:
        options = PatternOptions(alarm_topic=alarm_topic, create_alarms=create_alarms, removal_policy=removal_policy,
                                 log_retention=log_retention, dashboard=dashboard)
        problems = Problems(child_path(scope, construct_id))
        typed = options.check_types(
            problems,
            _OPTION_TYPES,
            allow_overlap=allow_overlap,
            enabled=enabled,
            payload=payload,
            description=description,
            environment=environment,
        )
        payload, description, environment = typed["payload"], typed["description"], typed["environment"]
        tz = or_default(timezone, defaults.SCHEDULE_TIMEZONE)
        retries = or_default(retry_attempts, defaults.SCHEDULER_RETRY_ATTEMPTS)
        max_age = or_default(max_event_age, defaults.SCHEDULER_MAX_EVENT_AGE)
        job_age = or_default(job_max_event_age, defaults.ASYNC_MAX_EVENT_AGE)
        event_payload = dict(payload) if payload is not None else {}

        parsed = _validate(
            problems,
            schedule=schedule,
            job=job,
            tz=tz,
            allow_overlap=allow_overlap,
            flexible_window=flexible_window,
            start_date=start_date,
            end_date=end_date,
            payload=event_payload,
            retries=retries,
            max_age=max_age,
            job_age=job_age,
            environment=environment,
            description=description,
        )
        problems.raise_if_any()
        assert parsed is not None  # every path that leaves it None adds a problem
        super().__init__(scope, construct_id)
        self.expression: ParsedSchedule = parsed
        self.timezone = tz

        job_spec = job if allow_overlap else job.replace(reserved_concurrency=1)
        self.job = ServerlessFunction(
            self,
            "Job",
            job_spec,
            invocation=Invocation.ASYNC,
            async_max_event_age=job_age,
            environment=environment,
            **options.for_function,
        )
        if allow_overlap:
            declare_concurrency_bound(
                self.job,
                "its schedule: EventBridge Scheduler starts one invocation per occurrence (plus its bounded "
                "retries), so concurrency is the runs that overlap",
            )
        self._warn_about_overlap(parsed, job_spec, allow_overlap)

        self.failure_queue = FailureQueue(
            self,
            "DeadLetter",
            purpose=f"runs of {self.node.path} that EventBridge Scheduler could not deliver",
            **options.for_queue,
        )
        self.dead_letter_queue: sqs.IQueue = self.failure_queue.queue
        self.role = self._scheduler_role()
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            schedule=scheduler.ScheduleExpression.expression(parsed.expression, TimeZone.of(tz)),
            target=targets.LambdaInvoke(
                self.job.alias,
                role=self.role,
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=retries,
                max_event_age=max_age,
                input=scheduler.ScheduleTargetInput.from_object({**event_payload, CONTEXT_KEY: _context()}),
            ),
            description=description if description is not None else f"Runs {self.node.path}/Job ({parsed.expression}, {tz})",
            enabled=enabled,
            time_window=(
                scheduler.TimeWindow.flexible(flexible_window) if flexible_window is not None else scheduler.TimeWindow.off()
            ),
            start=start_date,
            end=end_date,
        )
        acknowledge_inline_policies(self.role)  # after LambdaInvoke added the role's DefaultPolicy

        self.alarms: list[cloudwatch.Alarm] = [*self.job.alarms, *self.failure_queue.alarms]
        self._runs_period = defaults.ALARM_PERIOD
        self.did_not_run_alarm: Optional[cloudwatch.Alarm] = None
        if options.create_alarms and enabled and parsed.kind == "rate" and (start_date or end_date):
            # Outside its dates the schedule rightly does not run; the alarm would fire forever.
            Annotations.of(self).add_info(
                "No 'did not run' alarm: the schedule has a start_date or end_date, outside which it does not run."
            )
        elif options.create_alarms and enabled and parsed.kind == "rate":
            self.did_not_run_alarm = self._did_not_run_alarm(parsed, flexible_window, job_spec, allow_overlap, options)
            if self.did_not_run_alarm is not None:
                self.alarms.append(self.did_not_run_alarm)
        self.dashboard: Optional[cloudwatch.Dashboard] = (
            make_dashboard(self, "Dashboard", self.alarms, self.dashboard_graphs()) if options.dashboard else None
        )

    # --- metrics: exactly what the alarms watch ------------------------------
    def metric_runs(self) -> cloudwatch.Metric:
        """Runs started (``Invocations`` of the ``live`` alias, Sum) over the "did not run"
        alarm's period (the longest possible gap between runs), or 5 min without that alarm."""
        return self.job.alias.metric_invocations(statistic="Sum", period=self._runs_period)

    def metric_undelivered_runs(self) -> cloudwatch.Metric:
        """Runs Scheduler could not hand to Lambda (its DLQ depth, Maximum over 5 min)."""
        return self.failure_queue.metric_depth()

    def metric_failed_runs(self) -> cloudwatch.Metric:
        """Runs that failed after Lambda's retries (the job's on-failure queue depth)."""
        return self.job.metric_async_failures()

    def dashboard_graphs(self) -> list[Graph]:
        """The graphs ``dashboard=True`` shows."""
        return [
            ("Runs", [("started", self.metric_runs())]),
            ("Runs not done", [("undelivered", self.metric_undelivered_runs()), ("failed", self.metric_failed_runs())]),
            *function_graphs({"job": self.job}),
        ]

    # --- grants ---------------------------------------------------------------
    def grant_run(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start a run by hand (a backfill, a re-run): exactly
        ``lambda:InvokeFunction`` on the job's ``live`` alias, the qualifier
        whose failure handling and concurrency the schedule uses."""
        return grant_exactly(grantee, actions=["lambda:InvokeFunction"], resources=[self.job.alias.function_arn])

    def _scheduler_role(self) -> iam.Role:
        """A role only Scheduler in this account (default group) can assume, allowed to invoke only the alias.

        LambdaInvoke adds ``lambda:InvokeFunction`` on the alias ARN and
        ``sqs:SendMessage`` on the DLQ to it; nothing else.
        """
        stack = Stack.of(self)
        group_arn = stack.format_arn(service="scheduler", resource="schedule-group", resource_name="default")
        return iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account, "aws:SourceArn": group_arn}},
            ),
            description=f"EventBridge Scheduler role of {self.node.path}: invokes only its job's alias",
        )

    def _warn_about_overlap(self, parsed: ParsedSchedule, spec: FunctionSpec, allow_overlap: bool) -> None:
        if allow_overlap:
            Annotations.of(self).add_info(
                "allow_overlap=True: a run that takes longer than the schedule interval overlaps the next one; "
                "the job must tolerate concurrent runs."
            )
            return
        if spec.provisioned_concurrency:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:schedule-provisioned",
                "Provisioned concurrency on a job limited to one run at a time keeps an environment warm (and billed) "
                "around the clock for a job that runs on a schedule; drop it unless cold starts break the job.",
            )
        if parsed.rate_seconds is not None and spec.timeout.to_seconds() > parsed.rate_seconds:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:schedule-backlog",
                f"The job may run up to {spec.timeout.to_seconds():g} s but is scheduled every {parsed.rate_seconds} s "
                "without overlap: runs that last longer than the interval delay the next ones, which wait in "
                "Lambda's queue (and expire to the job's failure queue after job_max_event_age).",
            )

    def _did_not_run_alarm(
        self,
        parsed: ParsedSchedule,
        flexible_window: Optional[Duration],
        spec: FunctionSpec,
        allow_overlap: bool,
        options: PatternOptions,
    ) -> Optional[cloudwatch.Alarm]:
        """Invocations < 1 over the longest possible gap between two runs.

        Gap = rate + Scheduler's 60 s precision + the flexible window + (without
        overlap) the job timeout a run may wait behind its predecessor, rounded
        up to whole minutes (CloudWatch periods are multiples of 60 s). Skipped
        when that exceeds CloudWatch's 7-day evaluation limit.
        """
        assert parsed.rate_seconds is not None
        gap = parsed.rate_seconds + defaults.SCHEDULE_PRECISION.to_seconds()
        gap += flexible_window.to_seconds() if flexible_window is not None else 0
        gap += 0 if allow_overlap else spec.timeout.to_seconds()
        period_s = int(math.ceil(gap / 60) * 60)
        if period_s > defaults.ALARM_MAX_EVALUATION_S:
            Annotations.of(self).add_info(
                f"No 'did not run' alarm: the longest gap between runs ({period_s} s) exceeds CloudWatch's 7-day "
                "alarm evaluation limit. Alarm on the job's own output instead."
            )
            return None
        self._runs_period = Duration.seconds(period_s)
        did_not_run = AlarmSpec(
            "DidNotRunAlarm",
            metric=self.metric_runs(),
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing_data=cloudwatch.TreatMissingData.BREACHING,
            description=(
                f"{self.node.path}: the job did not start in the last {period_s} s although "
                f"{parsed.expression} should have run it; check the schedule's state and DLQ."
            ),
        )
        return options.alarms(self, [did_not_run])[0]


def _context() -> dict[str, str]:
    """Scheduler substitutes these placeholders in the target input on every run."""
    return {
        "arn": scheduler.ContextAttribute.schedule_arn,
        "scheduled_time": scheduler.ContextAttribute.scheduled_time,
        "execution_id": scheduler.ContextAttribute.execution_id,
        "attempt": scheduler.ContextAttribute.attempt_number,
    }


def _validate(
    problems: Problems,
    *,
    schedule: str,
    job: FunctionSpec,
    tz: str,
    allow_overlap: bool,
    flexible_window: Optional[Duration],
    start_date: Optional[datetime],
    end_date: Optional[datetime],
    payload: dict[str, Any],
    retries: int,
    max_age: Duration,
    job_age: Duration,
    environment: Optional[Mapping[str, str]],
    description: Optional[str],
) -> Optional[ParsedSchedule]:
    """Every rule of a ScheduledJob; returns the parsed expression when it is valid."""
    # Values known only at deploy time (parameters, imports) are passed through unchecked.
    tz_issue = None if is_token(tz) else check_timezone(tz)
    if tz_issue is not None:
        problems.add("timezone", tz, tz_issue.allowed, tz_issue.fix)
    if is_token(schedule):
        parsed: Optional[ParsedSchedule] = ParsedSchedule(UNRESOLVED, schedule)
    else:
        parsed, issues = check_schedule(schedule, timezone=tz if tz_issue is None and not is_token(tz) else "UTC")
        for issue in issues:
            problems.add("schedule", schedule, issue.allowed, issue.fix)
    if description is not None and not is_token(description):
        problems.check(
            isinstance(description, str) and len(description) <= defaults.SCHEDULE_DESCRIPTION_MAX,
            "description",
            f"{len(description)} characters" if isinstance(description, str) else description,
            f"a string of at most {defaults.SCHEDULE_DESCRIPTION_MAX} characters (Scheduler)",
            "shorten the description",
        )

    validate_spec(problems, job, field_prefix="job", extra_environment=environment)
    if isinstance(job, FunctionSpec) and not allow_overlap:
        _validate_no_overlap(problems, job, job_age)

    if flexible_window is not None:
        minutes = flexible_window.to_seconds(integral=False) / 60 if isinstance(flexible_window, Duration) else None
        problems.check(
            minutes is not None
            and minutes == int(minutes)
            and defaults.SCHEDULE_FLEXIBLE_WINDOW_MIN_MINUTES <= minutes <= defaults.SCHEDULE_FLEXIBLE_WINDOW_MAX_MINUTES,
            "flexible_window",
            f"{minutes:g} min" if minutes is not None else flexible_window,
            f"a Duration of {defaults.SCHEDULE_FLEXIBLE_WINDOW_MIN_MINUTES}-{defaults.SCHEDULE_FLEXIBLE_WINDOW_MAX_MINUTES} "
            "whole minutes (Scheduler FlexibleTimeWindow)",
            "pass e.g. flexible_window=Duration.minutes(15), or None for no window",
        )
    _validate_dates(problems, parsed, start_date, end_date)

    problems.check_range(
        "retry_attempts",
        retries,
        defaults.SCHEDULER_RETRY_ATTEMPTS_MIN,
        defaults.SCHEDULER_RETRY_ATTEMPTS_MAX,
        "Scheduler RetryPolicy",
        f"pass e.g. retry_attempts={defaults.SCHEDULER_RETRY_ATTEMPTS}",
    )
    _check_age(
        problems,
        "max_event_age",
        max_age,
        defaults.SCHEDULER_MAX_EVENT_AGE_MIN_S,
        defaults.SCHEDULER_MAX_EVENT_AGE_MAX_S,
        "Scheduler RetryPolicy MaximumEventAgeInSeconds",
    )
    _check_age(
        problems,
        "job_max_event_age",
        job_age,
        defaults.ASYNC_MAX_EVENT_AGE_MIN_S,
        defaults.ASYNC_MAX_EVENT_AGE_MAX_S,
        "Lambda asynchronous invocation MaximumEventAgeInSeconds",
    )
    if CONTEXT_KEY in payload:
        problems.add(
            f"payload[{CONTEXT_KEY!r}]",
            payload[CONTEXT_KEY],
            f"any key except {CONTEXT_KEY!r}, which carries the scheduler context (arn, scheduled_time, ...)",
            "rename the key",
        )
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        problems.add("payload", payload, f"a JSON-serialisable mapping ({exc})", "pass strings, numbers, lists and dicts only")
    return parsed


def _validate_no_overlap(problems: Problems, job: FunctionSpec, job_age: Duration) -> None:
    if job.reserved_concurrency is not None and job.reserved_concurrency != 1:
        problems.add(
            "job.reserved_concurrency",
            job.reserved_concurrency,
            "None or 1 with allow_overlap=False (the construct reserves 1 so runs never overlap)",
            "drop reserved_concurrency, or pass allow_overlap=True to let runs overlap",
        )
    if isinstance(job.provisioned_concurrency, int) and job.provisioned_concurrency > 1:
        problems.add(
            "job.provisioned_concurrency",
            job.provisioned_concurrency,
            "at most 1 with allow_overlap=False (provisioned concurrency cannot exceed the reserved 1)",
            "drop provisioned_concurrency (a scheduled job rarely needs it) or pass allow_overlap=True",
        )
    if isinstance(job_age, Duration) and isinstance(job.timeout, Duration):
        problems.check(
            job_age.to_seconds(integral=False) > job.timeout.to_seconds(integral=False),
            "job_max_event_age",
            f"{job_age.to_seconds(integral=False):g} s",
            f"longer than the job timeout ({job.timeout.to_seconds():g} s) with allow_overlap=False, so a run "
            "waiting behind a running one is retried instead of expiring",
            f"pass job_max_event_age=Duration.seconds({int(job.timeout.to_seconds()) * 2}) or more (default 1 h)",
        )


def _validate_dates(
    problems: Problems, parsed: Optional[ParsedSchedule], start: Optional[datetime], end: Optional[datetime]
) -> None:
    aware = {}
    for name, value in (("start_date", start), ("end_date", end)):
        if value is None:
            continue
        ok = isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None
        problems.check(
            ok,
            name,
            value,
            "a timezone-aware datetime",
            f"pass e.g. {name}=datetime(2030, 1, 1, tzinfo=timezone.utc)",
        )
        if ok:
            aware[name] = value
    if parsed is not None and parsed.kind == "at" and (start is not None or end is not None):
        problems.add(
            "start_date" if start is not None else "end_date",
            start if start is not None else end,
            "no start/end dates for a one-time at(...) schedule (Scheduler ignores them)",
            "drop start_date/end_date, or use a rate/cron expression",
        )
    if "start_date" in aware and "end_date" in aware:
        problems.check(
            aware["start_date"] < aware["end_date"],
            "end_date",
            aware["end_date"].isoformat(),
            f"after start_date ({aware['start_date'].isoformat()})",
            "swap the dates or move end_date later",
        )
    if "end_date" in aware:
        problems.check(
            aware["end_date"] > datetime.now(dt_timezone.utc),
            "end_date",
            aware["end_date"].isoformat(),
            "a time in the future (a schedule that has already ended never runs)",
            "move end_date into the future or drop it",
        )


def _check_age(problems: Problems, name: str, value: Any, low: int, high: int, source: str) -> None:
    problems.check_duration(
        name,
        value,
        low_s=low,
        high_s=high,
        allowed=f"{low}-{high} whole seconds ({source})",
        fix=f"pass e.g. {name}=Duration.hours(1)",
    )
