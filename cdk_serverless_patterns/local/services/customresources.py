"""Custom resources: what CloudFormation runs at deploy, run when the cloud opens, in dependency order.

* A user's custom resource (``AWS::CloudFormation::CustomResource``,
  ``Custom::*``) whose ``ServiceToken`` is a function: the handler runs with
  a real CloudFormation ``Create`` event. Its ``ResponseURL`` is answered
  locally (:class:`~..endpoint.AwsEndpoint`), so ``cfnresponse`` (inline Python)
  and ``cfn-response`` (inline Node.js) work; a ``FAILED`` response, or no
  response at all, fails the open as it would fail the deploy.
* The custom-resources ``Provider`` framework (``onEvent`` / ``isComplete``):
  the user's ``onEvent`` returns ``PhysicalResourceId`` and ``Data``; with an
  ``isComplete`` handler it is asked until it answers ``IsComplete: true``.
* ``Custom::AWS`` (``AwsCustomResource``, whatever ``resource_type`` it was given): its ``Create`` (or ``Update``) SDK
  call runs on the local cloud, as the resource's function (its role is
  checked), and the flattened response is its data (``get_response_field``).
* ``Custom::CDKBucketDeployment`` (``BucketDeployment``) puts its source
  assets' files in the destination bucket, under the key prefix.
* ``Custom::LogRetention`` sets the retention; ``Custom::S3AutoDeleteObjects``
  has nothing to do before a delete; ``Custom::S3BucketNotifications`` is the
  S3 service's (:mod:`.s3`).

``Data`` is what ``Fn::GetAtt`` on the resource resolves to, and its physical
id what ``Ref`` does, in the environment of every function. Environments are
resolved again after deploy time, with CloudFormation's dynamic references
(``{{resolve:secretsmanager:...}}``, ``{{resolve:ssm:...}}``) read from the
local Secrets Manager and Parameter Store.
"""

from __future__ import annotations

import datetime
import graphlib
import json
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.model import Shape

from ..context import CloudContext, session
from ..endpoint import AwsEndpoint
from ..functions import HandlerError, LocalFunction, current_function
from ..service import Service
from ..template import Resource

_USER_ON_EVENT = "USER_ON_EVENT_FUNCTION_ARN"
_USER_IS_COMPLETE = "USER_IS_COMPLETE_FUNCTION_ARN"
_IS_COMPLETE_ATTEMPTS = 60
_NOTHING_TO_DO = ("Custom::S3AutoDeleteObjects",)
#: AwsCustomResource service names (SDK v2 class names, v3 package names) -> boto3's, where they differ.
_SERVICE_ALIASES = {
    "cloudwatchevents": "events",
    "eventbridge": "events",
    "cloudwatchlogs": "logs",
    "sfn": "stepfunctions",
    "cognitoidentityserviceprovider": "cognito-idp",
    "cognitoidentityprovider": "cognito-idp",
    "iotdata": "iot-data",
    "iotdataplane": "iot-data",
    "elasticloadbalancingv2": "elbv2",
    "apigatewaymanagementapi": "apigatewaymanagementapi",
}
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(ssm|ssm-secure|secretsmanager):(.+?)\}\}")


class DeployTimeError(RuntimeError):
    """A custom resource failed when the cloud opened (the deploy would have failed and rolled back)."""


class CustomResources(Service):
    handles = ("AWS::CloudFormation::CustomResource", "Custom::")

    def __init__(self, ctx: CloudContext) -> None:
        super().__init__(ctx)
        self.responses: dict[str, dict[str, Any]] = {}  # logical id -> what its handler answered

    def provision(self) -> None:
        self.refresh_environments()
        for resource in self._in_dependency_order():
            if resource.type == "Custom::S3BucketNotifications" or resource.type in _NOTHING_TO_DO:
                continue
            if resource.type == "Custom::LogRetention":
                self._log_retention(resource)
                continue
            if resource.type == "Custom::CDKBucketDeployment":
                self._bucket_deployment(resource)
                continue
            physical_id, data = self._aws_call(resource) if _is_aws_custom_resource(resource) else self._run_handler(resource)
            resource.ref = physical_id
            resource.attributes.update({str(k): str(v) for k, v in data.items()})
        self.refresh_environments()

    # -- order -----------------------------------------------------------------------------
    def _in_dependency_order(self) -> list[Resource]:
        """The custom resources, each after those it refers to (Ref, GetAtt, Sub, DependsOn)."""
        template = self.ctx.template
        custom = {r.logical_id: r for r in template.resources.values() if r.type.startswith(self.handles)}
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for logical_id in custom:
            body = (template.raw.get("Resources") or {}).get(logical_id, {})
            text = json.dumps(body.get("Properties") or {})
            depends = body.get("DependsOn") or []
            depends = [depends] if isinstance(depends, str) else depends
            refers = [
                other for other in custom
                if other != logical_id and (other in depends or f'"{other}"' in text or f"${{{other}." in text)
            ]
            sorter.add(logical_id, *refers)
        return [custom[logical_id] for logical_id in sorter.static_order()]

    # -- a handler: the user's function, or the Provider framework ------------------------
    def _event(self, resource: Resource, token: str) -> dict[str, Any]:
        template = self.ctx.template
        request_id = str(uuid.uuid4())
        return {
            "RequestType": "Create",
            "ServiceToken": token,
            "ResponseURL": self.ctx.shared(AwsEndpoint).response_url(request_id),
            "StackId": template.pseudo("AWS::StackId"),
            "RequestId": request_id,
            "LogicalResourceId": resource.logical_id,
            "ResourceType": resource.type,
            "ResourceProperties": _as_cloudformation_passes(template.resolve(resource.properties)),
        }

    def _run_handler(self, resource: Resource) -> tuple[str, dict[str, Any]]:
        token = str(self.ctx.template.resolve(resource.properties.get("ServiceToken", "")))
        if ":lambda:" not in token:
            raise DeployTimeError(
                f"custom resource {resource.logical_id} ({resource.type}): its ServiceToken {token!r} is not a function "
                "of this stack; LocalCloud runs custom resources backed by a Lambda function (or the Provider framework)"
            )
        function, _ = self.ctx.functions.function_for_arn(token)
        event = self._event(resource, token)
        on_event = function.environment.get(_USER_ON_EVENT)
        if on_event:
            return self._provider(resource, event, on_event, function.environment.get(_USER_IS_COMPLETE))
        failure: Optional[str] = None
        try:
            self.ctx.functions.run(function, event)
        except HandlerError as error:
            failure = f"its handler {function.name} failed: {error.error_type}: {error.error_message}"
        answer = self.ctx.shared(AwsEndpoint).cfn_response(event["RequestId"])
        if answer is None:
            raise DeployTimeError(
                f"custom resource {resource.logical_id} ({resource.type}): "
                + (failure or f"its handler {function.name} returned without sending a response to the ResponseURL")
                + " (CloudFormation would wait for the response, then fail the deploy); send one with cfnresponse.send"
            )
        self.responses[resource.logical_id] = answer
        if answer.get("Status") != "SUCCESS":
            raise DeployTimeError(
                f"custom resource {resource.logical_id} ({resource.type}) failed: {answer.get('Reason', 'no reason given')}"
            )
        return str(answer.get("PhysicalResourceId") or event["RequestId"]), dict(answer.get("Data") or {})

    def _provider(self, resource: Resource, event: dict[str, Any], on_event: str, is_complete: Optional[str]) -> tuple[str, dict[str, Any]]:
        """The custom-resources Provider framework: onEvent, then isComplete until it says so."""
        user_event = {**event, "ResponseURL": "..."}  # the framework answers CloudFormation itself
        result = self._run_user(resource, on_event, user_event) or {}
        physical_id = str(result.get("PhysicalResourceId") or event["RequestId"])
        data = dict(result.get("Data") or {})
        if is_complete:
            for _ in range(_IS_COMPLETE_ATTEMPTS):
                answer = self._run_user(resource, is_complete, {**user_event, **result, "PhysicalResourceId": physical_id}) or {}
                if answer.get("IsComplete"):
                    data.update(answer.get("Data") or {})
                    break
            else:
                raise DeployTimeError(
                    f"custom resource {resource.logical_id}: isComplete did not answer IsComplete: true in "
                    f"{_IS_COMPLETE_ATTEMPTS} attempts (LocalCloud asks without waiting between attempts)"
                )
        self.responses[resource.logical_id] = {"Status": "SUCCESS", "PhysicalResourceId": physical_id, "Data": data}
        return physical_id, data

    def _run_user(self, resource: Resource, arn: str, event: dict[str, Any]) -> Optional[dict[str, Any]]:
        function, _ = self.ctx.functions.function_for_arn(arn)
        try:
            result = self.ctx.functions.run(function, event)
        except HandlerError as error:
            raise DeployTimeError(
                f"custom resource {resource.logical_id} ({resource.type}) failed: {function.name}: "
                f"{error.error_type}: {error.error_message}"
            ) from None
        return result if isinstance(result, dict) else None

    # -- CDK's own -------------------------------------------------------------------------
    def _log_retention(self, resource: Resource) -> None:
        props = self.ctx.template.resolve(resource.properties)
        logs = self.ctx.client("logs")
        name = str(props.get("LogGroupName", ""))
        try:
            logs.create_log_group(logGroupName=name)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
        if props.get("RetentionInDays") not in (None, "", "Infinity"):
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))

    def _bucket_deployment(self, resource: Resource) -> None:
        """``BucketDeployment``: the source assets' files put in the destination bucket (markers filled in).

        CDK's handler runs the AWS CLI from a layer; here the sources are read
        from the cloud assembly (a zip asset, or a folder asset as staged).
        """
        template = self.ctx.template
        props = template.resolve(resource.properties)
        bucket, prefix = str(props.get("DestinationBucketName")), str(props.get("DestinationBucketKeyPrefix") or "")
        markers = list(props.get("SourceMarkers") or [])
        for index, key in enumerate(props.get("SourceObjectKeys") or []):
            source = template.assets.get(str(key).split(".", 1)[0])
            if source is None:
                self.ctx.warn_once(
                    f"bucket-deployment:{resource.logical_id}:{key}",
                    f"BucketDeployment {resource.logical_id}: source {key} is not an asset of this cloud assembly; not copied",
                )
                continue
            replacements = {str(k): str(v) for k, v in (markers[index] if index < len(markers) else {}).items()}
            for name, data in _asset_files(template.assembly_dir / source):
                for marker, value in replacements.items():
                    data = data.replace(marker.encode(), value.encode())
                self.ctx.client("s3").put_object(Bucket=bucket, Key=f"{prefix}{name}", Body=data)

    def _aws_call(self, resource: Resource) -> tuple[str, dict[str, Any]]:
        """``AwsCustomResource``: the SDK call of its Create (else Update), as its function, on the local cloud."""
        props = self.ctx.template.resolve(resource.properties)
        raw = props.get("Create") or props.get("Update")
        request_id = str(uuid.uuid4())
        if not raw:
            return request_id, {}
        call = json.loads(raw) if isinstance(raw, str) else dict(raw)
        service = _boto_service(str(call.get("service", "")))
        action = str(call.get("action", "")).removesuffix("Command")
        operation = action[:1].upper() + action[1:]
        client = self.ctx.client(service)
        model = client.meta.service_model.operation_model(operation)
        params = _coerce(model.input_shape, _decode_booleans(call.get("parameters") or {}))
        token = str(props.get("ServiceToken", ""))
        function: Optional[LocalFunction] = self.ctx.functions.function_for_arn(token)[0] if ":lambda:" in token else None
        marker = current_function.set(function)
        try:
            response = getattr(client, xform_name(operation))(**params)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            ignore = call.get("ignoreErrorCodesMatching")
            if ignore and re.fullmatch(str(ignore), code):
                response = {}
            else:
                raise DeployTimeError(
                    f"custom resource {resource.logical_id} (Custom::AWS, {service}.{action}) failed: {error}"
                ) from None
        finally:
            current_function.reset(marker)
        flat = _flatten({k: v for k, v in response.items() if k != "ResponseMetadata"})
        paths = call.get("outputPaths") or ([call["outputPath"]] if call.get("outputPath") else None)
        data = {k: v for k, v in flat.items() if paths is None or any(k.startswith(p) for p in paths)}
        physical = call.get("physicalResourceId") or {}
        physical_id = str(physical.get("id") or flat.get(str(physical.get("responsePath")), "") or request_id)
        self.responses[resource.logical_id] = {"Status": "SUCCESS", "PhysicalResourceId": physical_id, "Data": data}
        return physical_id, data

    # -- environments ----------------------------------------------------------------------
    def refresh_environments(self) -> None:
        """Every function's environment resolved again: custom resource data, secrets and parameters as deployed."""
        template = self.ctx.template
        for resource in template.of_type("AWS::Lambda::Function"):
            function, _ = self.ctx.functions.function_for_arn(resource.name)
            variables = template.resolve((resource.properties.get("Environment") or {}).get("Variables") or {})
            function.environment = {str(k): self._dynamic(str(v)) for k, v in variables.items()}

    def _dynamic(self, text: str) -> str:
        """``text`` with CloudFormation's dynamic references read from the local Secrets Manager and Parameter Store."""

        def one(match: re.Match[str]) -> str:
            kind, reference = match.group(1), match.group(2)
            try:
                if kind in ("ssm", "ssm-secure"):
                    name = reference.rsplit(":", 1)[0] if re.search(r":\d+$", reference) else reference
                    return str(self.ctx.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
                parts = reference.split(":")
                secret_id = ":".join(parts[:7]) if reference.startswith("arn:") else parts[0]
                rest = parts[7:] if reference.startswith("arn:") else parts[1:]
                json_key = rest[1] if len(rest) > 1 else ""
                stage = rest[2] if len(rest) > 2 and rest[2] else None
                kwargs: dict[str, Any] = {"SecretId": secret_id}
                if stage:
                    kwargs["VersionStage"] = stage
                value = str(self.ctx.client("secretsmanager").get_secret_value(**kwargs).get("SecretString", ""))
                return str(json.loads(value)[json_key]) if json_key else value
            except (ClientError, KeyError, ValueError) as error:
                self.ctx.warn_once(
                    f"dynamic-reference:{match.group(0)}",
                    f"the dynamic reference {match.group(0)} does not resolve locally ({error}); it is left as written",
                )
                return match.group(0)

        return _DYNAMIC_REFERENCE.sub(one, text)


def _asset_files(path: Path) -> Iterator[tuple[str, bytes]]:
    """``(relative name, content)`` of every file of a folder asset or a zip asset."""
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            yield file.relative_to(path).as_posix(), file.read_bytes()
        return
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith("/"):
                yield name, archive.read(name)


def _as_cloudformation_passes(value: Any) -> Any:
    """ResourceProperties as CloudFormation hands them to a handler: every scalar a string."""
    if isinstance(value, Mapping):
        return {str(k): _as_cloudformation_passes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_cloudformation_passes(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _is_aws_custom_resource(resource: Resource) -> bool:
    """An ``AwsCustomResource``: ``Custom::AWS``, or any ``resource_type`` it was given (e.g. CDK's own
    ``Custom::CloudwatchLogResourcePolicy``), known by the properties it always writes."""
    if resource.type == "Custom::AWS":
        return True
    props = resource.properties
    return "InstallLatestAwsSdk" in props and any(k in props for k in ("Create", "Update", "Delete"))


def _boto_service(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower().removeprefix("@aws-sdk/client-"))
    if key in _SERVICE_ALIASES:
        return _SERVICE_ALIASES[key]
    for service in session().get_available_services():
        if service.replace("-", "") == key:
            return str(service)
    raise DeployTimeError(f"AwsCustomResource: unknown service {name!r}")


def _decode_booleans(value: Any) -> Any:
    """AwsSdkCall parameters: CDK encodes booleans as ``TRUE:BOOLEAN`` / ``FALSE:BOOLEAN``."""
    if isinstance(value, Mapping):
        return {k: _decode_booleans(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_booleans(v) for v in value]
    if value in ("TRUE:BOOLEAN", "FALSE:BOOLEAN"):
        return value == "TRUE:BOOLEAN"
    return value


def _coerce(shape: Optional[Shape], value: Any) -> Any:
    """JSON values as the SDK v3 handler coerces them: numbers and booleans from strings, blobs from text."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        members = shape.members
        return {k: _coerce(members.get(k), v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_coerce(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: _coerce(shape.value, v) for k, v in value.items()}
    if isinstance(value, str):
        if kind in ("integer", "long"):
            return int(value)
        if kind in ("float", "double"):
            return float(value)
        if kind == "boolean":
            return value.lower() == "true"
        if kind == "blob":
            return value.encode()
    return value


def _flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """A response as AwsCustomResource flattens it: ``Parameter.Value``, ``Items.0.id``."""
    out: dict[str, str] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}{key}."))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}{index}."))
    elif prefix:
        if isinstance(value, datetime.datetime):
            value = value.isoformat()
        elif isinstance(value, bytes):
            value = value.decode(errors="replace")
        elif hasattr(value, "read"):
            value = value.read().decode(errors="replace")
        out[prefix[:-1]] = str(value).lower() if isinstance(value, bool) else str(value)
    return out
