"""The nightly-report clean-up handler against moto DynamoDB tables."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from cdk_serverless_patterns.runtime import clients
from cdk_serverless_patterns.runtime import secrets as runtime_secrets
from examples.nightly_report.handler import cleanup
from tests.support import create_moto_table

SIGNING_KEY = "test-signing-key"

SCHEDULED = "2026-11-24T02:30:00Z"
CUTOFF = int(datetime(2026, 11, 24, 2, 30, tzinfo=timezone.utc).timestamp())


def event(**overrides):
    base = {
        "job": "session-cleanup",
        "page_size": 2,
        "schedule": {"arn": "arn:aws:scheduler:::schedule/default/x", "scheduled_time": SCHEDULED, "execution_id": "exec-1", "attempt": "1"},
    }
    base.update(overrides)
    return base


class Context:
    def __init__(self, remaining_ms: int = 300_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def tables(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv(cleanup.settings.SIGNING_KEY_SECRET, cleanup.settings.SIGNING_KEY_SECRET_NAME)
    monkeypatch.setenv(cleanup.settings.MAX_DELETES_PARAMETER, cleanup.settings.MAX_DELETES_PARAMETER_NAME)
    runtime_secrets.clear_cache()
    for service in ("secretsmanager", "ssm"):
        clients.set_client(service, None)
    with mock_aws():
        boto3.client("secretsmanager", region_name="eu-west-1").create_secret(
            Name=cleanup.settings.SIGNING_KEY_SECRET_NAME, SecretString=SIGNING_KEY
        )
        boto3.client("ssm", region_name="eu-west-1").put_parameter(
            Name=cleanup.settings.MAX_DELETES_PARAMETER_NAME, Value="100", Type="String"
        )
        ddb = boto3.resource("dynamodb", region_name="eu-west-1")
        sessions = create_moto_table(ddb, "sessions", "session_id")
        reports = create_moto_table(ddb, "reports", "job", "scheduled_time")
        for i in range(5):
            sessions.put_item(Item={"session_id": f"old-{i}", "expires_at": CUTOFF - 60 - i})
        for i in range(3):
            sessions.put_item(Item={"session_id": f"live-{i}", "expires_at": CUTOFF + 3600})
        sessions.put_item(Item={"session_id": "no-expiry"})
        yield sessions, reports
    runtime_secrets.clear_cache()
    for service in ("secretsmanager", "ssm"):
        clients.set_client(service, None)


def remaining_ids(sessions) -> set[str]:
    return {item["session_id"] for item in sessions.scan()["Items"]}


def test_deletes_only_expired_sessions_across_pages_and_writes_a_report(tables, capsys):
    sessions, reports = tables
    report = cleanup.handler(event(), Context(), sessions=sessions, reports=reports)
    assert remaining_ids(sessions) == {"live-0", "live-1", "live-2", "no-expiry"}
    assert report["deleted"] == 5 and report["scanned"] == 9 and report["complete"] is True
    stored = reports.get_item(Key={"job": "session-cleanup", "scheduled_time": SCHEDULED})["Item"]
    assert stored["deleted"] == 5 and stored["execution_id"] == "exec-1"
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines() if '"_aws"' in line]
    # EMF values are numbers, or lists of them when Powertools (imported by another handler) wrote the line
    metrics = {
        name: (doc[name][0] if isinstance(doc[name], list) else doc[name])
        for doc in lines
        for name in ("ExpiredSessionsDeleted", "SessionsScanned", "CleanupIncomplete")
        if name in doc
    }
    assert metrics == {"ExpiredSessionsDeleted": 5, "SessionsScanned": 9, "CleanupIncomplete": 0}
    assert {doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] for doc in lines} == {"NightlyReport"}
    assert all(doc["Job"] == "session-cleanup" for doc in lines)


def test_a_duplicate_delivery_of_the_same_run_is_harmless(tables):
    sessions, reports = tables
    cleanup.handler(event(), Context(), sessions=sessions, reports=reports)
    again = cleanup.handler(event(), Context(), sessions=sessions, reports=reports)
    # the report keeps the run's true total: the duplicate deleted nothing and counted nothing
    assert (again["deleted"], again["runs"]) == (5, 2)
    assert remaining_ids(sessions) == {"live-0", "live-1", "live-2", "no-expiry"}
    assert len(reports.scan()["Items"]) == 1  # same scheduled_time: one report, not two


def test_deletions_are_counted_as_they_happen_so_a_crash_before_the_report_loses_none(tables):
    sessions, reports = tables

    class CrashingReports:
        """The run times out after every delete, at the report's final update."""

        name = reports.name

        def update_item(self, **kwargs):
            raise TimeoutError("Task timed out")

    with pytest.raises(TimeoutError):
        cleanup.handler(event(), Context(), sessions=sessions, reports=CrashingReports())
    assert reports.get_item(Key={"job": "session-cleanup", "scheduled_time": SCHEDULED})["Item"]["deleted"] == 5
    retried = cleanup.handler(event(), Context(), sessions=sessions, reports=reports)
    assert retried["deleted"] == 5


def test_a_session_renewed_after_the_scan_survives(tables):
    sessions, reports = tables

    class RenewingTable:
        """Renews old-0 between the scan and its delete, as a user signing in would."""

        def scan(self, **kwargs):
            page = sessions.scan(**kwargs)
            sessions.update_item(
                Key={"session_id": "old-0"},
                UpdateExpression="SET expires_at = :later",
                ExpressionAttributeValues={":later": CUTOFF + 86400},
            )
            return page

        meta, name = sessions.meta, sessions.name

    report = cleanup.handler(event(page_size=100), Context(), sessions=RenewingTable(), reports=reports)
    assert "old-0" in remaining_ids(sessions)
    assert report["skipped_renewed"] == 1 and report["deleted"] == 4


def test_stops_before_the_timeout_and_reports_incomplete(tables):
    sessions, reports = tables
    report = cleanup.handler(event(), Context(remaining_ms=cleanup.SAFETY_MARGIN_MS - 1), sessions=sessions, reports=reports)
    assert report["complete"] is False and report["deleted"] == 0
    assert len(remaining_ids(sessions)) == 9
    assert reports.scan()["Items"][0]["complete"] is False


def test_aws_errors_propagate_so_lambda_retries(tables):
    sessions, reports = tables

    class BrokenClient:
        def transact_write_items(self, **kwargs):
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                              "TransactWriteItems")

    class BrokenTable:
        meta, name = type("Meta", (), {"client": BrokenClient()})(), sessions.name

        def scan(self, **kwargs):
            return sessions.scan(**kwargs)

    with pytest.raises(ClientError):
        cleanup.handler(event(), Context(), sessions=BrokenTable(), reports=reports)
    assert reports.scan()["Items"] == []


@pytest.mark.parametrize(
    ("bad_event", "message"),
    [
        ("not an object", "event must be an object"),
        ({"job": "x"}, "scheduled_time is missing"),
        ({"schedule": {"scheduled_time": "yesterday"}}, "not ISO-8601"),
        ({"schedule": {"scheduled_time": "2026-11-24T02:30:00"}}, "must carry a time zone"),
        (event(page_size=0), "page_size must be an integer"),
        (event(page_size="10"), "page_size must be an integer"),
    ],
)
def test_invalid_events_are_rejected(tables, bad_event, message):
    sessions, reports = tables
    with pytest.raises(ValueError, match=message):
        cleanup.handler(bad_event, Context(), sessions=sessions, reports=reports)


def test_reads_table_names_from_the_environment(tables, monkeypatch):
    sessions, reports = tables
    monkeypatch.setenv(cleanup.settings.SESSIONS_TABLE, "sessions")
    monkeypatch.setenv(cleanup.settings.REPORTS_TABLE, "reports")
    monkeypatch.setattr(cleanup, "_resources", {})
    report = cleanup.handler(event(), Context())
    assert report["deleted"] == 5


def test_the_report_is_signed_with_the_secret_over_its_canonical_fields(tables):
    sessions, reports = tables
    report = cleanup.handler(event(), Context(), sessions=sessions, reports=reports)
    stored = reports.get_item(Key={"job": "session-cleanup", "scheduled_time": SCHEDULED})["Item"]
    assert stored["signature"] == report["signature"] == cleanup.report_signature(SIGNING_KEY.encode(), report)
    tampered = {**report, "deleted": report["deleted"] + 1}
    assert cleanup.report_signature(SIGNING_KEY.encode(), tampered) != report["signature"]


def test_the_delete_limit_parameter_stops_the_run_and_says_so(tables):
    sessions, reports = tables
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name=cleanup.settings.MAX_DELETES_PARAMETER_NAME, Value="2", Type="String", Overwrite=True
    )
    report = cleanup.handler(event(), Context(), sessions=sessions, reports=reports)
    assert (report["deleted"], report["complete"], report["stopped_at_limit"]) == (2, False, True)
    assert len([s for s in remaining_ids(sessions) if s.startswith("old-")]) == 3


@pytest.mark.parametrize("value", ["0", "many"])
def test_a_delete_limit_that_is_not_a_positive_integer_fails_the_run(tables, value):
    sessions, reports = tables
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name=cleanup.settings.MAX_DELETES_PARAMETER_NAME, Value=value, Type="String", Overwrite=True
    )
    with pytest.raises(ValueError, match="must be a positive integer"):
        cleanup.handler(event(), Context(), sessions=sessions, reports=reports)
    assert len(remaining_ids(sessions)) == 9  # nothing deleted
