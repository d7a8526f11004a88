"""An AWS endpoint on localhost for the open cloud: what SDKs outside this Python process call.

A handler running in another process (a Node.js function's worker) — or any
AWS SDK or the AWS CLI given ``AWS_ENDPOINT_URL`` — sends its signed HTTP
request here. The endpoint reads the operation and its parameters from the
request with botocore's own service model (JSON, query, REST-JSON and REST-XML
protocols), and makes the same call with a boto3 client inside the cloud: so it
passes the same IAM check as a Python handler's call (the caller is the
function whose per-function access key id signed the request), the same
interceptors (``lambda:Invoke`` runs the function) and the same delivery
(an SNS publish fans out). The answer is moto's own HTTP response, unchanged.

The same server takes the responses custom-resource handlers ``PUT`` to their
``ResponseURL`` (:meth:`AwsEndpoint.response_url`).

``python -m cdk_serverless_patterns local serve`` can serve this endpoint; it
starts on first use (:attr:`AwsEndpoint.url`) on ``127.0.0.1`` and a free port.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Mapping, Optional
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import OperationModel, ServiceModel, Shape

from .context import session
from .functions import current_function

if TYPE_CHECKING:
    from .context import CloudContext
    from .functions import LocalFunction

#: A request's SigV4 signing name -> the botocore service name, where they differ.
_SIGNING_TO_SERVICE = {"states": "stepfunctions", "execute-api": "apigateway", "cognito-idp": "cognito-idp"}
_CFN_RESPONSE_PATH = "/_localcloud/cfn-response/"
_S3_VIRTUAL_HOST = re.compile(r"^(?!s3[.-])(.+?)\.s3[.-][^:]*amazonaws\.com")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/")


class EndpointRequest:
    """One HTTP request as the endpoint sees it (header names lower-cased)."""

    def __init__(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> None:
        parts = urlsplit(target)
        self.method = method.upper()
        self.path = parts.path
        self.query = parse_qs(parts.query, keep_blank_values=True)
        self.query_text = parts.query
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body


class EndpointResponse:
    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = dict(headers)
        self.body = body


class AwsEndpoint:
    """The open cloud's AWS endpoint. One per cloud (``ctx.shared(AwsEndpoint)``)."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self._callers: dict[str, "LocalFunction"] = {}
        self._cfn_responses: dict[str, dict[str, Any]] = {}
        self._clients: dict[str, Any] = {}
        self._captured = threading.local()
        self._server: Optional[ThreadingHTTPServer] = None
        self._lock = threading.Lock()
        ctx.on_close(self.close)

    # -- the server ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``; starts the server on first use."""
        with self._lock:
            if self._server is None:
                self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
                self._server.daemon_threads = True
                threading.Thread(target=self._server.serve_forever, name="localcloud-endpoint", daemon=True).start()
            return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- callers and custom-resource responses ---------------------------------------------
    def credentials_for(self, function: "LocalFunction") -> tuple[str, str]:
        """The access key id and secret a function's SDK signs with: the key id names the caller (its logical id)."""
        self._callers[function.logical_id] = function
        return function.logical_id, "localcloud"

    def response_url(self, request_id: str) -> str:
        """The ``ResponseURL`` of one custom-resource request."""
        return f"{self.url}{_CFN_RESPONSE_PATH}{request_id}"

    def cfn_response(self, request_id: str) -> Optional[dict[str, Any]]:
        """What the handler ``PUT`` to the request's ``ResponseURL`` (None if nothing came)."""
        return self._cfn_responses.get(request_id)

    # -- one request -----------------------------------------------------------------------
    def handle(self, request: EndpointRequest) -> EndpointResponse:
        if request.path.startswith(_CFN_RESPONSE_PATH) and request.method == "PUT":
            self._cfn_responses[request.path[len(_CFN_RESPONSE_PATH):]] = json.loads(request.body or b"{}")
            return EndpointResponse(200, {}, b"")
        found = _CREDENTIAL.search(request.headers.get("authorization", ""))
        if found is None:
            return _plain_error(403, "MissingAuthenticationToken", "the request is not signed (SigV4)")
        access_key, signing_name = found.group(1), found.group(3)
        service_name = _SIGNING_TO_SERVICE.get(signing_name, signing_name)
        try:
            model = session()._session.get_service_model(service_name)  # noqa: SLF001 - botocore's loader
        except Exception:  # an unknown service name
            return _plain_error(400, "UnknownService", f"LocalCloud's endpoint does not know the service {signing_name!r}")
        virtual_host = _S3_VIRTUAL_HOST.match(request.headers.get("host", ""))
        if service_name == "s3" and virtual_host:  # bucket.s3.<region>.amazonaws.com/key -> /bucket/key
            request.path = f"/{virtual_host.group(1)}{request.path}"
        try:
            operation, params = parse_request(model, request)
        except (LookupError, ValueError) as exc:
            return _error(model, 400, "InvalidRequest", f"LocalCloud's endpoint could not read the request: {exc}")
        caller = self._callers.get(access_key)
        token = current_function.set(caller)
        try:
            return self._call(model, operation, params)
        finally:
            current_function.reset(token)

    def _client(self, service_name: str) -> Any:
        if service_name not in self._clients:
            client = session().client(service_name, region_name=self.ctx.template.region)
            client.meta.events.register("after-call", self._capture)
            self._clients[service_name] = client
        return self._clients[service_name]

    def _capture(self, http_response: Any, parsed: Any, **_: Any) -> None:
        self._captured.value = (http_response, parsed)

    def _call(self, model: ServiceModel, operation: OperationModel, params: dict[str, Any]) -> EndpointResponse:
        client = self._client(model.service_name)
        self._captured.value = None
        try:
            getattr(client, _snake(operation.name))(**params)
        except ClientError as exc:
            if self._captured.value is None:  # refused before reaching the service (the IAM check)
                error = exc.response.get("Error", {})
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
                return _error(model, status, str(error.get("Code", "")), str(error.get("Message", "")))
        except ParamValidationError as exc:
            return _error(model, 400, "ValidationException", str(exc))
        captured = self._captured.value
        assert captured is not None
        http_response, parsed = captured
        if getattr(http_response, "raw", None) is None:  # answered in-process (lambda:Invoke)
            return _invoke_response(parsed)
        headers = {k: v for k, v in http_response.headers.items() if k.lower() not in ("content-length", "transfer-encoding")}
        return EndpointResponse(http_response.status_code, headers, http_response.content)


def _handler_class(endpoint: AwsEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            body = self._read_body()
            response = endpoint.handle(EndpointRequest(self.command, self.path, dict(self.headers.items()), body))
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            """Quiet: requests are not logged."""

    return Handler


# == requests -> (operation, parameters), by the service model =============================


def parse_request(model: ServiceModel, request: EndpointRequest) -> tuple[OperationModel, dict[str, Any]]:
    """The operation a request calls and its parameters, as a boto3 client takes them."""
    protocol = model.protocol
    if protocol == "json":
        target = request.headers.get("x-amz-target", "")
        operation = model.operation_model(target.rsplit(".", 1)[-1])
        document = json.loads(request.body or b"{}")
        return operation, _from_json(operation.input_shape, document) if operation.input_shape else {}
    if protocol == "query":
        form = {k: v[-1] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
        form.update({k: v[-1] for k, v in request.query.items()})
        operation = model.operation_model(form["Action"])
        return operation, _from_query(operation.input_shape, form, "") if operation.input_shape else {}
    if protocol in ("rest-json", "rest-xml"):
        operation, labels = _match_rest(model, request)
        return operation, _from_rest(operation, labels, request, protocol)
    raise ValueError(f"protocol {protocol!r} of {model.service_name} is not read by LocalCloud's endpoint")


def _snake(name: str) -> str:
    from botocore import xform_name

    return str(xform_name(name))


def _scalar(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "blob":
        return base64.b64decode(value) if isinstance(value, str) else value
    if kind == "timestamp" and isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    if kind in ("integer", "long") and isinstance(value, str):
        return int(value)
    if kind in ("float", "double") and isinstance(value, str):
        return float(value)
    if kind == "boolean" and isinstance(value, str):
        return value.lower() == "true"
    return value


def _from_json(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        members = shape.members
        wire = {m.serialization.get("name", name): name for name, m in members.items()}
        return {wire.get(k, k): _from_json(members[wire[k]], v) for k, v in value.items() if k in wire}
    if kind == "list" and isinstance(value, list):
        return [_from_json(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: _from_json(shape.value, v) for k, v in value.items()}
    return _scalar(shape, value)


def _from_query(shape: Shape, form: Mapping[str, str], prefix: str) -> Any:
    """The query protocol's flattened keys (``Attributes.entry.1.key``, ``Ids.member.1``) as nested values."""
    kind = shape.type_name
    if kind == "structure":
        result: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = f"{prefix}{member.serialization.get('name', name)}"
            if any(k == key or k.startswith(key + ".") for k in form):
                value = _from_query(member, form, key + ".") if member.type_name in ("structure", "list", "map") else None
                result[name] = value if value is not None else _scalar(member, form.get(key))
        return result
    base = prefix.rstrip(".")
    if kind == "list":
        flat = shape.serialization.get("flattened", False)
        item = f"{base}." if flat else f"{base}.{shape.member.serialization.get('name', 'member')}."
        items = []
        index = 1
        while any(k == f"{item}{index}" or k.startswith(f"{item}{index}.") for k in form):
            member = shape.member
            items.append(
                _from_query(member, form, f"{item}{index}.")
                if member.type_name in ("structure", "list", "map")
                else _scalar(member, form[f"{item}{index}"])
            )
            index += 1
        return items
    if kind == "map":
        flat = shape.serialization.get("flattened", False)
        entry = f"{base}." if flat else f"{base}.entry."
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        mapping: dict[str, Any] = {}
        index = 1
        while f"{entry}{index}.{key_name}" in form:
            value_shape = shape.value
            value_key = f"{entry}{index}.{value_name}"
            mapping[form[f"{entry}{index}.{key_name}"]] = (
                _from_query(value_shape, form, value_key + ".")
                if value_shape.type_name in ("structure", "list", "map")
                else _scalar(value_shape, form.get(value_key))
            )
            index += 1
        return mapping
    return _scalar(shape, form.get(base))


def _match_rest(model: ServiceModel, request: EndpointRequest) -> tuple[OperationModel, dict[str, str]]:
    """The operation whose ``requestUri`` matches the request best (most literal characters), and its labels."""
    best: Optional[tuple[int, OperationModel, dict[str, str]]] = None
    for name in model.operation_names:
        operation = model.operation_model(name)
        http = operation.http
        if http.get("method", "").upper() != request.method:
            continue
        path_template, _, query_template = str(http.get("requestUri", "/")).partition("?")
        labels = _match_path(path_template, request.path)
        if labels is None:
            continue
        required = parse_qs(query_template, keep_blank_values=True)
        if any(k not in request.query or (v != [""] and request.query[k] != v) for k, v in required.items()):
            continue
        score = len(re.sub(r"\{[^}]*\}", "", path_template)) + len(query_template)
        if best is None or score > best[0]:
            best = (score, operation, labels)
    if best is None:
        raise LookupError(f"no {model.service_name} operation answers {request.method} {request.path}")
    return best[1], best[2]


def _match_path(template: str, path: str) -> Optional[dict[str, str]]:
    pattern = ""
    for piece in re.split(r"(\{[^}]+\})", template):
        if piece.startswith("{"):
            greedy = piece.endswith("+}")
            name = piece.strip("{}+")
            pattern += f"(?P<{re.sub(r'[^A-Za-z0-9_]', '_', name)}>{'.+' if greedy else '[^/]+'})"
        else:
            pattern += re.escape(piece)
    if template.rstrip("/") == "":
        pattern = "/?"
    found = re.fullmatch(pattern.rstrip("/") + "/?" if template.endswith("/") else pattern, path)
    return {k: unquote(v) for k, v in found.groupdict().items()} if found else None


def _from_rest(operation: OperationModel, labels: Mapping[str, str], request: EndpointRequest, protocol: str) -> dict[str, Any]:
    shape = operation.input_shape
    if shape is None:
        return {}
    params: dict[str, Any] = {}
    body_members: dict[str, Shape] = {}
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            label = re.sub(r"[^A-Za-z0-9_]", "_", wire)
            if label in labels:
                params[name] = _scalar(member, labels[label])
        elif location == "querystring":
            if member.type_name == "map":
                taken = {m.serialization.get("name") for m in shape.members.values()}
                params[name] = {k: v[-1] for k, v in request.query.items() if k not in taken}
            elif wire in request.query:
                values = request.query[wire]
                params[name] = [_scalar(member.member, v) for v in values] if member.type_name == "list" else _scalar(member, values[-1])
        elif location == "header":
            if member.type_name == "map":
                prefix = wire.lower()
                params[name] = {k[len(prefix):]: v for k, v in request.headers.items() if k.startswith(prefix)}
            elif wire.lower() in request.headers:
                params[name] = _scalar(member, request.headers[wire.lower()])
        elif location in ("headers", "statusCode"):
            continue
        elif name == payload:
            if member.type_name in ("blob", "string"):
                params[name] = request.body if member.type_name == "blob" else request.body.decode()
            elif request.body:
                params[name] = _from_json(member, json.loads(request.body)) if protocol == "rest-json" else _from_xml(member, request.body)
        else:
            body_members[name] = member
    if body_members and request.body and protocol == "rest-json":
        document = json.loads(request.body)
        for name, member in body_members.items():
            wire = member.serialization.get("name", name)
            if wire in document:
                params[name] = _from_json(member, document[wire])
    return {k: v for k, v in params.items() if v not in ({}, None) or k in labels}


def _from_xml(shape: Shape, body: bytes) -> Any:
    import xml.etree.ElementTree as ElementTree

    def strip(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    def read(node: Any, shape: Shape) -> Any:
        kind = shape.type_name
        if kind == "structure":
            out: dict[str, Any] = {}
            members = shape.members
            by_wire = {m.serialization.get("name", n): n for n, m in members.items()}
            for child in node:
                name = by_wire.get(strip(child.tag))
                if name is None:
                    continue
                member = members[name]
                if member.type_name == "list" and member.serialization.get("flattened"):
                    out.setdefault(name, []).append(read(child, member.member))
                else:
                    out[name] = read(child, member)
            return out
        if kind == "list":
            return [read(child, shape.member) for child in node]
        return _scalar(shape, node.text or "")

    return read(ElementTree.fromstring(body), shape)


# == responses ==============================================================================


def _invoke_response(parsed: Mapping[str, Any]) -> EndpointResponse:
    payload = parsed.get("Payload")
    body = payload.read() if payload is not None and hasattr(payload, "read") else b""
    headers = {"X-Amz-Executed-Version": str(parsed.get("ExecutedVersion", "$LATEST"))}
    if parsed.get("FunctionError"):
        headers["X-Amz-Function-Error"] = str(parsed["FunctionError"])
    return EndpointResponse(int(parsed.get("StatusCode", 200)), headers, body)


def _error(model: ServiceModel, status: int, code: str, message: str) -> EndpointResponse:
    """An error in the service's protocol (what its SDK parses into ``name``/``message``)."""
    request_id = str(uuid.uuid4())
    if model.protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
        return EndpointResponse(status, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code,
                                         "x-amzn-RequestId": request_id}, body)
    error = f"<Error><Type>Sender</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    text = f"<ErrorResponse>{error}<RequestId>{request_id}</RequestId></ErrorResponse>" if model.protocol == "query" else error
    return EndpointResponse(status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, text.encode())


def _plain_error(status: int, code: str, message: str) -> EndpointResponse:
    body = json.dumps({"__type": code, "message": message}).encode()
    return EndpointResponse(status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, body)
