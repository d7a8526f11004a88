"""API Gateway's AWS service integrations: one AWS action, called with the integration's role, on the local cloud.

Both kinds of API use it: a REST API's ``AWS`` integration (``Uri``
``arn:aws:apigateway:{region}:{service}:action/{Action}`` or
``path/{account}/{queue}``, the request shaped by a mapping template) and an
HTTP API's first-class integration (``IntegrationSubtype``
``SQS-SendMessage``, ``StepFunctions-StartExecution``, ...). The call is checked
against the integration's credentials role like a handler's calls are
(:meth:`~.context.CloudContext.authorize_role`), made on moto through the
context's clients — so what it starts is delivered as the stack wires it (an
SQS message reaches its consumer, an SNS publish its subscriptions, events
their rules) — and a started execution runs before the cloud is quiet.

Supported actions (:data:`ACTIONS`): Step Functions ``StartExecution`` /
``StartSyncExecution``, SQS ``SendMessage``, SNS ``Publish``, DynamoDB
``PutItem`` / ``GetItem`` / ``Query`` / ``UpdateItem`` / ``DeleteItem`` / ``Scan``,
EventBridge ``PutEvents``, Kinesis ``PutRecord`` / ``PutRecords``.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from botocore import xform_name
from botocore.exceptions import ClientError

from .context import CloudContext

#: The actions LocalCloud runs, by the service name of an integration URI (the IAM prefix).
ACTIONS: dict[str, tuple[str, ...]] = {
    "states": ("StartExecution", "StartSyncExecution"),
    "sqs": ("SendMessage",),
    "sns": ("Publish",),
    "dynamodb": ("PutItem", "GetItem", "Query", "UpdateItem", "DeleteItem", "Scan"),
    "events": ("PutEvents",),
    "kinesis": ("PutRecord", "PutRecords"),
    "lambda": ("Invoke",),
}
#: ``lambda:path/2015-03-31/functions/{function}/invocations`` (Lambda's Invoke, as an AWS integration names it).
_LAMBDA_INVOKE_PATH = re.compile(r"^/?2015-03-31/functions/(?P<function>.+)/invocations$")
#: boto3's client name for an integration URI's service.
_CLIENTS = {"states": "stepfunctions"}
#: Services whose integration request is a query string / form (``Action=SendMessage&...``), not JSON.
QUERY_SERVICES = ("sqs", "sns")
#: The error code and HTTP status each service answers a denied call with.
_DENIED = {"sqs": ("AccessDenied", 403), "sns": ("AuthorizationError", 403)}
_URI = re.compile(r"^arn:[^:]+:apigateway:[^:]*:(?P<service>[^:]+):(?P<kind>action|path)/(?P<rest>.*)$")


class IntegrationConfigError(Exception):
    """An integration LocalCloud cannot run: the message names what and why."""


@dataclass(frozen=True)
class ServiceResponse:
    """What the AWS service answered the integration: HTTP ``status``, ``body`` (JSON text) and the
    response ``headers`` an integration response may map (Lambda's ``X-Amz-Durable-Execution-Arn``)."""

    status: int
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceTarget:
    """What an integration URI names: the service, and the action (``action/X``) or path (``path/...``)."""

    service: str
    action: Optional[str]
    path: Optional[str]


def parse_uri(uri: str) -> ServiceTarget:
    """``arn:aws:apigateway:{region}:{service}:action/{Action}`` or ``...:path/{path}``; raises IntegrationConfigError."""
    match = _URI.match(uri)
    if match is None:
        raise IntegrationConfigError(f"integration URI {uri!r} is not arn:aws:apigateway:{{region}}:{{service}}:action/... or path/...")
    kind, rest = match.group("kind"), match.group("rest").split("&", 1)[0]
    return ServiceTarget(match.group("service"), rest if kind == "action" else None, rest if kind == "path" else None)


def unsupported(service: str, action: Optional[str]) -> Optional[str]:
    """Why LocalCloud cannot run ``service``:``action`` (None when it can)."""
    if service not in ACTIONS:
        return f"the service {service!r} (LocalCloud runs {', '.join(sorted(ACTIONS))})"
    if action is not None and action not in ACTIONS[service]:
        return f"{service}:{action} (LocalCloud runs {', '.join(ACTIONS[service])} of {service})"
    return None


#: HTTP API first-class integrations: subtype -> (service, action, {mapped parameter: boto3 parameter}).
SUBTYPES: dict[str, tuple[str, str, dict[str, str]]] = {
    "SQS-SendMessage": ("sqs", "SendMessage", {
        "QueueUrl": "QueueUrl", "MessageBody": "MessageBody", "DelaySeconds": "DelaySeconds",
        "MessageAttributes": "MessageAttributes", "MessageDeduplicationId": "MessageDeduplicationId",
        "MessageGroupId": "MessageGroupId", "MessageSystemAttributes": "MessageSystemAttributes"}),
    "StepFunctions-StartExecution": ("states", "StartExecution", {
        "StateMachineArn": "stateMachineArn", "Name": "name", "Input": "input", "TraceHeader": "traceHeader"}),
    "StepFunctions-StartSyncExecution": ("states", "StartSyncExecution", {
        "StateMachineArn": "stateMachineArn", "Name": "name", "Input": "input", "TraceHeader": "traceHeader"}),
    "EventBridge-PutEvents": ("events", "PutEvents", {
        "Detail": "Detail", "DetailType": "DetailType", "Source": "Source", "Time": "Time",
        "EventBusName": "EventBusName", "Resources": "Resources", "TraceHeader": "TraceHeader"}),
    "Kinesis-PutRecord": ("kinesis", "PutRecord", {
        "StreamName": "StreamName", "Data": "Data", "PartitionKey": "PartitionKey",
        "SequenceNumberForOrdering": "SequenceNumberForOrdering", "ExplicitHashKey": "ExplicitHashKey"}),
}


def subtype_call(subtype: str, mapped: Mapping[str, str]) -> tuple[str, str, dict[str, Any]]:
    """The service, action and boto3 parameters of an HTTP API integration ``subtype`` with its mapped parameters.

    ``Region`` is dropped (the call goes to the stack's region); a parameter the
    subtype does not take raises :class:`IntegrationConfigError`.
    """
    if subtype not in SUBTYPES:
        raise IntegrationConfigError(f"the integration subtype {subtype!r} (LocalCloud runs {', '.join(SUBTYPES)})")
    service, action, names = SUBTYPES[subtype]
    params: dict[str, Any] = {}
    for name, value in mapped.items():
        if name == "Region":
            continue
        if name not in names:
            raise IntegrationConfigError(f"{subtype} takes no parameter {name!r} (it takes {', '.join(names)}, Region)")
        params[names[name]] = value
    if service == "events":
        entry = dict(params)
        if isinstance(entry.get("Resources"), str):
            entry["Resources"] = json.loads(entry["Resources"]) if entry["Resources"].startswith("[") else [entry["Resources"]]
        return service, action, {"Entries": [entry]}
    if service == "sqs":
        if isinstance(params.get("MessageAttributes"), str):
            params["MessageAttributes"] = json.loads(params["MessageAttributes"])
        if "DelaySeconds" in params:
            params["DelaySeconds"] = int(params["DelaySeconds"])
    if service == "kinesis" and "Data" in params:
        params["Data"] = str(params["Data"]).encode()
    return service, action, params


class ServiceIntegrations:
    """Calls AWS actions for API Gateway on the local cloud, as the integration's role."""

    def __init__(self, ctx: CloudContext) -> None:
        self.ctx = ctx

    # -- from a REST API's integration request -------------------------------------------
    def params_from_request(self, target: ServiceTarget, body: str, query: Mapping[str, str],
                            headers: Optional[Mapping[str, str]] = None) -> tuple[str, dict[str, Any]]:
        """The action and boto3 parameters of a REST integration request (mapped body, integration query
        string, and for Lambda's Invoke the integration request headers: ``X-Amz-Invocation-Type``...)."""
        if target.service == "lambda":
            return "Invoke", self._invoke_params(target, body, headers or {})
        if target.service in QUERY_SERVICES:
            form: dict[str, str] = dict(query)
            if body.strip() and "=" in body and not body.lstrip().startswith("{"):
                form.update({k: v for k, v in urllib.parse.parse_qsl(body, keep_blank_values=True)})
            action = target.action or form.pop("Action", "")
            form.pop("Action", None)
            form.pop("Version", None)
            if target.path is not None and target.service == "sqs":
                form.setdefault("QueueUrl", self._queue_url(target.path))
            return action, self._query_params(target.service, action, form)
        try:
            params = json.loads(body) if body.strip() else {}
        except ValueError as error:
            raise _RequestError("SerializationException", f"the integration request is not JSON: {body[:80]!r}") from error
        if not isinstance(params, dict):
            raise _RequestError("SerializationException", "the integration request is not a JSON object")
        return str(target.action or ""), self._json_params(target.service, str(target.action or ""), params)

    def _invoke_params(self, target: ServiceTarget, body: str, headers: Mapping[str, str]) -> dict[str, Any]:
        match = _LAMBDA_INVOKE_PATH.match(target.path or "")
        if match is None:
            raise IntegrationConfigError(f"lambda:path/{target.path} is not 2015-03-31/functions/<function>/invocations")
        params: dict[str, Any] = {"FunctionName": urllib.parse.unquote(match.group("function")), "Payload": body.encode()}
        shape = self.ctx.client("lambda").meta.service_model.operation_model("Invoke").input_shape
        by_header = {m.serialization.get("name", "").lower(): n for n, m in shape.members.items()
                     if m.serialization.get("location") == "header"}
        for header, value in headers.items():
            if header.lower() in by_header and value:
                params[by_header[header.lower()]] = value
        return params

    def _queue_url(self, path: str) -> str:
        account, _, name = path.strip("/").partition("/")
        return f"https://sqs.{self.ctx.template.region}.amazonaws.com/{account}/{name}"

    def _query_params(self, service: str, action: str, form: Mapping[str, str]) -> dict[str, Any]:
        """Flat query parameters (``MessageAttribute.1.Name``...) as boto3's structure, numbers as numbers."""
        params: dict[str, Any] = {}
        attributes: dict[str, dict[str, dict[str, str]]] = {}
        prefix = "MessageAttribute." if service == "sqs" else "MessageAttributes.entry."
        for key, value in form.items():
            if key.startswith(prefix):
                index, _, field = key[len(prefix):].partition(".")
                entry = attributes.setdefault(index, {"Value": {}})
                if field == "Name":
                    entry["Name"] = {"": value}
                elif field.startswith("Value."):
                    entry["Value"][field.removeprefix("Value.")] = value
            else:
                params[key] = value
        if attributes:
            params["MessageAttributes"] = {e["Name"][""]: e["Value"] for e in attributes.values() if "Name" in e}
        return self._coerce(service, action, params)

    def _json_params(self, service: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        if service == "kinesis" and action == "PutRecord" and isinstance(params.get("Data"), str):
            params["Data"] = base64.b64decode(params["Data"])
        if service == "kinesis" and action == "PutRecords":
            for record in params.get("Records") or []:
                if isinstance(record.get("Data"), str):
                    record["Data"] = base64.b64decode(record["Data"])
        return params

    def _coerce(self, service: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Top-level strings as the numbers/booleans the action's input shape declares."""
        try:
            shape = self.ctx.client(_CLIENTS.get(service, service)).meta.service_model.operation_model(action).input_shape
        except Exception:  # noqa: BLE001 - an unknown action is reported by the call itself
            return params
        for name, value in list(params.items()):
            member = shape.members.get(name) if shape is not None else None
            if member is not None and isinstance(value, str):
                if member.type_name in ("integer", "long"):
                    params[name] = int(value)
                elif member.type_name == "boolean":
                    params[name] = value.lower() == "true"
        return params

    # -- the call ------------------------------------------------------------------------
    def call(self, service: str, action: str, params: Mapping[str, Any], *, role_arn: Optional[str],
             session: str) -> ServiceResponse:
        """Call ``service``:``action`` as ``role_arn`` (checked like a handler's role) and answer as the service does."""
        why = unsupported(service, action)
        if why is not None:
            raise IntegrationConfigError(f"LocalCloud does not run {why}")
        if role_arn:
            denial = self.ctx.authorize_role(role_arn, session, service, action, params)
            if denial is not None:
                code, status = _DENIED.get(service, ("AccessDeniedException", 400))
                return self._error(service, action, code, denial, status)
        try:
            if service == "states" and action == "StartSyncExecution":
                return ServiceResponse(200, _json(self._start_sync(params)))
            client = self.ctx.client(_CLIENTS.get(service, service))
            result = getattr(client, xform_name(action))(**params)
        except ClientError as error:
            info = error.response.get("Error", {})
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
            return self._error(service, action, str(info.get("Code", "")), str(info.get("Message", "")), status)
        except _RequestError as error:
            return self._error(service, action, error.code, str(error), 400)
        except Exception as error:  # noqa: BLE001 - botocore's parameter validation and friends: the service's 400
            return self._error(service, action, "ValidationException", str(error), 400)
        result = {k: v for k, v in result.items() if k != "ResponseMetadata"}
        if service == "lambda":  # the body is the function's answer; the rest travels in headers
            payload = result.pop("Payload").read().decode()
            headers = {"X-Amz-Executed-Version": str(result.get("ExecutedVersion", ""))}
            if result.get("DurableExecutionArn"):
                headers["X-Amz-Durable-Execution-Arn"] = str(result["DurableExecutionArn"])
            if result.get("FunctionError"):
                headers["X-Amz-Function-Error"] = str(result["FunctionError"])
            return ServiceResponse(int(result.get("StatusCode", 200)), payload, headers)
        if service == "states" and action == "StartExecution":
            self._run_to_quiet(str(result["executionArn"]))
        if service in QUERY_SERVICES:
            return ServiceResponse(200, _json({f"{action}Response": {
                f"{action}Result": result, "ResponseMetadata": {"RequestId": str(uuid.uuid4())}}}))
        return ServiceResponse(200, _json(result))

    def _run_to_quiet(self, execution_arn: str) -> None:
        """The started execution runs to its end (or a wait on the test) before the cloud is quiet."""
        from .services.stepfunctions import LocalExecution

        def wait() -> None:
            LocalExecution(self.ctx, execution_arn).wait()

        self.ctx.enqueue(wait)

    def _start_sync(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``StartSyncExecution`` (an Express workflow run to its end): moto has no such call, so start and wait."""
        from .services.stepfunctions import LocalExecution

        sfn = self.ctx.client("stepfunctions")
        name = str(params.get("name") or uuid.uuid4().hex)
        started = sfn.start_execution(stateMachineArn=params["stateMachineArn"], name=name, input=params.get("input", "{}"))
        execution = LocalExecution(self.ctx, started["executionArn"]).wait()
        described = sfn.describe_execution(executionArn=execution.arn)
        answer: dict[str, Any] = {
            "executionArn": execution.arn,
            "stateMachineArn": params["stateMachineArn"],
            "name": name,
            "startDate": described.get("startDate"),
            "stopDate": described.get("stopDate"),
            "status": execution.status,
            "input": described.get("input"),
            "inputDetails": {"included": True},
            "billingDetails": {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100},
        }
        if execution.status == "SUCCEEDED":
            answer.update(output=described.get("output"), outputDetails={"included": True})
        else:
            answer.update(error=execution.error, cause=execution.cause)
        return answer

    @staticmethod
    def _error(service: str, action: str, code: str, message: str, status: int) -> ServiceResponse:
        if service in QUERY_SERVICES:
            body = {"Error": {"Code": code, "Message": message, "Type": "Sender"}, "RequestId": str(uuid.uuid4())}
            return ServiceResponse(status, _json(body))
        return ServiceResponse(status, _json({"__type": code, "message": message}))


class _RequestError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, datetime.datetime):
            return obj.timestamp()
        if isinstance(obj, (bytes, bytearray)):
            return base64.b64encode(bytes(obj)).decode()
        return str(obj)

    return json.dumps(value, default=default)


__all__ = ["ACTIONS", "SUBTYPES", "subtype_call", "IntegrationConfigError", "ServiceIntegrations", "ServiceResponse", "ServiceTarget", "parse_uri", "unsupported"]
