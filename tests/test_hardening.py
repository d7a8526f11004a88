"""enable_hardening: customer managed keys for logs and data buckets, AWS Backup for tables."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from cdk_serverless_patterns import (
    ApiAuth,
    ApiBackend,
    EventProcessing,
    FunctionSpec,
    PatternConfigError,
    enable_hardening,
    set_default_alarm_topic,
)
from cdk_serverless_patterns.building_blocks.hardening import STACK_RESOURCES_ID, is_hardened
from cdk_serverless_patterns.building_blocks.tables import create_table
from tests.support import HANDLER_DIR, TEST_ALARM_TOPIC_ARN

SPEC = FunctionSpec(code=HANDLER_DIR, handler="app.handler")


@pytest.fixture(scope="module")
def built():
    app = cdk.App()
    hardened = cdk.Stack(app, "Hardened")
    enable_hardening(hardened)
    set_default_alarm_topic(hardened, TEST_ALARM_TOPIC_ARN)
    api = ApiBackend(hardened, "Api", routes={"GET /items": SPEC}, auth=ApiAuth.iam(), table=True)
    ingest = EventProcessing(hardened, "Ingest", processor=SPEC, result_table=True)
    extra = create_table(hardened, "Extra")

    plain = cdk.Stack(app, "Plain")
    set_default_alarm_topic(plain, TEST_ALARM_TOPIC_ARN)
    plain_api = ApiBackend(plain, "Api", routes={"GET /items": SPEC}, auth=ApiAuth.iam(), table=True)
    assembly = app.synth()  # once for both stacks (Template.from_stack would synthesize per call)
    return {
        "hardened": hardened,
        "template": Template.from_json(assembly.get_stack_by_name("Hardened").template),
        "api": api,
        "ingest": ingest,
        "tables": [api.table, ingest.table, extra],
        "plain": plain,
        "plain_template": Template.from_json(assembly.get_stack_by_name("Plain").template),
        "plain_api": plain_api,
    }


def _logical_id(stack: cdk.Stack, construct) -> str:
    return stack.get_logical_id(construct.node.default_child)


def test_every_log_group_uses_the_one_rotating_logs_key_of_its_stack(built):
    t = built["template"]
    keys = t.find_resources("AWS::KMS::Key")
    logs_keys = [lid for lid in keys if lid.startswith(f"{STACK_RESOURCES_ID}LogsKey")]
    assert len(logs_keys) == 1 and keys[logs_keys[0]]["Properties"]["EnableKeyRotation"] is True
    groups = t.find_resources("AWS::Logs::LogGroup")
    assert len(groups) >= 4  # access logs, WAF logs, two functions
    for group in groups.values():
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [logs_keys[0], "Arn"]}
    statements = keys[logs_keys[0]]["Properties"]["KeyPolicy"]["Statement"]
    service = [s for s in statements if "Service" in s["Principal"]]
    assert len(service) == 1 and "kms:EncryptionContext:aws:logs:arn" in json.dumps(service[0]["Condition"])


def test_every_table_is_in_the_stacks_backup_plan(built):
    t = built["template"]
    (selection,) = t.find_resources("AWS::Backup::BackupSelection").values()
    resources = selection["Properties"]["BackupSelection"]["Resources"]
    expected = [{"Fn::GetAtt": [_logical_id(built["hardened"], table), "Arn"]} for table in built["tables"]]
    assert sorted(map(json.dumps, resources)) == sorted(map(json.dumps, expected))
    (plan,) = t.find_resources("AWS::Backup::BackupPlan").values()
    (rule,) = plan["Properties"]["BackupPlan"]["BackupPlanRule"]
    assert rule["Lifecycle"] == {"DeleteAfterDays": 35}
    (vault,) = t.find_resources("AWS::Backup::BackupVault").values()
    assert vault["DeletionPolicy"] == "Retain" and "EncryptionKeyArn" in vault["Properties"]


def test_data_bucket_uses_sse_kms_with_bucket_keys_and_log_bucket_stays_sse_s3(built):
    resources = built["template"].to_json()["Resources"]
    secure = built["ingest"].bucket
    data = resources[_logical_id(built["hardened"], secure)]["Properties"]["BucketEncryption"]
    (rule,) = data["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["BucketKeyEnabled"] is True
    logs_bucket_ids = [lid for lid in resources if lid.startswith("IngestBucketAccessLogs") and resources[lid]["Type"] == "AWS::S3::Bucket"]
    (logs_bucket,) = logs_bucket_ids
    (log_rule,) = resources[logs_bucket]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert log_rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_the_processor_may_decrypt_what_it_reads(built):
    """SSE-KMS objects need kms:Decrypt: the read grant carries it."""
    resources = built["template"].to_json()["Resources"]
    role_policy = resources[_logical_id(built["hardened"], built["ingest"].processor.role.node.find_child("DefaultPolicy"))]
    assert "kms:Decrypt" in json.dumps(role_policy)


def test_unhardened_stack_has_no_hardening_resources(built):
    t = built["plain_template"]
    assert t.find_resources("AWS::Backup::BackupPlan") == {}
    for group in t.find_resources("AWS::Logs::LogGroup").values():
        assert "KmsKeyId" not in group["Properties"]
    assert not is_hardened(built["plain"]) and is_hardened(built["api"])


def test_hardening_after_resources_exist_is_rejected():
    stack = cdk.Stack(cdk.App(), "Late")
    create_table(stack, "Table")
    with pytest.raises(PatternConfigError) as info:
        enable_hardening(stack)
    assert "Late/Table" in str(info.value) and "call enable_hardening(scope)" in str(info.value)


def test_hardened_edge_site_lets_cloudfront_decrypt_its_origin():
    """SSE-KMS on the origin bucket must not break Origin Access Control."""
    from cdk_serverless_patterns import EdgeSite

    stack = cdk.Stack(cdk.App(), "EdgeHard", env=cdk.Environment(account="111111111111", region="us-east-1"))
    enable_hardening(stack)
    set_default_alarm_topic(stack, TEST_ALARM_TOPIC_ARN)
    EdgeSite(stack, "Site")
    keys = Template.from_stack(stack).find_resources("AWS::KMS::Key")
    data_key = next(k for lid, k in keys.items() if lid.startswith(f"{STACK_RESOURCES_ID}DataKey"))
    principals = [s["Principal"] for s in data_key["Properties"]["KeyPolicy"]["Statement"]]
    assert {"Service": "cloudfront.amazonaws.com"} in principals
