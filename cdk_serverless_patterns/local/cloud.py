"""``LocalCloud``: a stack built with this library, run end to end in-process on moto.

::

    with LocalCloud(stack) as cloud:
        r = cloud.api(backend).request("POST", "/orders", json={...}, claims={"sub": "u1"})
        cloud.put_object(processing, "uploads/a.csv", b"...")
        cloud.drain()

It synthesizes the stack, starts moto, and lets each service of
:mod:`.services` create its resources from the template (tables with streams,
queues with redrive, topics, buckets, streams, buses, state machines) and wire
its delivery (event source mappings, SNS subscriptions, EventBridge rules and
targets, pipes, schedules, Lambda async invocation with retries and
destinations). Handlers run in-process from their code assets and layers, each
call checked against the function's role.

This module is the lifecycle (open, close, drain) and the public test API; it
finds the service that runs a resource through :data:`.services.REGISTRY`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import difflib
import json
import os
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, Union

import boto3

from . import hooks
from .context import CloudContext, LocalCloudWarning, Undelivered, fresh_default_session, session
from .functions import HandlerError, LocalFunction
from .iam import kms_key_lookup
from .service import Services
from .services import REGISTRY
from .services.apigateway import LocalApi, RestApis
from .services.apigatewayv2 import HttpApis, LocalHttpApi
from .services.cognito import Cognito, LocalTokens
from .services.durable import DurableFunctions, LocalDurableExecution
from .services.events import EventBridge
from .services.lambda_ import Lambda
from .services.scheduler import Scheduler
from .services.sns import Sns
from .services.sqs import LocalMessage, Sqs
from .services.stepfunctions import LocalExecution, StepFunctions
from .template import Resource, StackTemplate, load_assets

__all__ = ["LocalCloud", "LocalCloudWarning", "LocalDurableExecution", "LocalExecution", "LocalInvocationError", "LocalMessage", "LocalTokens", "Undelivered"]

_MAX_DRAIN_STEPS = 10_000
#: How long drain() waits for background work (Step Functions executions) that keeps running.
_MAX_BACKGROUND_SECONDS = 120.0
#: How often drain() looks at background work while it runs.
_BACKGROUND_POLL_SECONDS = 0.002


class LocalInvocationError(Exception):
    """A handler raised (or timed out) in :meth:`LocalCloud.invoke`; ``error_type``/``error_message`` as Lambda reports."""

    def __init__(self, function_name: str, error: HandlerError) -> None:
        super().__init__(f"{function_name} failed: {error.error_type}: {error.error_message}")
        self.function_name = function_name
        self.error_type = error.error_type
        self.error_message = error.error_message
        self.stack_trace = error.stack_trace


class LocalCloud:
    """Runs a synthesized stack locally (contract). Use it as a context manager.

    :param stack: a ``cdk.Stack`` built with this library — or a ``cdk.App``
        with ``stack_name=``. LocalCloud synthesizes the app (checks included)
        and reads that stack's template and assets.
    :param stack_name: the stack to run when ``stack`` is an App.
    :param duplicate_deliveries: deliver every queue message, stream batch and
        rule event twice, to prove handlers idempotent (at-least-once).
        Default False.
    :param auto_drain: after each call that starts a flow (a request,
        ``put_object``, ``publish``, ``put_records``, ``run_schedule``,
        ``invoke``), deliver everything that follows until the cloud is quiet.
        Default True; with False, call :meth:`drain` yourself.
    :param secrets: secret name -> value, for the secrets the stack's functions
        read by reference (``FunctionSpec(secrets=...)``): one the template does
        not create gets this value (default: a generated 32-character password),
        one it creates is set to it. Default: none.
    :param parameters: parameter name -> value, likewise for Parameter Store
        (default for one the template does not create: a random 16-character
        string). Default: none.
    """

    def __init__(
        self,
        stack: Any,
        *,
        stack_name: Optional[str] = None,
        duplicate_deliveries: bool = False,
        auto_drain: bool = True,
        secrets: Optional[Mapping[str, str]] = None,
        parameters: Optional[Mapping[str, str]] = None,
    ) -> None:
        import aws_cdk as cdk

        if isinstance(stack, cdk.App):
            app = stack
            found = [
                c for c in app.node.find_all() if isinstance(c, cdk.Stack) and stack_name in (c.stack_name, c.artifact_id)
            ]
            if not found:
                names = sorted(c.stack_name for c in app.node.find_all() if isinstance(c, cdk.Stack))
                raise ValueError(f"LocalCloud: the app has no stack named {stack_name!r}; its stacks: {names}")
            stack = found[0]
        elif not isinstance(stack, cdk.Stack):
            raise TypeError(f"LocalCloud takes a cdk.Stack (or a cdk.App with stack_name=), not {type(stack).__name__}")
        self.stack = stack
        app = stack.node.root
        assembly = app.synth()
        artifact = assembly.get_stack_artifact(stack.artifact_id)
        assembly_dir = Path(assembly.directory)
        self._paths: Optional[dict[str, str]] = None
        self._paths_source: Optional[tuple[Path, str]] = (assembly_dir, stack.artifact_id)
        region = stack.region if not cdk.Token.is_unresolved(stack.region) else None
        self._setup(
            StackTemplate(
                artifact.template,
                stack_name=stack.stack_name,
                assembly_dir=assembly_dir,
                region=region,
                assets=load_assets(assembly_dir / f"{stack.artifact_id}.assets.json"),
            ),
            duplicate_deliveries=duplicate_deliveries,
            auto_drain=auto_drain,
        )
        self._ctx.given_values = {"secrets": dict(secrets or {}), "parameters": dict(parameters or {})}

    @classmethod
    def from_assembly(cls, outdir: Union[str, "os.PathLike[str]"], stack_name: Optional[str] = None, *,
                      duplicate_deliveries: bool = False, auto_drain: bool = True) -> "LocalCloud":
        """A LocalCloud on a synthesized cloud assembly (``cdk.out``): the template and assets are all it reads.

        No ``aws_cdk`` import and no synthesis: any CDK app's output works
        (``cdk synth``, in any language). Resources are looked up by logical id,
        name, ARN or construct path (strings), not by construct.

        :param outdir: the assembly directory.
        :param stack_name: the stack (artifact id or construct path); may be
            left out when the assembly has one top-level stack.
        """
        from .assembly import read_stack

        cloud = cls.__new__(cls)
        cloud.stack = None
        cloud._paths, cloud._paths_source = None, None
        cloud._setup(read_stack(Path(outdir), stack_name), duplicate_deliveries=duplicate_deliveries, auto_drain=auto_drain)
        return cloud

    def _setup(self, template: StackTemplate, *, duplicate_deliveries: bool, auto_drain: bool) -> None:
        self.template = template
        self.auto_drain = auto_drain
        self.unsupported: dict[str, list[str]] = {}
        self._depth = 0
        self._drain_lock = threading.RLock()
        #: What the last :meth:`drain` left waiting on the test (an execution at a task token), one line each.
        self.waiting: list[str] = []
        self._mock: Any = None
        self._services: Optional[Services] = None
        self._dynamodb: Any = None  # the boto3 DynamoDB resource table() makes its Tables from, while open
        self._ctx = CloudContext(self.template, copies=2 if duplicate_deliveries else 1, top_level=self.top_level)

    @property
    def copies(self) -> int:
        """How many times each queue message, stream batch and rule event is delivered (2 with duplicate_deliveries)."""
        return self._ctx.copies

    @property
    def functions(self) -> dict[str, LocalFunction]:
        """The stack's functions by logical id (empty until the cloud is open)."""
        return self._lambda.functions if self._services is not None else {}

    def undelivered(self) -> list[Undelivered]:
        """What this cloud could not deliver or run (contract), each with the resource's logical id, what and why.

        Listed when the cloud opens (a :class:`LocalCloudWarning` each) and as
        deliveries meet them (a target of a service LocalCloud has no sender for).
        """
        return list(self._ctx.undelivered)

    @property
    def delivery_failures(self) -> list[tuple[str, str]]:
        """``(where, why)`` of every delivery that failed for good (retries exhausted, access denied)."""
        return self._ctx.delivery_failures

    # == lifecycle ===========================================================================
    def __enter__(self) -> "LocalCloud":
        from moto import mock_aws

        self._saved_env = dict(os.environ)
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[key]
        os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=self.template.region)
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}})
        self._mock.start()
        hooks.activate(self._ctx)
        self._saved_default_session = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = fresh_default_session()
        try:
            self._services = REGISTRY.start(self._ctx)
            self._provision()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        for function in self.functions.values():
            function.closed = True  # from now on no handler starts, whichever thread asks
        for service in reversed(list(self._services or [])):
            service.close()
        hooks.deactivate(self._ctx)
        if self._mock is not None:
            boto3.DEFAULT_SESSION = self._saved_default_session
            self._mock.stop()
            self._mock = None
        self._dynamodb = None
        os.environ.clear()
        os.environ.update(self._saved_env)
        self._ctx.close()

    def _provision(self) -> None:
        self.unsupported = REGISTRY.unsupported(self.template)
        if self.unsupported:
            listed = "; ".join(f"{k} ({', '.join(v)})" for k, v in sorted(self.unsupported.items()))
            warnings.warn(
                LocalCloudWarning(f"LocalCloud does not run these resources of {self.template.stack_name}: {listed}"),
                stacklevel=4,
            )
        for service in self._open_services:
            service.provision()

    @property
    def _open_services(self) -> Services:
        if self._services is None:
            raise RuntimeError("LocalCloud is not open: use it as a context manager (`with LocalCloud(stack) as cloud:`)")
        return self._services

    @property
    def _lambda(self) -> Lambda:
        return self._open_services.get(Lambda)

    def client(self, service: str) -> Any:
        """A boto3 client on the local cloud (region of the stack)."""
        return self._ctx.client(service)

    def _kms_key_of(self, kind: str, name_or_arn: str) -> Optional[str]:
        """The customer managed key (ARN) a queue/topic/stream/bucket of the template is encrypted with."""
        return kms_key_lookup(self.template)(kind, name_or_arn)

    # == look-ups ============================================================================
    def _construct_paths(self) -> Optional[dict[str, str]]:
        """``{logical id: construct path}`` of every template resource, in construct-tree order, read once
        from the assembly's ``aws:cdk:logicalId`` metadata: the same paths a walk of the constructs finds,
        without a jsii call per construct. None when the metadata does not name each resource exactly once."""
        if self._paths is None and self._paths_source is not None:
            self._paths = _paths_by_logical_id(*self._paths_source, self.template.resources)
            self._paths_source = None
        return self._paths

    def _resources_under(self, obj: Any, types: Sequence[str]) -> list[Resource]:
        """Template resources of ``types`` that the construct ``obj`` (or its subtree) created."""
        import aws_cdk as cdk

        node = getattr(obj, "node", None)
        if node is None:
            return []
        paths = self._construct_paths()
        if paths is not None:
            prefix = node.path
            return [
                self.template.resources[logical_id]
                for logical_id, path in paths.items()
                if self.template.resources[logical_id].type in types
                and (not prefix or path == prefix or path.startswith(prefix + "/"))
            ]
        found = []
        for child in node.find_all():
            if isinstance(child, cdk.CfnResource) and child.cfn_resource_type in types:
                logical_id = cdk.Stack.of(child).resolve(child.logical_id)
                if logical_id in self.template.resources:
                    found.append(self.template.resources[logical_id])
        return found

    def _resource(self, obj: Any, types: Sequence[str], attributes: Sequence[str], what: str, by_name: Callable[[Any], Optional[str]]) -> Resource:
        if isinstance(obj, Resource) and obj.type in types:
            return obj
        if isinstance(obj, str):
            for r in self.template.resources.values():
                if r.type in types and obj in (r.logical_id, r.name, r.arn, r.ref, r.path):
                    return r
            raise LookupError(f"LocalCloud: no {what} named {obj!r} in {self.template.stack_name}")
        for attribute in attributes:
            inner = getattr(obj, attribute, None)
            if inner is not None and inner is not obj:
                try:
                    return self._resource(inner, types, (), what, by_name)
                except (LookupError, TypeError):
                    continue
        found = self._resources_under(obj, types)
        if len(found) == 1:
            return found[0]
        name = by_name(obj)
        if name:
            for r in self.template.resources.values():
                if r.type in types and name in (r.name, r.arn, r.ref):
                    return r
        if len(found) > 1:
            raise LookupError(
                f"LocalCloud: {type(obj).__name__} holds {len(found)} {what}s ({', '.join(r.path for r in found)}); pass one"
            )
        raise TypeError(
            f"LocalCloud: {type(obj).__name__} is not a {what}; pass "
            + ", ".join([f"a construct with .{a}" for a in attributes] + [f"the {what} itself", "its name"])
        )

    def _table(self, obj: Any) -> Resource:
        return self._resource(
            obj, ("AWS::DynamoDB::Table",), ("table", "state_table", "read_model", "event_store", "result_table"),
            "table", lambda o: _plain(getattr(o, "table_name", None)),
        )

    def _queue(self, obj: Any) -> Resource:
        return self._resource(
            obj, ("AWS::SQS::Queue",), ("queue", "dead_letter_queue", "failure_queue"), "queue",
            lambda o: _plain(getattr(o, "queue_arn", None)),
        )

    def _function(self, obj: Any) -> LocalFunction:
        resource = self._resource(
            obj, ("AWS::Lambda::Function",), ("function", "processor", "job", "aggregator"), "function",
            lambda o: _plain(getattr(o, "function_name", None)),
        )
        return self.functions[resource.logical_id]


    # == the public API ======================================================================
    def api(self, backend: Any) -> Union[LocalApi, LocalHttpApi]:
        """The API of ``backend``: an ApiBackend (REST or HTTP), Cqrs, a saga's start API, an API construct, or its name."""
        resource = self._resource(
            backend, ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"), ("api", "rest_api", "http_api", "start_api"),
            "REST or HTTP API", lambda o: None,
        )
        service = self._open_services.for_type(resource.type)
        assert isinstance(service, (RestApis, HttpApis))
        return service.entry_point(resource)

    def sign_in(self, user_pool_or_pattern: Any, username: str, password: Optional[str] = None, *,
                groups: Sequence[str] = (), attributes: Optional[Mapping[str, str]] = None,
                client: Any = None, scopes: Optional[Sequence[str]] = None) -> LocalTokens:
        """Sign ``username`` in to a user pool of the stack and return real tokens of that pool (contract).

        The user is created if needed (confirmed, password set, in ``groups``);
        the tokens are signed with the local pool's own key and carry Cognito's
        claims, so the API authorizers verify them as API Gateway does.

        :param user_pool_or_pattern: a user pool construct, a pattern with a
            ``user_pool`` (ApiBackend, Cqrs), or the pool's logical id.
        :param password: checked when the user exists (``PermissionError`` when
            wrong); the new user's password otherwise. Default: a generated one.
        :param groups: groups to add the user to (``cognito:groups``); created if absent.
        :param attributes: attributes of a new user (``email``, ``custom:...``).
        :param client: the app client the tokens are for (construct or logical
            id). Default: the pattern's client, else the audience of the API's
            JWT authorizer, else the pool's first client.
        :param scopes: the access token's scopes. Default: the client's allowed
            OAuth scopes when it has OAuth flows, else ``aws.cognito.signin.user.admin``.
        :returns: :class:`LocalTokens`; ``.authorization`` is the header value
            the API's authorizer on this pool expects (``.headers`` the dict).
        """
        pool_resource = self._resource(
            user_pool_or_pattern, ("AWS::Cognito::UserPool",), ("user_pool",), "user pool",
            lambda o: _plain(getattr(o, "user_pool_id", None)),
        )
        cognito = self._open_services.get(Cognito)
        pool = cognito.pool(pool_resource.name)
        assert pool is not None
        client = client if client is not None else getattr(user_pool_or_pattern, "user_pool_client", None)
        client_id = None
        if client is not None:
            client_id = self._resource(client, ("AWS::Cognito::UserPoolClient",), (), "user pool client", lambda o: None).ref
        authorizer_types = ("AWS::ApiGateway::Authorizer", "AWS::ApiGatewayV2::Authorizer")
        authorizers = [] if isinstance(user_pool_or_pattern, str) else self._resources_under(user_pool_or_pattern, authorizer_types)
        return cognito.tokens(pool, username, password, groups=groups, attributes=attributes, client_id=client_id,
                              scopes=scopes, authorizers=authorizers or self.template.of_type(*authorizer_types))

    def put_object(self, bucket: Any, key: str, data: Union[bytes, str]) -> None:
        """Upload an object (S3 → EventBridge notification → rules → targets, as wired)."""
        resource = self._resource(
            bucket, ("AWS::S3::Bucket",), ("bucket",), "bucket", lambda o: _plain(getattr(o, "bucket_name", None))
        )
        with self.top_level():
            self.client("s3").put_object(Bucket=resource.name, Key=key, Body=data.encode() if isinstance(data, str) else data)

    def publish(self, topic: Any, message: Any, attributes: Optional[Mapping[str, Any]] = None, *,
                group_id: Optional[str] = None, deduplication_id: Optional[str] = None) -> str:
        """Publish to an SNS topic (dicts are sent as JSON); returns the message id."""
        resource = self._resource(
            topic, ("AWS::SNS::Topic",), ("topic",), "topic", lambda o: _plain(getattr(o, "topic_arn", None))
        )
        params = {"TopicArn": resource.arn, "Message": message if isinstance(message, str) else json.dumps(message),
                  **_message_options(resource, attributes, group_id, deduplication_id)}
        with self.top_level():
            return str(self.client("sns").publish(**params)["MessageId"])

    def send_message(self, queue: Any, body: Any, attributes: Optional[Mapping[str, Any]] = None, *,
                     group_id: Optional[str] = None, deduplication_id: Optional[str] = None) -> str:
        """Put a message on a queue (dicts are sent as JSON), e.g. for set-up; returns the message id.

        Sent as the test, outside any handler (no IAM check); a queue with an
        event source mapping delivers it at the next drain (at once with auto-drain).
        """
        resource = self._queue(queue)
        params = {"QueueUrl": resource.ref, "MessageBody": body if isinstance(body, str) else json.dumps(body),
                  **_message_options(resource, attributes, group_id, deduplication_id)}
        with self.top_level():
            return str(self.client("sqs").send_message(**params)["MessageId"])

    def put_records(self, stream: Any, records: Sequence[Union[bytes, str, Mapping[str, Any]]], *,
                    partition_key: Optional[str] = None) -> None:
        """Put records on a Kinesis stream (bytes, str, or dicts sent as JSON)."""
        resource = self._resource(
            stream, ("AWS::Kinesis::Stream",), ("stream",), "stream", lambda o: _plain(getattr(o, "stream_name", None))
        )
        entries = []
        for index, record in enumerate(records):
            data = record if isinstance(record, bytes) else (record.encode() if isinstance(record, str) else json.dumps(record).encode())
            entries.append({"Data": data, "PartitionKey": partition_key or f"pk-{index}"})
        with self.top_level():
            self.client("kinesis").put_records(StreamName=resource.name, Records=entries)

    def run_schedule(self, job: Any, *, at: Optional["datetime.datetime"] = None) -> None:
        """Fire one scheduled run now (an EventBridge Scheduler schedule, or a scheduled rule).

        :param job: a ``ScheduledJob``, its schedule, or the schedule's (or rule's) logical id or name.
        :param at: the scheduled time the run reports (Scheduler's
            ``<aws.scheduler.scheduled-time>``), a ``datetime.datetime``; a naive one is
            taken as UTC. Default: now, in UTC. (A scheduled rule's event carries no
            scheduled time: ``at`` is not used there.)
        :raises TypeError: ``at`` is not a datetime (e.g. an ISO string).
        """
        if at is not None and not isinstance(at, datetime.datetime):
            raise TypeError(
                f"LocalCloud.run_schedule: at={at!r} is invalid: allowed a datetime.datetime (timezone-aware, "
                "or naive meaning UTC) or None (now). Fix: at=datetime.datetime(2027, 1, 1, 2, 0, "
                "tzinfo=datetime.timezone.utc), or datetime.datetime.fromisoformat(...) for a string"
            )
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=datetime.timezone.utc)
        resource = self._resource(
            job, ("AWS::Scheduler::Schedule", "AWS::Events::Rule"), ("schedule", "rule"), "schedule", lambda o: None
        )
        service = self._open_services.for_type(resource.type)
        assert isinstance(service, (Scheduler, EventBridge))
        with self.top_level():
            service.run_schedule(resource, at)

    def start_execution(self, saga: Any, execution_input: Any = None, *, name: Optional[str] = None) -> LocalExecution:
        """Run the state machine of ``saga`` to the end (virtual time) and return the execution."""
        resource = self._resource(
            saga, ("AWS::StepFunctions::StateMachine",), ("state_machine",), "state machine",
            lambda o: _plain(getattr(o, "state_machine_arn", None)),
        )
        with self.top_level():
            return self._open_services.get(StepFunctions).start(resource.arn, execution_input, name)

    def start_durable_execution(self, function: Any, execution_input: Any = None, *,
                                name: Optional[str] = None) -> LocalDurableExecution:
        """Start a durable execution and run it (virtual time) until it ends or waits for a callback.

        As ``aws lambda invoke --invocation-type Event --durable-execution-name``
        on the function's ``live`` alias (durable functions take a qualified ARN):
        a second start with the same ``name`` and input joins the first
        execution, another input fails with ``DurableExecutionAlreadyStartedException``.

        :param function: a durable function, or a ``DurableSaga`` (its orchestrator).
        :param name: the execution name. Default: a new unique one.
        """
        local = self._function(getattr(function, "orchestrator", function))
        target = next(iter(local.aliases.values()), f"{local.arn}:$LATEST")
        params: dict[str, Any] = {"FunctionName": target, "InvocationType": "Event",
                                  "Payload": json.dumps(execution_input if execution_input is not None else {})}
        if name is not None:
            params["DurableExecutionName"] = name
        with self.top_level():
            arn = self.client("lambda").invoke(**params)["DurableExecutionArn"]
        return self._open_services.get(DurableFunctions).describe(arn)

    def durable_executions(self, function: Any = None) -> list[LocalDurableExecution]:
        """Every durable execution so far (of ``function``, a durable function or a ``DurableSaga``), in start order."""
        local = self._function(getattr(function, "orchestrator", function)) if function is not None else None
        return self._open_services.get(DurableFunctions).executions(local)

    def send_durable_callback(self, callback_id: str, result: Any = None, *, error: Optional[str] = None,
                              cause: str = "") -> None:
        """Answer a durable execution's callback, as ``SendDurableExecutionCallbackSuccess`` (``result``,
        sent as JSON) or, with ``error``, ``SendDurableExecutionCallbackFailure``; the execution then resumes.

        ``callback_id`` comes from ``LocalDurableExecution.callback_id()`` (or ``cloud.waiting``).
        """
        lam = self.client("lambda")
        with self.top_level():
            if error is None:
                lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=json.dumps(result).encode())
            else:
                lam.send_durable_execution_callback_failure(
                    CallbackId=callback_id, Error={"ErrorType": error, "ErrorMessage": cause}
                )

    def invoke(self, function: Any, event: Any = None, *, tenant_id: Optional[str] = None) -> Any:
        """Invoke a function synchronously; returns its result or raises :class:`LocalInvocationError`.

        :param tenant_id: the tenant (``TenantId``) for a function with tenant isolation, which Lambda
            requires (and refuses for any other function); each tenant's invocations run in sandboxes
            of their own. Default None.
        """
        local = self._function(function)
        with self.top_level():
            try:
                return self._lambda.run(local, event if event is not None else {}, tenant_id=tenant_id)
            except HandlerError as error:
                raise LocalInvocationError(local.name, error) from None

    def invoke_async(self, function: Any, event: Any = None) -> None:
        """Invoke a function asynchronously (``InvocationType=Event``) through its ``live`` alias when it has one.

        Lambda's retries and the alias's on-failure destination apply, as for
        any asynchronous caller.
        """
        local = self._function(function)
        alias = next(iter(local.aliases.values()), None)
        with self.top_level():
            self._lambda.invoke_async(local, event if event is not None else {}, invoked_arn=alias)

    def invocations(self, function: Any) -> list[tuple[Any, Any]]:
        """Every invocation of ``function`` so far, in order: ``(event, result)`` or ``(event, LocalInvocationError)``."""
        local = self._function(function)
        return [
            (i.event, i.result if i.error is None else LocalInvocationError(local.name, i.error)) for i in local.invocations
        ]

    def table(self, table: Any) -> Any:
        """A boto3 ``Table`` on the local DynamoDB (an ITable, a pattern exposing a table, or a name)."""
        resource = self._table(table)
        if self._dynamodb is None:  # making a boto3 resource loads its model: once per open cloud
            self._dynamodb = session().resource("dynamodb", region_name=self.template.region)
        return self._dynamodb.Table(resource.name)

    def messages(self, queue: Any) -> list[LocalMessage]:
        """What sits in a queue now (e.g. a DLQ), without receiving it (receive counts do not change)."""
        return self._open_services.get(Sqs).messages(self._queue(queue).name)

    def published(self, topic: Any) -> list[dict[str, Any]]:
        """Every message published to ``topic`` so far (``Message``, ``Subject``, ``MessageAttributes``), in order."""
        resource = self._resource(
            topic, ("AWS::SNS::Topic",), ("topic",), "topic", lambda o: _plain(getattr(o, "topic_arn", None))
        )
        return list(self._open_services.get(Sns).published.get(resource.arn, []))

    def fail(self, function: Any, times: int = 1, error: str = "RuntimeError", *, after_commit: bool = False) -> None:
        """Fault injection: the next ``times`` invocations of ``function`` fail.

        ``error`` is the ``errorType`` the invocation reports (an exception
        class name). ``"Timeout"`` or ``"TimeoutError"`` fails it as a Lambda
        timeout does: ``Sandbox.Timedout``, ``"RequestId: … Error: Task timed
        out after N.00 seconds"``. A name starting with ``Lambda.`` (e.g.
        ``"Lambda.TooManyRequestsException"``) fails the invocation in the
        Lambda service instead, as throttling does — what a Step Functions
        retrier on ``Lambda.*`` errors sees.

        :param after_commit: default False: the handler does not run. With
            True the handler runs to the end — its writes land, what it sends
            is delivered — and the invocation then fails with ``error``, as a
            timeout after the write would; retries see the committed state.
        """
        self._function(function).fail(times, error, after_commit=after_commit)

    def fail_call(self, function: Any, service: str, operation: Optional[str] = None, *, times: int = 1,
                  error: str = "ThrottlingException") -> None:
        """Fault injection on single AWS calls: ``function``'s next ``times`` calls to ``service`` fail with ``error``.

        :param service: the boto3 client name (``"dynamodb"``, ``"sqs"``,
            ``"stepfunctions"``, ...).
        :param operation: the API operation (``"PutItem"``); default None: any
            call to the service.
        :param error: the AWS error code. The call fails as the service answers
            it — botocore raises its modelled exception class (e.g.
            ``client.exceptions.ThrottlingException``, a ``ClientError``) with
            the code's HTTP status (the service model's, else 400; 5xx for
            ``Internal*``/``ServiceUnavailable``) — and botocore's retries do
            not apply: each of the ``times`` calls the handler makes fails.
        """
        local = self._function(function)
        model = self.client(service).meta.service_model
        if operation is not None and operation not in model.operation_names:
            close = difflib.get_close_matches(operation, model.operation_names, n=3)
            raise ValueError(
                f"LocalCloud.fail_call: {service} has no operation {operation!r}"
                + (f"; did you mean {', '.join(close)}?" if close else "; use the API name, e.g. 'PutItem'")
            )
        local.fail_call(model.service_name, operation, times, error)

    def unused_grants(self, function: Any = None) -> dict[str, list[str]]:
        """Granted ``"action resource"`` pairs no call used so far, by construct path (contract).

        Keys are the construct paths of the functions (and of the roles of
        pipes, schedules and rule targets) LocalCloud runs; a principal that
        used every grant is left out, so ``== {}`` means least privilege was
        observed. One pair per granted action pattern × resource pattern; the
        grants the service itself uses because of the configuration (logs,
        traces, event source polling, failure destinations) count as used.
        See docs/local-cloud.md.

        :param function: only this function (a construct, its name or logical id). Default: all.
        """
        import aws_cdk as cdk

        owner = self._function(function).logical_id if function is not None else None
        report = self._ctx.iam.unused_grants(owner)
        paths: dict[str, str] = {}
        if self.stack is None:  # from a cloud assembly: the templates carry the paths (aws:cdk:path)
            for logical_id in report:
                resource = self.template.resources.get(logical_id)
                if resource is not None:
                    path = resource.path
                    paths[logical_id] = path[: -len("/Resource")] if path.endswith("/Resource") else path
            return {paths.get(logical_id, logical_id): pairs for logical_id, pairs in report.items()}
        construct_paths = self._construct_paths()
        if construct_paths is not None:
            paths = {k: path.removesuffix("/Resource") for k, path in construct_paths.items()}
        else:
            for child in self.stack.node.find_all():
                if isinstance(child, cdk.CfnResource):
                    path = child.node.path
                    paths[cdk.Stack.of(child).resolve(child.logical_id)] = path[: -len("/Resource")] if path.endswith("/Resource") else path
        return {paths.get(logical_id, logical_id): pairs for logical_id, pairs in report.items()}

    def drain(self) -> int:
        """Deliver everything pending until the cloud is quiet; returns the number of deliveries. Bounded.

        Quiet means: no delivery pending, every queue and stream polled empty,
        and every Step Functions execution started so far — by the test, a
        handler, a rule or a pipe — finished, together with what it triggered;
        or parked on something only the test can give (a task token, a Wait
        state). Those are listed in :attr:`waiting` after each drain (empty
        when nothing waits). Raises RuntimeError when the cloud is still busy
        after 10 000 deliveries or 120 s of background work.
        """
        ctx = self._ctx
        steps = 0
        busy_since: Optional[float] = None
        polls = 0
        with self._drain_lock:
            while True:
                if ctx.pending:
                    polls = 0
                    ctx.pending.popleft()()
                elif not any([poller.poll() for poller in ctx.pollers]):
                    busy, waiting = False, list[str]()
                    for probe in ctx.background:
                        probe_busy, probe_waiting = probe()
                        busy, waiting = busy or probe_busy, waiting + probe_waiting
                    if not busy and not ctx.pending:
                        self.waiting = waiting
                        return steps
                    now = time.monotonic()
                    busy_since = busy_since if busy_since is not None else now
                    if now - busy_since > _MAX_BACKGROUND_SECONDS:
                        raise RuntimeError(f"LocalCloud.drain: executions still running after {_MAX_BACKGROUND_SECONDS:.0f} s")
                    # back off (2 ms doubling to 32 ms): polling competes with the engine's threads for the GIL
                    time.sleep(min(_BACKGROUND_POLL_SECONDS * 2 ** min(polls, 4), 0.032))
                    polls += 1
                    continue
                steps += 1
                if steps > _MAX_DRAIN_STEPS:
                    raise RuntimeError(
                        f"LocalCloud.drain: still busy after {_MAX_DRAIN_STEPS} deliveries (a delivery loop?)"
                    )

    @contextlib.contextmanager
    def top_level(self) -> Iterator[None]:
        """Around a public call: drain afterwards (auto_drain) unless nested in another."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._depth == 0 and self.auto_drain:
            self.drain()


def _paths_by_logical_id(assembly_dir: Path, artifact_id: str, resources: Mapping[str, Resource]) -> Optional[dict[str, str]]:
    """``{logical id: construct path}`` of ``resources`` from the stack artifact's metadata (the manifest's and its
    ``additionalMetadataFile``), in template order; None when an entry is missing, names a logical id twice,
    or the assembly cannot be read."""
    try:
        artifact = json.loads((assembly_dir / "manifest.json").read_text())["artifacts"][artifact_id]
        metadata: dict[str, list[Any]] = {}
        extra = artifact.get("additionalMetadataFile")
        for source in (artifact.get("metadata") or {}, json.loads((assembly_dir / extra).read_text()) if extra else {}):
            for path, entries in source.items():
                metadata.setdefault(path, []).extend(entries)
    except (OSError, KeyError, TypeError, ValueError):
        return None
    found: dict[str, str] = {}
    for path, entries in metadata.items():
        for entry in entries:
            if isinstance(entry, dict) and entry.get("type") == "aws:cdk:logicalId" and entry.get("data") in resources:
                if entry["data"] in found:
                    return None
                found[entry["data"]] = path.lstrip("/")
    if len(found) != len(resources):
        return None
    # template order: CDK writes a stack's resources in construct-tree order (pre-order), as node.find_all() walks
    return {logical_id: found[logical_id] for logical_id in resources}


def _plain(value: Any) -> Optional[str]:
    """A construct attribute's value when it is a plain string (not a deploy-time token)."""
    if not isinstance(value, str):
        return None
    import aws_cdk as cdk

    return None if cdk.Token.is_unresolved(value) else value


def _message_options(resource: Resource, attributes: Optional[Mapping[str, Any]], group_id: Optional[str],
                     deduplication_id: Optional[str]) -> dict[str, Any]:
    """Message attributes, and the group and deduplication ids a FIFO topic or queue needs (SNS and SQS spell them alike)."""
    options: dict[str, Any] = {}
    if attributes:
        options["MessageAttributes"] = {k: _sns_attribute(v) for k, v in attributes.items()}
    if resource.name.endswith(".fifo"):
        options["MessageGroupId"] = group_id or "default"
        options["MessageDeduplicationId"] = deduplication_id or base64.b32encode(os.urandom(10)).decode()
    return options


def _sns_attribute(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"DataType": "Number", "StringValue": str(value)}
    if isinstance(value, (list, tuple)):
        return {"DataType": "String.Array", "StringValue": json.dumps(list(value))}
    return {"DataType": "String", "StringValue": str(value)}
