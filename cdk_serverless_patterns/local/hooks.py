"""The one place LocalCloud meets botocore: every AWS call in the process passes here.

Three botocore events, registered once per process (for sessions that exist
and for those created later):

* ``before-parameter-build`` — keeps the call's parameters for the other two,
  and, while a handler runs, checks the call against that function's role
  (:mod:`.iam`), raising the ``AccessDenied`` ``ClientError`` AWS would;
* ``before-call`` — answers the calls a service intercepts itself
  (``CloudContext.intercept``: the Lambda service runs ``lambda:Invoke`` from a
  handler, the Step Functions engine or a test in-process);
* ``after-call`` — tells the active cloud what happened (a message published,
  events put, an object written) so the service that registered for that call
  (``CloudContext.on_call``) delivers it as the template wires it.

With no LocalCloud active the handlers do nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import boto3
import botocore.handlers
from botocore.exceptions import ClientError

from .functions import current_function

if TYPE_CHECKING:
    from botocore.awsrequest import AWSResponse

    from .context import CloudContext

_state: dict[str, Any] = {"cloud": None, "registered": False}
_PARAMS_KEY = "local_cloud_params"
#: Services whose access-denied error code is ``AccessDeniedException`` (the others answer ``AccessDenied``).
_ACCESS_DENIED_EXCEPTION = ("dynamodb", "kinesis", "lambda", "states", "events", "secretsmanager", "ssm")


def activate(cloud: "CloudContext") -> None:
    if _state["cloud"] is not None and _state["cloud"] is not cloud:
        raise RuntimeError("Another LocalCloud is active in this process; use one at a time (a `with` block each)")
    _state["cloud"] = cloud
    _register()


def deactivate(cloud: "CloudContext") -> None:
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
    cloud: Optional["CloudContext"] = _state["cloud"]
    if cloud is None:
        return
    context[_PARAMS_KEY] = params
    function = current_function.get()
    if function is None or function.role is None:
        return
    service, operation = _operation(model)
    denial = cloud.authorize(function, service, operation, params)
    if denial is not None:
        code = "AccessDeniedException" if service in _ACCESS_DENIED_EXCEPTION else "AccessDenied"
        raise ClientError({"Error": {"Code": code, "Message": denial}, "ResponseMetadata": {"HTTPStatusCode": 403}}, operation)


def _before_call(model: Any, context: dict[str, Any], **_: Any) -> Optional[tuple["AWSResponse", dict[str, Any]]]:
    cloud: Optional["CloudContext"] = _state["cloud"]
    if cloud is None:
        return None
    function = current_function.get()
    if function is not None:
        code = function.take_call_fault(model.service_model.service_name, model.name)
        if code is not None:
            message = f"injected by LocalCloud.fail_call({function.name!r}, {model.service_model.service_name!r}, {model.name!r})"
            return error_response(model, code, message)
    service, operation = _operation(model)
    interceptor = cloud.interceptor(service, operation)
    if interceptor is None:
        return None
    return interceptor(context.get(_PARAMS_KEY, {}))


def error_response(model: Any, code: str, message: str) -> tuple["AWSResponse", dict[str, Any]]:
    """An error answer to the call ``model``, as the service sends it: botocore raises its modelled exception class."""
    from botocore.awsrequest import AWSResponse

    status = _status_of(model.service_model, code)
    shape = next((s for s in model.service_model.error_shapes if code in (s.name, s.error_code)), None)
    wire_code = shape.error_code if shape is not None else code
    parsed = {
        "Error": {"Code": wire_code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    return AWSResponse(f"https://{model.service_model.endpoint_prefix}.local", status, {}, None), parsed


def _status_of(service_model: Any, code: str) -> int:
    """The HTTP status of error ``code``: the service model's, else AWS's convention (server faults 5xx, throttles 400/429)."""
    for shape in service_model.error_shapes:
        if code in (shape.name, shape.error_code):
            status = (shape.metadata.get("error") or {}).get("httpStatusCode")
            if status:
                return int(status)
    if code in ("ServiceUnavailable", "ServiceUnavailableException", "SlowDown"):
        return 503
    if code.startswith("Internal") or code in ("ServiceException", "ServiceFailure"):
        return 500
    if code == "TooManyRequestsException":
        return 429
    return 400


def _after_call(http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    cloud: Optional["CloudContext"] = _state["cloud"]
    if cloud is None or getattr(http_response, "status_code", 500) >= 300:
        return
    service, operation = _operation(model)
    cloud.observe(service, operation, context.get(_PARAMS_KEY, {}), parsed)
