"""Nightly report end to end: the schedule fires the job, which deletes expired sessions and reports once."""

from __future__ import annotations

import datetime
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cdk_serverless_patterns.local import LocalCloud, LocalInvocationError
from examples.nightly_report.handler import cleanup, settings
from tests.support import send_extras

NIGHT = datetime.datetime(2026, 11, 24, 1, 30, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def stack(synthesized_example: Any) -> Any:
    return synthesized_example("nightly_report").stacks[0]



@pytest.fixture()
def cloud(stack: Any) -> Any:
    with LocalCloud(stack) as local:
        yield local


def _sessions_table(cloud: Any) -> Any:
    return next(cloud.table(r.logical_id) for r in cloud.template.of_type("AWS::DynamoDB::Table") if "Sessions" in r.logical_id)


def _reports_table(cloud: Any) -> Any:
    return next(cloud.table(r.logical_id) for r in cloud.template.of_type("AWS::DynamoDB::Table") if "Reports" in r.logical_id)


def test_a_scheduled_run_deletes_expired_sessions_and_writes_its_report(cloud: Any, stack: Any) -> None:
    sessions = _sessions_table(cloud)
    cutoff = int(NIGHT.timestamp())
    for i in range(5):
        sessions.put_item(Item={"session_id": f"old-{i}", "expires_at": cutoff - 60})
    sessions.put_item(Item={"session_id": "fresh", "expires_at": cutoff + 3600})
    cloud.run_schedule(stack.cleanup, at=NIGHT)
    assert [s["session_id"] for s in sessions.scan()["Items"]] == ["fresh"]
    reports = _reports_table(cloud).scan()["Items"]
    assert len(reports) == 1
    assert reports[0]["scheduled_time"] == "2026-11-24T01:30:00Z"
    assert reports[0]["deleted"] == 5
    # the same scheduled time again (a retried run) writes the same report, not a second one
    cloud.run_schedule(stack.cleanup, at=NIGHT)
    assert len(_reports_table(cloud).scan()["Items"]) == 1


def test_a_run_that_keeps_failing_lands_in_the_alarmed_failure_queue(cloud: Any, stack: Any) -> None:
    cloud.fail(stack.cleanup.job, times=3, error="ConnectionError")
    cloud.run_schedule(stack.cleanup, at=NIGHT)
    assert len(cloud.invocations(stack.cleanup.job)) == 3  # the first try and Lambda's two async retries
    failed = cloud.messages(stack.cleanup.job.dead_letter_queue)
    assert cloud.messages(stack.cleanup.failure_queue) == []  # the schedule itself delivered fine
    assert len(failed) == 1
    record = failed[0].json()
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responsePayload"]["errorType"] == "ConnectionError"
    assert json.dumps(record["requestPayload"]["schedule"]["scheduled_time"]) == '"2026-11-24T01:30:00Z"'


def _seed(cloud: Any, expired: int) -> None:
    sessions = _sessions_table(cloud)
    cutoff = int(NIGHT.timestamp())
    for i in range(expired):
        sessions.put_item(Item={"session_id": f"old-{i}", "expires_at": cutoff - 60})
    sessions.put_item(Item={"session_id": "fresh", "expires_at": cutoff + 3600})


def test_a_crash_after_commit_then_a_retry_keeps_the_true_count(cloud: Any, stack: Any) -> None:
    _seed(cloud, 7)
    cloud.fail(stack.cleanup.job, after_commit=True, error="Timeout")
    cloud.run_schedule(stack.cleanup, at=NIGHT)  # Lambda's async retry runs it again
    [(_, crashed), (_, retried)] = cloud.invocations(stack.cleanup.job)
    [report] = _reports_table(cloud).scan()["Items"]
    assert (report["deleted"], report["runs"]) == (7, 2)  # not 0: the retry deleted nothing new
    assert [s["session_id"] for s in _sessions_table(cloud).scan()["Items"]] == ["fresh"]


def test_duplicate_schedule_deliveries_after_a_crash_do_not_rewrite_the_report(stack: Any) -> None:
    with LocalCloud(stack, duplicate_deliveries=True) as cloud:
        _seed(cloud, 7)
        cloud.fail(stack.cleanup.job, after_commit=True, error="Timeout")
        cloud.run_schedule(stack.cleanup, at=NIGHT)
        cloud.run_schedule(stack.cleanup, at=NIGHT)  # Scheduler delivers at least once: the same time again
        assert len(cloud.invocations(stack.cleanup.job)) == 3  # crashed, retried, duplicate
        [report] = _reports_table(cloud).scan()["Items"]
        assert (report["deleted"], report["runs"], report["complete"]) == (7, 3, True)


def test_run_schedule_at_a_string_names_what_is_allowed(cloud: Any, stack: Any) -> None:
    with pytest.raises(TypeError, match=r"at='2026-11-24T01:30:00Z' is invalid: allowed a datetime.datetime"):
        cloud.run_schedule(stack.cleanup, at="2026-11-24T01:30:00Z")
    assert cloud.invocations(stack.cleanup.job) == []


def test_run_schedule_at_a_naive_datetime_is_utc(cloud: Any, stack: Any) -> None:
    cloud.run_schedule(stack.cleanup, at=NIGHT.replace(tzinfo=None))
    assert _reports_table(cloud).scan()["Items"][0]["scheduled_time"] == "2026-11-24T01:30:00Z"


# -- the signing key secret (named, not created by the stack) and the delete limit parameter --------------
def _report(cloud: Any) -> dict[str, Any]:
    [report] = _reports_table(cloud).scan()["Items"]
    return {k: int(v) if isinstance(v, Decimal) else v for k, v in report.items()}


def test_the_report_is_signed_with_the_given_secret_and_bounded_by_the_given_limit(stack: Any) -> None:
    with LocalCloud(stack, secrets={settings.SIGNING_KEY_SECRET_NAME: "auditors-key"},
                    parameters={settings.MAX_DELETES_PARAMETER_NAME: "4"}) as cloud:
        _seed(cloud, 7)
        cloud.run_schedule(stack.cleanup, at=NIGHT)
        report = _report(cloud)
        assert report["signature"] == cleanup.report_signature(b"auditors-key", report)
        assert (report["deleted"], report["complete"], report["stopped_at_limit"]) == (4, False, True)


def test_the_secret_localcloud_generates_is_the_one_the_job_reads(cloud: Any, stack: Any) -> None:
    _seed(cloud, 2)
    cloud.run_schedule(stack.cleanup, at=NIGHT)
    key = cloud.client("secretsmanager").get_secret_value(SecretId=settings.SIGNING_KEY_SECRET_NAME)["SecretString"]
    report = _report(cloud)
    assert report["signature"] == cleanup.report_signature(key.encode(), report)


@pytest.mark.altered_template
def test_without_the_secret_grant_the_job_is_denied(synthesized_example: Any, tmp_path: Path) -> None:
    """The same template with the job's secretsmanager statement removed: the run fails with AccessDenied."""
    example = synthesized_example("nightly_report")
    outdir = tmp_path / "cdk.out"
    shutil.copytree(example.outdir, outdir)
    template_path = outdir / f"{example.stack_names[0]}.template.json"
    template = json.loads(template_path.read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            statements = resource["Properties"]["PolicyDocument"]["Statement"]
            statements[:] = [s for s in statements if not str(s["Action"]).startswith("['secretsmanager:")]
    template_path.write_text(json.dumps(template))
    with LocalCloud.from_assembly(outdir, example.stack_names[0]) as cloud:
        _seed(cloud, 1)
        job = next(r.logical_id for r in cloud.template.of_type("AWS::Lambda::Function") if "SessionCleanup" in r.logical_id)
        with pytest.raises(LocalInvocationError) as denied:
            cloud.invoke(job, {"schedule": {"scheduled_time": "2026-11-24T01:30:00Z"}})
        assert "(AccessDeniedException)" in denied.value.error_message
        assert f"secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager" in denied.value.error_message


#: Grants no test of this module used, each with why it is still granted (empty: all used).
UNUSED_GRANTS: dict[str, dict[str, str]] = {
    "NightlyReportExample/SessionCleanup/Job/Function": {
        **send_extras("NightlyReportExample-SessionCleanupJobAsyncFailuresQueue104BDFD2"),
        "secretsmanager:DescribeSecret arn:aws:secretsmanager:us-east-1:123456789012:secret:nightly-report/report-signing-key-??????":
            "part of the library's read-only secret grant (GetSecretValue + DescribeSecret, as CDK's grant_read "
            "gives); the job reads the value through runtime.secrets.get_secret, which calls only GetSecretValue",
        "ssm:GetParameters arn:aws:ssm:us-east-1:123456789012:parameter/nightly-report/max-deletes":
            "part of the library's read-only parameter grant (GetParameter + GetParameters, as CDK's grant_read): "
            "the job reads the one parameter with GetParameter",
    },
}


def test_every_grant_was_used_or_is_named(observed_grants: Any) -> None:
    observed_grants.assert_named(UNUSED_GRANTS)  # last: every cloud of the module has closed
