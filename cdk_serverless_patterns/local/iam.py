"""IAM as AWS evaluates it for one role: the calls a handler makes, checked against its policies.

A missing grant is the bug that costs most after a deploy (``AccessDenied`` in
production, green tests locally). LocalCloud checks every AWS call a handler
makes against the policies attached to *that function's role in the template*:
identity-based policies (``AWS::IAM::Policy``, inline ``Policies``,
``AWS::IAM::ManagedPolicy``), explicit ``Deny`` first, then ``Allow``, with
``*``/``?`` wildcards in actions (case-insensitive) and resources, ``NotAction``
and ``NotResource``. Conditions are not evaluated (they only narrow a grant;
LocalCloud treats a conditional ``Allow`` as allowing, and says so in the docs).

:func:`required_permissions` maps an API call to the actions and resource ARNs
AWS authorizes it against, including the KMS permissions an encrypted queue,
topic, stream or bucket demands of its caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from .template import StackTemplate


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]

    def _action_matches(self, action: str) -> bool:
        if self.actions:
            return any(wildcard_match(a, action, ignore_case=True) for a in self.actions)
        return not any(wildcard_match(a, action, ignore_case=True) for a in self.not_actions)

    def _resource_matches(self, resource: str) -> bool:
        if self.resources:
            return any(wildcard_match(r, resource) for r in self.resources)
        return not any(wildcard_match(r, resource) for r in self.not_resources)

    def applies(self, action: str, resource: str) -> bool:
        return self._action_matches(action) and self._resource_matches(resource)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM-style wildcards: ``*`` any run of characters, ``?`` one character."""
    if pattern == "*":
        return True
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def statements_of(document: Mapping[str, Any]) -> list[Statement]:
    raw = document.get("Statement") or []
    if isinstance(raw, dict):
        raw = [raw]
    return [
        Statement(
            effect=str(s.get("Effect", "Allow")),
            actions=_as_tuple(s.get("Action")),
            not_actions=_as_tuple(s.get("NotAction")),
            resources=_as_tuple(s.get("Resource")),
            not_resources=_as_tuple(s.get("NotResource")),
        )
        for s in raw
    ]


class RolePolicies:
    """Every identity-based statement attached to one role of the template."""

    def __init__(self, template: StackTemplate, role_logical_id: str) -> None:
        self.role_logical_id = role_logical_id
        role = template.resources[role_logical_id]
        self.role_name = role.name
        self.role_arn = role.arn
        self.managed_policy_arns: list[str] = []
        documents: list[Mapping[str, Any]] = []
        for inline in role.properties.get("Policies") or []:
            documents.append(template.resolve(inline.get("PolicyDocument", {})))
        for arn in template.resolve(role.properties.get("ManagedPolicyArns") or []):
            managed = template.by_arn(str(arn))
            if managed is not None and managed.type == "AWS::IAM::ManagedPolicy":
                documents.append(template.resolve(managed.properties.get("PolicyDocument", {})))
            else:
                self.managed_policy_arns.append(str(arn))
        for policy in template.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            roles = template.resolve(policy.properties.get("Roles") or [])
            if role.name in roles or role.arn in roles:
                documents.append(template.resolve(policy.properties.get("PolicyDocument", {})))
        self.statements = [s for document in documents for s in statements_of(document)]

    def allows(self, action: str, resource: str) -> bool:
        if any(s.effect == "Deny" and s.applies(action, resource) for s in self.statements):
            return False
        return any(s.effect == "Allow" and s.applies(action, resource) for s in self.statements)


# -- what a call needs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Permission:
    action: str
    resource: str


class Arns:
    """Builds the ARNs of the resources a call names, in the caller's region/account."""

    def __init__(
        self,
        region: str,
        account: str,
        kms_key_of: Callable[[str, str], Optional[str]],
        secret_of: Optional[Callable[[str], Optional[str]]] = None,
    ) -> None:
        self.region = region
        self.account = account
        self.kms_key_of = kms_key_of
        self.secret_of = secret_of

    def table(self, name: str) -> str:
        if name.startswith("arn:"):
            return name
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}"

    def queue(self, url_or_name: str) -> str:
        if url_or_name.startswith("arn:"):
            return url_or_name
        parts = url_or_name.rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2].isdigit():
            return f"arn:aws:sqs:{self.region}:{parts[-2]}:{parts[-1]}"
        return f"arn:aws:sqs:{self.region}:{self.account}:{parts[-1]}"

    def stream(self, params: Mapping[str, Any]) -> str:
        if params.get("StreamARN"):
            return str(params["StreamARN"])
        return f"arn:aws:kinesis:{self.region}:{self.account}:stream/{params.get('StreamName', '*')}"

    def bus(self, name: Optional[str]) -> str:
        name = name or "default"
        if name.startswith("arn:"):
            return name
        return f"arn:aws:events:{self.region}:{self.account}:event-bus/{name}"

    def secret(self, name_or_arn: str) -> str:
        """A secret's full ARN: as given, or the stack's secret of that name (else a partial ARN)."""
        if name_or_arn.startswith("arn:"):
            return name_or_arn
        known = self.secret_of(name_or_arn) if self.secret_of is not None else None
        return known or f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:{name_or_arn}"

    def parameter(self, name: str) -> str:
        return f"arn:aws:ssm:{self.region}:{self.account}:parameter/{name.lstrip('/')}"

    def function(self, name: str, qualifier: Optional[str]) -> str:
        if name.startswith("arn:"):
            return name if qualifier is None or name.count(":") >= 7 else f"{name}:{qualifier}"
        if ":" in name:  # name:qualifier
            return f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
        base = f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
        return f"{base}:{qualifier}" if qualifier else base


_S3_OBJECT_ACTIONS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "DeleteObject": "s3:DeleteObject",
    "GetObjectTagging": "s3:GetObjectTagging",
    "PutObjectTagging": "s3:PutObjectTagging",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
}
_S3_BUCKET_ACTIONS = {"ListObjectsV2": "s3:ListBucket", "ListObjects": "s3:ListBucket", "HeadBucket": "s3:ListBucket"}
_SQS_BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
_DDB_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
# SSM parameter operations -> the parameter naming their resource(s).
_SSM_PARAMETER_KEYS = {
    "GetParameter": "Name",
    "GetParameters": "Names",
    "PutParameter": "Name",
    "DeleteParameter": "Name",
    "DeleteParameters": "Names",
    "GetParameterHistory": "Name",
    "GetParametersByPath": "Path",
}
# Operations that need the caller to use the resource's KMS key (customer managed keys only).
_KMS_NEEDS = {
    ("sqs", "SendMessage"): ("kms:GenerateDataKey", "kms:Decrypt"),
    ("sqs", "SendMessageBatch"): ("kms:GenerateDataKey", "kms:Decrypt"),
    ("sqs", "ReceiveMessage"): ("kms:Decrypt",),
    ("sns", "Publish"): ("kms:GenerateDataKey", "kms:Decrypt"),
    ("sns", "PublishBatch"): ("kms:GenerateDataKey", "kms:Decrypt"),
    ("kinesis", "PutRecord"): ("kms:GenerateDataKey",),
    ("kinesis", "PutRecords"): ("kms:GenerateDataKey",),
    ("kinesis", "GetRecords"): ("kms:Decrypt",),
    ("s3", "PutObject"): ("kms:GenerateDataKey",),
    ("s3", "GetObject"): ("kms:Decrypt",),
}


def required_permissions(service: str, operation: str, params: Mapping[str, Any], arns: Arns) -> list[Permission]:
    """The (action, resource) pairs AWS authorizes ``service:operation`` with ``params`` against."""
    needed: list[Permission] = []
    resource_for_kms: Optional[tuple[str, str]] = None  # (kind, arn-or-name)
    if service == "dynamodb":
        if operation in ("BatchGetItem", "BatchWriteItem"):
            for table in params.get("RequestItems", {}):
                needed.append(Permission(f"dynamodb:{operation}", arns.table(table)))
        elif operation == "TransactWriteItems":
            for item in params.get("TransactItems", []):
                for kind, body in item.items():
                    needed.append(Permission(f"dynamodb:{_DDB_TRANSACT[kind]}", arns.table(body["TableName"])))
        elif operation == "TransactGetItems":
            for item in params.get("TransactItems", []):
                needed.append(Permission("dynamodb:GetItem", arns.table(item["Get"]["TableName"])))
        elif "TableName" in params:
            arn = arns.table(str(params["TableName"]))
            if params.get("IndexName"):
                arn = f"{arn}/index/{params['IndexName']}"
            needed.append(Permission(f"dynamodb:{operation}", arn))
        else:
            needed.append(Permission(f"dynamodb:{operation}", "*"))
    elif service == "s3":
        bucket = str(params.get("Bucket", ""))
        if operation in _S3_OBJECT_ACTIONS:
            needed.append(Permission(_S3_OBJECT_ACTIONS[operation], f"arn:aws:s3:::{bucket}/{params.get('Key', '')}"))
            resource_for_kms = ("s3", bucket)
        elif operation == "CopyObject":
            source = params.get("CopySource")
            if isinstance(source, Mapping):
                source = f"{source.get('Bucket')}/{source.get('Key')}"
            needed.append(Permission("s3:GetObject", f"arn:aws:s3:::{str(source).lstrip('/')}"))
            needed.append(Permission("s3:PutObject", f"arn:aws:s3:::{bucket}/{params.get('Key', '')}"))
        elif operation == "DeleteObjects":
            for obj in params.get("Delete", {}).get("Objects", []):
                needed.append(Permission("s3:DeleteObject", f"arn:aws:s3:::{bucket}/{obj.get('Key')}"))
        else:
            action = _S3_BUCKET_ACTIONS.get(operation, f"s3:{operation}")
            needed.append(Permission(action, f"arn:aws:s3:::{bucket}" if bucket else "*"))
    elif service == "sqs":
        if operation == "GetQueueUrl":
            needed.append(Permission("sqs:GetQueueUrl", arns.queue(str(params.get("QueueName", "")))))
        elif "QueueUrl" in params:
            queue = arns.queue(str(params["QueueUrl"]))
            needed.append(Permission(f"sqs:{_SQS_BATCH.get(operation, operation)}", queue))
            resource_for_kms = ("sqs", queue)
        else:
            needed.append(Permission(f"sqs:{operation}", "*"))
    elif service == "sns":
        topic = params.get("TopicArn") or params.get("TargetArn")
        action = "sns:Publish" if operation == "PublishBatch" else f"sns:{operation}"
        needed.append(Permission(action, str(topic or "*")))
        if topic:
            resource_for_kms = ("sns", str(topic))
    elif service == "events":
        if operation == "PutEvents":
            for bus in {str(e.get("EventBusName") or "default") for e in params.get("Entries", [])}:
                needed.append(Permission("events:PutEvents", arns.bus(bus)))
        else:
            needed.append(Permission(f"events:{operation}", arns.bus(params.get("EventBusName") or params.get("Name"))))
    elif service == "kinesis":
        stream = arns.stream(params)
        needed.append(Permission(f"kinesis:{operation}", stream))
        resource_for_kms = ("kinesis", stream)
    elif service == "lambda":
        if operation in ("Invoke", "InvokeAsync", "InvokeWithResponseStream"):
            fn = arns.function(str(params.get("FunctionName", "")), params.get("Qualifier"))
            needed.append(Permission("lambda:InvokeFunction", fn))
        else:
            needed.append(Permission(f"lambda:{operation}", "*"))
    elif service == "states":
        if operation in ("StartExecution", "StartSyncExecution"):
            needed.append(Permission(f"states:{operation}", str(params.get("stateMachineArn", "*"))))
        elif "executionArn" in params:
            needed.append(Permission(f"states:{operation}", str(params["executionArn"])))
        else:
            needed.append(Permission(f"states:{operation}", "*"))
    elif service == "secretsmanager" and "SecretId" in params:
        needed.append(Permission(f"secretsmanager:{operation}", arns.secret(str(params["SecretId"]))))
    elif service == "ssm" and operation in _SSM_PARAMETER_KEYS:
        names = params.get(_SSM_PARAMETER_KEYS[operation]) or []
        for name in [names] if isinstance(names, str) else names:
            needed.append(Permission(f"ssm:{operation}", arns.parameter(str(name))))
    else:
        needed.append(Permission(f"{service}:{operation}", "*"))
    if resource_for_kms is not None:
        key = arns.kms_key_of(*resource_for_kms)
        for action in _KMS_NEEDS.get((service, operation), ()):
            if key:
                needed.append(Permission(action, key))
    return needed


ANY_RESOURCE_ACTIONS = frozenset({"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"})


def denied(policies: RolePolicies, permissions: Iterable[Permission]) -> Optional[Permission]:
    """The first permission the role lacks, or None."""
    for permission in permissions:
        if permission.action in ANY_RESOURCE_ACTIONS:
            if any(s.effect == "Allow" and s._action_matches(permission.action) for s in policies.statements):
                continue
            return permission
        if not policies.allows(permission.action, permission.resource):
            return permission
    return None


def access_denied_message(role_arn: str, session: str, permission: Permission) -> str:
    assumed = role_arn.replace(":role/", ":assumed-role/").replace("arn:aws:iam:", "arn:aws:sts:") + f"/{session}"
    return (
        f"User: {assumed} is not authorized to perform: {permission.action} on resource: {permission.resource} "
        "because no identity-based policy allows the "
        f"{permission.action} action"
    )


__all__: Sequence[str] = [
    "Arns",
    "Permission",
    "RolePolicies",
    "access_denied_message",
    "denied",
    "required_permissions",
    "statements_of",
    "wildcard_match",
]


def kms_key_lookup(template: StackTemplate) -> Callable[[str, str], Optional[str]]:
    """``(kind, name_or_arn) -> key ARN``: the customer managed key a queue/topic/stream/bucket of the template uses."""
    candidates: dict[str, tuple[str, Callable[[Mapping[str, Any]], Any]]] = {
        "sqs": ("AWS::SQS::Queue", lambda p: p.get("KmsMasterKeyId")),
        "sns": ("AWS::SNS::Topic", lambda p: p.get("KmsMasterKeyId")),
        "kinesis": ("AWS::Kinesis::Stream", lambda p: (p.get("StreamEncryption") or {}).get("KeyId")),
        "s3": (
            "AWS::S3::Bucket",
            lambda p: next(
                (
                    rule.get("ServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
                    for rule in (p.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration", [])
                ),
                None,
            ),
        ),
    }

    def kms_key_of(kind: str, name_or_arn: str) -> Optional[str]:
        resource_type, key_of = candidates[kind]
        for r in template.of_type(resource_type):
            if name_or_arn in (r.arn, r.name, r.ref):
                key = key_of(r.properties)
                if key is None:
                    return None
                resolved = str(template.resolve(key))
                key_resource = template.by_arn(resolved) or next(
                    (k for k in template.of_type("AWS::KMS::Key") if resolved in (k.name, k.ref)), None
                )
                return key_resource.arn if key_resource is not None and key_resource.type == "AWS::KMS::Key" else None
        return None

    return kms_key_of


def secret_arn_lookup(template: StackTemplate) -> Callable[[str], Optional[str]]:
    """``name -> ARN`` of the template's secret of that name (AWS authorizes a call by name against the full ARN)."""

    def secret_of(name: str) -> Optional[str]:
        found = next((r for r in template.of_type("AWS::SecretsManager::Secret") if r.name == name), None)
        return found.arn if found is not None else None

    return secret_of
