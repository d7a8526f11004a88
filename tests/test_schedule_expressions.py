"""Schedule expressions, table-driven: what EventBridge Scheduler accepts and rejects.

Pure Python (no CDK app); each invalid case names a fragment the message must
contain, so a case fails if the right rule does not fire.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cdk_serverless_patterns.patterns.schedule.expressions import (
    ScheduleExpressionError,
    check_schedule,
    check_timezone,
    parse_schedule,
)

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=timezone.utc)

VALID = [
    # rate: singular for 1, plural above
    ("rate(1 minute)", "rate", 60),
    ("rate(5 minutes)", "rate", 300),
    ("rate(15 minutes)", "rate", 900),
    ("rate(1 hour)", "rate", 3600),
    ("rate(12 hours)", "rate", 43200),
    ("rate(1 day)", "rate", 86400),
    ("rate(30 days)", "rate", 30 * 86400),
    # cron: the AWS documentation's examples and every wildcard
    ("cron(0 10 * * ? *)", "cron", None),
    ("cron(15 12 * * ? *)", "cron", None),
    ("cron(0 18 ? * MON-FRI *)", "cron", None),
    ("cron(0 8 1 * ? *)", "cron", None),
    ("cron(0/15 * * * ? *)", "cron", None),
    ("cron(0/10 * ? * MON-FRI *)", "cron", None),
    ("cron(0/5 8-17 ? * MON-FRI *)", "cron", None),
    ("cron(0 9 ? * 2#1 *)", "cron", None),
    ("cron(0 2 L * ? *)", "cron", None),
    ("cron(0 2 LW * ? *)", "cron", None),
    ("cron(0 2 15W * ? *)", "cron", None),
    ("cron(0 2 ? * 6L *)", "cron", None),
    ("cron(0 2 ? * L *)", "cron", None),
    ("cron(0,30 * * * ? *)", "cron", None),
    ("cron(0 0 1 JAN,JUL ? *)", "cron", None),
    ("cron(0 0 ? jan-mar mon *)", "cron", None),
    ("cron(0 2 * * ? 2027-2030)", "cron", None),
    ("cron(0 2 * * ? 2027/2)", "cron", None),
    ("cron(5-55/10 * * * ? *)", "cron", None),
    ("cron(59 23 31 12 ? 2199)", "cron", None),
    ("cron(0 0 1 1 ? 1970)", "cron", None),
    # at: in the future, well-formed
    ("at(2027-01-01T00:00:00)", "at", None),
    ("at(2026-11-23T10:01:00)", "at", None),
]

INVALID = [
    # (expression, fragment of the message; corrected examples where one exists)
    # --- rate
    ("rate(1 minutes)", "write 'rate(1 minute)'"),
    ("rate(1 hours)", "write 'rate(1 hour)'"),
    ("rate(1 days)", "write 'rate(1 day)'"),
    ("rate(5 minute)", "write 'rate(5 minutes)'"),
    ("rate(2 hour)", "write 'rate(2 hours)'"),
    ("rate(0 minutes)", "a value of at least 1"),
    ("rate(-5 minutes)", "a value of at least 1"),
    ("rate(1.5 hours)", "rate(90 minutes)"),
    ("rate(five minutes)", "a whole number of units"),
    ("rate(30 seconds)", "rate(1 minute)"),
    ("rate(2 weeks)", "rate(14 days)"),
    ("rate(1 month)", "use cron"),
    ("rate(5 Minutes)", "write 'rate(5 minutes)'"),
    ("rate(5 mins)", "spell the unit out"),
    ("rate(5minutes)", "rate(value unit) with one space"),
    ("rate(5  minutes)", "rate(value unit) with one space"),
    ("rate()", "rate(value unit) with one space"),
    ("rate(05 minutes)", "write 'rate(5 minutes)'"),
    ("RATE(5 minutes)", "write 'rate(5 minutes)'"),
    # --- cron: shape
    ("cron(0 2 * * *)", "five-field Unix cron"),
    ("cron(0 2 * * *)", "write 'cron(0 2 * * ? *)'"),
    ("cron(0 9 * * 1-5)", "write 'cron(0 9 ? * 2-6 *)'"),
    ("cron(30 6 * * 0)", "write 'cron(30 6 ? * 1 *)'"),
    ("cron(0 0 0 * * ? *)", "drop the seconds field: 'cron(0 0 * * ? *)'"),
    ("cron(0 2 * *)", "six fields"),
    ("cron()", "six fields"),
    ("0 2 * * *", "wrap it in cron(...) in AWS form: 'cron(0 2 * * ? *)'"),
    ("CRON(0 2 * * ? *)", "write 'cron(0 2 * * ? *)'"),
    # --- cron: day-of-month / day-of-week
    ("cron(0 2 * * * *)", "write 'cron(0 2 * * ? *)'"),
    ("cron(0 2 1 * MON *)", "the other must be '?'"),
    ("cron(0 2 * * MON *)", "write 'cron(0 2 ? * MON *)'"),
    ("cron(0 2 ? * ? *)", "not both"),
    # --- cron: ranges per field
    ("cron(60 2 * * ? *)", "out of range 0-59"),
    ("cron(0 24 * * ? *)", "out of range 0-23"),
    ("cron(0 2 0 * ? *)", "out of range 1-31"),
    ("cron(0 2 32 * ? *)", "out of range 1-31"),
    ("cron(0 2 ? 13 MON *)", "out of range 1-12"),
    ("cron(0 2 ? 0 MON *)", "out of range 1-12"),
    ("cron(0 2 ? * 0 *)", "out of range 1-7"),
    ("cron(0 2 ? * 8 *)", "out of range 1-7"),
    ("cron(0 2 * * ? 1969)", "out of range 1970-2199"),
    ("cron(0 2 * * ? 2200)", "out of range 1970-2199"),
    ("cron(0 2 ? FOO MON *)", "is not a number or a name"),
    ("cron(0 2 ? * MONDAY *)", "is not a number or a name"),
    ("cron(x 2 * * ? *)", "is not a number"),
    # --- cron: wildcards
    ("cron(0 22-2 * * ? *)", "split it, e.g. '22-23,0-2'"),
    ("cron(0/0 * * * ? *)", "increment"),
    ("cron(0/60 * * * ? *)", "increment"),
    ("cron(0 2 ? * MON/2 *)", "'/', which day-of-week does not allow"),
    ("cron(? 2 * * ? *)", "'?' only in day-of-month or day-of-week"),
    ("cron(0 2 ? * 3#1,6#3 *)", "holds a single expression"),
    ("cron(0 2 ? * 2#6 *)", "occurrence 1-5"),
    ("cron(0 2 3L * ? *)", "which day-of-month does not allow"),
    ("cron(0 2L * * ? *)", "which hours does not allow"),
    ("cron(0 2 ? * 5W *)", "which day-of-week does not allow"),
    ("cron(0,,30 2 * * ? *)", "stray comma"),
    # --- at
    ("at(2020-01-01T00:00:00)", "a time in the future"),
    ("at(2026-11-23T09:59:59)", "a time in the future"),
    ("at(2027-02-30T00:00:00)", "a real calendar date"),
    ("at(2027-13-01T00:00:00)", "a real calendar date"),
    ("at(2027-01-01T00:00:00Z)", "no offset or 'Z'"),
    ("at(2027-01-01T00:00:00+01:00)", "no offset or 'Z'"),
    ("at(2027-01-01 00:00:00)", "write e.g. 'at(2027-01-01T00:00:00)'"),
    ("at(2027-01-01T00:00)", "write e.g. 'at(2027-01-01T00:00:00)'"),
    ("at(tomorrow)", "at(yyyy-mm-ddThh:mm:ss)"),
    # --- anything else
    ("every night", "rate(value unit), cron("),
    ("", "rate(value unit), cron("),
    (" rate(5 minutes)", "no leading or trailing whitespace"),
    (42, "a string"),
    ("cron(" + ",".join(str(m) for m in range(60)) * 2 + " * * * ? *)", "at most 256 characters"),
]


@pytest.mark.parametrize(("expression", "kind", "rate_seconds"), VALID)
def test_valid_expressions_parse(expression, kind, rate_seconds):
    parsed = parse_schedule(expression, now=NOW)
    assert parsed.kind == kind
    assert parsed.expression == expression
    assert parsed.rate_seconds == rate_seconds
    assert parsed.is_recurring == (kind != "at")


@pytest.mark.parametrize(("expression", "fragment"), INVALID)
def test_invalid_expressions_are_rejected_with_a_fix(expression, fragment):
    parsed, issues = check_schedule(expression, now=NOW)
    assert parsed is None
    text = " | ".join(f"{i.allowed} / {i.fix}" for i in issues)
    assert fragment in text


@pytest.mark.parametrize(("expression", "fragment"), INVALID)
def test_suggested_corrections_are_themselves_valid(expression, fragment):
    """Every ``write '...'`` fix the validator proposes passes the validator."""
    _, issues = check_schedule(expression, now=NOW)
    for issue in issues:
        for prefix in ("write '", "write e.g. '", "wrap it in cron(...) in AWS form: '", "drop the seconds field: '"):
            if issue.fix.startswith(prefix):
                suggestion = issue.fix[len(prefix) :].split("'")[0]
                assert check_schedule(suggestion, now=NOW)[1] == [], (expression, suggestion)


def test_parse_schedule_raises_with_every_issue_and_the_expression():
    with pytest.raises(ScheduleExpressionError) as err:
        parse_schedule("cron(60 24 * * ? *)", now=NOW)
    assert len(err.value.issues) == 2
    assert "cron(60 24 * * ? *)" in str(err.value)


def test_at_is_compared_with_now_in_the_schedule_timezone():
    # 10:00 UTC is 11:00 in Berlin: 10:30 is still ahead in UTC but already past in Berlin.
    assert check_schedule("at(2026-11-23T10:30:00)", timezone="UTC", now=NOW)[1] == []
    parsed, issues = check_schedule("at(2026-11-23T10:30:00)", timezone="Europe/Berlin", now=NOW)
    assert parsed is None and "now in Europe/Berlin" in issues[0].allowed


@pytest.mark.parametrize("name", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT+5"])
def test_iana_timezones_are_accepted(name):
    assert check_timezone(name) is None


@pytest.mark.parametrize(
    ("name", "fix"),
    [
        ("Berlin", "did you mean 'Europe/Berlin'?"),
        ("europe/berlin", "did you mean 'Europe/Berlin'?"),
        ("CEST", "pass a name such as 'UTC'"),
        ("UTC+2", "pass a name such as 'UTC'"),
        ("Mars/Olympus_Mons", "pass a name such as 'UTC'"),
        ("localtime", "pass a name such as 'UTC'"),
        ("", "pass a name such as 'UTC'"),
    ],
)
def test_unknown_timezones_are_rejected(name, fix):
    issue = check_timezone(name)
    assert issue is not None and "IANA time zone" in issue.allowed
    assert fix in issue.fix


def test_missing_tz_database_is_reported(monkeypatch):
    from cdk_serverless_patterns.patterns.schedule import (
        expressions as schedule_expressions,
    )

    monkeypatch.setattr(schedule_expressions, "known_timezones", lambda: frozenset())
    issue = check_timezone("UTC")
    assert issue is not None and "tzdata" in issue.fix


def test_validator_is_pure_python():
    """Usable without jsii/aws_cdk (e.g. in a pre-commit hook or a handler)."""
    import subprocess
    import sys

    code = (
        "import sys, cdk_serverless_patterns.patterns.schedule.expressions as s; "
        "s.parse_schedule('rate(5 minutes)'); "
        "assert not any(m.split('.')[0] in ('aws_cdk', 'jsii') for m in sys.modules), 'aws_cdk imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
