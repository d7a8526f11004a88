"""What a call needs: the (action, resource, condition keys) AWS authorizes an API call against.

:func:`required_permissions` maps an API call to the actions and resource ARNs
AWS authorizes it against, with the request's condition keys
(``dynamodb:LeadingKeys`` from the item key, ``s3:prefix`` from a listing), and
the KMS permissions an SSE-KMS queue, topic, stream or bucket with a customer
managed key demands of its caller (the KMS request is made by the service on the
caller's behalf: ``kms:ViaService``, ``kms:EncryptionContext:*``,
``aws:CalledVia``). The KMS actions per call are those the services' developer
guides list for producers and consumers:

* SQS ``SendMessage``: ``kms:GenerateDataKey`` and ``kms:Decrypt``; ``ReceiveMessage``: ``kms:Decrypt``;
* SNS ``Publish``: ``kms:GenerateDataKey`` and ``kms:Decrypt``;
* Kinesis ``PutRecord(s)``: ``kms:GenerateDataKey``; ``GetRecords``: ``kms:Decrypt``;
* S3 ``PutObject`` (and multipart uploads): ``kms:GenerateDataKey``; ``GetObject``: ``kms:Decrypt``.

DynamoDB tables are not in the list: DynamoDB uses the grant it creates on the
key when the table is created, not the caller's key permissions, per call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

from ..template import StackTemplate


@dataclass(frozen=True)
class Permission:
    """One (action, resource) AWS authorizes a call against, with the condition keys that request carries."""

    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


class Arns:
    """Builds the ARNs of the resources a call names, in the caller's region/account."""

    def __init__(self, region: str, account: str, kms_key_of: Callable[[str, str], Optional[str]],
                 partition_key_of: Callable[[str], Optional[str]] = lambda table_arn: None,
                 secret_of: Optional[Callable[[str], Optional[str]]] = None) -> None:
        self.region = region
        self.account = account
        self.kms_key_of = kms_key_of
        self.partition_key_of = partition_key_of
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
            table = arns.table(str(params["TableName"]))
            arn = f"{table}/index/{params['IndexName']}" if params.get("IndexName") else table
            needed.append(Permission(f"dynamodb:{operation}", arn, _dynamodb_keys(params, arns.partition_key_of(table))))
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
            listing = {f"s3:{k.lower()}": params[p] for k, p in (("prefix", "Prefix"), ("delimiter", "Delimiter"), ("max-keys", "MaxKeys")) if p in params}
            needed.append(Permission(action, f"arn:aws:s3:::{bucket}" if bucket else "*", listing))
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
        elif "DurableExecutionArn" in params:  # checkpoints, state, history: the execution is the resource
            needed.append(Permission(f"lambda:{operation}", str(params["DurableExecutionArn"])))
        elif operation.startswith("SendDurableExecutionCallback"):
            needed.append(Permission(f"lambda:{operation}", _callback_execution(str(params.get("CallbackId", "")))))
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
        if key:
            context = _kms_context(service, resource_for_kms[1], needed[0].resource, arns)
            needed.extend(Permission(action, key, context) for action in _KMS_NEEDS.get((service, operation), ()))
    return needed


#: The encryption context each service passes to KMS (the services' developer guides), by the resource it names.
_ENCRYPTION_CONTEXT = {"sqs": "aws:sqs:arn", "sns": "aws:sns:topicArn", "kinesis": "aws:kinesis:arn", "s3": "aws:s3:arn"}


def _kms_context(service: str, resource: str, first_resource: str, arns: Arns) -> dict[str, Any]:
    """The condition keys of the KMS request a service makes for its caller (SSE-KMS)."""
    named = first_resource if service == "s3" else resource  # S3: the object's ARN (no bucket key)
    context_key = _ENCRYPTION_CONTEXT[service]
    return {
        "kms:ViaService": f"{service}.{arns.region}.amazonaws.com",
        "kms:CallerAccount": arns.account,
        f"kms:EncryptionContext:{context_key}": named,
        "kms:EncryptionContextKeys": [context_key],
        "aws:CalledVia": [f"{service}.amazonaws.com"],
        "aws:ViaAWSService": "true",
    }


_KEY_CONDITION = re.compile(r"^\s*(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)")


def _plain_value(value: Any) -> Any:
    """A DynamoDB value as the request carries it: ``{"S": "x"}`` -> ``"x"``; plain values as they are."""
    if isinstance(value, Mapping) and len(value) == 1:
        (kind, inner), = value.items()
        if kind in ("S", "N", "B"):
            return inner
    return value


def _dynamodb_keys(params: Mapping[str, Any], partition_key: Optional[str]) -> dict[str, Any]:
    """``dynamodb:LeadingKeys`` (the partition key value), ``dynamodb:Select``, ``dynamodb:ReturnValues``."""
    keys: dict[str, Any] = {}
    for name in ("Select", "ReturnValues"):
        if name in params:
            keys[f"dynamodb:{name}"] = params[name]
    if partition_key is None:
        return keys
    item = params.get("Key") or params.get("Item")
    if isinstance(item, Mapping) and partition_key in item:
        keys["dynamodb:LeadingKeys"] = [str(_plain_value(item[partition_key]))]
    elif isinstance(params.get("KeyConditionExpression"), str):
        match = _KEY_CONDITION.match(params["KeyConditionExpression"])
        if match:
            alias, placeholder = match.groups()
            name = str((params.get("ExpressionAttributeNames") or {}).get(alias, alias))
            value = (params.get("ExpressionAttributeValues") or {}).get(placeholder)
            if name == partition_key and value is not None:
                keys["dynamodb:LeadingKeys"] = [str(_plain_value(value))]
    return keys


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
        """The customer managed key (ARN) of the ``kind`` resource ``name_or_arn``; None without one."""
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


def partition_key_lookup(template: StackTemplate) -> Callable[[str], Optional[str]]:
    """``table ARN -> partition key attribute name`` for the template's tables."""
    keys = {}
    for table in template.of_type("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
        schema = template.resolve(table.properties.get("KeySchema") or [])
        keys[table.arn] = next((str(k["AttributeName"]) for k in schema if k.get("KeyType") == "HASH"), None)
    return keys.get


def secret_arn_lookup(template: StackTemplate) -> Callable[[str], Optional[str]]:
    """``name -> ARN`` of the template's secret of that name (AWS authorizes a call by name against the full ARN)."""

    def secret_of(name: str) -> Optional[str]:
        found = next((r for r in template.of_type("AWS::SecretsManager::Secret") if r.name == name), None)
        return found.arn if found is not None else None

    return secret_of


def _callback_execution(callback_id: str) -> str:
    """The durable execution a callback id belongs to (LocalCloud's ids carry it), else ``*``."""
    import base64
    import binascii
    import json

    try:
        return str(json.loads(base64.b64decode(callback_id))["arn"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return "*"
