"""``python -m cdk_serverless_patterns local serve <cdk.out>``: a stack's APIs and an AWS endpoint over HTTP.

One process, one local cloud (:meth:`LocalCloud.from_assembly`):

* **APIs** on ``http://HOST:PORT``: each REST or HTTP API of the stack under
  ``/<logical id>/...``, and at ``/`` as well when the stack has one API. A
  request goes through the API as ``LocalCloud.api(...).request`` runs it
  (routes, authorizers, validation, CORS, the handlers). A Cognito-protected
  route takes its claims from an ``X-LocalCloud-Claims`` header (a JSON object),
  the HTTP form of ``request(claims=...)``.
* **An AWS endpoint** on ``http://HOST:PORT+1`` (``AWS_ENDPOINT_URL``): moto's
  server app on the same state, so the AWS CLI and SDKs see the stack's tables,
  queues, buckets... and what they do is delivered as the template wires it: a
  message sent to a queue reaches its consumer, a ``put-object`` its rule, a
  ``publish`` its subscribers, ``put-events`` the bus's rules,
  ``lambda invoke`` runs the handler in-process.
* Handler edits are picked up without a restart: before each request the
  modification times of each function's ``.py`` files are compared, and a
  function whose code changed is loaded afresh.
* Pending deliveries are drained after each request and every
  ``drain_interval`` seconds; one lock serializes everything that touches the
  cloud.

Ctrl-C stops both servers and closes the cloud (exit code 0).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, TextIO

if TYPE_CHECKING:
    from .cloud import LocalCloud

_CLAIMS_HEADER = "x-localcloud-claims"
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/aws4_request")

StartResponse = Callable[..., Any]


class LocalServer:
    """The APIs and the AWS endpoint of one open :class:`LocalCloud`.

    :param cloud: an open cloud (``with LocalCloud.from_assembly(...) as cloud``).
    :param host: the interface to listen on. Default ``127.0.0.1``.
    :param port: the APIs' port; the AWS endpoint listens on ``port + 1``.
        Default 3000; 0 picks two free ports.
    :param drain_interval: seconds between background drains. Default 0.5.
    :param log: where request lines and reloads are written (default stderr).
    """

    def __init__(self, cloud: "LocalCloud", *, host: str = "127.0.0.1", port: int = 3000,
                 drain_interval: float = 0.5, log: Optional[TextIO] = None) -> None:
        from werkzeug.serving import make_server

        self.cloud = cloud
        self.lock = threading.RLock()
        self.log = log or sys.stderr
        self.drain_interval = drain_interval
        self._mtimes: dict[str, float] = {}
        self._stopped = threading.Event()
        self._check_reload()
        self.api_server = ThreadingHTTPServer((host, port), _api_handler(self))
        aws_port = port + 1 if port else 0
        self.aws_server = make_server(host, aws_port, self._aws_app(), threaded=True)
        self._threads: list[threading.Thread] = []

    # -- addresses -------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        host, port = self.api_server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def aws_url(self) -> str:
        return f"http://{self.aws_server.host}:{self.aws_server.port}"

    def apis(self) -> dict[str, Any]:
        """``{logical id: LocalApi or LocalHttpApi}`` of the stack's REST and HTTP APIs."""
        types = ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api")
        return {r.logical_id: self.cloud.api(r.logical_id) for r in self.cloud.template.resources.values() if r.type in types}

    def banner(self) -> str:
        """What ``local serve`` prints on start: the stack, the APIs' URL (and each API's), the AWS endpoint."""
        apis = sorted(self.apis())
        lines = [f"LocalCloud serving stack {self.cloud.template.stack_name}",
                 f"  APIs: {self.api_url}" + ("" if apis else "  (none in this stack)")]
        for logical_id in apis:
            lines.append(f"    {logical_id}: {self.api_url}/{logical_id}/" + ("  (also at /)" if len(apis) == 1 else ""))
        lines.append(f"  AWS endpoint: {self.aws_url}  (export AWS_ENDPOINT_URL={self.aws_url})")
        lines.append("  Ctrl-C stops it.")
        return "\n".join(lines)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Serve both in background threads (see :meth:`serve_forever` for the foreground)."""
        for target in (self.api_server.serve_forever, self.aws_server.serve_forever, self._drain_loop):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopped.set()
        self.api_server.shutdown()
        self.aws_server.shutdown()
        self.api_server.server_close()
        self.aws_server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve until Ctrl-C (KeyboardInterrupt), then stop cleanly."""
        self.start()
        try:
            while not self._stopped.wait(0.2):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # -- shared steps ----------------------------------------------------------------------
    def _drain_loop(self) -> None:
        while not self._stopped.wait(self.drain_interval):
            with self.lock:
                self._settle()

    def _settle(self) -> None:
        """Reload changed handlers, deliver what is pending; a delivery error is logged, never raised."""
        try:
            self.cloud.drain()
        except Exception as error:  # a bug in a flow must not stop the server
            print(f"delivery error: {type(error).__name__}: {error}", file=self.log)

    def _check_reload(self) -> None:
        for function in self.cloud.functions.values():
            stamp = max((p.stat().st_mtime for p in _python_files(function.code_dir)), default=0.0)
            previous = self._mtimes.get(function.logical_id)
            self._mtimes[function.logical_id] = stamp
            if previous is not None and stamp != previous:
                function.reload()
                print(f"reloaded {function.logical_id} ({function.code_dir})", file=self.log)

    # -- the APIs --------------------------------------------------------------------------
    def handle_api(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        path, _, raw_query = target.partition("?")
        apis = self.apis()
        segments = [s for s in path.split("/") if s]
        if segments and segments[0] in apis:
            api, path = apis[segments[0]], "/" + "/".join(segments[1:])
        elif len(apis) == 1:
            api = next(iter(apis.values()))
        else:
            known = ", ".join(f"/{k}/" for k in sorted(apis)) or "none"
            return 404, {"Content-Type": "application/json"}, json.dumps({"message": f"no API at {path}; APIs: {known}"}).encode()
        claims_header = next((v for k, v in headers.items() if k.lower() == _CLAIMS_HEADER), None)
        claims = json.loads(claims_header) if claims_header else None
        forwarded = {k: v for k, v in headers.items() if k.lower() != _CLAIMS_HEADER}
        with self.lock:
            self._check_reload()
            response = api.request(method, path + (f"?{raw_query}" if raw_query else ""), body=body or None,
                                   headers=forwarded, claims=claims)
            self._settle()
        return response.status, dict(response.headers), response.body.encode()

    # -- the AWS endpoint ------------------------------------------------------------------
    def _aws_app(self) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        moto_app = DomainDispatcherApplication(create_backend_app)

        def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = _Body(body)
            request = _AwsRequest(environ, body)
            with self.lock:
                self._check_reload()
                if request.service == "lambda" and request.lambda_invoke() is not None:
                    status, headers, payload = self._invoke(request)
                    start_response(status, headers)
                    self._settle()
                    return [payload]
                captured: dict[str, Any] = {}

                def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
                    captured["status"] = int(status.split()[0])
                    return start_response(status, headers, *rest)

                chunks = b"".join(moto_app(environ, capture))
                if captured.get("status", 500) < 300:
                    observed = request.observed(chunks)
                    if observed is not None:
                        self.cloud._ctx.observe(*observed)  # noqa: SLF001 - the server is part of the local cloud
                self._settle()
            return [chunks]

        return app

    def _invoke(self, request: "_AwsRequest") -> tuple[str, list[tuple[str, str]], bytes]:
        name, headers = request.lambda_invoke() or ("", {})
        interceptor = self.cloud._ctx.interceptor("lambda", "Invoke")  # noqa: SLF001
        assert interceptor is not None
        params = {"FunctionName": urllib.parse.unquote(name), "Payload": request.body or b"{}",
                  "InvocationType": headers.get("x-amz-invocation-type", "RequestResponse")}
        qualifier = urllib.parse.parse_qs(request.query).get("Qualifier")
        if qualifier:
            params["Qualifier"] = qualifier[0]
        try:
            _, parsed = interceptor(params)
        except Exception as error:  # noqa: BLE001 - an AWS error (unknown function, throttled) as Lambda answers it
            code = getattr(error, "response", {}).get("Error", {}).get("Code", "ServiceException")
            return "404 Not Found" if "NotFound" in code else "500 Internal Server Error", [
                ("Content-Type", "application/json"), ("x-amzn-ErrorType", code)], json.dumps({"message": str(error)}).encode()
        payload = parsed["Payload"].read()
        out = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "1")]
        if parsed.get("FunctionError"):
            out.append(("X-Amz-Function-Error", str(parsed["FunctionError"])))
        status = int(parsed.get("StatusCode", 200))
        return f"{status} {'OK' if status == 200 else 'Accepted'}", out, payload


def _python_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.py") if "__pycache__" not in p.parts] if folder.is_dir() else []


class _Body:
    """A re-readable request body for the wrapped WSGI app."""

    def __init__(self, data: bytes) -> None:
        import io

        self._stream = io.BytesIO(data)

    def read(self, *args: Any) -> bytes:
        return self._stream.read(*args)

    def readline(self, *args: Any) -> bytes:
        return self._stream.readline(*args)


class _AwsRequest:
    """What the endpoint needs to know of an SDK request: its service and, for the calls that start
    deliveries, the operation and its parameters (as boto3 would have passed them)."""

    def __init__(self, environ: dict[str, Any], body: bytes) -> None:
        self.method = str(environ.get("REQUEST_METHOD", "GET"))
        self.path = urllib.parse.unquote(str(environ.get("PATH_INFO", "/")))
        self.query = str(environ.get("QUERY_STRING", ""))
        self.headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
        self.body = body
        scope = _CREDENTIAL_SCOPE.search(self.headers.get("authorization", ""))
        self.service = scope.group(2) if scope else ""

    def lambda_invoke(self) -> Optional[tuple[str, dict[str, str]]]:
        match = re.fullmatch(r"/2015-03-31/functions/([^/]+)/invocations/?", self.path)
        return (match.group(1), self.headers) if match and self.method == "POST" else None

    def observed(self, response: bytes) -> Optional[tuple[str, str, dict[str, Any], dict[str, Any]]]:
        """``(service, operation, params, parsed)`` of a call the cloud delivers after, else None."""
        if self.service == "s3":
            parts = self.path.lstrip("/").split("/", 1)
            if len(parts) < 2 or not parts[1]:
                return None
            location: dict[str, Any] = {"Bucket": parts[0], "Key": parts[1]}
            query = urllib.parse.parse_qs(self.query, keep_blank_values=True)
            if self.method == "PUT" and "partNumber" not in query:
                return "s3", "CopyObject" if "x-amz-copy-source" in self.headers else "PutObject", location, {}
            if self.method == "POST" and "uploadId" in query:
                return "s3", "CompleteMultipartUpload", location, {}
            if self.method == "DELETE" and "uploadId" not in query:
                return "s3", "DeleteObject", location, {}
            return None
        if self.service == "events" and self.headers.get("x-amz-target", "").endswith(".PutEvents"):
            return "events", "PutEvents", json.loads(self.body or b"{}"), {}
        if self.service == "sns":
            form = {k: v[0] for k, v in urllib.parse.parse_qs(self.body.decode(), keep_blank_values=True).items()}
            if form.get("Action") != "Publish":
                return None
            params: dict[str, Any] = {k: form[k] for k in ("TopicArn", "TargetArn", "Message", "Subject",
                                                            "MessageGroupId", "MessageDeduplicationId") if k in form}
            attributes: dict[str, Any] = {}
            for key, value in form.items():
                found = re.fullmatch(r"MessageAttributes\.entry\.(\d+)\.Name", key)
                if found:
                    prefix = f"MessageAttributes.entry.{found.group(1)}.Value."
                    attributes[value] = {"DataType": form.get(prefix + "DataType", "String"),
                                         "StringValue": form.get(prefix + "StringValue")}
            if attributes:
                params["MessageAttributes"] = attributes
            message_id = re.search(rb"<MessageId>([^<]+)</MessageId>", response)
            return "sns", "Publish", params, {"MessageId": message_id.group(1).decode() if message_id else ""}
        return None


def _api_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                status, headers, payload = server.handle_api(self.command, self.path, dict(self.headers.items()), body)
            except Exception as error:  # a bug: a 500 with the reason, the server keeps running
                status, headers = 500, {"Content-Type": "application/json"}
                payload = json.dumps({"message": f"LocalCloud: {type(error).__name__}: {error}"}).encode()
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            print(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}", file=server.log)

    return Handler


def serve(outdir: str, stack_name: Optional[str], *, host: str = "127.0.0.1", port: int = 3000,
          out: TextIO = sys.stdout) -> int:
    """Open the stack, print both URLs, serve until Ctrl-C; returns the exit code (0)."""
    from .cloud import LocalCloud

    with LocalCloud.from_assembly(outdir, stack_name) as cloud:
        server = LocalServer(cloud, host=host, port=port)
        print(server.banner(), file=out, flush=True)
        server.serve_forever()
    print("stopped", file=out, flush=True)
    return 0
