"""``python -m cdk_serverless_patterns local serve <cdk.out>``: a stack's APIs and an AWS endpoint over HTTP.

One process, one local cloud (:meth:`LocalCloud.from_assembly`):

* **APIs** on ``http://HOST:PORT``: each REST or HTTP API of the stack under
  ``/<logical id>/...``, and at ``/`` as well when the stack has one API. A
  request goes through the API as ``LocalCloud.api(...).request`` runs it
  (routes, authorizers, validation, CORS, the handlers). A Cognito-protected
  route takes its claims from an ``X-LocalCloud-Claims`` header (a JSON object),
  the HTTP form of ``request(claims=...)``.
* **An AWS endpoint** on ``http://HOST:PORT+1`` (``AWS_ENDPOINT_URL``): the
  cloud's :class:`~.endpoint.AwsEndpoint`, which replays each signed SDK request
  as the same call inside the cloud, so the AWS CLI and SDKs see the stack's
  tables, queues, buckets... and what they do is delivered as the template
  wires it: a message sent to a queue reaches its consumer, a ``put-object``
  its rule, a ``publish`` its subscribers, ``put-events`` the bus's rules,
  ``lambda invoke`` runs the handler.
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
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, TextIO

from .endpoint import AwsEndpoint, EndpointRequest, EndpointResponse
from .endpoint import _handler_class as _endpoint_handler

if TYPE_CHECKING:
    from .cloud import LocalCloud

_CLAIMS_HEADER = "x-localcloud-claims"


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
        self.cloud = cloud
        self.lock = threading.RLock()
        self.log = log or sys.stderr
        self.drain_interval = drain_interval
        self._mtimes: dict[str, float] = {}
        self._stopped = threading.Event()
        self._check_reload()
        self.api_server = ThreadingHTTPServer((host, port), _api_handler(self))
        self.endpoint = _ServedEndpoint(self)
        self.aws_server = ThreadingHTTPServer((host, port + 1 if port else 0), _endpoint_handler(self.endpoint))
        self.aws_server.daemon_threads = self.api_server.daemon_threads = True
        self._threads: list[threading.Thread] = []

    # -- addresses -------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        host, port = self.api_server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def aws_url(self) -> str:
        host, port = self.aws_server.server_address[:2]
        return f"http://{host!s}:{port}"

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



def _python_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.py") if "__pycache__" not in p.parts] if folder.is_dir() else []


class _ServedEndpoint(AwsEndpoint):
    """The cloud's AWS endpoint behind the server's lock: reload changed handlers first, deliver after."""

    def __init__(self, server: LocalServer) -> None:
        super().__init__(server.cloud._ctx)  # noqa: SLF001 - the server is part of the local cloud
        self.served = server

    def handle(self, request: EndpointRequest) -> EndpointResponse:
        with self.served.lock:
            self.served._check_reload()  # noqa: SLF001
            response = super().handle(request)
            self.served._settle()  # noqa: SLF001
        return response


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
