"""Node.js handlers (``nodejs18.x`` ... ``nodejs24.x``), run in a real Node process: the machine's ``node``.

Each function gets one long-lived worker (``node_runtime.mjs``, shipped with the
package) — a warm sandbox: the handler module is loaded and its init code runs
once, then each invocation is one JSON line in and one JSON line out (on a pipe
of its own, so the handler's ``console.log`` stays ordinary output). CommonJS
(``exports.handler``) and ES modules (``.mjs`` or ``"type": "module"``) load as
Lambda loads them; async, callback and ``context.done`` handlers all finish as
they do in Lambda. A handler error comes back as Lambda reports it
(``errorType``/``errorMessage``/``stackTrace``); a run past the timeout is
``Sandbox.Timedout`` and the worker is replaced.

The worker's AWS SDK v3 reaches the local cloud through :class:`.endpoint.AwsEndpoint`
(``AWS_ENDPOINT_URL``), signing with the function's own access key id, so its
calls pass the same IAM check as a Python handler's. Lambda provides the SDK to
Node.js functions (CDK does not bundle it): it is resolved from the handler's
own ``node_modules`` first, then from the project's ``node_modules`` (the
nearest one above the working directory or the cloud assembly that holds
``@aws-sdk``), as both ``require`` and ``import`` do.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional

from .endpoint import AwsEndpoint
from .functions import HandlerError

if TYPE_CHECKING:
    from .context import CloudContext
    from .functions import LambdaContext, LocalFunction

SHIM = Path(__file__).with_name("node_runtime.mjs")
_INIT_SECONDS = 10.0  # Lambda's limit on the init phase


def node_binary() -> Optional[str]:
    """The machine's ``node``, or None."""
    return shutil.which("node")


def sdk_module_dirs(*starts: Path) -> list[str]:
    """The ``node_modules`` folders holding ``@aws-sdk`` nearest above each of ``starts`` (deduplicated)."""
    found: list[str] = []
    for start in starts:
        for folder in [start.resolve(), *start.resolve().parents]:
            candidate = folder / "node_modules"
            if (candidate / "@aws-sdk").is_dir():
                if str(candidate) not in found:
                    found.append(str(candidate))
                break
    return found


class NodeWorker:
    """One function's Node process: loads the handler once, runs one invocation at a time."""

    def __init__(self, function: "LocalFunction", env: dict[str, str], fallback_dirs: list[str], node: str) -> None:
        self.function = function
        read_end, write_end = os.pipe()
        self._answers = read_end
        self._buffer = b""
        self._warm = False
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [node, str(SHIM), str(function.code_dir), function.handler, str(write_end), os.pathsep.join(fallback_dirs)],
            stdin=subprocess.PIPE,
            env=env,
            cwd=str(function.code_dir),
            pass_fds=(write_end,),
        )
        os.close(write_end)

    def warm(self) -> None:
        """Load the handler now (Lambda's init phase, limited to 10 seconds) unless the worker is warm."""
        if self._warm:
            return
        with self._lock:
            assert self.process.stdin is not None
            try:
                self.process.stdin.write(b'{"init": true}\n')
                self.process.stdin.flush()
                ready = "error" not in self._read_answer(time.monotonic() + _INIT_SECONDS)
            except (BrokenPipeError, HandlerError):
                return  # the invocation reports it
            self._warm = ready

    def invoke(self, event: Any, context: "LambdaContext") -> Any:
        request = {
            "event": event,
            "remainingMillis": context.get_remaining_time_in_millis(),
            "context": {
                "functionName": context.function_name,
                "functionVersion": context.function_version,
                "invokedFunctionArn": context.invoked_function_arn,
                "memoryLimitInMB": str(context.memory_limit_in_mb),
                "awsRequestId": context.aws_request_id,
                "logGroupName": context.log_group_name,
                "logStreamName": context.log_stream_name,
                **({"tenantId": context.tenant_id} if context.tenant_id else {}),
            },
        }
        with self._lock:
            assert self.process.stdin is not None
            try:
                self.process.stdin.write(json.dumps(request).encode() + b"\n")
                self.process.stdin.flush()
            except BrokenPipeError:
                raise self._exited() from None
            grace = _INIT_SECONDS if not self._warm else 0.5
            answer = self._read_answer(time.monotonic() + context.get_remaining_time_in_millis() / 1000 + grace)
            self._warm = True
        if "error" in answer:
            error = answer["error"]
            raise HandlerError(str(error.get("errorType", "Error")), str(error.get("errorMessage", "")), list(error.get("trace") or []))
        return answer.get("result")

    def _read_answer(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise HandlerError("Sandbox.Timedout", f"Task timed out after {self.function.timeout:.2f} seconds")
            ready, _, _ = select.select([self._answers], [], [], remaining)
            if ready:
                chunk = os.read(self._answers, 65536)
                if not chunk:
                    raise self._exited()
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _exited(self) -> HandlerError:
        code = self.process.wait(timeout=5)
        return HandlerError("Runtime.ExitError", f"Error: Runtime exited with error: exit status {code}")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)
        if self.process.stdin is not None:
            self.process.stdin.close()
        os.close(self._answers)


class NodeEntry:
    """A Node.js function's handler as ``LocalFunction`` calls it; ``prepare()`` is the init phase (a cold start)."""

    def __init__(self, runtime: "NodeRuntime", function: "LocalFunction") -> None:
        self.runtime = runtime
        self.function = function

    def prepare(self, environment: Mapping[str, str]) -> None:
        """Start the worker with the function's Lambda ``environment`` and load the handler, if it is cold.

        An init error is not raised here: the invocation reports it, as Lambda does.
        """
        self.runtime.worker(self.function, environment).warm()

    def __call__(self, event: Any, context: Any) -> Any:
        return self.runtime.worker(self.function, os.environ).invoke(event, context)


class NodeRuntime:
    """The Node workers of one open cloud (``ctx.shared(NodeRuntime)``); all end when the cloud closes."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self.endpoint = ctx.shared(AwsEndpoint)
        self._workers: dict[str, NodeWorker] = {}
        self._node = node_binary()
        self._fallbacks = sdk_module_dirs(Path.cwd(), ctx.template.assembly_dir)
        ctx.on_close(self.close)

    def entry(self, function: "LocalFunction") -> "NodeEntry":
        """The callable ``LocalFunction`` runs as the handler: one invocation in the function's worker."""
        return NodeEntry(self, function)

    def worker(self, function: "LocalFunction", environment: Mapping[str, str]) -> NodeWorker:
        """The function's warm worker, or a new one started with ``environment`` (its Lambda environment)."""
        worker = self._workers.get(function.logical_id)
        if worker is not None and worker.alive:
            return worker
        if self._node is None:
            raise HandlerError(
                "Runtime.NodeNotFound",
                f"function {function.name} ({function.runtime}) needs Node.js: install it (every CDK user has it) "
                "and make sure `node` is on PATH",
            )
        self._warn_versions(function)
        access_key, secret = self.endpoint.credentials_for(function)
        env = dict(environment)
        env.pop("AWS_SESSION_TOKEN", None)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint.url,
            AWS_ACCESS_KEY_ID=access_key,
            AWS_SECRET_ACCESS_KEY=secret,
            # no flexible checksums (aws-chunked bodies): the request reaches moto as the SDK meant it
            AWS_REQUEST_CHECKSUM_CALCULATION="WHEN_REQUIRED",
            AWS_RESPONSE_CHECKSUM_VALIDATION="WHEN_REQUIRED",
            NODE_PATH=os.pathsep.join([*self._fallbacks, env.get("NODE_PATH", "")]).strip(os.pathsep),
        )
        worker = NodeWorker(function, env, self._fallbacks, self._node)
        self._workers[function.logical_id] = worker
        return worker

    def _warn_versions(self, function: "LocalFunction") -> None:
        if not self._fallbacks and not (function.code_dir / "node_modules" / "@aws-sdk").is_dir():
            self.ctx.warn_once(
                "node-sdk",
                f"function {function.name} ({function.runtime}): no AWS SDK v3 found (Lambda provides @aws-sdk/* to "
                "Node.js functions). Install the clients it uses in the project: npm install --save-dev @aws-sdk/client-...",
            )
        declared = function.runtime.removeprefix("nodejs").split(".", 1)[0]
        machine = _node_major(self._node or "")
        if declared.isdigit() and machine is not None and int(declared) != machine:
            self.ctx.warn_once(
                f"node-version:{function.runtime}",
                f"{function.runtime} functions run on this machine's Node.js {machine} (the declared runtime differs)",
            )

    def close(self) -> None:
        for worker in self._workers.values():
            worker.stop()
        self._workers.clear()


_NODE_MAJOR: dict[str, Optional[int]] = {}


def _node_major(node: str) -> Optional[int]:
    if node not in _NODE_MAJOR:
        try:
            version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout
            _NODE_MAJOR[node] = int(version.strip().lstrip("v").split(".", 1)[0])
        except (OSError, ValueError, subprocess.SubprocessError):
            _NODE_MAJOR[node] = None
    return _NODE_MAJOR[node]
