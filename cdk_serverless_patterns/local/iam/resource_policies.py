"""The resource-based policies of a template, by the ARN of the resource they protect.

Read from ``AWS::SQS::QueuePolicy`` / ``QueueInlinePolicy``,
``AWS::SNS::TopicPolicy`` / ``TopicInlinePolicy``, ``AWS::S3::BucketPolicy``,
``AWS::KMS::Key`` (``KeyPolicy``; a key without one gets AWS's default key
policy: the account, i.e. IAM, may use it), ``AWS::Lambda::Permission``
(each one a statement: ``Principal``, ``Action``, ``SourceArn`` as
``ArnLike aws:SourceArn``, ``SourceAccount`` as ``StringEquals
aws:SourceAccount``, ``PrincipalOrgID``, ``FunctionUrlAuthType``),
``AWS::Events::EventBusPolicy`` and an event bus's ``Policy``,
``AWS::SecretsManager::ResourcePolicy`` and ``AWS::DynamoDB::Table``'s
``ResourcePolicy``.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional

from ..template import StackTemplate
from .policy import Statement, as_tuple, statement_of, statements_of


def owner_arn(resource_arn: str) -> str:
    """The ARN whose policy protects ``resource_arn``: an object's bucket, an index's or stream's table."""
    parts = resource_arn.split(":", 5)
    if len(parts) < 6:
        return resource_arn
    service, rest = parts[2], parts[5]
    if service == "s3":
        return ":".join(parts[:5]) + ":" + rest.split("/", 1)[0]
    if service == "dynamodb" and rest.startswith("table/"):
        return ":".join(parts[:5]) + ":" + "/".join(rest.split("/")[:2])
    return resource_arn


def _document(value: Any) -> Mapping[str, Any]:
    return json.loads(value) if isinstance(value, str) else (value or {})


class ResourcePolicies:
    """Every resource-based policy of ``template``, looked up by the protected resource's ARN."""

    def __init__(self, template: StackTemplate) -> None:
        self.template = template
        self._by_arn: dict[str, list[Statement]] = {}
        self.keys: set[str] = set()
        t = template
        for policy in t.of_type("AWS::SQS::QueuePolicy"):
            props = t.resolve(policy.properties)
            for url in as_tuple(props.get("Queues")):
                self._add(self._queue_arn(url), props.get("PolicyDocument"))
        for policy in t.of_type("AWS::SQS::QueueInlinePolicy"):
            props = t.resolve(policy.properties)
            self._add(self._queue_arn(str(props.get("Queue", ""))), props.get("PolicyDocument"))
        for policy in t.of_type("AWS::SNS::TopicPolicy"):
            props = t.resolve(policy.properties)
            for topic in as_tuple(props.get("Topics")):
                self._add(topic, props.get("PolicyDocument"))
        for policy in t.of_type("AWS::SNS::TopicInlinePolicy"):
            props = t.resolve(policy.properties)
            self._add(str(props.get("TopicArn", "")), props.get("PolicyDocument"))
        for policy in t.of_type("AWS::S3::BucketPolicy"):
            props = t.resolve(policy.properties)
            self._add(f"arn:aws:s3:::{props.get('Bucket')}", props.get("PolicyDocument"))
        for key_resource in t.of_type("AWS::KMS::Key"):
            self.keys.add(key_resource.arn)
            document = t.resolve(key_resource.properties.get("KeyPolicy")) or {
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{t.account}:root"}, "Action": "kms:*", "Resource": "*"}]
            }
            self._add(key_resource.arn, document)
        for permission in t.of_type("AWS::Lambda::Permission"):
            props = t.resolve(permission.properties)
            self._by_arn.setdefault(self._function_arn(str(props.get("FunctionName", ""))), []).append(_lambda_statement(props))
        for policy in t.of_type("AWS::Events::EventBusPolicy"):
            props = t.resolve(policy.properties)
            bus_arn = f"arn:aws:events:{t.region}:{t.account}:event-bus/{props.get('EventBusName') or 'default'}"
            raw = props.get("Statement") or {
                "Effect": "Allow", "Action": props.get("Action"), "Principal": {"AWS": props.get("Principal")},
                **({"Condition": props["Condition"]} if props.get("Condition") else {}),
            }
            self._by_arn.setdefault(bus_arn, []).append(statement_of(raw))
        for bus in t.of_type("AWS::Events::EventBus"):
            if bus.properties.get("Policy"):
                self._add(bus.arn, t.resolve(bus.properties["Policy"]))
        for policy in t.of_type("AWS::SecretsManager::ResourcePolicy"):
            props = t.resolve(policy.properties)
            secret = t.by_arn(str(props.get("SecretId", "")))
            self._add(secret.arn if secret is not None else str(props.get("SecretId")), props.get("ResourcePolicy"))
        for table in t.of_type("AWS::DynamoDB::Table"):
            document = (table.properties.get("ResourcePolicy") or {}).get("PolicyDocument")
            if document:
                self._add(table.arn, t.resolve(document))

    def _add(self, arn: str, document: Any) -> None:
        self._by_arn.setdefault(arn, []).extend(statements_of(_document(document)))

    def _queue_arn(self, url_or_arn: str) -> str:
        if url_or_arn.startswith("arn:"):
            return url_or_arn
        parts = url_or_arn.rstrip("/").split("/")
        return f"arn:aws:sqs:{self.template.region}:{parts[-2]}:{parts[-1]}"

    def _function_arn(self, name: str) -> str:
        t = self.template
        if name.startswith("arn:"):
            return name
        base = f"arn:aws:lambda:{t.region}:{t.account}:function:{name}"
        return base

    def for_resource(self, resource_arn: str) -> Optional[list[Statement]]:
        """The policy statements protecting ``resource_arn``; None when it has no resource-based policy."""
        return self._by_arn.get(owner_arn(resource_arn))

    def is_key(self, arn: str) -> bool:
        return arn in self.keys


def _lambda_statement(props: Mapping[str, Any]) -> Statement:
    principal = str(props.get("Principal", ""))
    if principal == "*":
        principals: dict[str, tuple[str, ...]] = {"*": ("*",)}
    elif principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn"):
        principals = {"Service": (principal,)}
    else:
        principals = {"AWS": (principal,)}
    condition: dict[str, dict[str, Any]] = {}
    if props.get("SourceArn"):
        condition.setdefault("ArnLike", {})["aws:SourceArn"] = str(props["SourceArn"])
    if props.get("SourceAccount"):
        condition.setdefault("StringEquals", {})["aws:SourceAccount"] = str(props["SourceAccount"])
    if props.get("PrincipalOrgID"):
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = str(props["PrincipalOrgID"])
    if props.get("FunctionUrlAuthType"):
        condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = str(props["FunctionUrlAuthType"])
    return Statement(effect="Allow", actions=(str(props.get("Action", "lambda:InvokeFunction")),), principals=principals,
                     condition=condition, sid="AWS::Lambda::Permission")
