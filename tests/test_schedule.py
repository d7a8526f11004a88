"""ScheduledJob: template behaviour (synthesized once per module) and one test per validation rule."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, assertions

from cdk_serverless_patterns import FunctionSpec, Idempotency, PatternConfigError, ScheduledJob
from cdk_serverless_patterns.runtime import env
from tests.support import HANDLER_DIR, config_error

SPEC = FunctionSpec(code=HANDLER_DIR, handler="app.handler")
START = datetime(2030, 1, 1, 0, 0, tzinfo=timezone.utc)
END = datetime(2031, 1, 1, 0, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def built():
    app = cdk.App()
    stacks = {name: cdk.Stack(app, name) for name in ("Default", "Configured", "Flexible", "Weekly", "Busy")}
    jobs = {
        "Default": ScheduledJob(stacks["Default"], "Job", schedule="rate(1 hour)", job=SPEC),
        "Configured": ScheduledJob(
            stacks["Configured"],
            "Job",
            schedule="cron(30 2 * * ? *)",
            job=SPEC,
            timezone="Europe/Berlin",
            allow_overlap=True,
            flexible_window=Duration.minutes(15),
            start_date=START,
            end_date=END,
            enabled=False,
            payload={"report": "daily"},
            retry_attempts=3,
            max_event_age=Duration.minutes(30),
            job_max_event_age=Duration.hours(2),
            description="nightly report",
        ),
        "Flexible": ScheduledJob(
            stacks["Flexible"],
            "Job",
            schedule="rate(30 minutes)",
            job=SPEC,
            allow_overlap=True,
            flexible_window=Duration.minutes(15),
        ),
        "Weekly": ScheduledJob(stacks["Weekly"], "Job", schedule="rate(7 days)", job=SPEC),
        "Busy": ScheduledJob(
            stacks["Busy"],
            "Job",
            schedule="rate(1 minute)",
            job=SPEC.replace(timeout=Duration.minutes(2), provisioned_concurrency=1),
        ),
    }
    templates = {name: assertions.Template.from_stack(stack) for name, stack in stacks.items()}
    return stacks, jobs, templates


def _only(template: assertions.Template, resource_type: str) -> dict:
    resources = template.find_resources(resource_type)
    assert len(resources) == 1, resources
    return next(iter(resources.values()))["Properties"]


def _logical_id(stack: cdk.Stack, construct) -> str:
    return stack.get_logical_id(construct.node.default_child)


# --- default construct ---------------------------------------------------------


def test_uses_eventbridge_scheduler_never_a_classic_rule(built):
    _, _, t = built
    t["Default"].resource_count_is("AWS::Scheduler::Schedule", 1)
    t["Default"].resource_count_is("AWS::Events::Rule", 0)


def test_default_schedule_targets_the_alias_with_retry_policy_and_dlq(built):
    stacks, jobs, t = built
    props = _only(t["Default"], "AWS::Scheduler::Schedule")
    job = jobs["Default"]
    assert props["ScheduleExpression"] == "rate(1 hour)"
    assert props["ScheduleExpressionTimezone"] == "UTC"
    assert props["State"] == "ENABLED"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = props["Target"]
    assert target["Arn"] == {"Ref": _logical_id(stacks["Default"], job.job.alias)}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 3600}
    dlq_id = _logical_id(stacks["Default"], job.dead_letter_queue)
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq_id, "Arn"]}}
    assert target["RoleArn"] == {"Fn::GetAtt": [_logical_id(stacks["Default"], job.role), "Arn"]}


def test_every_run_carries_the_scheduler_context(built):
    _, _, t = built
    event = json.loads(_only(t["Default"], "AWS::Scheduler::Schedule")["Target"]["Input"])
    assert event == {
        "schedule": {
            "arn": "<aws.scheduler.schedule-arn>",
            "scheduled_time": "<aws.scheduler.scheduled-time>",
            "execution_id": "<aws.scheduler.execution-id>",
            "attempt": "<aws.scheduler.attempt-number>",
        }
    }


def test_scheduler_role_trusts_only_scheduler_from_this_account(built):
    stacks, jobs, t = built
    role = t["Default"].to_json()["Resources"][_logical_id(stacks["Default"], jobs["Default"].role)]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    conditions = statement["Condition"]["StringEquals"]
    assert conditions["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert ":schedule-group/default" in json.dumps(conditions["aws:SourceArn"])


def test_scheduler_role_may_invoke_only_the_alias_and_write_only_its_dlq(built):
    stacks, jobs, t = built
    job = jobs["Default"]
    role_id = _logical_id(stacks["Default"], job.role)
    policies = [
        p["Properties"]
        for p in t["Default"].find_resources("AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    assert len(policies) == 1
    statements = policies[0]["PolicyDocument"]["Statement"]
    dlq_id = _logical_id(stacks["Default"], job.dead_letter_queue)
    assert statements == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": {"Ref": _logical_id(stacks["Default"], job.job.alias)}},
        {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": {"Fn::GetAtt": [dlq_id, "Arn"]}},
    ]


def test_no_overlap_by_default_reserves_one_concurrent_run(built):
    _, _, t = built
    fn = _only(t["Default"], "AWS::Lambda::Function")
    assert fn["ReservedConcurrentExecutions"] == 1
    assert fn["Architectures"] == ["arm64"]


def _alias_invoke_config(template: assertions.Template) -> dict:
    """The EventInvokeConfig of the ``live`` alias (the qualifier Scheduler invokes)."""
    configs = [
        c["Properties"]
        for c in template.find_resources("AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["Qualifier"] != "$LATEST"
    ]
    assert len(configs) == 1, configs
    return configs[0]


def test_alias_invoked_by_scheduler_has_the_async_retry_and_on_failure_queue(built):
    stacks, jobs, t = built
    job = jobs["Default"]
    config = _alias_invoke_config(t["Default"])
    assert json.dumps(config["Qualifier"]).count(_logical_id(stacks["Default"], job.job.alias)) == 1
    assert config["MaximumEventAgeInSeconds"] == 3600
    assert config["MaximumRetryAttempts"] == 2
    queue_id = _logical_id(stacks["Default"], job.job.dead_letter_queue)
    assert config["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}}
    t["Default"].resource_count_is("AWS::SQS::Queue", 2)  # job on-failure queue + schedule DLQ


def test_did_not_run_alarm_covers_the_longest_gap_between_runs(built):
    stacks, jobs, t = built
    job = jobs["Default"]
    alarm = t["Default"].to_json()["Resources"][_logical_id(stacks["Default"], job.did_not_run_alarm)]["Properties"]
    assert alarm["MetricName"] == "Invocations"
    assert alarm["Statistic"] == "Sum"
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert alarm["Threshold"] == 1
    assert alarm["TreatMissingData"] == "breaching"
    # 3600 s rate + 60 s Scheduler precision + 10 s job timeout (a run may wait behind
    # its predecessor), rounded up to whole minutes.
    assert alarm["Period"] == 3720
    assert {d["Name"] for d in alarm["Dimensions"]} == {"FunctionName", "Resource"}
    assert "rate(1 hour)" in alarm["AlarmDescription"]


def test_alarms_include_job_queues_and_did_not_run(built):
    _, jobs, t = built
    job = jobs["Default"]
    # job errors (quiet periods)/error rate/throttles/duration + job on-failure queue depth + schedule DLQ
    # depth + did-not-run
    assert len(job.alarms) == 7
    t["Default"].resource_count_is("AWS::CloudWatch::Alarm", 7)
    assert job.did_not_run_alarm in job.alarms
    assert all(a in job.alarms for a in job.failure_queue.alarms)


def test_exposes_every_resource(built):
    _, jobs, _ = built
    job = jobs["Default"]
    assert job.expression.kind == "rate" and job.expression.rate_seconds == 3600
    assert job.schedule.schedule_name
    assert job.job.alias.alias_name == "live"
    assert job.dead_letter_queue is job.failure_queue.queue
    assert job.timezone == "UTC"


# --- options ---------------------------------------------------------------------


def test_configured_schedule_options_reach_the_template(built):
    _, _, t = built
    props = _only(t["Configured"], "AWS::Scheduler::Schedule")
    assert props["ScheduleExpression"] == "cron(30 2 * * ? *)"
    assert props["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert props["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert props["StartDate"] == "2030-01-01T00:00:00.000Z"
    assert props["EndDate"] == "2031-01-01T00:00:00.000Z"
    assert props["State"] == "DISABLED"
    assert props["Description"] == "nightly report"
    assert props["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 1800}
    event = json.loads(props["Target"]["Input"])
    assert event["report"] == "daily" and event["schedule"]["execution_id"] == "<aws.scheduler.execution-id>"


def test_allow_overlap_leaves_concurrency_alone_and_job_event_age_is_passed(built):
    _, _, t = built
    assert "ReservedConcurrentExecutions" not in _only(t["Configured"], "AWS::Lambda::Function")
    assert _alias_invoke_config(t["Configured"])["MaximumEventAgeInSeconds"] == 7200


def test_no_did_not_run_alarm_for_cron_or_disabled_schedules(built):
    _, jobs, t = built
    assert jobs["Configured"].did_not_run_alarm is None
    t["Configured"].resource_count_is("AWS::CloudWatch::Alarm", 6)


def test_no_did_not_run_alarm_when_the_schedule_has_dates():
    stack = cdk.Stack(cdk.App(), "Dated")
    job = ScheduledJob(
        stack, "Job", schedule="rate(1 hour)", job=SPEC.replace(idempotency=Idempotency.natural("upsert")), end_date=END
    )
    assert job.did_not_run_alarm is None
    assert all(getattr(a.metric, "metric_name", None) != "Invocations" for a in job.alarms)


def test_did_not_run_period_adds_the_flexible_window(built):
    _, jobs, t = built
    alarm = jobs["Flexible"].did_not_run_alarm
    assert alarm is not None
    props = t["Flexible"].to_json()["Resources"][cdk.Stack.of(alarm).get_logical_id(alarm.node.default_child)]["Properties"]
    assert props["Period"] == 1800 + 60 + 900  # overlap allowed: no wait behind a running job


def test_did_not_run_alarm_is_skipped_beyond_cloudwatch_seven_day_limit(built):
    stacks, jobs, t = built
    assert jobs["Weekly"].did_not_run_alarm is None
    t["Weekly"].resource_count_is("AWS::CloudWatch::Alarm", 6)
    infos = assertions.Annotations.from_stack(stacks["Weekly"]).find_info("*", assertions.Match.string_like_regexp("7-day"))
    assert infos


def test_warns_about_backlog_and_provisioned_concurrency_without_overlap(built):
    stacks, _, t = built
    annotations = assertions.Annotations.from_stack(stacks["Busy"])
    assert annotations.find_warning("*", assertions.Match.string_like_regexp("delay the next ones"))
    assert annotations.find_warning("*", assertions.Match.string_like_regexp("Provisioned concurrency"))
    assert _only(t["Busy"], "AWS::Lambda::Function")["ReservedConcurrentExecutions"] == 1


# --- validation: one test per rule -------------------------------------------------


def _error(**overrides) -> PatternConfigError:
    options = {"schedule": "rate(1 hour)", "job": SPEC, **overrides}
    error = config_error(ScheduledJob, "Job", stack_id="S", **options)
    assert error.path == "S/Job"
    return error


def test_invalid_expression_shows_expression_and_correction():
    err = _error(schedule="cron(0 2 * * *)")
    assert "schedule='cron(0 2 * * *)'" in str(err)
    assert "five-field Unix cron" in str(err) and "cron(0 2 * * ? *)" in str(err)


def test_unknown_timezone():
    err = _error(timezone="Berlin")
    assert "timezone='Berlin'" in str(err) and "Europe/Berlin" in str(err)


def test_at_in_the_past_is_judged_in_the_schedule_timezone():
    err = _error(schedule="at(2020-01-01T00:00:00)", timezone="Asia/Tokyo")
    assert "now in Asia/Tokyo" in str(err)


@pytest.mark.parametrize("window", [Duration.minutes(0), Duration.minutes(1441), Duration.seconds(90)])
def test_flexible_window_range(window):
    err = _error(flexible_window=window)
    assert "flexible_window=" in str(err) and "1-1440 whole minutes" in str(err)


def test_dates_must_be_timezone_aware():
    err = _error(start_date=datetime(2030, 1, 1))
    assert "start_date=" in str(err) and "timezone-aware" in str(err)


def test_start_must_precede_end():
    err = _error(start_date=END, end_date=START)
    assert "end_date=" in str(err) and "after start_date" in str(err)


def test_end_must_be_in_the_future():
    err = _error(end_date=datetime.now(timezone.utc) - timedelta(days=1))
    assert "end_date=" in str(err) and "in the future" in str(err)


def test_no_dates_for_one_time_schedules():
    err = _error(schedule="at(2099-01-01T00:00:00)", start_date=START)
    assert "one-time at(...)" in str(err)


@pytest.mark.parametrize("attempts", [-1, 186])
def test_retry_attempts_range(attempts):
    err = _error(retry_attempts=attempts)
    assert f"retry_attempts={attempts}" in str(err) and "0-185" in str(err)


@pytest.mark.parametrize("age", [Duration.seconds(59), Duration.hours(25)])
def test_max_event_age_range(age):
    err = _error(max_event_age=age)
    assert "max_event_age=" in str(err) and "60-86400" in str(err)


@pytest.mark.parametrize("age", [Duration.seconds(30), Duration.hours(7)])
def test_job_max_event_age_range(age):
    err = _error(job_max_event_age=age, allow_overlap=True)
    assert "job_max_event_age=" in str(err) and "60-21600" in str(err)


def test_reserved_concurrency_conflicts_with_no_overlap():
    err = _error(job=SPEC.replace(reserved_concurrency=5))
    assert "job.reserved_concurrency=5" in str(err) and "allow_overlap=True" in str(err)


def test_provisioned_concurrency_above_one_conflicts_with_no_overlap():
    err = _error(job=SPEC.replace(provisioned_concurrency=2))
    assert "job.provisioned_concurrency=2" in str(err) and "reserved 1" in str(err)


def test_queued_run_must_outlive_the_running_one():
    err = _error(job=SPEC.replace(timeout=Duration.minutes(5)), job_max_event_age=Duration.minutes(5))
    assert "job_max_event_age='300 s'" in str(err) and "longer than the job timeout" in str(err)


def test_payload_may_not_use_the_context_key():
    err = _error(payload={"schedule": "mine"})
    assert "payload['schedule']" in str(err)


def test_payload_must_be_json():
    err = _error(payload={"when": datetime(2030, 1, 1)})
    assert "JSON-serialisable" in str(err)


def test_job_spec_is_validated_up_front():
    err = _error(job=SPEC.replace(memory_size=64))
    assert "job.memory_size=64" in str(err)


def test_description_length():
    err = _error(description="x" * 513)
    assert "description='513 characters'" in str(err) and "at most 512" in str(err)


def test_deploy_time_values_are_passed_through_unchecked():
    stack = cdk.Stack(cdk.App(), "S")
    expression = cdk.CfnParameter(stack, "Expression").value_as_string
    zone = cdk.CfnParameter(stack, "Zone").value_as_string
    job = ScheduledJob(stack, "Job", schedule=expression, timezone=zone, job=SPEC)
    assert job.expression.kind == "unresolved"
    assert job.did_not_run_alarm is None


def test_all_problems_are_reported_at_once():
    err = _error(schedule="rate(5 minute)", timezone="Mars/Base", retry_attempts=500)
    assert len(err.problems) == 3


def test_default_construct_has_no_unacknowledged_findings(tmp_path):
    from cdk_serverless_patterns import enable_checks, set_default_alarm_topic
    from tests.support import TEST_ALARM_TOPIC_ARN, report_violations

    app = cdk.App(outdir=str(tmp_path))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    # Scheduler invokes asynchronously (at least once): SP-IDEMPOTENCY wants the job's answer.
    job = SPEC.replace(idempotency=Idempotency.conditional_write("scheduled time"))
    ScheduledJob(cdk.Stack(app, "Checked"), "Job", schedule="rate(15 minutes)", job=job)
    app.synth()
    assert report_violations(tmp_path / "validation-report.json") == []
