"""Helpers shared by the test modules (no fixtures here; see conftest.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import aws_cdk as cdk
from aws_cdk import assertions

FIXTURES = Path(__file__).parent / "fixtures"
HANDLER_DIR = FIXTURES / "handler"

_HASH = re.compile(r"[0-9a-f]{64}")
_VERSION_ID = re.compile(r"(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}")


def normalize_template(template: dict[str, Any]) -> dict[str, Any]:
    """The template with asset hashes and hash-suffixed version ids replaced.

    What is left is what the construct decided, so a snapshot diff is a real change.
    """
    text = json.dumps(template, sort_keys=True, indent=1)
    text = _HASH.sub("<asset-hash>", text)
    text = _VERSION_ID.sub(r"\1<code-hash>", text)
    return json.loads(text)


def template_of(stack: cdk.Stack) -> assertions.Template:
    return assertions.Template.from_stack(stack)


def report_violations(report_path: Path, stack_names: Iterable[str] | None = None) -> list[str]:
    """Unacknowledged findings in a validation report, one line each.

    Restricted to constructs under ``stack_names`` when given.
    """
    report = json.loads(report_path.read_text())
    lines = []
    prefixes = tuple(f"{s}/" for s in stack_names) if stack_names else None
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                path = construct.get("constructPath", "")
                if prefixes is None or path.startswith(prefixes):
                    lines.append(f"{plugin['pluginName']}: {violation['ruleName']} at {path}")
    return lines


def config_error(
    construct: Callable[..., Any],
    construct_id: str,
    *,
    stack_id: str = "V",
    env: Optional[cdk.Environment] = None,
    **options: Any,
):
    """Build ``construct`` with ``options`` in a fresh stack, expecting a PatternConfigError.

    Asserts that invalid input created nothing (the construct is not in the
    tree) and returns the error, so each validation test checks its message.
    """
    import pytest

    from cdk_serverless_patterns import PatternConfigError

    stack = cdk.Stack(cdk.App(), stack_id, env=env)
    with pytest.raises(PatternConfigError) as info:
        construct(stack, construct_id, **options)
    assert stack.node.try_find_child(construct_id) is None, "invalid input must create nothing"
    return info.value


def as_list(value: Any) -> list:
    """A CloudFormation value that may be a scalar or a list, as a list."""
    return value if isinstance(value, list) else [value]


def synth_keeping_error(app: cdk.App) -> Optional[Exception]:
    """Synthesize ``app``; return the error instead of raising it.

    With checks enabled, synth raises ValidationFailed on findings; the tests
    then read the validation report to say which, so the error is kept, not raised.
    """
    try:
        app.synth()
    except Exception as exc:  # ValidationFailed: the report says why
        return exc
    return None


def read_template(outdir: Path, stack_name: str) -> assertions.Template:
    """The synthesized template of ``stack_name`` in ``outdir``."""
    return assertions.Template.from_json(json.loads((Path(outdir) / f"{stack_name}.template.json").read_text()))


def create_moto_table(ddb: Any, name: str, partition_key: str, sort_key: Optional[str] = None, sort_type: str = "S") -> Any:
    """An on-demand table with a string partition key (and optional sort key) in moto.

    ``ddb`` is a boto3 DynamoDB client or resource; returns what its ``create_table`` returns.
    """
    keys = [(partition_key, "HASH", "S")] + ([(sort_key, "RANGE", sort_type)] if sort_key else [])
    return ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": k, "KeyType": kind} for k, kind, _ in keys],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": t} for k, _, t in keys],
        BillingMode="PAY_PER_REQUEST",
    )


#: An existing alarm topic for test apps: ``set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)``
#: gives every alarm an action, as a real app would (SP-ALARM-ACTION stays quiet).
TEST_ALARM_TOPIC_ARN = "arn:aws:sns:us-east-1:111111111111:test-alarms"


def error_alarms(alarms: dict[str, Any]) -> int:
    """How many of ``alarms`` (template resources) are a function's error alarms: metric math on its
    ``Errors`` and ``Invocations`` (the count alarm for quiet periods and the rate alarm)."""
    return sum(
        1
        for a in alarms.values()
        if {m["MetricStat"]["Metric"]["MetricName"] for m in a["Properties"].get("Metrics", []) if "MetricStat" in m}
        == {"Errors", "Invocations"}
    )


def synthesized_stack(stack_class: Callable[[cdk.App, str], cdk.Stack], name: str, outdir: Path) -> Any:
    """``stack_class(app, name)`` in a new app synthesized to ``outdir`` (LocalCloud reads its assets there)."""
    app = cdk.App(outdir=str(outdir))
    stack = stack_class(app, name)
    app.synth()
    return stack
