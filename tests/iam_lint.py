"""parliament (duo-labs' IAM linter) over the IAM policies of a synthesized template.

CloudFormation references are replaced by sample ARNs of the referenced resource's
type, so parliament can match each action's resource types against the statement's
resources (its RESOURCE_MISMATCH finding: e.g. ``dynamodb:GetRecords`` on a table
ARN, where only a stream ARN applies).
"""

from __future__ import annotations

import json
import re
from typing import Any

ACCOUNT = "us-east-1:123456789012"
_PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::URLSuffix": "amazonaws.com"}
#: (resource type, attribute) -> sample value; ``{n}`` is the lower-cased logical id.
_SAMPLES: dict[str, dict[str, str]] = {
    "AWS::DynamoDB::Table": {
        "Arn": f"arn:aws:dynamodb:{ACCOUNT}:table/{{n}}",
        # parliament's ARN matcher splits on ':', so the sample stream label has none
        "StreamArn": f"arn:aws:dynamodb:{ACCOUNT}:table/{{n}}/stream/2026-01-01T00.00.00.000",
    },
    "AWS::Kinesis::Stream": {"Arn": f"arn:aws:kinesis:{ACCOUNT}:stream/{{n}}"},
    "AWS::Kinesis::StreamConsumer": {"ConsumerARN": f"arn:aws:kinesis:{ACCOUNT}:stream/s/consumer/{{n}}:1"},
    "AWS::SQS::Queue": {"Arn": f"arn:aws:sqs:{ACCOUNT}:{{n}}", "QueueName": "{n}"},
    "AWS::SNS::Topic": {"Ref": f"arn:aws:sns:{ACCOUNT}:{{n}}", "TopicArn": f"arn:aws:sns:{ACCOUNT}:{{n}}"},
    "AWS::KMS::Key": {"Arn": f"arn:aws:kms:{ACCOUNT}:key/{{n}}"},
    "AWS::S3::Bucket": {"Arn": "arn:aws:s3:::{n}"},
    "AWS::Logs::LogGroup": {"Arn": f"arn:aws:logs:{ACCOUNT}:log-group:{{n}}:*"},
    "AWS::Lambda::Function": {"Arn": f"arn:aws:lambda:{ACCOUNT}:function:{{n}}"},
    "AWS::Lambda::Alias": {"Ref": f"arn:aws:lambda:{ACCOUNT}:function:f:live"},
    "AWS::Events::EventBus": {"Arn": f"arn:aws:events:{ACCOUNT}:event-bus/{{n}}", "Name": "{n}"},
    "AWS::StepFunctions::StateMachine": {
        "Ref": f"arn:aws:states:{ACCOUNT}:stateMachine:{{n}}",
        "Arn": f"arn:aws:states:{ACCOUNT}:stateMachine:{{n}}",
        "Name": "{n}",
    },
    "AWS::IAM::Role": {"Arn": "arn:aws:iam::123456789012:role/{n}"},
    "AWS::Scheduler::ScheduleGroup": {"Arn": f"arn:aws:scheduler:{ACCOUNT}:schedule-group/{{n}}"},
    "AWS::SecretsManager::Secret": {"Ref": f"arn:aws:secretsmanager:{ACCOUNT}:secret:{{n}}"},
    # a hierarchical name: CDK writes "parameter" + Ref (the name brings its leading '/')
    "AWS::SSM::Parameter": {"Ref": "/{n}"},
}


def _sample(resources: dict[str, Any], logical_id: str, attribute: str) -> str:
    kind = resources.get(logical_id, {}).get("Type", "")
    value = _SAMPLES.get(kind, {}).get(attribute)
    if value is None:
        return logical_id.lower() if attribute == "Ref" else f"arn:aws:unknown:{ACCOUNT}:{logical_id.lower()}"
    return value.format(n=logical_id.lower())


def render(value: Any, resources: dict[str, Any]) -> Any:
    """``value`` with intrinsic functions replaced by sample strings."""
    if isinstance(value, list):
        return [render(v, resources) for v in value]
    if not isinstance(value, dict):
        return value
    if "Fn::Join" in value:
        delimiter, items = value["Fn::Join"]
        return delimiter.join(str(render(i, resources)) for i in items)
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return _sample(resources, logical_id, attribute)
    if "Ref" in value:
        name = value["Ref"]
        return _PSEUDO.get(name) or _sample(resources, name, "Ref")
    if "Fn::Select" in value:
        index, items = value["Fn::Select"]
        rendered = render(items, resources)
        return rendered[index] if isinstance(rendered, list) else "x"
    if "Fn::Split" in value:
        delimiter, text = value["Fn::Split"]
        return str(render(text, resources)).split(delimiter)
    if "Fn::Sub" in value:
        text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        return re.sub(r"\$\{([\w:]+)\}", lambda m: _PSEUDO.get(m[1], "x"), text)
    if "Fn::ImportValue" in value:
        return f"arn:aws:unknown:{ACCOUNT}:imported"
    return {k: render(v, resources) for k, v in value.items()}


def policy_findings(template: dict[str, Any], issues: tuple[str, ...] = ("RESOURCE_MISMATCH",)) -> list[str]:
    """parliament's ``issues`` findings on every IAM policy in ``template``, one line each."""
    from parliament import analyze_policy_string

    resources = template.get("Resources", {})
    lines = []
    for logical_id, resource in resources.items():
        documents = []
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(resource["Properties"]["PolicyDocument"])
        if resource["Type"] == "AWS::IAM::Role":
            documents.extend(p["PolicyDocument"] for p in resource["Properties"].get("Policies", []))
        for document in documents:
            policy = analyze_policy_string(json.dumps(render(document, resources)), ignore_private_auditors=True)
            lines.extend(f"{logical_id}: {f.issue} {f.detail}" for f in policy.findings if f.issue in issues)
    return lines
