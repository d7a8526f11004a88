"""Lambda functions run in-process from their own code asset and layers, each as in its own sandbox.

A :class:`LocalFunction` imports its handler the way the Lambda Python runtime
does: the code asset first on ``sys.path`` (``/var/task``), then each layer's
``python/`` folder (``/opt/python``). Its init code runs once per cloud (a warm
sandbox); what it imports — its own modules, and the library's runtime package
*as shipped in the layer* — lives in a private module table, so two functions
whose handler is ``app.handler`` in different folders never see each other's
``app``, exactly as two Lambda functions do not.

How the sandboxes stay apart when invocations overlap (a Step Functions
execution runs its Lambda tasks on moto's engine threads while a test-thread
handler runs; a handler starts a saga; async deliveries):

* **Environment: per invocation context, never process-wide.** ``os.environ``
  keeps its identity (code that did ``from os import environ`` sees the same
  object) but its storage is switched by a context variable: a handler sees its
  function's variables (the template's, intrinsics resolved, plus Lambda's
  ``AWS_*``), every other thread sees the process's own. Nothing is copied in
  and out, so a thread outside a handler can never read another function's
  variables (the ``KeyError: 'TABLE_NAME'`` of issue 26).
* **Modules: one invocation at a time.** Python has one ``sys.modules`` (the
  import machinery reads the interpreter's dict, it cannot be per thread), and
  a handler may import at call time, so a function's module table is swapped
  in only while it runs, under :data:`INVOCATION_LOCK`, a process-wide lock
  re-entrant along a chain of invocations: a nested synchronous ``lambda:Invoke``
  re-enters, on the same thread or on a thread that carries the handler's
  context (the durable SDK's worker); any other invocation waits its turn. Lambda
  runs invocations in parallel, but their order is not something a handler may
  rely on, so serialising them changes no outcome a test can trust.

Why not one worker process per function (talking to the cloud through a local
endpoint)? It is the more literal sandbox, but each process pays Python +
boto3 start-up (~0.3 s per function on the 2-core CI machine, 8 functions in
the larger examples) against a budget of +20 % over a 0.1-0.7 s flow; IAM
checks, fault injection and delivery hooks would also have to cross the process
boundary. In-process sandboxes cost a lock and a dict swap (measured in the
README's LocalCloud table). The one thing it cannot do: a handler waiting on
*another thread* that needs to run a handler (``StartSyncExecution`` of an
express workflow with Lambda tasks from inside a handler) would wait forever;
that wait is bounded by the function's timeout and then fails as
``Sandbox.Timedout`` with the reason.

A handler that runs past its function's timeout fails as Lambda reports it
(``Sandbox.Timedout``, ``Task timed out after N.00 seconds``); the time waited
for another sandbox is not counted.
"""

from __future__ import annotations

import contextvars
import importlib
import os
import sys
import threading
import time
import traceback
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, MutableMapping, Optional

from .iam import RolePolicies

#: The function whose handler is running (None outside handlers); the IAM check reads it.
current_function: contextvars.ContextVar[Optional["LocalFunction"]] = contextvars.ContextVar(
    "current_function", default=None
)

#: The invocation-lock level this context runs under (None outside handlers); see :class:`InvocationLock`.
_lock_level: contextvars.ContextVar[Optional[object]] = contextvars.ContextVar("invocation_lock_level", default=None)


class InvocationLock:
    """One handler at a time, re-entrant along a chain of nested invocations rather than per thread.

    A nested synchronous ``lambda:Invoke`` re-enters, on the handler's own
    thread (as an ``RLock`` allowed) or on a thread the handler waits on that
    carries its context (``contextvars.copy_context``): the durable execution
    SDK runs the user's code on a worker thread while the invocation's thread
    waits, and that code invokes the step functions. Entry is granted when no
    one holds the lock, or when the caller's context was copied from the
    innermost holder; siblings (two workers of one handler) therefore still take
    turns, and a thread with no such context waits for the lock to be free.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._levels: list[object] = []

    def acquire(self, timeout: Optional[float] = None) -> Optional[contextvars.Token[Optional[object]]]:
        """Enter a new level; returns the token to :meth:`release` with, or None on timeout."""
        parent = _lock_level.get()
        with self._cond:
            if not self._cond.wait_for(lambda: not self._levels or self._levels[-1] is parent, timeout):
                return None
            level = object()
            self._levels.append(level)
        return _lock_level.set(level)

    def release(self, token: contextvars.Token[Optional[object]]) -> None:
        with self._cond:
            self._levels.remove(_lock_level.get())
            self._cond.notify_all()
        _lock_level.reset(token)


#: Held while a handler runs (its module table is in ``sys.modules``); re-entrant for nested synchronous invokes.
INVOCATION_LOCK = InvocationLock()

#: The encoded environment of the sandbox running on this context (None: the process's own).
_sandbox_environ: contextvars.ContextVar[Optional[dict[bytes, bytes]]] = contextvars.ContextVar(
    "sandbox_environ", default=None
)

_PROCESS_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "PYTHONHASHSEED", "TZ")


class ContextEnviron(MutableMapping[bytes, bytes]):
    """``os.environ``'s storage, per invocation context: the running sandbox's variables, else the process's.

    Installed as ``os.environ._data`` (and ``os.environb._data``) while a
    LocalCloud is open, so ``os.environ``, ``os.getenv`` and ``environ``
    imported by name all see the sandbox of the thread that reads them.
    """

    def __init__(self, process: MutableMapping[bytes, bytes]) -> None:
        self.process = process

    def _current(self) -> MutableMapping[bytes, bytes]:
        env = _sandbox_environ.get()
        return self.process if env is None else env

    def __getitem__(self, key: bytes) -> bytes:
        return self._current()[key]

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._current()[key] = value

    def __delitem__(self, key: bytes) -> None:
        del self._current()[key]

    def __iter__(self) -> Iterator[bytes]:
        return iter(list(self._current()))

    def __len__(self) -> int:
        return len(self._current())

    def copy(self) -> dict[bytes, bytes]:
        return dict(self._current())

    @classmethod
    def install(cls) -> None:
        data = getattr(os.environ, "_data")  # noqa: B009 - os._Environ's storage
        if not isinstance(data, cls):
            switch = cls(data)
            setattr(os.environ, "_data", switch)  # noqa: B010
            if getattr(os, "environb", None) is not None:
                setattr(os.environb, "_data", switch)  # noqa: B010

    @classmethod
    def uninstall(cls) -> None:
        data = getattr(os.environ, "_data")  # noqa: B009
        if isinstance(data, cls):
            setattr(os.environ, "_data", data.process)  # noqa: B010
            if getattr(os, "environb", None) is not None:
                setattr(os.environb, "_data", data.process)  # noqa: B010


class HandlerError(Exception):
    """What a failed invocation reports: Lambda's ``errorType`` / ``errorMessage`` / ``stackTrace``."""

    def __init__(self, error_type: str, message: str, trace: Optional[list[str]] = None) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.error_message = message
        self.stack_trace = trace or []

    def payload(self) -> dict[str, Any]:
        return {"errorType": self.error_type, "errorMessage": self.error_message, "stackTrace": self.stack_trace}


class ServiceError(HandlerError):
    """The Lambda *service* failed the invocation (e.g. throttling): no handler ran to completion."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"Lambda.{code}", message)
        self.code = code


class LambdaContext:
    """The context object a Lambda handler receives."""

    def __init__(self, function: "LocalFunction", invoked_arn: str, deadline: float,
                 tenant_id: Optional[str] = None) -> None:
        self.function_name = function.name
        self.function_version = "1"
        self.invoked_function_arn = invoked_arn
        self.memory_limit_in_mb = function.memory_size
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = function.log_group_name
        self.log_stream_name = f"local/[1]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        #: The invoke's tenant id (``X-Amz-Tenant-Id``) for a function with tenant isolation, else None
        #: (the Python runtime's ``LambdaContext.tenant_id``).
        self.tenant_id = tenant_id
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    """One invocation: the event, and the result or the error."""

    event: Any
    result: Any = None
    error: Optional[HandlerError] = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class LocalFunction:
    """One ``AWS::Lambda::Function`` of the template, runnable in-process."""

    logical_id: str
    name: str
    arn: str
    handler: str
    code_dir: Path
    layer_dirs: list[Path]
    environment: dict[str, str]
    timeout: float
    memory_size: int
    runtime: str
    role: Optional[RolePolicies]
    region: str
    log_group_name: str
    path: str = ""  # the construct path, for messages
    aliases: dict[str, str] = field(default_factory=dict)  # alias name -> alias ARN
    closed: bool = False  # set when the cloud closes: no invocation runs after
    durable: bool = False  # has a DurableConfig: the durable service runs its invocations
    #: has ``TenancyConfig`` PER_TENANT: every invoke carries a tenant id, and each tenant gets sandboxes
    #: of its own (its module state is never another tenant's)
    tenant_isolation: bool = False
    #: The handler callable when it does not run in-process (a Node.js worker); None: import the Python handler.
    runner: Optional[Callable[[Any, Any], Any]] = None
    invocations: list[Invocation] = field(default_factory=list)
    _faults: list[Fault] = field(default_factory=list)
    _call_faults: list[CallFault] = field(default_factory=list)
    _modules: Optional[dict[str, Any]] = None
    _entry: Optional[Callable[[Any, Any], Any]] = None
    #: tenant id -> (module table, handler) of that tenant's sandbox (functions with tenant isolation)
    _tenant_sandboxes: dict[str, tuple[Optional[dict[str, Any]], Optional[Callable[[Any, Any], Any]]]] = field(
        default_factory=dict
    )

    def reload(self) -> None:
        """Forget the loaded handler modules: the next invocation imports them afresh (a new sandbox)."""
        self._modules = None
        self._entry = None
        self._tenant_sandboxes.clear()

    def check_tenant(self, tenant_id: Optional[str]) -> None:
        """Lambda's rule: a function with tenant isolation is invoked with a tenant id, any other without
        (``InvalidParameterValueException``)."""
        if self.tenant_isolation and not tenant_id:
            raise ServiceError(
                "InvalidParameterValueException",
                f"{self.name} has tenant isolation: invoke it with a tenant id (TenantId, X-Amz-Tenant-Id)",
            )
        if tenant_id and not self.tenant_isolation:
            raise ServiceError(
                "InvalidParameterValueException",
                f"{self.name} has no tenant isolation: invoke it without a tenant id (got {tenant_id!r})",
            )

    # -- fault injection ------------------------------------------------------------------
    def fail(self, times: int, error: str, *, after_commit: bool = False) -> None:
        self._faults.append(Fault(times, error, after_commit))

    def take_after_commit_fault(self) -> Optional["Fault"]:
        """The next fault when it is an ``after_commit`` one (counted), else None: a durable
        function crashes right after its next step commits rather than after the handler."""
        while self._faults and self._faults[0].times <= 0:
            self._faults.pop(0)
        if self._faults and self._faults[0].after_commit:
            self._faults[0].times -= 1
            return Fault(1, self._faults[0].error, True)
        return None

    def _take_fault(self) -> Optional["Fault"]:
        while self._faults:
            fault = self._faults[0]
            if fault.times <= 0:
                self._faults.pop(0)
                continue
            if fault.after_commit and self.durable:
                return None  # the durable service crashes the invocation after its step commits
            fault.times -= 1
            return fault
        return None

    def fail_call(self, service: str, operation: Optional[str], times: int, error: str) -> None:
        self._call_faults.append(CallFault(service, operation, times, error))

    def take_call_fault(self, service: str, operation: str) -> Optional[str]:
        """The error code the next call to ``service``:``operation`` fails with, if one was injected (counts it)."""
        for fault in self._call_faults:
            if fault.times > 0 and fault.service == service and fault.operation in (None, operation):
                fault.times -= 1
                return fault.error
        return None

    def timed_out(self, request_id: str) -> HandlerError:
        """The error Lambda reports for an invocation that ran past the function's timeout."""
        return HandlerError("Sandbox.Timedout", f"RequestId: {request_id} Error: Task timed out after {self.timeout:.2f} seconds")

    # -- isolation ------------------------------------------------------------------------
    def _private_roots(self) -> set[str]:
        # the handler's own module is private even where no file provides it: never another sandbox's module
        roots: set[str] = {self.handler.rpartition(".")[0].replace("/", ".").split(".", 1)[0]}
        for folder in [self.code_dir, *[d / "python" for d in self.layer_dirs]]:
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                if entry.suffix == ".py":
                    roots.add(entry.stem)
                elif entry.is_dir() and (entry / "__init__.py").exists():
                    roots.add(entry.name)
        return roots

    def _is_private(self, module_name: str, roots: set[str]) -> bool:
        return module_name.split(".", 1)[0] in roots

    @contextmanager
    def _sandbox(self, base_env: Mapping[str, str]) -> Iterator[None]:
        roots = self._private_roots()
        outside = {name: mod for name, mod in sys.modules.items() if self._is_private(name, roots)}
        for name in outside:
            del sys.modules[name]
        if self._modules:
            sys.modules.update(self._modules)
        saved_path = list(sys.path)
        sys.path[:0] = [str(self.code_dir), *[str(d / "python") for d in self.layer_dirs]]
        encode = os.fsencode
        env_token = _sandbox_environ.set({encode(k): encode(v) for k, v in self._lambda_environment(base_env).items()})
        importlib.invalidate_caches()
        try:
            yield
        finally:
            self._modules = {name: mod for name, mod in sys.modules.items() if self._is_private(name, roots)}
            for name in self._modules:
                del sys.modules[name]
            sys.modules.update(outside)
            sys.path[:] = saved_path
            _sandbox_environ.reset(env_token)

    def _lambda_environment(self, base_env: Mapping[str, str]) -> dict[str, str]:
        env = {k: v for k, v in base_env.items() if k in _PROCESS_ENV_KEEP or k.startswith(("MOTO_", "JSII_"))}
        env.update(
            AWS_REGION=self.region,
            AWS_DEFAULT_REGION=self.region,
            AWS_ACCESS_KEY_ID="ASIALOCALCLOUD",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_SESSION_TOKEN="local",
            AWS_LAMBDA_FUNCTION_NAME=self.name,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(self.memory_size),
            AWS_LAMBDA_FUNCTION_VERSION="1",
            AWS_LAMBDA_LOG_GROUP_NAME=self.log_group_name,
            AWS_EXECUTION_ENV=f"AWS_Lambda_{self.runtime}",
            LAMBDA_TASK_ROOT=str(self.code_dir),
            LAMBDA_RUNTIME_DIR=str(self.code_dir),
            TZ=":UTC",
        )
        env.update(self.environment)
        return env

    def handler_file(self) -> Optional[Path]:
        """The file the handler's module would be imported from (code asset, then layers), or None when none exists."""
        module_path = self.handler.rpartition(".")[0].replace(".", "/")
        for folder in [self.code_dir, *[d / "python" for d in self.layer_dirs]]:
            for candidate in (folder / f"{module_path}.py", folder / module_path / "__init__.py"):
                if candidate.is_file():
                    return candidate
        return None

    def _load_entry(self) -> Callable[[Any, Any], Any]:
        if self._entry is None and self.runner is not None:
            self._entry = self.runner
        if self._entry is None:
            module_path, _, attribute = self.handler.rpartition(".")
            module_name = module_path.replace("/", ".")
            where = f"function {self.path or self.name} (handler {self.handler!r}, code {self.code_dir})"
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name is None or not module_name.startswith(error.name):
                    raise  # the handler's module exists; one of *its* imports is missing
                expected = self.code_dir / f"{module_name.replace('.', '/')}.py"
                raise HandlerError(
                    "Runtime.ImportModuleError",
                    f"Unable to import module {module_path!r}: No module named {error.name!r} — {where}: {expected} does not exist",
                ) from None
            entry = getattr(module, attribute, None)
            if not callable(entry):
                raise HandlerError(
                    "Runtime.HandlerNotFound",
                    f"Handler {attribute!r} missing on module {module_path!r} — {where}: {module.__file__} defines no {attribute}()",
                )
            self._entry = entry
        return self._entry

    # -- invocation -----------------------------------------------------------------------
    def invoke(self, event: Any, *, base_env: Mapping[str, str], invoked_arn: Optional[str] = None,
               tenant_id: Optional[str] = None) -> Any:
        """Run the handler once, in its sandbox (with tenant isolation, ``tenant_id``'s own: module
        state is never shared between tenants); returns its result or raises :class:`HandlerError`."""
        if self.closed:
            raise ServiceError("ServiceException", f"the LocalCloud that ran {self.name} is closed")
        self.check_tenant(tenant_id)
        record = Invocation(event=event)
        self.invocations.append(record)
        lock_token = INVOCATION_LOCK.acquire(timeout=self.timeout + 5)
        if lock_token is None:
            record.error = HandlerError(
                "Sandbox.Timedout",
                f"Task timed out after {self.timeout:.2f} seconds: {self.name} waited for another sandbox that waits "
                "on it (a handler blocked on work that runs a handler on another thread, e.g. StartSyncExecution "
                "with Lambda tasks); LocalCloud runs one handler at a time",
            )
            raise record.error
        outer = (self._modules, self._entry)
        if tenant_id:  # this tenant's sandbox (the lock is held: no other invocation uses the function's)
            self._modules, self._entry = self._tenant_sandboxes.get(tenant_id, (None, None))
        try:
            return self._invoke_locked(record, event, base_env, invoked_arn, tenant_id)
        finally:
            if tenant_id:
                self._tenant_sandboxes[tenant_id] = (self._modules, self._entry)
                self._modules, self._entry = outer
            INVOCATION_LOCK.release(lock_token)

    def _invoke_locked(self, record: Invocation, event: Any, base_env: Mapping[str, str], invoked_arn: Optional[str],
                       tenant_id: Optional[str] = None) -> Any:
        token = current_function.set(self)
        prepare = getattr(self.runner, "prepare", None)
        if prepare is not None:  # a worker's init phase: Lambda limits it apart, not in the handler's timeout
            prepare(self._lambda_environment(base_env))
        started = time.monotonic()
        context = LambdaContext(self, invoked_arn or self.arn, started + self.timeout, tenant_id)
        try:
            with self._sandbox(base_env):
                try:
                    entry = self._load_entry()
                    fault = self._take_fault()
                    if fault is not None and not fault.after_commit:
                        raise self._injected(fault, context.aws_request_id)
                    result = entry(event, context)
                    if fault is not None:  # after_commit: the handler's writes landed, then the invocation fails
                        raise self._injected(fault, context.aws_request_id)
                except ServiceError as error:
                    record.error = error
                    raise
                except HandlerError as exc:  # injected, or reported by a runtime outside this process (Node.js)
                    record.error = exc
                except Exception as exc:  # a handler error is data here, as it is to Lambda
                    record.error = HandlerError(
                        type(exc).__name__, str(exc), traceback.format_exception(type(exc), exc, exc.__traceback__)
                    )
        finally:
            current_function.reset(token)
        elapsed = time.monotonic() - started
        if record.error is None and elapsed > self.timeout:
            record.error = self.timed_out(context.aws_request_id)
        if record.error is not None:
            raise record.error
        record.result = result
        return result

    def _injected(self, fault: "Fault", request_id: str) -> HandlerError:
        if fault.error.startswith("Lambda."):
            return ServiceError(fault.error.removeprefix("Lambda."), f"injected by LocalCloud.fail({self.name!r})")
        if fault.error in TIMEOUT_ERRORS:
            return self.timed_out(request_id)
        message = f"injected by LocalCloud.fail({self.name!r})"
        return HandlerError(fault.error, message, [f"{fault.error}: {message}"])


@dataclass
class Fault:
    """An injected failure: the next ``times`` invocations fail with ``error`` (before or after the handler runs)."""

    times: int
    error: str
    after_commit: bool = False


@dataclass
class CallFault:
    """An injected failure of a handler's AWS calls: the next ``times`` calls to ``service`` (and ``operation``)."""

    service: str  # the boto3 client name ("dynamodb", "stepfunctions")
    operation: Optional[str]  # None: any operation of the service
    times: int
    error: str  # the AWS error code


#: ``fail(error=...)`` names that fail the invocation as a Lambda timeout does (``Sandbox.Timedout``).
TIMEOUT_ERRORS = frozenset({"Timeout", "TimeoutError", "Sandbox.Timedout"})
