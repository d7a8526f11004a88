"""Observed least privilege: which granted "action resource" pairs no call used.

The report's unit is the grant as written: each ``Allow`` statement of a
role's identity policies yields one pair per ``Action`` pattern × ``Resource``
pattern (``dynamodb:*Item`` on a table is one pair; it counts as used when any
call matched both patterns — e.g. one ``GetItem`` on that table). A pair is
*used* when an allowed request matched it: a handler's AWS call, the KMS
request an SSE-KMS call implied, or a delivery the role made (a pipe's or
schedule's target). Grants the *service* uses because of the configuration —
the Lambda service writing logs and traces, managing a VPC function's network
interfaces, polling an event source mapping's
queue or stream, sending to its on-failure destination, dead-letter queue or
asynchronous-invocation destinations; a pipe reading its source and writing its
dead-letter queue — count as used: they are needed whatever the run did.
Statements written with ``NotAction``/``NotResource`` are not reported (they
cannot be split into pairs).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from ..template import StackTemplate
from .policy import Statement, as_tuple, wildcard_match
from .roles import RolePolicies

_LOGS_AND_TRACES = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                    "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                    "xray:GetSamplingTargets")
#: What the Lambda service does with the function's role to attach it to a VPC
#: (the actions of AWSLambdaVPCAccessExecutionRole), whatever the handler does.
_VPC_NETWORK_INTERFACES = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
                           "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
                           "ec2:UnassignPrivateIpAddresses")
_SOURCE_READS = {
    "sqs": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility",
            "sqs:GetQueueUrl"),
    "kinesis": ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary",
                "kinesis:ListShards", "kinesis:ListStreams", "kinesis:SubscribeToShard", "kinesis:DescribeStreamConsumer"),
    "dynamodb": ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams"),
}
_SENDS = {"sqs": ("sqs:SendMessage",), "sns": ("sns:Publish",), "lambda": ("lambda:InvokeFunction",),
          "events": ("events:PutEvents",), "s3": ("s3:PutObject", "s3:ListBucket")}


def _arn_service(arn: str) -> str:
    return arn.split(":")[2] if arn.startswith("arn:") and arn.count(":") >= 2 else ""


def _function_name(value: str) -> str:
    """The function's name in an event source mapping's or invoke config's ``FunctionName``:
    a name, ``name:qualifier``, or a (qualified) function ARN such as an alias's."""
    parts = value.split(":")
    if "function" in parts[:-1]:
        return parts[parts.index("function") + 1]
    return parts[0]


def _reads(arn: str) -> list[tuple[str, str]]:
    return [(a, arn) for a in _SOURCE_READS.get(_arn_service(arn), ())]


def _sends(arn: str) -> list[tuple[str, str]]:
    service = _arn_service(arn)
    target = f"{arn}/*" if service == "s3" else arn
    return [(a, target if a == "s3:PutObject" else arn) for a in _SENDS.get(service, ())]


class GrantUsage:
    """Per role: the (action, resource) pairs allowed requests used, and the pairs its configuration implies."""

    def __init__(self, template: StackTemplate) -> None:
        self.template = template
        self._used: dict[str, set[tuple[str, str]]] = {}
        #: owner logical id (a function, or a role) -> role logical id, for every principal LocalCloud runs.
        self.owners: dict[str, str] = {}
        self._configured()

    def record(self, role_logical_id: str, action: str, resource: str) -> None:
        self._used.setdefault(role_logical_id, set()).add((action, resource))

    def _imply(self, role_logical_id: Optional[str], pairs: Iterable[tuple[str, str]]) -> None:
        if role_logical_id:
            self._used.setdefault(role_logical_id, set()).update(pairs)

    def _role_of(self, arn: Any) -> Optional[str]:
        found = self.template.by_arn(str(arn)) if arn else None
        return found.logical_id if found is not None and found.type == "AWS::IAM::Role" else None

    def _configured(self) -> None:
        """The owners (functions, pipe/schedule/rule-target roles) and the grants their configuration uses."""
        t = self.template
        functions: dict[str, Optional[str]] = {}
        for function in t.of_type("AWS::Lambda::Function"):
            props = t.resolve(function.properties)
            role = self._role_of(props.get("Role"))
            functions[function.name] = role
            if role is None:
                continue
            self.owners[function.logical_id] = role
            self._imply(role, ((a, "*") for a in _LOGS_AND_TRACES))
            self._imply(role, _sends(str((props.get("DeadLetterConfig") or {}).get("TargetArn", ""))))
            if props.get("KmsKeyArn"):
                self._imply(role, [("kms:Decrypt", str(props["KmsKeyArn"]))])
            if props.get("VpcConfig"):
                self._imply(role, ((a, "*") for a in _VPC_NETWORK_INTERFACES))
        for mapping in t.of_type("AWS::Lambda::EventSourceMapping"):
            props = t.resolve(mapping.properties)
            role = functions.get(_function_name(str(props.get("FunctionName", ""))))
            source = str(props.get("EventSourceArn", ""))
            self._imply(role, _reads(source))
            self._imply(role, _reads(source.split("/stream/")[0]) if "/stream/" in source else ())
            failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            self._imply(role, _sends(str(failure or "")))
        for config in t.of_type("AWS::Lambda::EventInvokeConfig"):
            props = t.resolve(config.properties)
            role = functions.get(_function_name(str(props.get("FunctionName", ""))))
            for outcome in ("OnSuccess", "OnFailure"):
                self._imply(role, _sends(str(((props.get("DestinationConfig") or {}).get(outcome) or {}).get("Destination", ""))))
        for pipe in t.of_type("AWS::Pipes::Pipe"):
            props = t.resolve(pipe.properties)
            role = self._role_of(props.get("RoleArn"))
            if role is None:
                continue
            self.owners[role] = role
            source = str(props.get("Source", ""))
            self._imply(role, _reads(source))
            for params in (props.get("SourceParameters") or {}).values():
                if isinstance(params, Mapping):
                    self._imply(role, _sends(str((params.get("DeadLetterConfig") or {}).get("Arn", ""))))
        for schedule in t.of_type("AWS::Scheduler::Schedule"):
            target = t.resolve(schedule.properties).get("Target") or {}
            role = self._role_of(target.get("RoleArn"))
            if role is not None:
                self.owners[role] = role
                self._imply(role, _sends(str((target.get("DeadLetterConfig") or {}).get("Arn", ""))))
        for rule in t.of_type("AWS::Events::Rule"):
            for target in t.resolve(rule.properties.get("Targets") or []):
                role = self._role_of(target.get("RoleArn"))
                if role is not None:
                    self.owners[role] = role

    def unused(self, roles: Mapping[str, RolePolicies], owner: Optional[str] = None) -> dict[str, list[str]]:
        """Owner logical id -> the granted ``"action resource"`` pairs no allowed request matched (owners with none left out)."""
        report: dict[str, list[str]] = {}
        for path, role_id in sorted(self.owners.items()):
            if owner is not None and path != owner:
                continue
            used = self._used.get(role_id, set())
            pairs = [p for s in roles[role_id].statements if s.allows for p in grant_pairs(s)]
            unused = [f"{a} {r}" for a, r in dict.fromkeys(pairs) if not any(_covers(a, r, ua, ur) for ua, ur in used)]
            if unused:
                report[path] = unused
        return report


def grant_pairs(statement: Statement) -> list[tuple[str, str]]:
    """The (action pattern, resource pattern) pairs an Allow statement grants; none for NotAction/NotResource."""
    if not statement.actions or not statement.resources:
        return []
    return [(a, r) for a in as_tuple(statement.actions) for r in as_tuple(statement.resources)]


def _covers(action_pattern: str, resource_pattern: str, action: str, resource: str) -> bool:
    if not wildcard_match(action_pattern, action, ignore_case=True):
        return False
    return resource == "*" or wildcard_match(resource_pattern, resource) or wildcard_match(resource, resource_pattern)
