"""Lambda: functions run in-process, their event source mappings, asynchronous invocation and ``Invoke``.

Owns the :class:`~..functions.LocalFunction` of every ``AWS::Lambda::Function``
(code asset, layers, environment, role), their aliases, and what delivers to
them: event source mappings (SQS, Kinesis and DynamoDB stream pollers from
:mod:`..sources`), asynchronous invocation with retries, ``OnSuccess``/
``OnFailure`` destinations and the dead-letter queue (per the
``EventInvokeConfig``), and ``lambda:Invoke`` from any boto3 client (answered
here, not by moto). Other services reach it through ``ctx.functions``.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any, Mapping, Optional

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from ..context import CloudContext, body_of, is_json
from ..functions import ContextEnviron, HandlerError, LocalFunction, ServiceError
from ..iam import wildcard_match
from ..runtimes import code_dir_without_asset, foreign_entry, not_run_reason, report_not_run, runtime_of
from ..service import Service
from ..sources import SqsMapping, lambda_stream_mapping
from ..template import Resource


class Lambda(Service):
    handles = (
        "AWS::Lambda::Function",
        "AWS::Lambda::Alias",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::Permission",
        "AWS::Lambda::LayerVersion",
    )

    def __init__(self, ctx: CloudContext) -> None:
        super().__init__(ctx)
        self.functions: dict[str, LocalFunction] = {}
        self.not_run: dict[str, str] = {}  # logical id -> why LocalCloud does not run the function
        self._base_env = dict(os.environ)
        ContextEnviron.install()
        ctx.provide_functions(self)
        ctx.register_sender("lambda", self.send)
        for operation in ("Invoke", "InvokeAsync"):
            ctx.intercept("lambda", operation, self._api_invoke)

    def close(self) -> None:
        for function in self.functions.values():
            function.closed = True
        ContextEnviron.uninstall()

    # -- provisioning ----------------------------------------------------------------------
    def provision(self) -> None:
        t = self.ctx.template
        for function in t.of_type("AWS::Lambda::Function"):
            local = self.functions[function.logical_id] = self._make_function(function)
            local.runner = foreign_entry(self.ctx, local)  # Node.js, or a runtime LocalCloud does not run
            reason = not_run_reason(local.runtime)
            if reason is not None:
                self.not_run.setdefault(function.logical_id, reason)
        report_not_run(self.ctx, self.not_run)
        self._check_handlers()
        for alias in t.of_type("AWS::Lambda::Alias"):
            fn = self._function_by_name(alias.name)
            if fn is not None:
                fn.aliases[alias.arn.rsplit(":", 1)[-1]] = alias.arn
        for mapping in t.of_type("AWS::Lambda::EventSourceMapping"):
            source = str(t.resolve(mapping.properties.get("EventSourceArn", "")))
            if ":sqs:" in source:
                self.ctx.add_poller(SqsMapping(self.ctx, mapping))
            elif ":kinesis:" in source or ":dynamodb:" in source:
                self.ctx.add_poller(lambda_stream_mapping(self.ctx, mapping, self.ctx.stream_source(source)))
            else:
                self.ctx.skip(mapping.logical_id, f"source {source}", "LocalCloud runs event source mappings on SQS queues, Kinesis streams and DynamoDB streams only")

    def _check_handlers(self) -> None:
        """Named once at open: handler files that do not exist, and Python runtimes other than the interpreter's."""
        running = f"python{sys.version_info.major}.{sys.version_info.minor}"
        other: dict[str, list[str]] = {}
        for function in self.functions.values():
            if function.runtime.startswith("python") and function.runtime != running:
                other.setdefault(function.runtime, []).append(function.path)
            if function.runtime.startswith("python") and function.handler_file() is None:
                module = function.handler.rpartition(".")[0]
                self.ctx.warn_once(
                    f"handler:{function.logical_id}",
                    f"function {function.path}: its handler {function.handler!r} needs {module.replace('.', '/')}.py "
                    f"in {function.code_dir} (or a layer's python/), which does not exist; invoking it fails with "
                    "Runtime.ImportModuleError",
                )
        if other:
            declared = "; ".join(f"{runtime}: {', '.join(paths)}" for runtime, paths in sorted(other.items()))
            self.ctx.warn_once(
                "runtime",
                f"handlers declared for another Python run on this interpreter ({running}): {declared}. "
                f"Code that needs the declared version's features fails here, or passes here and fails in Lambda",
            )

    def _make_function(self, resource: Resource) -> LocalFunction:
        t = self.ctx.template
        props = resource.properties
        code_dir = t.asset_dir(props.get("Code") or {}, resource.metadata)
        if code_dir is None:  # inline code, or code LocalCloud cannot have (named at open)
            code_dir = code_dir_without_asset(self.ctx, resource, self.not_run)
        layer_dirs: list[Path] = []
        for layer_arn in t.resolve(props.get("Layers") or []):
            layer = t.by_arn(str(layer_arn))
            if layer is not None:
                folder = t.asset_dir(layer.properties.get("Content") or {}, layer.metadata)
                if folder is not None:
                    layer_dirs.append(folder)
            else:
                self.ctx.warn_once(
                    f"layer:{layer_arn}",
                    f"layer {layer_arn} of {resource.path} is not in this stack; its packages come from the test "
                    "environment instead (install them there)",
                )
        role_logical_id = self.ctx.logical_id_for_arn(str(t.resolve(props.get("Role", ""))))
        environment = {
            str(k): str(v) for k, v in (t.resolve((props.get("Environment") or {}).get("Variables") or {})).items()
        }
        logging = t.resolve(props.get("LoggingConfig") or {})
        return LocalFunction(
            logical_id=resource.logical_id,
            path=resource.path,
            name=resource.name,
            arn=resource.arn,
            handler=str(props.get("Handler", "index.handler")),
            code_dir=code_dir,
            layer_dirs=layer_dirs,
            environment=environment,
            timeout=float(t.resolve(props.get("Timeout", 3))),
            memory_size=int(t.resolve(props.get("MemorySize", 128))),
            runtime=runtime_of(props),
            role=self.ctx.iam.role(role_logical_id) if role_logical_id else None,
            region=t.region,
            log_group_name=str(logging.get("LogGroup") or f"/aws/lambda/{resource.name}"),
            tenant_isolation=(t.resolve(props.get("TenancyConfig") or {})).get("TenantIsolationMode") == "PER_TENANT",
        )

    # -- look-ups --------------------------------------------------------------------------
    def _function_by_name(self, name: str) -> Optional[LocalFunction]:
        return next((f for f in self.functions.values() if f.name == name), None)

    def function_for_arn(self, arn_or_name: str) -> tuple[LocalFunction, Optional[str]]:
        """The function an ARN (function, version or alias), ``name`` or ``name:qualifier`` names."""
        text = str(arn_or_name)
        if text.startswith("arn:"):
            parts = text.split(":")
            name, qualifier = parts[6], (parts[7] if len(parts) > 7 else None)
        else:
            name, _, qualifier_text = text.partition(":")
            qualifier = qualifier_text or None
        function = self._function_by_name(name)
        if function is None:
            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": f"Function not found: {text}"}}, "Invoke"
            )
        return function, qualifier

    def function_arn_of(self, arn_or_name: str) -> str:
        function, qualifier = self.function_for_arn(arn_or_name)
        return f"{function.arn}:{qualifier}" if qualifier else function.arn

    def permits(self, function_arn: str, principal: str, source_arn: str) -> bool:
        """Does the function's resource policy let ``principal`` (from ``source_arn``) invoke ``function_arn``?"""
        wanted = self.function_arn_of(function_arn)
        return self.ctx.iam.service_may(principal, "lambda:InvokeFunction", wanted, source_arn=source_arn).allowed

    # -- invocation ------------------------------------------------------------------------
    def run(self, function: LocalFunction, event: Any, *, invoked_arn: Optional[str] = None,
            tenant_id: Optional[str] = None) -> Any:
        """Run ``function`` synchronously (raises :class:`HandlerError`); ``tenant_id`` for a function
        with tenant isolation (its invocations then run in that tenant's sandbox)."""
        return function.invoke(event, base_env=self._base_env, invoked_arn=invoked_arn, tenant_id=tenant_id)

    def send(self, arn: str, payload: Any, *, attributes: Optional[Mapping[str, str]] = None,
             group_id: Optional[str] = None) -> None:
        """A function as a target or destination: an asynchronous invocation of the ARN."""
        function, _ = self.function_for_arn(arn)
        body = body_of(payload)
        event = json.loads(body) if is_json(body) else body
        if self.ctx.durable is not None and self.ctx.durable.is_durable(function):
            try:
                self.ctx.durable.invoke(function, event, invoked_arn=arn, invocation_type="Event", name=None)
            except ClientError as error:  # e.g. an unqualified ARN: the target's delivery fails (aws-cdk #36463)
                self.ctx.record_delivery_failure(f"async {function.name}", str(error))
            return
        self.invoke_async(function, event, invoked_arn=arn)

    def invoke_async(self, function: LocalFunction, event: Any, *, invoked_arn: Optional[str] = None, attempt: int = 1,
                     tenant_id: Optional[str] = None) -> None:
        """Lambda's asynchronous invocation: retries and destinations per the alias's EventInvokeConfig."""
        self.ctx.enqueue(lambda: self._async_attempt(function, event, invoked_arn, attempt, tenant_id))

    def _invoke_config(self, function: LocalFunction, invoked_arn: Optional[str]) -> dict[str, Any]:
        template = self.ctx.template
        qualifier = invoked_arn.split(":")[7] if invoked_arn and invoked_arn.count(":") >= 7 else "$LATEST"
        for config in template.of_type("AWS::Lambda::EventInvokeConfig"):
            props: dict[str, Any] = template.resolve(config.properties)
            name = str(props.get("FunctionName", ""))
            if function.name in (name, name.split(":")[-1]) or name == function.arn:
                if str(props.get("Qualifier", "$LATEST")) == qualifier:
                    return props
        return {}

    def _async_attempt(self, function: LocalFunction, event: Any, invoked_arn: Optional[str], attempt: int,
                       tenant_id: Optional[str] = None) -> None:
        config = self._invoke_config(function, invoked_arn)
        try:
            result = self.run(function, event, invoked_arn=invoked_arn, tenant_id=tenant_id)
        except HandlerError as error:
            if attempt <= int(config.get("MaximumRetryAttempts", 2)):
                self.invoke_async(function, event, invoked_arn=invoked_arn, attempt=attempt + 1, tenant_id=tenant_id)
                return
            self.ctx.record_delivery_failure(f"async {function.name}", f"{error.error_type}: {error.error_message}")
            destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            record = self._destination_record(function, invoked_arn, event, attempt, "RetriesExhausted", error.payload(), "Unhandled")
            if destination:
                self.ctx.send(str(destination), record)
            else:
                dlq = self._dead_letter_target(function)
                if dlq:
                    self.ctx.send(dlq, event, attributes={"RequestID": "local", "ErrorCode": "200", "ErrorMessage": error.error_message})
            return
        destination = ((config.get("DestinationConfig") or {}).get("OnSuccess") or {}).get("Destination")
        if destination:
            self.ctx.send(str(destination), self._destination_record(function, invoked_arn, event, attempt, "Success", result, None))

    def _dead_letter_target(self, function: LocalFunction) -> Optional[str]:
        template = self.ctx.template
        props = template.resolve(template.resources[function.logical_id].properties)
        target = (props.get("DeadLetterConfig") or {}).get("TargetArn")
        return str(target) if target else None

    def _destination_record(self, function: LocalFunction, invoked_arn: Optional[str], event: Any, attempts: int,
                            condition: str, response: Any, function_error: Optional[str]) -> dict[str, Any]:
        context: dict[str, Any] = {"statusCode": 200, "executedVersion": "1"}
        if function_error:
            context["functionError"] = function_error
        return {
            "version": "1.0",
            "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": invoked_arn or function.arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": context,
            "responsePayload": response,
        }

    # -- lambda:Invoke from any boto3 client -----------------------------------------------
    def _api_invoke(self, params: Mapping[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        """``lambda:Invoke`` from any boto3 client (a handler, the Step Functions engine, a test)."""
        status, payload, function_error, execution_arn = self._invoke_call(params)
        body = json.dumps(payload).encode() if payload is not None else b""
        parsed: dict[str, Any] = {
            "StatusCode": status,
            "Payload": StreamingBody(io.BytesIO(body), len(body)),
            "ExecutedVersion": "1",
            "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}},
        }
        if execution_arn is not None:
            parsed["DurableExecutionArn"] = execution_arn
        if function_error:
            parsed["FunctionError"] = function_error
        return AWSResponse("https://lambda.local", status, {}, None), parsed

    def _invoke_call(self, params: Mapping[str, Any]) -> tuple[int, Any, Optional[str], Optional[str]]:
        name = str(params.get("FunctionName", ""))
        qualifier = params.get("Qualifier")
        function, arn_qualifier = self.function_for_arn(name)
        invoked_arn = f"{function.arn}:{qualifier or arn_qualifier}" if (qualifier or arn_qualifier) else function.arn
        raw = params.get("Payload", b"{}")
        if hasattr(raw, "read"):
            raw = raw.read()
        text = raw.decode() if isinstance(raw, (bytes, bytearray)) else str(raw or "{}")
        event = json.loads(text) if text else {}
        kind = params.get("InvocationType", "RequestResponse")
        tenant_id = str(params["TenantId"]) if params.get("TenantId") else None
        try:
            function.check_tenant(tenant_id)
        except ServiceError as error:
            raise ClientError(
                {"Error": {"Code": error.code, "Message": error.error_message}, "ResponseMetadata": {"HTTPStatusCode": 400}},
                "Invoke",
            ) from None
        if kind == "DryRun":
            return 204, None, None, None
        if self.ctx.durable is not None and self.ctx.durable.is_durable(function):
            execution_name = params.get("DurableExecutionName")
            return self.ctx.durable.invoke(function, event, invoked_arn=invoked_arn, invocation_type=str(kind),
                                           name=str(execution_name) if execution_name else None)
        if kind == "Event":
            self.invoke_async(function, event, invoked_arn=invoked_arn, tenant_id=tenant_id)
            return 202, None, None, None
        try:
            return 200, self.run(function, event, invoked_arn=invoked_arn, tenant_id=tenant_id), None, None
        except ServiceError as error:
            status = 429 if "TooManyRequests" in error.code else 500
            raise ClientError(
                {"Error": {"Code": error.code, "Message": error.error_message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                "Invoke",
            ) from None
        except HandlerError as error:
            return 200, error.payload(), "Unhandled", None
