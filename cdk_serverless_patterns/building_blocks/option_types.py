"""The *type* of every pattern option, as data, checked before anything else.

A wrong type (``removal_policy="destroy"``, ``alarm_topic="arn:..."``,
``create_alarms="no"``, a list where a mapping is expected) would otherwise
fail deep inside jsii or the pattern with an ``AttributeError``/``TypeError``
after children exist, or be accepted silently. Each pattern lists its options
with an :class:`OptionType`; :func:`check_option_types` adds one problem per
wrong value (showing the value, what is allowed and how to fix it) and returns
the values with the wrong ones replaced by ``None`` (the default), so the value
rules that follow can run without tripping over them and every problem lands in
the same :class:`~cdk_serverless_patterns.errors.PatternConfigError`.

``None`` always passes: it means "the default".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from aws_cdk import Duration, RemovalPolicy

from cdk_serverless_patterns._cdk_modules import aws_logs as logs
from cdk_serverless_patterns.errors import Problems, is_number


@dataclass(frozen=True)
class OptionType:
    """``check(value)`` says whether ``value`` has the right type; ``allowed`` and
    ``fix`` become the message."""

    check: Callable[[Any], bool]
    allowed: str
    fix: str


def instance_of(types: type | tuple[type, ...], allowed: str, fix: str) -> OptionType:
    return OptionType(lambda v: isinstance(v, types), allowed, fix)


def resource(attribute: str, allowed: str, fix: str) -> OptionType:
    """An L2 resource or its interface (``ITable``, ``ITopic``...), imported ones included.

    jsii interfaces are structural, so the test is the attribute every
    implementation has (``table_name``, ``topic_arn``...).
    """
    return OptionType(lambda v: not isinstance(v, (str, bytes, Mapping)) and hasattr(v, attribute), allowed, fix)


BOOL = instance_of(bool, "True or False", "pass True or False (not a string or number)")
STRING = instance_of(str, "a string", "pass a string")
STRING_LIST = OptionType(
    lambda v: isinstance(v, (list, tuple)) and all(isinstance(item, str) for item in v),
    "a list of strings",
    "pass a list, e.g. ['a', 'b'] (a single string is not a list)",
)
INTEGER = OptionType(is_number, "an integer", "pass a whole number, not a bool, string or float")
NUMBER = OptionType(
    lambda v: is_number(v, integer=False),
    "a finite number",
    "pass a number such as 10 or 2.5, not a bool, string, inf or NaN",
)
DURATION = instance_of(Duration, "an aws_cdk.Duration", "pass e.g. Duration.seconds(30), not a number or string")
MAPPING = instance_of(Mapping, "a mapping (dict)", "pass a dict, e.g. {'key': value}")
ALARM_TOPIC = resource(
    "topic_arn",
    "an sns.ITopic, or None for no alarm actions",
    "pass EncryptedTopic(self, 'Alarms', service_publishers=['cloudwatch.amazonaws.com']).topic or "
    "sns.Topic.from_topic_arn(self, 'Alarms', arn), not the ARN string",
)
#: CloudFormation snapshots only EC2 volumes, ElastiCache clusters and replication groups,
#: RDS instances and clusters, Neptune and DocumentDB clusters and Redshift clusters
#: (DeletionPolicy ``Snapshot``); no pattern creates one of those, so SNAPSHOT cannot do what it says.
REMOVAL_POLICY = OptionType(
    lambda v: isinstance(v, RemovalPolicy) and v is not RemovalPolicy.SNAPSHOT,
    "an aws_cdk.RemovalPolicy: RETAIN, DESTROY or RETAIN_ON_UPDATE_OR_DELETE (not SNAPSHOT: CloudFormation "
    "snapshots only EC2 volumes and RDS, ElastiCache, Neptune, DocumentDB and Redshift databases, none of "
    "which a pattern creates)",
    "pass removal_policy=RemovalPolicy.RETAIN to keep the data (back tables up with point-in-time recovery), "
    "or RemovalPolicy.DESTROY (the member, not its name)",
)
LOG_RETENTION = OptionType(
    lambda v: isinstance(v, logs.RetentionDays),
    "an aws_logs.RetentionDays",
    "pass log_retention=logs.RetentionDays.ONE_MONTH (the member, not a number of days or a name)",
)
TABLE = resource(
    "table_name", "a dynamodb.ITable", "pass a Table, or dynamodb.Table.from_table_name(self, 'Id', name), not a name"
)
BUCKET = resource(
    "bucket_name", "an s3.IBucket", "pass a Bucket, or s3.Bucket.from_bucket_name(self, 'Id', name), not a name"
)
TOPIC = resource(
    "topic_arn", "an sns.ITopic", "pass a Topic, or sns.Topic.from_topic_arn(self, 'Id', arn), not an ARN string"
)
EVENT_BUS = resource(
    "event_bus_name",
    "an events.IEventBus",
    "pass an EventBus, or events.EventBus.from_event_bus_name(self, 'Id', name), not a name",
)

#: The options every pattern takes.
COMMON: dict[str, OptionType] = {
    "alarm_topic": ALARM_TOPIC,
    "create_alarms": BOOL,
    "removal_policy": REMOVAL_POLICY,
    "log_retention": LOG_RETENTION,
    "dashboard": BOOL,
}


def check_option_types(problems: Problems, values: Mapping[str, Any], rules: Mapping[str, OptionType]) -> dict[str, Any]:
    """Add a problem for every value in ``values`` whose rule in ``rules`` fails.

    Returns ``values`` with each wrong value replaced by ``None``. Names without
    a rule pass through unchecked.
    """
    checked = dict(values)
    for name, value in values.items():
        rule = rules.get(name)
        if rule is None or value is None or rule.check(value):
            continue
        problems.add(name, value, rule.allowed, rule.fix)
        checked[name] = None
    return checked
