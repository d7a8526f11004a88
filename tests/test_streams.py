"""StreamProcessing: template behaviour, checks, and one test per validation rule."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from cdk_serverless_patterns import FunctionSpec, StreamProcessing, enable_checks, set_default_alarm_topic
from cdk_serverless_patterns.runtime import env
from tests.support import (
    HANDLER_DIR,
    TEST_ALARM_TOPIC_ARN,
    as_list,
    config_error,
    error_alarms,
    read_template,
    report_violations,
    synth_keeping_error,
)

SPEC = FunctionSpec(code=HANDLER_DIR, handler="app.handler")
STREAM_ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """Every variant in one app, synthesized once with every check enabled."""
    outdir = tmp_path_factory.mktemp("streams")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    default = StreamProcessing(cdk.Stack(app, "Default"), "Clicks", processor=SPEC, result_table=True)
    existing_stack = cdk.Stack(app, "Existing")
    existing = StreamProcessing(
        existing_stack,
        "Clicks",
        processor=SPEC,
        stream=kinesis.Stream.from_stream_arn(existing_stack, "Stream", STREAM_ARN),
        batch_size=10000,
        max_batching_window=Duration.seconds(300),
        parallelization_factor=10,
        max_retry_attempts=-1,
        max_record_age=Duration.days(7),
        bisect_batch_on_error=False,
        iterator_age_alarm=Duration.minutes(1),
    )
    cmk_stack = cdk.Stack(app, "CustomerKey")
    cmk = StreamProcessing(
        cmk_stack,
        "Clicks",
        processor=SPEC,
        encryption_key=kms.Key(cmk_stack, "Key", enable_key_rotation=True),
        retention_period=Duration.days(7),
        shard_count=2,
        max_record_age=Duration.days(6),
        starting_position=lambda_.StartingPosition.LATEST,
        removal_policy=RemovalPolicy.DESTROY,
        create_alarms=False,
    )
    error = synth_keeping_error(app)


    return {
        "default": default,
        "existing": existing,
        "cmk": cmk,
        "existing_stack": existing_stack,
        "templates": {n: read_template(outdir, n) for n in ("Default", "Existing", "CustomerKey")},
        "report": outdir / "validation-report.json",
        "error": error,
    }


def only(template: Template, type_: str) -> dict:
    found = template.find_resources(type_)
    assert len(found) == 1, f"expected one {type_}, found {list(found)}"
    return next(iter(found.values()))


def processor_statements(template: Template) -> list[dict]:
    policy = next(
        p for lid, p in template.find_resources("AWS::IAM::Policy").items() if "ProcessorRoleDefaultPolicy" in lid
    )
    return policy["Properties"]["PolicyDocument"]["Statement"]


def test_zero_unacknowledged_findings(synthesized):
    assert report_violations(synthesized["report"]) == []
    assert synthesized["error"] is None


def test_stream_is_on_demand_kms_encrypted_and_retained(synthesized):
    stream = only(synthesized["templates"]["Default"], "AWS::Kinesis::Stream")
    props = stream["Properties"]
    assert props["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert props["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}
    assert props["RetentionPeriodHours"] == 24
    assert "ShardCount" not in props
    assert stream["DeletionPolicy"] == "Retain"


def test_event_source_mapping_defaults(synthesized):
    t = synthesized["templates"]["Default"]
    mapping = only(t, "AWS::Lambda::EventSourceMapping")["Properties"]
    stream_id = next(iter(t.find_resources("AWS::Kinesis::Stream")))
    queue_id = next(iter(t.find_resources("AWS::SQS::Queue")))
    alias_id = next(iter(t.find_resources("AWS::Lambda::Alias")))
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    assert alias_id in json.dumps(mapping["FunctionName"]) and ":live" in json.dumps(mapping["FunctionName"])
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == 100
    assert "MaximumBatchingWindowInSeconds" not in mapping
    assert mapping["ParallelizationFactor"] == 1
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == 3
    assert mapping["MaximumRecordAgeInSeconds"] == 3600
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}}


def test_processor_role_reads_this_stream_and_sends_to_the_failure_queue_only(synthesized):
    t = synthesized["templates"]["Default"]
    statements = processor_statements(t)
    stream_id = next(iter(t.find_resources("AWS::Kinesis::Stream")))
    kinesis_statement = next(s for s in statements if any(a.startswith("kinesis:") for a in s["Action"]))
    assert kinesis_statement["Resource"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    assert "kinesis:GetRecords" in kinesis_statement["Action"]
    assert not any(a.startswith(("kinesis:Put", "kms:")) for s in statements for a in as_list(s["Action"]))
    send = next(s for s in statements if "sqs:SendMessage" in as_list(s["Action"]))
    assert send["Resource"]["Fn::GetAtt"][0] == next(iter(t.find_resources("AWS::SQS::Queue")))
    # No '*' resource: X-Ray's lives in the function's own tracing policy.
    assert [s for s in statements if s["Resource"] == "*"] == []


def test_result_table_and_environment(synthesized):
    t = synthesized["templates"]["Default"]
    variables = only(t, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    table_id = next(iter(t.find_resources("AWS::DynamoDB::Table")))
    assert variables[env.RESULT_TABLE] == {"Ref": table_id}
    dynamo = next(s for s in processor_statements(t) if "dynamodb:UpdateItem" in as_list(s["Action"]))
    assert dynamo["Resource"] == [{"Fn::GetAtt": [table_id, "Arn"]}]


def test_alarms_iterator_age_errors_throttles_and_failure_queue(synthesized):
    t = synthesized["templates"]["Default"]
    alarms = t.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == len(synthesized["default"].alarms)
    by_metric = {a["Properties"].get("MetricName"): a["Properties"] for a in alarms.values()}
    assert {"Throttles", "ApproximateNumberOfMessagesVisible"} <= set(by_metric)
    assert error_alarms(alarms) == 2  # count (quiet periods) and rate: metric math on Errors/Invocations
    age = by_metric["GetRecords.IteratorAgeMilliseconds"]
    assert age["Namespace"] == "AWS/Kinesis" and age["Statistic"] == "Maximum" and age["Threshold"] == 300000


def test_attributes(synthesized):
    c = synthesized["default"]
    assert c.stream is not None and c.failure_queue is not None and c.table is not None
    assert c.event_source_mapping is not None and c.processor.alias is not None and c.dashboard is None


def test_existing_stream_with_tuned_mapping(synthesized):
    t = synthesized["templates"]["Existing"]
    assert t.find_resources("AWS::Kinesis::Stream") == {}
    mapping = only(t, "AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["EventSourceArn"] == STREAM_ARN
    assert mapping["StartingPosition"] == "LATEST"  # no surprise replay of an existing stream
    assert mapping["BatchSize"] == 10000 and mapping["MaximumBatchingWindowInSeconds"] == 300
    assert mapping["ParallelizationFactor"] == 10 and mapping["MaximumRecordAgeInSeconds"] == 604800
    assert "MaximumRetryAttempts" not in mapping  # -1: Lambda's "until the record expires"
    assert mapping["BisectBatchOnFunctionError"] is False
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"]
    kinesis_statement = next(s for s in processor_statements(t) if any(a.startswith("kinesis:") for a in as_list(s["Action"])))
    assert kinesis_statement["Resource"] == STREAM_ARN
    age = next(a for a in t.find_resources("AWS::CloudWatch::Alarm").values() if a["Properties"].get("MetricName") == "GetRecords.IteratorAgeMilliseconds")
    assert age["Properties"]["Threshold"] == 60000
    Annotations.from_stack(synthesized["existing_stack"]).has_warning("*", Match.string_like_regexp("poison record blocks its shard"))


def test_customer_managed_key(synthesized):
    t = synthesized["templates"]["CustomerKey"]
    stream = only(t, "AWS::Kinesis::Stream")
    key_id = next(iter(t.find_resources("AWS::KMS::Key")))
    assert stream["Properties"]["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": {"Fn::GetAtt": [key_id, "Arn"]}}
    assert stream["Properties"]["RetentionPeriodHours"] == 168 and stream["DeletionPolicy"] == "Delete"
    assert stream["Properties"]["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert stream["Properties"]["ShardCount"] == 2
    decrypt = [s for s in processor_statements(t) if "kms:Decrypt" in as_list(s["Action"])]
    assert decrypt and decrypt[0]["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert only(t, "AWS::Lambda::EventSourceMapping")["Properties"]["StartingPosition"] == "LATEST"
    assert t.find_resources("AWS::CloudWatch::Alarm") == {} and synthesized["cmk"].alarms == []


# --- validation: one test per rule ------------------------------------------------


def build(**options):
    options.setdefault("processor", SPEC)
    return str(config_error(StreamProcessing, "Clicks", stack_id="S", **options))


def existing_stream():
    scope = cdk.Stack(cdk.App(), "Other")
    return kinesis.Stream.from_stream_arn(scope, "Stream", STREAM_ARN)


def test_invalid_processor_spec():
    message = build(processor=SPEC.replace(timeout=Duration.minutes(16)))
    assert "'S/Clicks'" in message and "processor.timeout='960 s'" in message


@pytest.mark.parametrize("size", [0, 10001])
def test_batch_size_out_of_range(size):
    message = build(batch_size=size)
    assert f"batch_size={size}" in message and "1-10000 (Kinesis event source)" in message


def test_batching_window_above_five_minutes():
    message = build(max_batching_window=Duration.seconds(301))
    assert "max_batching_window='301 s'" in message and "0-300 s" in message


@pytest.mark.parametrize("factor", [0, 11])
def test_parallelization_factor_out_of_range(factor):
    message = build(parallelization_factor=factor)
    assert f"parallelization_factor={factor}" in message and "1-10" in message


@pytest.mark.parametrize("retries", [-2, 10001])
def test_retry_attempts_out_of_range(retries):
    message = build(max_retry_attempts=retries)
    assert f"max_retry_attempts={retries}" in message and "-1 (until the record expires) to 10000" in message


@pytest.mark.parametrize("age", [Duration.seconds(59), Duration.seconds(604801)])
def test_max_record_age_out_of_range(age):
    message = build(stream=existing_stream(), max_record_age=age)
    assert "max_record_age=" in message and "60 s-604800 s" in message


@pytest.mark.parametrize(
    "options, field",
    [
        ({"max_record_age": Duration.millis(61500)}, "max_record_age='61.5 s'"),
        ({"max_batching_window": Duration.millis(1500)}, "max_batching_window='1.5 s'"),
    ],
)
def test_durations_in_fractions_of_a_second(options, field):
    # Lambda takes whole seconds; Duration.to_seconds() would raise a jsii error.
    message = build(**options)
    assert field in message and "in whole seconds" in message


def test_retention_in_fractions_of_an_hour():
    # Kinesis retention is whole hours: the Stream construct would fail after the processor exists.
    message = build(retention_period=Duration.minutes(90 * 24 + 30))
    assert "retention_period='36.5 h'" in message and "whole hours" in message


def test_iterator_age_alarm_below_a_second_is_allowed():
    stack = cdk.Stack(cdk.App(), "S")
    StreamProcessing(stack, "Clicks", processor=SPEC, iterator_age_alarm=Duration.millis(1500))
    alarms = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")
    assert any(a["Properties"].get("Threshold") == 1500 for a in alarms.values())


def test_max_record_age_not_shorter_than_retention():
    message = build(max_record_age=Duration.hours(24))
    assert "max_record_age='86400 s'" in message and "shorter than the stream's retention" in message


@pytest.mark.parametrize("retention", [Duration.hours(23), Duration.hours(8761)])
def test_retention_out_of_range(retention):
    message = build(retention_period=retention)
    assert "retention_period=" in message and "24-8760 h" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [("encryption_key", "key"), ("retention_period", Duration.days(2)), ("shard_count", 2)],
)
def test_stream_settings_with_an_existing_stream(field, value):
    message = build(stream=existing_stream(), **{field: value})
    assert f"{field}=" in message and "only when the construct creates the stream" in message


@pytest.mark.parametrize("count", [0, 1.5])
def test_shard_count_not_a_positive_integer(count):
    message = build(shard_count=count)
    assert f"shard_count={count}" in message and "an integer >= 1" in message


def test_stream_of_wrong_type():
    message = build(stream="clicks")
    assert "stream='clicks'" in message and "kinesis.IStream" in message


def test_encryption_key_of_wrong_type():
    message = build(encryption_key="alias/mine")
    assert "encryption_key='alias/mine'" in message and "kms.IKey" in message


def test_result_table_of_wrong_type():
    assert "result_table=5" in build(result_table=5)


def test_iterator_age_alarm_not_positive():
    assert "iterator_age_alarm=" in build(iterator_age_alarm=Duration.seconds(0))


def test_every_problem_is_reported_at_once():
    message = build(batch_size=0, parallelization_factor=20, max_retry_attempts=-5)
    assert message.count(" is invalid: ") == 3
