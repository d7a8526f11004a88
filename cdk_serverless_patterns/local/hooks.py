"""The one place LocalCloud meets botocore: every AWS call in the process passes here.

Three botocore events, registered once per process (for sessions that exist
and for those created later):

* ``before-parameter-build`` — keeps the call's parameters for the other two,
  and, while a handler runs, checks the call against that function's role
  (:mod:`.iam`), raising the ``AccessDenied`` ``ClientError`` AWS would;
* ``before-call`` — answers ``lambda:Invoke`` itself (from a handler, from the
  Step Functions engine, or from a test) by running the in-process function;
* ``after-call`` — tells the active cloud what happened (a message published,
  events put, an object written) so it can deliver it as the template wires it.

With no LocalCloud active the handlers do nothing.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any, Optional

import boto3
import botocore.handlers
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from .functions import current_function

if TYPE_CHECKING:
    from .cloud import LocalCloud

_state: dict[str, Any] = {"cloud": None, "registered": False}
_PARAMS_KEY = "local_cloud_params"


def activate(cloud: "LocalCloud") -> None:
    if _state["cloud"] is not None and _state["cloud"] is not cloud:
        raise RuntimeError("Another LocalCloud is active in this process; use one at a time (a `with` block each)")
    _state["cloud"] = cloud
    _register()


def deactivate(cloud: "LocalCloud") -> None:
    if _state["cloud"] is cloud:
        _state["cloud"] = None


def _register() -> None:
    handlers = [
        ("before-parameter-build", _before_parameter_build),
        ("before-call", _before_call),
        ("after-call", _after_call),
    ]
    if not _state["registered"]:
        botocore.handlers.BUILTIN_HANDLERS.extend(handlers)
        _state["registered"] = True
    session = boto3.DEFAULT_SESSION
    if session is not None and not getattr(session, "_local_cloud_hooked", False):
        for event, handler in handlers:
            session._session.register(event, handler)  # noqa: SLF001 - botocore's event system
        session._local_cloud_hooked = True


def _operation(model: Any) -> tuple[str, str]:
    return model.service_model.endpoint_prefix, model.name


def _before_parameter_build(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    cloud: Optional["LocalCloud"] = _state["cloud"]
    if cloud is None:
        return
    context[_PARAMS_KEY] = params
    function = current_function.get()
    if function is None or function.role is None:
        return
    service, operation = _operation(model)
    denial = cloud.authorize(function, service, operation, params)
    if denial is not None:
        code = "AccessDeniedException" if service in ("dynamodb", "kinesis", "lambda", "states", "events") else "AccessDenied"
        raise ClientError({"Error": {"Code": code, "Message": denial}, "ResponseMetadata": {"HTTPStatusCode": 403}}, operation)


def _before_call(model: Any, context: dict[str, Any], **_: Any) -> Optional[tuple[AWSResponse, dict[str, Any]]]:
    cloud: Optional["LocalCloud"] = _state["cloud"]
    if cloud is None:
        return None
    service, operation = _operation(model)
    if service != "lambda" or operation not in ("Invoke", "InvokeAsync"):
        return None
    params = context.get(_PARAMS_KEY, {})
    status, payload, function_error = cloud.lambda_api_invoke(params)
    body = json.dumps(payload).encode() if payload is not None else b""
    parsed: dict[str, Any] = {
        "StatusCode": status,
        "Payload": StreamingBody(io.BytesIO(body), len(body)),
        "ExecutedVersion": "1",
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}},
    }
    if function_error:
        parsed["FunctionError"] = function_error
    return AWSResponse("https://lambda.local", status, {}, None), parsed


def _after_call(http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    cloud: Optional["LocalCloud"] = _state["cloud"]
    if cloud is None or getattr(http_response, "status_code", 500) >= 300:
        return
    service, operation = _operation(model)
    cloud.observe(service, operation, context.get(_PARAMS_KEY, {}), parsed)
