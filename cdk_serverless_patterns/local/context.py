"""What a service of the local cloud is given: :class:`CloudContext`, the only thing services share.

A service never imports :mod:`.cloud` nor reaches into another service. It
talks to the rest of the cloud through its context:

* ``template`` (resolved with :meth:`~.template.StackTemplate.resolve`) and
  ``client(service)`` — boto3 clients on moto, the way LocalStack's services use
  internal clients;
* ``add_background(probe)`` — work a service runs on its own threads (Step
  Functions executions): ``drain()`` waits until it is done or waits on the test;
* ``enqueue(work)`` — delivery work that runs after the current call, in order,
  as the service's own asynchronous work (``drain()`` runs it), and
  ``add_poller(poller)`` — a poller (SQS queue, stream) that ``drain()`` polls
  until it is quiet;
* ``send(arn, payload)`` — deliver to any resource by its ARN through the
  *sender table* (``register_sender``): one sender per ARN service, registered
  by the service that owns it (LocalStack's ``TargetSenderFactory``);
* ``on_call`` / ``intercept`` — the tables the botocore hooks dispatch through:
  what a successful AWS call starts (an SNS publish fans out) and the calls a
  service answers itself (``lambda:Invoke`` runs the in-process handler);
* ``functions`` and ``events`` — the two internal interfaces other services
  call: the function runner (Lambda) and the event buses (EventBridge);
* ``iam`` — policy evaluation (:class:`~.iam.Iam`): a handler's calls, a
  role a service was given, a service principal delivering to a resource;
* ``warn_once`` and ``record_delivery_failure`` — what the user is told.
* ``warn_once``, ``skip`` and ``record_delivery_failure`` — what the user is
  told: ``skip`` names what the cloud cannot deliver (a :class:`Undelivered`,
  listed by ``LocalCloud.undelivered()``) and warns once.
"""

from __future__ import annotations

import json
import warnings
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Mapping, Optional, Protocol, TypeVar

import boto3

from .arns import arn_service
from .iam import Iam
from .template import StackTemplate

if TYPE_CHECKING:
    from botocore.awsrequest import AWSResponse

    from .functions import LocalFunction
    from .services.cognito import LocalUserPool
    from .sources import StreamSource

Work = Callable[[], None]
T = TypeVar("T")
#: Work running outside ``pending`` (a Step Functions execution on moto's threads): ``() -> (busy, waiting)``,
#: ``waiting`` describing what waits on something only the test can give (a task token).
Background = Callable[[], "tuple[bool, list[str]]"]
#: What a successful AWS call starts: ``(params, parsed response)``; runs as queued work.
CallObserver = Callable[[Mapping[str, Any], Mapping[str, Any]], None]
#: A call a service answers itself (no request reaches moto): ``params -> (response, parsed)``.
CallInterceptor = Callable[[Mapping[str, Any]], "tuple[AWSResponse, dict[str, Any]]"]


class LocalCloudWarning(UserWarning):
    """Something in the stack LocalCloud does not run (listed once per cloud)."""


@dataclass(frozen=True)
class Undelivered:
    """Something LocalCloud could not deliver or run (contract: ``LocalCloud.undelivered()`` lists them).

    :param logical_id: the template resource it belongs to (a pipe, a rule, a
        schedule, a subscription, a mapping).
    :param what: what was skipped (``"source arn:...:queue"``, ``"enrichment ..."``).
    :param why: why, and what to do about it.
    """

    logical_id: str
    what: str
    why: str

    def __str__(self) -> str:
        return f"{self.logical_id}: {self.what} is not delivered locally ({self.why})"


class Poller(Protocol):
    """A source the cloud polls while draining (an SQS queue, a stream shard set)."""

    def poll(self) -> bool:
        """Deliver what is there; True when something was found."""


class Sender(Protocol):
    """Delivers ``payload`` (a JSON-able value or a string) to the resource ``arn`` of one service."""

    def __call__(self, arn: str, payload: Any, *, attributes: Optional[Mapping[str, str]] = None,
                 group_id: Optional[str] = None) -> None: ...


class KeyedSender(Protocol):
    """A sender that also takes a partition key (Kinesis)."""

    def __call__(self, arn: str, payload: Any, *, attributes: Optional[Mapping[str, str]] = None,
                 group_id: Optional[str] = None, partition_key: Optional[str] = None) -> None: ...


class Functions(Protocol):
    """The Lambda service, as other services call it."""

    def function_for_arn(self, arn_or_name: str) -> "tuple[LocalFunction, Optional[str]]":
        """The function an ARN (function, version or alias), ``name`` or ``name:qualifier`` names."""

    def function_arn_of(self, arn_or_name: str) -> str:
        """The (qualified) function ARN ``arn_or_name`` names."""

    def run(self, function: "LocalFunction", event: Any, *, invoked_arn: Optional[str] = None,
            tenant_id: Optional[str] = None) -> Any:
        """Run ``function`` synchronously (raises :class:`~.functions.HandlerError`); ``tenant_id``
        for a function with tenant isolation."""

    def invoke_async(self, function: "LocalFunction", event: Any, *, invoked_arn: Optional[str] = None) -> None:
        """Lambda's asynchronous invocation: queued, with retries and destinations."""

    def permits(self, function_arn: str, principal: str, source_arn: str) -> bool:
        """Does the function's resource policy let ``principal`` (from ``source_arn``) invoke it?"""


class DurableRunner(Protocol):
    """The durable-execution service, as the Lambda service hands it invocations of durable functions."""

    def is_durable(self, function: "LocalFunction") -> bool:
        """Has the function a ``DurableConfig`` (every invocation starts or joins a durable execution)?"""

    def invoke(self, function: "LocalFunction", event: Any, *, invoked_arn: str, invocation_type: str,
               name: Optional[str]) -> "tuple[int, Any, Optional[str], str]":
        """``lambda:Invoke`` of a durable function: ``(status, payload, function error, execution ARN)``."""


class EventBuses(Protocol):
    """The EventBridge service, as other services call it."""

    def put(self, bus_name: str, event: dict[str, Any]) -> None:
        """Route an event (already in EventBridge's envelope) to the rules of a bus."""


class UserPools(Protocol):
    """The Cognito service, as the API authorizers call it."""

    def pool(self, pool_id: str) -> "Optional[LocalUserPool]":
        """The local user pool with this id, or None."""

    def pool_for_issuer(self, issuer: str) -> "Optional[LocalUserPool]":
        """The local user pool whose token issuer is ``issuer``, or None."""


class CloudContext:
    """The shared plumbing of one open LocalCloud; every service gets the same instance.

    :param template: the stack's template.
    :param copies: how many times each queue message, stream batch and rule
        event is delivered (2 with ``duplicate_deliveries=True``).
    :param top_level: the cloud's "public call" context manager (drains after
        the outermost one when auto-drain is on); public entry points such as
        ``LocalApi.request`` wrap their work in it.
    """

    def __init__(self, template: StackTemplate, *, copies: int, top_level: Callable[[], ContextManager[None]]) -> None:
        self.template = template
        self.copies = copies
        self.top_level = top_level
        self.pending: deque[Work] = deque()
        self.pollers: list[Poller] = []
        self.background: list[Background] = []
        self.delivery_failures: list[tuple[str, str]] = []
        self.undelivered: list[Undelivered] = []
        self._clients: dict[str, Any] = {}
        self._closers: list[Callable[[], None]] = []
        self._shared: dict[Any, Any] = {}
        self._warned: set[str] = set()
        self._senders: dict[str, Sender] = {}
        self._keyed_senders: dict[str, KeyedSender] = {}
        self._observers: dict[tuple[str, str], CallObserver] = {}
        self._interceptors: dict[tuple[str, str], CallInterceptor] = {}
        self._streams: dict[str, "StreamSource"] = {}
        self._functions: Optional[Functions] = None
        self._events: Optional[EventBuses] = None
        self.durable: Optional[DurableRunner] = None
        self.iam = Iam(template, self.warn_once)
        #: Values the test gives the secrets and parameters the stack reads by reference:
        #: ``{"secrets": {name: value}, "parameters": {name: value}}`` (``LocalCloud(secrets=, parameters=)``).
        self.given_values: dict[str, dict[str, str]] = {"secrets": {}, "parameters": {}}
        self._user_pools: Optional[UserPools] = None

    # -- clients ---------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        """A boto3 client on the local cloud (region of the stack)."""
        if service not in self._clients:
            self._clients[service] = session().client(service, region_name=self.template.region)
        return self._clients[service]

    def shared(self, kind: Callable[["CloudContext"], T]) -> T:
        """The cloud's one ``kind(ctx)`` (its AWS endpoint, its Node runtime), created on first use."""
        if kind not in self._shared:
            self._shared[kind] = kind(self)
        found: T = self._shared[kind]
        return found

    def on_close(self, closer: Callable[[], None]) -> None:
        """Run ``closer`` when the cloud closes (stop a server, end worker processes)."""
        self._closers.append(closer)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()
        self._clients.clear()

    # -- work ------------------------------------------------------------------------------
    def enqueue(self, work: Work) -> None:
        self.pending.append(work)

    def add_poller(self, poller: Poller) -> None:
        self.pollers.append(poller)

    def add_background(self, probe: Background) -> None:
        """Work the service runs on threads of its own; ``drain()`` waits until ``probe`` says it is not busy."""
        self.background.append(probe)

    def stream_source(self, arn: str) -> "StreamSource":
        """The one reader of a Kinesis or DynamoDB stream, shared by every mapping and pipe on it."""
        from .sources import StreamSource

        if arn not in self._streams:
            self._streams[arn] = StreamSource(self, arn)
        return self._streams[arn]

    # -- the internal interfaces of two services -------------------------------------------
    def provide_functions(self, functions: Functions) -> None:
        self._functions = functions

    def provide_durable(self, durable: DurableRunner) -> None:
        """The runner of durable functions (``ctx.durable``; None: no such service registered)."""
        self.durable = durable

    def provide_events(self, events: EventBuses) -> None:
        self._events = events

    def provide_user_pools(self, pools: UserPools) -> None:
        self._user_pools = pools

    @property
    def user_pools(self) -> UserPools:
        if self._user_pools is None:
            raise RuntimeError("LocalCloud: no Cognito service is registered")
        return self._user_pools

    @property
    def functions(self) -> Functions:
        if self._functions is None:
            raise RuntimeError("LocalCloud: no Lambda service is registered")
        return self._functions

    @property
    def events(self) -> EventBuses:
        if self._events is None:
            raise RuntimeError("LocalCloud: no EventBridge service is registered")
        return self._events

    # -- the sender table ------------------------------------------------------------------
    def register_sender(self, service: str, sender: Sender) -> None:
        """``service`` is the ARN's service field (``sqs``, ``lambda``, ``states``, ...)."""
        self._senders[service] = sender

    def register_keyed_sender(self, service: str, sender: KeyedSender) -> None:
        """A sender whose deliveries carry a partition key (Kinesis); also used as its plain sender."""
        self._keyed_senders[service] = sender
        self._senders[service] = sender

    def can_send(self, arn: str) -> bool:
        """Is there a sender for the ARN's service?"""
        return arn_service(arn) in self._senders

    def send(self, arn: str, payload: Any, *, attributes: Optional[Mapping[str, str]] = None,
             group_id: Optional[str] = None, partition_key: Optional[str] = None) -> None:
        """Deliver ``payload`` to the resource ``arn`` as AWS services do (rule targets, destinations, DLQs, pipes)."""
        service = arn_service(arn)
        sender = self._senders.get(service)
        if sender is None:
            self.skip(self.logical_id_for_arn(arn) or arn, f"delivery to {arn}",
                      f"LocalCloud has no sender for service {service!r}; the payload was dropped")
            return
        keyed = self._keyed_senders.get(service)
        if keyed is not None:
            keyed(arn, payload, attributes=attributes, group_id=group_id, partition_key=partition_key)
        else:
            sender(arn, payload, attributes=attributes, group_id=group_id)

    # -- the call tables the botocore hooks use --------------------------------------------
    def on_call(self, service: str, operation: str, observer: CallObserver) -> None:
        """After a successful ``service``:``operation`` call anywhere in the process, run ``observer`` (queued)."""
        self._observers[(service, operation)] = observer

    def intercept(self, service: str, operation: str, interceptor: CallInterceptor) -> None:
        """Answer ``service``:``operation`` calls with ``interceptor`` instead of moto."""
        self._interceptors[(service, operation)] = interceptor

    def interceptor(self, service: str, operation: str) -> Optional[CallInterceptor]:
        return self._interceptors.get((service, operation))

    def observe(self, service: str, operation: str, params: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
        """An AWS call succeeded somewhere in the process: deliver what it starts, as the template wires it.

        Deliveries are queued, not made inline: they happen after the call, as
        the service's own (asynchronous) work, never with the caller's identity.
        """
        observer = self._observers.get((service, operation))
        if observer is None:
            return  # nothing to deliver (and no empty work that would keep drain() busy)
        params, parsed = dict(params), dict(parsed)
        self.enqueue(lambda: observer(params, parsed))

    def authorize(self, function: "LocalFunction", service: str, operation: str, params: Mapping[str, Any]) -> Optional[str]:
        """None when the function's role session may make the call (:mod:`.iam`), else AWS's AccessDenied message."""
        assert function.role is not None
        return self.iam.check_call(function.role, function.name, service, operation, params)

    def authorize_role(self, role_arn: str, session: str, service: str, operation: str,
                       params: Mapping[str, Any]) -> Optional[str]:
        """None when the template's role ``role_arn`` allows the call (made as ``session``), else AWS's AccessDenied message.

        For a service acting with a role of the stack (an API Gateway
        integration's credentials). A role the stack does not define cannot be
        checked: it is allowed, and named once.
        """
        role = self.iam.role_for_arn(role_arn)
        if role is None:
            self.warn_once(f"role:{role_arn}", f"LocalCloud cannot check the role {role_arn} (not in the stack); its calls are allowed")
            return None
        return self.iam.check_call(role, session, service, operation, params)

    # -- what the user is told -------------------------------------------------------------
    def record_delivery_failure(self, where: str, message: str) -> None:
        self.delivery_failures.append((where, message))

    def skip(self, logical_id: str, what: str, why: str) -> None:
        """Record (once) that ``what`` of resource ``logical_id`` is not delivered, and warn."""
        entry = Undelivered(logical_id, what, why)
        if entry not in self.undelivered:
            self.undelivered.append(entry)
            warnings.warn(LocalCloudWarning(f"LocalCloud: {entry}"), stacklevel=3)

    def warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(LocalCloudWarning(message), stacklevel=2)

    def logical_id_for_arn(self, arn: str) -> Optional[str]:
        resource = self.template.by_arn(arn)
        return resource.logical_id if resource is not None else None


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def body_of(payload: Any) -> str:
    """What a sender puts on the wire: strings as they are, anything else as JSON."""
    return payload if isinstance(payload, str) else json.dumps(payload)


_SESSIONS: list[boto3.session.Session] = []


def session() -> boto3.session.Session:
    """One boto3 session for LocalCloud's own clients, process-wide (a session loads ~1 MB of endpoint data).

    Created on first use, inside a LocalCloud — after moto and the hooks are
    registered, so its clients always reach moto and the delivery hooks.
    """
    if not _SESSIONS:
        _SESSIONS.append(boto3.session.Session())
    return _SESSIONS[0]


def fresh_default_session() -> boto3.session.Session:
    """A new session for ``boto3.DEFAULT_SESSION`` while a cloud is open (handlers' ``boto3.client()``, moto's engine).

    moto resets the default session at each start, so every cloud would parse
    the endpoint data and each service model again (the first client of each
    service, per cloud). This one is as fresh — its own credentials, config and
    events — but reads the files through :func:`session`'s loader, which keeps
    what it parsed. Call it inside a cloud, after the hooks are registered.
    """
    import botocore.session

    core = botocore.session.get_session()
    core.register_component("data_loader", session()._session.get_component("data_loader"))  # noqa: SLF001
    return boto3.session.Session(botocore_session=core)
