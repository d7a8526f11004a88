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

class ObservedGrants:
    """What none of a test module's LocalClouds used: the intersection of their
    ``unused_grants()`` reports (a grant counts as used when any test used it).

    ``tests/local/conftest.py`` records every cloud a module opens when the module
    defines ``UNUSED_GRANTS``; the module's last test calls :meth:`assert_named`.
    """

    def __init__(self) -> None:
        self.clouds = 0
        self._unused: dict[str, set[str]] = {}

    def record(self, cloud: Any) -> None:
        report = {path: set(pairs) for path, pairs in cloud.unused_grants().items()}
        if self.clouds:
            both = {path: self._unused[path] & report.get(path, set()) for path in self._unused}
            report = {path: pairs for path, pairs in both.items() if pairs}
        self._unused = report
        self.clouds += 1

    def assert_named(self, expected: dict[str, dict[str, str]]) -> None:
        """Every grant no test used is named in ``expected`` (construct path ->
        ``{"action resource": reason}``), with a reason; an empty ``expected`` means
        every grant was used. A reported pair that is not named fails (a grant nobody
        needs, or a flow no test runs), and so does a named pair that some test used
        (the reason went stale)."""
        import pytest

        if not self.clouds:
            pytest.skip("no LocalCloud of this module ran: run the whole module")
        blank = [f"{path}: {pair}" for path, pairs in expected.items() for pair, why in pairs.items() if not why.strip()]
        assert not blank, f"unused grants named without a reason: {blank}"
        report = {path: sorted(pairs) for path, pairs in self._unused.items()}
        named = {path: sorted(pairs) for path, pairs in expected.items()}
        assert report == named, f"unused grants of {self.clouds} clouds differ from the named ones:\n" + json.dumps(report, indent=1)


#: Why a table's customer managed key goes unused locally (hardened stacks keep tables on the stack's data key).
TABLE_KEY_REASON = (
    "CDK's table grants add these KMS actions on the table's customer managed key (the hardened stack's data "
    "key); LocalCloud models the KMS requests of SSE-KMS queues, topics, streams and buckets, not of DynamoDB "
    "encryption at rest, so no local call can use them"
)
#: Why GetQueueAttributes/GetQueueUrl go unused where SendMessage is granted.
SEND_EXTRAS_REASON = (
    "queue.grant_send_messages (CDK) grants these two with sqs:SendMessage; the sender (Lambda's failure "
    "delivery, or the handler with the queue URL from its environment) only sends"
)



#: The key LocalCloud gives the hardened examples' data key (tables, buckets, logs).
DATA_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-100384098789"


def table_key(*actions: str) -> dict[str, str]:
    """The ``kms:<action>`` pairs on the data key that no local call can use, named with :data:`TABLE_KEY_REASON`."""
    return {f"kms:{action} {DATA_KEY_ARN}": TABLE_KEY_REASON for action in actions}


def send_extras(queue: str) -> dict[str, str]:
    """GetQueueAttributes/GetQueueUrl on ``queue`` (its name), named with :data:`SEND_EXTRAS_REASON`."""
    arn = f"arn:aws:sqs:us-east-1:123456789012:{queue}"
    return {f"sqs:{action} {arn}": SEND_EXTRAS_REASON for action in ("GetQueueAttributes", "GetQueueUrl")}

def synthesized_stack(stack_class: Callable[[cdk.App, str], cdk.Stack], name: str, outdir: Path) -> Any:
    """``stack_class(app, name)`` in a new app synthesized to ``outdir`` (LocalCloud reads its assets there)."""
    app = cdk.App(outdir=str(outdir))
    stack = stack_class(app, name)
    app.synth()
    return stack
