"""EventProcessing: template behaviour, checks, and one test per validation rule."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from cdk_serverless_patterns import EventProcessing, FunctionSpec, Idempotency, enable_checks, set_default_alarm_topic
from cdk_serverless_patterns.runtime import env
from tests.support import (
    TEST_ALARM_TOPIC_ARN,
    HANDLER_DIR,
    as_list,
    config_error,
    error_alarms,
    read_template,
    report_violations,
    synth_keeping_error,
)

SPEC = FunctionSpec(
    code=HANDLER_DIR,
    handler="app.handler",
    # EventBridge invokes asynchronously (at least once): SP-IDEMPOTENCY wants the handler's answer.
    idempotency=Idempotency.conditional_write("bucket/key#version-id"),
)
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:uploads"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """Every variant in one app, synthesized once with every check enabled."""
    outdir = tmp_path_factory.mktemp("events")
    app = cdk.App(outdir=str(outdir))
    enable_checks(app)
    set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
    default = EventProcessing(
        cdk.Stack(app, "Default"), "Ingest", processor=SPEC, prefix="uploads/", suffix=".csv", result_table=True
    )
    buffered = EventProcessing(
        cdk.Stack(app, "Buffered"),
        "Ingest",
        processor=SPEC.replace(timeout=Duration.seconds(20)),
        prefix="in/",
        buffer=True,
        batch_size=100,
        max_batching_window=Duration.seconds(5),
        max_receive_count=3,
        retry_attempts=10,
        max_event_age=Duration.minutes(30),
    )
    existing_stack = cdk.Stack(app, "Existing")
    existing = EventProcessing(
        existing_stack,
        "Ingest",
        processor=SPEC,
        bucket=s3.Bucket.from_bucket_name(existing_stack, "Uploads", "company-uploads"),
        suffix=".json",
        notify=sns.Topic.from_topic_arn(existing_stack, "Topic", TOPIC_ARN),
        result_table=dynamodb.Table.from_table_name(existing_stack, "Table", "results"),
    )
    quiet = EventProcessing(cdk.Stack(app, "Quiet"), "Ingest", processor=SPEC, notify=False, create_alarms=False)
    error = synth_keeping_error(app)


    return {
        "default": default,
        "buffered": buffered,
        "existing": existing,
        "quiet": quiet,
        "templates": {n: read_template(outdir, n) for n in ("Default", "Buffered", "Existing", "Quiet")},
        "report": outdir / "validation-report.json",
        "error": error,
    }


def resources(template: Template, type_: str) -> dict:
    return template.find_resources(type_)


def only(template: Template, type_: str) -> dict:
    found = resources(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {list(found)}"
    return next(iter(found.values()))


def test_zero_unacknowledged_findings(synthesized):
    assert report_violations(synthesized["report"]) == []
    assert synthesized["error"] is None


def test_bucket_is_private_encrypted_versioned_logged_and_sends_to_eventbridge(synthesized):
    t = synthesized["templates"]["Default"]
    buckets = resources(t, "AWS::S3::Bucket")
    data = next(b for lid, b in buckets.items() if "AccessLogs" not in lid)
    props = data["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert props["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    log_id = next(lid for lid in buckets if "AccessLogs" in lid)
    assert props["LoggingConfiguration"] == {"DestinationBucketName": {"Ref": log_id}, "LogFilePrefix": "Bucket/"}
    assert data["DeletionPolicy"] == "Retain"
    # The bucket property, not CDK's notifications custom resource and its helper Lambda.
    assert resources(t, "Custom::S3BucketNotifications") == {}
    assert len(resources(t, "AWS::Lambda::Function")) == 1


def test_bucket_policies_deny_plain_http_and_old_tls_and_allow_scoped_log_delivery(synthesized):
    t = synthesized["templates"]["Default"]
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
                        Match.object_like({"Effect": "Deny", "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}}}),
                    ]
                )
            }
        },
    )
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:PutObject",
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                                "Condition": Match.object_like({"ArnLike": {"aws:SourceArn": Match.any_value()}}),
                            }
                        )
                    ]
                )
            }
        },
    )


def test_rule_matches_object_created_with_prefix_and_suffix_and_targets_the_alias(synthesized):
    t = synthesized["templates"]["Default"]
    rule = only(t, "AWS::Events::Rule")["Properties"]
    assert rule["EventPattern"]["source"] == ["aws.s3"]
    assert rule["EventPattern"]["detail-type"] == ["Object Created"]
    assert rule["EventPattern"]["detail"]["object"] == {"key": [{"wildcard": "uploads/*.csv"}]}
    [target] = rule["Targets"]
    alias_id = next(iter(resources(t, "AWS::Lambda::Alias")))
    assert target["Arn"] == {"Ref": alias_id}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 3600}
    assert "DeadLetterConfig" in target
    t.has_resource_properties(
        "AWS::Lambda::Permission", {"Principal": "events.amazonaws.com", "FunctionName": {"Ref": alias_id}}
    )


def test_target_dlq_accepts_events_from_this_rule_only(synthesized):
    t = synthesized["templates"]["Default"]
    rule_id = next(iter(resources(t, "AWS::Events::Rule")))
    t.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "sqs:SendMessage",
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_alias_has_async_retry_and_on_failure_destination(synthesized):
    t = synthesized["templates"]["Default"]
    # Lambda applies event-invoke configs per qualifier; the rule invokes the alias.
    alias_config = next(c for lid, c in resources(t, "AWS::Lambda::EventInvokeConfig").items() if "Alias" in lid)
    props = alias_config["Properties"]
    assert props["MaximumRetryAttempts"] == 2 and props["MaximumEventAgeInSeconds"] == 3600
    assert "AsyncFailures" in props["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert "Alias" in json.dumps(props["Qualifier"])


def test_processor_reads_only_the_prefix_and_writes_results_and_notifications(synthesized):
    t = synthesized["templates"]["Default"]
    policy = next(p for lid, p in resources(t, "AWS::IAM::Policy").items() if "Processor" in lid)
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    s3_statements = [s for s in statements if any(str(a).startswith("s3:") for a in as_list(s["Action"]))]
    assert len(s3_statements) == 1
    assert s3_statements[0]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert s3_statements[0]["Resource"]["Fn::Join"][1][1] == "/uploads/*"
    actions = {a for s in statements for a in as_list(s["Action"])}
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:BatchWriteItem", "sns:Publish"} <= actions
    assert {"kms:GenerateDataKey", "kms:Decrypt"} <= actions
    assert not any("*" in a for a in actions)  # no wildcard actions (List*, GenerateDataKey*, ...)


def test_processor_environment_names_table_and_topic(synthesized):
    t = synthesized["templates"]["Default"]
    variables = only(t, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    assert env.RESULT_TABLE in variables and env.NOTIFY_TOPIC_ARN in variables
    table = only(t, "AWS::DynamoDB::Table")
    assert table["DeletionPolicy"] == "Retain" and table["Properties"]["DeletionProtectionEnabled"] is True
    only(t, "AWS::SNS::Topic")["Properties"]["KmsMasterKeyId"]


def test_alarms_cover_processor_dlqs_and_rule(synthesized):
    t = synthesized["templates"]["Default"]
    construct = synthesized["default"]
    alarms = resources(t, "AWS::CloudWatch::Alarm")
    assert len(alarms) == len(construct.alarms)
    names = {a["Properties"].get("MetricName") for a in alarms.values()}
    assert {"Throttles", "FailedInvocations", "InvocationsFailedToBeSentToDlq", "ApproximateNumberOfMessagesVisible"} <= names
    assert error_alarms(alarms) == 2  # count (quiet periods) and rate: metric math on Errors/Invocations
    failed = next(a for a in alarms.values() if a["Properties"].get("MetricName") == "FailedInvocations")
    assert failed["Properties"]["Namespace"] == "AWS/Events"
    rule_id = next(iter(resources(t, "AWS::Events::Rule")))
    assert failed["Properties"]["Dimensions"] == [{"Name": "RuleName", "Value": {"Ref": rule_id}}]
    depth_alarms = [a for a in alarms.values() if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"]
    assert len(depth_alarms) == 2  # the target DLQ and the processor's async failure queue


def test_attributes(synthesized):
    c = synthesized["default"]
    assert c.bucket is not None and c.access_log_bucket is not None and c.rule is not None
    assert c.topic is not None and c.table is not None and c.dead_letter_queue is not None
    assert c.buffer is None and c.processor.alias is not None and c.dashboard is None


def test_buffer_batches_through_a_work_queue(synthesized):
    t = synthesized["templates"]["Buffered"]
    rule = only(t, "AWS::Events::Rule")["Properties"]
    assert rule["EventPattern"]["detail"]["object"] == {"key": [{"prefix": "in/"}]}
    [target] = rule["Targets"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 1800}
    queue_id = target["Arn"]["Fn::GetAtt"][0]
    queue = resources(t, "AWS::SQS::Queue")[queue_id]["Properties"]
    assert queue["VisibilityTimeout"] == 120  # 6 x 20 s
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3
    mapping = only(t, "AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert mapping["BatchSize"] == 100 and mapping["MaximumBatchingWindowInSeconds"] == 5
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Polled, not invoked asynchronously: no event-invoke config, no async failure queue.
    assert resources(t, "AWS::Lambda::EventInvokeConfig") == {}
    assert synthesized["buffered"].buffer is not None and synthesized["buffered"].buffer_mapping is not None


def test_existing_bucket_topic_and_table(synthesized):
    t = synthesized["templates"]["Existing"]
    c = synthesized["existing"]
    assert resources(t, "AWS::S3::Bucket") == {} and resources(t, "AWS::SNS::Topic") == {}
    assert resources(t, "AWS::DynamoDB::Table") == {} and c.access_log_bucket is None
    rule = only(t, "AWS::Events::Rule")["Properties"]
    assert rule["EventPattern"]["detail"]["bucket"] == {"name": ["company-uploads"]}
    assert rule["EventPattern"]["detail"]["object"] == {"key": [{"suffix": ".json"}]}
    policy = next(p for lid, p in resources(t, "AWS::IAM::Policy").items() if "Processor" in lid)
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert {"Action": "sns:Publish", "Effect": "Allow", "Resource": TOPIC_ARN} in statements
    s3_statement = next(s for s in statements if s["Action"] == ["s3:GetObject", "s3:GetObjectVersion"])
    assert "arn:" in json.dumps(s3_statement["Resource"]) and "company-uploads/*" in json.dumps(s3_statement["Resource"])


def test_existing_kms_encrypted_topic_gets_its_key_grant():
    # An existing topic encrypted with a customer managed key: SNS encrypts each
    # published message with the publisher's permissions, so without
    # kms:GenerateDataKey + kms:Decrypt on that key every Publish is denied.
    stack = cdk.Stack(cdk.App(), "EncryptedTopic")
    key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    topic = sns.Topic.from_topic_attributes(stack, "Topic", topic_arn=TOPIC_ARN, key_arn=key_arn)
    EventProcessing(stack, "Ingest", processor=SPEC, notify=topic)
    policy = next(
        p for lid, p in resources(Template.from_stack(stack), "AWS::IAM::Policy").items() if "Processor" in lid
    )
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert {"Action": "sns:Publish", "Effect": "Allow", "Resource": TOPIC_ARN} in statements
    assert {"Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Effect": "Allow", "Resource": key_arn} in statements


def test_no_topic_no_filter_no_alarms(synthesized):
    t = synthesized["templates"]["Quiet"]
    c = synthesized["quiet"]
    assert c.topic is None and c.alarms == []
    assert resources(t, "AWS::SNS::Topic") == {} and resources(t, "AWS::CloudWatch::Alarm") == {}
    assert "object" not in only(t, "AWS::Events::Rule")["Properties"]["EventPattern"]["detail"]
    variables = only(t, "AWS::Lambda::Function")["Properties"].get("Environment", {}).get("Variables", {})
    assert env.NOTIFY_TOPIC_ARN not in variables


# --- validation: one test per rule ------------------------------------------------


def build(**options):
    options.setdefault("processor", SPEC)
    return str(config_error(EventProcessing, "Ingest", stack_id="S", **options))


def test_invalid_processor_spec():
    message = build(processor=SPEC.replace(memory_size=64))
    assert "'S/Ingest'" in message and "processor.memory_size=64" in message and "128-10240" in message


@pytest.mark.parametrize("field", ["prefix", "suffix"])
def test_empty_prefix_or_suffix(field):
    message = build(**{field: ""})
    assert f"{field}=''" in message and "non-empty" in message and f"leave {field} out" in message


@pytest.mark.parametrize("value", ["raw/dt=2026", "my uploads/", "a+b", "x*"])
def test_prefix_with_characters_s3_encodes(value):
    message = build(prefix=value)
    assert f"prefix={value!r}" in message and "S3 URL-encodes" in message


def test_prefix_longer_than_an_s3_key():
    message = build(suffix="a" * 1025)
    assert "suffix='1025 bytes'" in message and "at most 1024 bytes" in message


def test_prefix_token():
    message = build(prefix=cdk.Fn.join("/", ["uploads", cdk.Aws.ACCOUNT_ID]))
    assert "plain string known at synth time" in message


def test_bucket_of_wrong_type():
    assert "bucket='my-bucket'" in build(bucket="my-bucket") and "an s3.IBucket" in build(bucket="my-bucket")


def test_notify_of_wrong_type():
    message = build(notify="arn:aws:sns:eu-west-1:1:t")
    assert "notify='arn:aws:sns:eu-west-1:1:t'" in message and "existing sns.ITopic" in message


def test_result_table_of_wrong_type():
    message = build(result_table="results")
    assert "result_table='results'" in message and "dynamodb.ITable" in message


@pytest.mark.parametrize("retries", [-1, 186])
def test_retry_attempts_out_of_range(retries):
    message = build(retry_attempts=retries)
    assert f"retry_attempts={retries}" in message and "0-185 (EventBridge target retry policy)" in message


@pytest.mark.parametrize("age", [Duration.seconds(30), Duration.hours(25)])
def test_max_event_age_out_of_range(age):
    message = build(max_event_age=age)
    assert "max_event_age=" in message and "60-86400 s" in message


def test_max_event_age_not_a_duration():
    assert "an aws_cdk.Duration" in build(max_event_age=3600)


@pytest.mark.parametrize("field", ["batch_size", "max_batching_window"])
def test_batching_options_need_buffer(field):
    value = 10 if field == "batch_size" else Duration.seconds(1)
    message = build(**{field: value})
    assert f"{field}=" in message and "only with buffer=True" in message and "pass buffer=True" in message


@pytest.mark.parametrize("size", [0, 10001])
def test_batch_size_out_of_range(size):
    message = build(buffer=True, batch_size=size, max_batching_window=Duration.seconds(1))
    assert f"batch_size={size}" in message and "1-10000" in message


def test_batch_size_above_ten_needs_a_window():
    message = build(buffer=True, batch_size=11)
    assert "max_batching_window=None" in message and "at least 1 s when batch_size > 10" in message


def test_batching_window_above_five_minutes():
    message = build(buffer=True, max_batching_window=Duration.seconds(301))
    assert "max_batching_window='301 s'" in message and "0-300 s" in message


@pytest.mark.parametrize(
    "options, field",
    [
        ({"max_event_age": Duration.millis(61500)}, "max_event_age='61.5 s'"),
        ({"buffer": True, "max_batching_window": Duration.millis(1500)}, "max_batching_window='1.5 s'"),
    ],
)
def test_durations_in_fractions_of_a_second(options, field):
    # EventBridge and Lambda take whole seconds; Duration.to_seconds() would raise a jsii error.
    message = build(**options)
    assert field in message and "in whole seconds" in message


def test_processor_timeout_too_long_for_the_buffer_visibility():
    message = build(buffer=True, processor=SPEC.replace(timeout=Duration.hours(3)))
    assert "processor.timeout='10800 s'" in message and "12 h maximum" in message


def test_max_receive_count_out_of_range():
    message = build(buffer=True, max_receive_count=0)
    assert "max_receive_count=0" in message and "1-1000" in message


def test_every_problem_is_reported_at_once():
    message = build(prefix="", suffix="a b", retry_attempts=500, result_table="x")
    assert message.count(" is invalid: ") == 4
