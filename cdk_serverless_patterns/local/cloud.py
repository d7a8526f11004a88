"""``LocalCloud``: a stack built with this library, run end to end in-process on moto.

::

    with LocalCloud(stack) as cloud:
        r = cloud.api(backend).request("POST", "/orders", json={...}, claims={"sub": "u1"})
        cloud.put_object(processing, "uploads/a.csv", b"...")
        cloud.drain()

It synthesizes the stack, creates its data stores in moto (tables with
streams, queues with redrive, topics, buckets, streams, buses, state
machines), and wires delivery *from the template*: event source mappings, SNS
subscriptions, EventBridge rules and targets, pipes, schedules, Lambda async
invocation with retries and destinations. Handlers run in-process from their
code assets and layers, each call checked against the function's role.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import os
import uuid
import warnings
from collections import deque
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, Union

import boto3
from botocore.exceptions import ClientError

from . import eventbridge, hooks, states, targets
from .apigw import LocalApi
from .eventbridge import EventBridge, envelope
from .functions import HandlerError, LocalFunction, ServiceError
from .httpapi import LocalHttpApi
from .iam import (
    Arns,
    Permission,
    RolePolicies,
    access_denied_message,
    denied,
    required_permissions,
    wildcard_match,
)
from .pipes import pipe_mapping
from .sources import SqsMapping, StreamMapping, StreamSource, lambda_stream_mapping
from .template import Resource, StackTemplate, load_assets

#: Resource types with no data-plane behaviour to simulate (control plane, monitoring, policies).
INERT_TYPES = (
    "AWS::CDK::Metadata",
    "AWS::CloudWatch::",
    "AWS::Logs::",
    "AWS::IAM::",
    "AWS::KMS::",
    "AWS::WAFv2::",
    "AWS::Cognito::",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::S3::BucketPolicy",
    "AWS::Events::Archive",
    "AWS::Lambda::Version",
    "AWS::Lambda::Alias",
    "AWS::Lambda::Permission",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::ApiGateway::",
    "AWS::ApiGatewayV2::",
    "AWS::Scheduler::ScheduleGroup",
    "AWS::Backup::",
    "AWS::SSM::Parameter",
)
SIMULATED_TYPES = (
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::S3::Bucket",
    "AWS::Kinesis::Stream",
    "AWS::Events::EventBus",
    "AWS::Events::Rule",
    "AWS::Lambda::Function",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Pipes::Pipe",
    "AWS::Scheduler::Schedule",
    "AWS::StepFunctions::StateMachine",
)
_MAX_DRAIN_STEPS = 10_000


class LocalCloudWarning(UserWarning):
    """Something in the stack LocalCloud does not run (listed once per cloud)."""


class LocalInvocationError(Exception):
    """A handler raised (or timed out) in :meth:`LocalCloud.invoke`; ``error_type``/``error_message`` as Lambda reports."""

    def __init__(self, function_name: str, error: HandlerError) -> None:
        super().__init__(f"{function_name} failed: {error.error_type}: {error.error_message}")
        self.function_name = function_name
        self.error_type = error.error_type
        self.error_message = error.error_message
        self.stack_trace = error.stack_trace


class LocalMessage(dict):  # type: ignore[type-arg]
    """A message sitting in a queue: boto3's ``receive_message`` keys, plus ``.body`` and ``.json()``."""

    @property
    def body(self) -> str:
        return str(self["Body"])

    @property
    def attributes(self) -> dict[str, Any]:
        return dict(self.get("MessageAttributes") or {})

    def json(self) -> Any:
        return json.loads(self.body)


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
    """

    def __init__(
        self,
        stack: Any,
        *,
        stack_name: Optional[str] = None,
        duplicate_deliveries: bool = False,
        auto_drain: bool = True,
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
        region = stack.region if not cdk.Token.is_unresolved(stack.region) else None
        self.template = StackTemplate(
            artifact.template,
            stack_name=stack.stack_name,
            assembly_dir=assembly_dir,
            region=region,
            assets=load_assets(assembly_dir / f"{stack.artifact_id}.assets.json"),
        )
        self.copies = 2 if duplicate_deliveries else 1
        self.auto_drain = auto_drain
        self.functions: dict[str, LocalFunction] = {}
        self.unsupported: dict[str, list[str]] = {}
        self.delivery_failures: list[tuple[str, str]] = []
        self.clock = states.VirtualClock()
        self._lambda_errors = states.LambdaServiceErrors()
        self._pending: deque[Callable[[], None]] = deque()
        self._pollers: list[Union[SqsMapping, StreamMapping]] = []
        self._clients: dict[str, Any] = {}
        self._warned: set[str] = set()
        self._depth = 0
        self._mock: Any = None
        self._base_env: dict[str, str] = {}
        self._apis: dict[str, Union[LocalApi, LocalHttpApi]] = {}
        self._published: dict[str, list[dict[str, Any]]] = {}

    # == lifecycle ===========================================================================
    def __enter__(self) -> "LocalCloud":
        from moto import mock_aws

        self._saved_env = dict(os.environ)
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[key]
        os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=self.template.region)
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}})
        self._mock.start()
        hooks.activate(self)
        self.clock.install()
        self._lambda_errors.install()
        self._base_env = dict(os.environ)
        try:
            self._provision()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.clock.uninstall()
        self._lambda_errors.uninstall()
        hooks.deactivate(self)
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        os.environ.clear()
        os.environ.update(self._saved_env)
        self._clients.clear()

    def client(self, service: str) -> Any:
        """A boto3 client on the local cloud (region of the stack)."""
        if service not in self._clients:
            self._clients[service] = _session().client(service, region_name=self.template.region)
        return self._clients[service]

    # == provisioning ========================================================================
    def _provision(self) -> None:
        t = self.template
        for r in t.resources.values():
            if not r.type.startswith(SIMULATED_TYPES) and not r.type.startswith(INERT_TYPES):
                self.unsupported.setdefault(r.type, []).append(r.logical_id)
        if self.unsupported:
            listed = "; ".join(f"{k} ({', '.join(v)})" for k, v in sorted(self.unsupported.items()))
            warnings.warn(LocalCloudWarning(f"LocalCloud does not run these resources of {t.stack_name}: {listed}"), stacklevel=3)
        for table in t.of_type("AWS::DynamoDB::Table"):
            self._create_table(table)
        queues = t.of_type("AWS::SQS::Queue")
        for queue in sorted(queues, key=lambda q: "RedrivePolicy" in q.properties):
            self._create_queue(queue)
        for topic in t.of_type("AWS::SNS::Topic"):
            attributes = {}
            if str(t.resolve(topic.properties.get("FifoTopic", False))).lower() == "true":
                attributes["FifoTopic"] = "true"
                if str(t.resolve(topic.properties.get("ContentBasedDeduplication", False))).lower() == "true":
                    attributes["ContentBasedDeduplication"] = "true"
            self.client("sns").create_topic(Name=topic.name, Attributes=attributes)
        for bucket in t.of_type("AWS::S3::Bucket"):
            kwargs: dict[str, Any] = {"Bucket": bucket.name}
            if t.region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": t.region}
            self.client("s3").create_bucket(**kwargs)
        for stream in t.of_type("AWS::Kinesis::Stream"):
            shards = int(t.resolve(stream.properties.get("ShardCount", 1)))
            self.client("kinesis").create_stream(StreamName=stream.name, ShardCount=shards)
        for bus in t.of_type("AWS::Events::EventBus"):
            self.client("events").create_event_bus(Name=bus.name)
        for function in t.of_type("AWS::Lambda::Function"):
            self.functions[function.logical_id] = self._make_function(function)
        for alias in t.of_type("AWS::Lambda::Alias"):
            fn = self._function_by_name(alias.name)
            if fn is not None:
                fn.aliases[alias.arn.rsplit(":", 1)[-1]] = alias.arn
        for machine in t.of_type("AWS::StepFunctions::StateMachine"):
            self._create_state_machine(machine)
        self.eventbridge = EventBridge(self)
        self._subscriptions: dict[str, list[dict[str, Any]]] = {}
        for subscription in t.of_type("AWS::SNS::Subscription"):
            props = t.resolve(subscription.properties)
            self._subscriptions.setdefault(str(props["TopicArn"]), []).append(props)
        self._streams: dict[str, StreamSource] = {}
        for mapping in t.of_type("AWS::Lambda::EventSourceMapping"):
            source = str(t.resolve(mapping.properties.get("EventSourceArn", "")))
            if ":sqs:" in source:
                self._pollers.append(SqsMapping(self, mapping))
            elif ":kinesis:" in source or ":dynamodb:" in source:
                self._pollers.append(lambda_stream_mapping(self, mapping, self._stream_source(source)))
            else:
                self.warn_once(f"esm:{source}", f"event source mapping {mapping.path}: source {source} is not run locally")
        for pipe in t.of_type("AWS::Pipes::Pipe"):
            source = str(t.resolve(pipe.properties.get("Source", "")))
            if ":kinesis:" in source or ":dynamodb:" in source:
                self._pollers.append(pipe_mapping(self, pipe, self._stream_source(source)))
            else:
                self.warn_once(f"pipe:{source}", f"pipe {pipe.path}: source {source} is not run locally")
        self._arns = Arns(t.region, t.account, self._kms_key_of)

    def _stream_source(self, arn: str) -> StreamSource:
        if arn not in self._streams:
            self._streams[arn] = StreamSource(self, arn)
        return self._streams[arn]

    def _create_table(self, table: Resource) -> None:
        t = self.template
        props = t.resolve(table.properties)
        kwargs: dict[str, Any] = {
            "TableName": table.name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(key):
                kwargs[key] = [
                    {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
                    for index in props[key]
                ]
        stream = props.get("StreamSpecification")
        if stream:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        self.client("dynamodb").create_table(**kwargs)
        if stream:
            # Known only once the table exists; nothing that references it is resolved before.
            table.attributes["StreamArn"] = str(
                self.client("dynamodb").describe_table(TableName=table.name)["Table"]["LatestStreamArn"]
            )

    def _create_queue(self, queue: Resource) -> None:
        t = self.template
        props = t.resolve(queue.properties)
        attributes: dict[str, str] = {"ReceiveMessageWaitTimeSeconds": "0"}
        for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize"):
            if key in props:
                attributes[key] = str(props[key])
        if str(props.get("FifoQueue", False)).lower() == "true":
            attributes["FifoQueue"] = "true"
            if str(props.get("ContentBasedDeduplication", False)).lower() == "true":
                attributes["ContentBasedDeduplication"] = "true"
        if props.get("RedrivePolicy"):
            redrive = props["RedrivePolicy"]
            attributes["RedrivePolicy"] = json.dumps(redrive if isinstance(redrive, dict) else json.loads(redrive))
        self.client("sqs").create_queue(QueueName=queue.name, Attributes=attributes)

    def _create_state_machine(self, machine: Resource) -> None:
        t = self.template
        props = t.resolve(machine.properties)
        definition = props.get("DefinitionString")
        if definition is None and props.get("Definition") is not None:
            definition = json.dumps(props["Definition"])
        for key, value in (props.get("DefinitionSubstitutions") or {}).items():
            definition = str(definition).replace("${" + key + "}", str(value))
        self.client("stepfunctions").create_state_machine(
            name=machine.name,
            definition=str(definition),
            roleArn=str(props.get("RoleArn", f"arn:aws:iam::{t.account}:role/local")),
            type=str(props.get("StateMachineType", "STANDARD")),
        )

    def _make_function(self, resource: Resource) -> LocalFunction:
        t = self.template
        props = resource.properties
        code_dir = t.asset_dir(props.get("Code") or {}, resource.metadata)
        if code_dir is None:
            raise ValueError(
                f"LocalCloud: function {resource.path} has no code asset in the cloud assembly "
                "(inline code and container images are not run locally)"
            )
        layer_dirs: list[Path] = []
        for layer_arn in t.resolve(props.get("Layers") or []):
            layer = t.by_arn(str(layer_arn))
            if layer is not None:
                folder = t.asset_dir(layer.properties.get("Content") or {}, layer.metadata)
                if folder is not None:
                    layer_dirs.append(folder)
            else:
                self.warn_once(
                    f"layer:{layer_arn}",
                    f"layer {layer_arn} of {resource.path} is not in this stack; its packages come from the test "
                    "environment instead (install them there)",
                )
        role_logical_id = self.logical_id_for_arn(str(t.resolve(props.get("Role", ""))))
        environment = {
            str(k): str(v) for k, v in (t.resolve((props.get("Environment") or {}).get("Variables") or {})).items()
        }
        logging = t.resolve(props.get("LoggingConfig") or {})
        return LocalFunction(
            logical_id=resource.logical_id,
            name=resource.name,
            arn=resource.arn,
            handler=str(props.get("Handler", "index.handler")),
            code_dir=code_dir,
            layer_dirs=layer_dirs,
            environment=environment,
            timeout=float(t.resolve(props.get("Timeout", 3))),
            memory_size=int(t.resolve(props.get("MemorySize", 128))),
            runtime=str(props.get("Runtime", "python3")),
            role=RolePolicies(t, role_logical_id) if role_logical_id else None,
            region=t.region,
            log_group_name=str(logging.get("LogGroup") or f"/aws/lambda/{resource.name}"),
        )

    # == look-ups ============================================================================
    def logical_id_for_arn(self, arn: str) -> Optional[str]:
        resource = self.template.by_arn(arn)
        return resource.logical_id if resource is not None else None

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

    def queue_url(self, arn_or_url: str) -> str:
        if arn_or_url.startswith("https://"):
            return arn_or_url
        parts = arn_or_url.split(":")
        return f"https://sqs.{parts[3]}.amazonaws.com/{parts[4]}/{parts[5]}"

    def _kms_key_of(self, kind: str, name_or_arn: str) -> Optional[str]:
        """The customer managed key (ARN) a queue/topic/stream/bucket of the template is encrypted with."""
        t = self.template
        candidates: dict[str, tuple[str, Callable[[Mapping[str, Any]], Any]]] = {
            "sqs": ("AWS::SQS::Queue", lambda p: p.get("KmsMasterKeyId")),
            "sns": ("AWS::SNS::Topic", lambda p: p.get("KmsMasterKeyId")),
            "kinesis": ("AWS::Kinesis::Stream", lambda p: (p.get("StreamEncryption") or {}).get("KeyId")),
            "s3": (
                "AWS::S3::Bucket",
                lambda p: next(
                    (
                        rule.get("ServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
                        for rule in (p.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration", [])
                    ),
                    None,
                ),
            ),
        }
        resource_type, key_of = candidates[kind]
        for r in t.of_type(resource_type):
            if name_or_arn in (r.arn, r.name, r.ref):
                key = key_of(r.properties)
                if key is None:
                    return None
                resolved = str(t.resolve(key))
                key_resource = t.by_arn(resolved) or next(
                    (k for k in t.of_type("AWS::KMS::Key") if resolved in (k.name, k.ref)), None
                )
                return key_resource.arn if key_resource is not None and key_resource.type == "AWS::KMS::Key" else None
        return None

    def _resources_under(self, obj: Any, types: Sequence[str]) -> list[Resource]:
        """Template resources of ``types`` that the construct ``obj`` (or its subtree) created."""
        import aws_cdk as cdk

        node = getattr(obj, "node", None)
        if node is None:
            return []
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
        if resource.logical_id not in self._apis:
            kind = LocalApi if resource.type == "AWS::ApiGateway::RestApi" else LocalHttpApi
            self._apis[resource.logical_id] = kind(self, resource)
        return self._apis[resource.logical_id]

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
        params: dict[str, Any] = {"TopicArn": resource.arn, "Message": message if isinstance(message, str) else json.dumps(message)}
        if attributes:
            params["MessageAttributes"] = {k: _sns_attribute(v) for k, v in attributes.items()}
        if resource.name.endswith(".fifo"):
            params["MessageGroupId"] = group_id or "default"
            params["MessageDeduplicationId"] = deduplication_id or base64.b32encode(os.urandom(10)).decode()
        with self.top_level():
            return str(self.client("sns").publish(**params)["MessageId"])

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

        :param at: the scheduled time the run reports (Scheduler's
            ``<aws.scheduler.scheduled-time>``). Default: now, in UTC.
        """
        resource = self._resource(
            job, ("AWS::Scheduler::Schedule", "AWS::Events::Rule"), ("schedule", "rule"), "schedule", lambda o: None
        )
        with self.top_level():
            if resource.type == "AWS::Scheduler::Schedule":
                self._fire_schedule(resource, at or datetime.datetime.now(datetime.timezone.utc))
            else:
                event = envelope(self, {"Source": "aws.events", "DetailType": "Scheduled Event", "Resources": [resource.arn], "Detail": {}})
                for target in self.template.resolve(resource.properties.get("Targets") or []):
                    targets.send(self, str(target["Arn"]), eventbridge.transform_input(target, event))

    def _fire_schedule(self, schedule: Resource, at: "datetime.datetime", attempt: int = 1) -> None:
        props = self.template.resolve(schedule.properties)
        target = props["Target"]
        arn = str(target["Arn"])
        context = {
            "<aws.scheduler.schedule-arn>": schedule.arn,
            "<aws.scheduler.scheduled-time>": at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "<aws.scheduler.execution-id>": str(uuid.uuid4()),
            "<aws.scheduler.attempt-number>": str(attempt),
        }
        payload = str(target.get("Input", "{}"))
        for placeholder, value in context.items():
            payload = payload.replace(placeholder, value)
        role_logical_id = self.logical_id_for_arn(str(target.get("RoleArn", "")))
        service = targets.arn_service(arn)
        action = {"lambda": "lambda:InvokeFunction", "sqs": "sqs:SendMessage", "sns": "sns:Publish",
                  "states": "states:StartExecution", "events": "events:PutEvents"}.get(service)
        if role_logical_id and action:
            role = RolePolicies(self.template, role_logical_id)
            if denied(role, [Permission(action, arn)]) is not None:
                message = f"the schedule's role {role.role_name} is not allowed {action} on {arn}"
                retry = target.get("RetryPolicy") or {}
                if attempt <= min(int(retry.get("MaximumRetryAttempts", 185)), 2):
                    self.enqueue(lambda: self._fire_schedule(schedule, at, attempt + 1))
                    return
                self.record_delivery_failure(f"schedule {schedule.path}", message)
                dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
                if dlq:
                    targets.send(self, str(dlq), payload, attributes={"ERROR_CODE": "AccessDenied", "ERROR_MESSAGE": message})
                return
        targets.send(self, arn, payload)

    def start_execution(self, saga: Any, execution_input: Any = None, *, name: Optional[str] = None) -> states.LocalExecution:
        """Run the state machine of ``saga`` to the end (virtual time) and return the execution."""
        resource = self._resource(
            saga, ("AWS::StepFunctions::StateMachine",), ("state_machine",), "state machine",
            lambda o: _plain(getattr(o, "state_machine_arn", None)),
        )
        with self.top_level():
            return states.start(self, resource.arn, execution_input, name)

    def invoke(self, function: Any, event: Any = None) -> Any:
        """Invoke a function synchronously; returns its result or raises :class:`LocalInvocationError`."""
        local = self._function(function)
        with self.top_level():
            try:
                return self.run(local, event if event is not None else {})
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
            self.deliver_async(local, event if event is not None else {}, invoked_arn=alias)

    def invocations(self, function: Any) -> list[tuple[Any, Any]]:
        """Every invocation of ``function`` so far, in order: ``(event, result)`` or ``(event, LocalInvocationError)``."""
        local = self._function(function)
        return [
            (i.event, i.result if i.error is None else LocalInvocationError(local.name, i.error)) for i in local.invocations
        ]

    def table(self, table: Any) -> Any:
        """A boto3 ``Table`` on the local DynamoDB (an ITable, a pattern exposing a table, or a name)."""
        resource = self._table(table)
        return _session().resource("dynamodb", region_name=self.template.region).Table(resource.name)

    def messages(self, queue: Any) -> list[LocalMessage]:
        """What sits in a queue now (e.g. a DLQ), without receiving it (receive counts do not change)."""
        from moto.sqs.models import sqs_backends

        resource = self._queue(queue)
        backend = sqs_backends[self.template.account][self.template.region]
        found = backend.queues[resource.name]
        result = []
        for message in list(found._messages):  # noqa: SLF001 - reading moto's store without receiving
            result.append(
                LocalMessage(
                    MessageId=message.id,
                    Body=message.body,
                    Attributes={"ApproximateReceiveCount": str(message.approximate_receive_count)},
                    MessageAttributes={k: dict(v) for k, v in (message.message_attributes or {}).items()},
                )
            )
        return result

    def published(self, topic: Any) -> list[dict[str, Any]]:
        """Every message published to ``topic`` so far (``Message``, ``Subject``, ``MessageAttributes``), in order."""
        resource = self._resource(
            topic, ("AWS::SNS::Topic",), ("topic",), "topic", lambda o: _plain(getattr(o, "topic_arn", None))
        )
        return list(self._published.get(resource.arn, []))

    def fail(self, function: Any, times: int = 1, error: str = "RuntimeError") -> None:
        """Fault injection: the next ``times`` invocations of ``function`` fail.

        ``error`` is the exception class name the handler raises (``errorType``);
        a name starting with ``Lambda.`` (e.g. ``"Lambda.TooManyRequestsException"``)
        fails the invocation in the Lambda service instead, as throttling does —
        what a Step Functions retrier on ``Lambda.*`` errors sees.
        """
        self._function(function).fail(times, error)

    def drain(self) -> int:
        """Deliver everything pending until the cloud is quiet; returns the number of deliveries. Bounded."""
        steps = 0
        while True:
            if self._pending:
                self._pending.popleft()()
            elif not any([poller.poll() for poller in self._pollers]):
                return steps
            steps += 1
            if steps > _MAX_DRAIN_STEPS:
                raise RuntimeError(
                    f"LocalCloud.drain: still busy after {_MAX_DRAIN_STEPS} deliveries (a delivery loop?)"
                )

    # == what the hooks and delivery modules call ============================================
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

    def enqueue(self, delivery: Callable[[], None]) -> None:
        self._pending.append(delivery)

    def run(self, function: LocalFunction, event: Any, *, invoked_arn: Optional[str] = None) -> Any:
        """Run ``function`` synchronously (raises :class:`HandlerError`)."""
        return function.invoke(event, base_env=self._base_env, invoked_arn=invoked_arn)

    def deliver_async(self, function: LocalFunction, event: Any, *, invoked_arn: Optional[str] = None, attempt: int = 1) -> None:
        """Lambda's asynchronous invocation: retries and destinations per the alias's EventInvokeConfig."""
        self.enqueue(lambda: self._async_attempt(function, event, invoked_arn, attempt))

    def _invoke_config(self, function: LocalFunction, invoked_arn: Optional[str]) -> dict[str, Any]:
        qualifier = invoked_arn.split(":")[7] if invoked_arn and invoked_arn.count(":") >= 7 else "$LATEST"
        for config in self.template.of_type("AWS::Lambda::EventInvokeConfig"):
            props: dict[str, Any] = self.template.resolve(config.properties)
            name = str(props.get("FunctionName", ""))
            if function.name in (name, name.split(":")[-1]) or name == function.arn:
                if str(props.get("Qualifier", "$LATEST")) == qualifier:
                    return props
        return {}

    def _async_attempt(self, function: LocalFunction, event: Any, invoked_arn: Optional[str], attempt: int) -> None:
        config = self._invoke_config(function, invoked_arn)
        try:
            result = self.run(function, event, invoked_arn=invoked_arn)
        except HandlerError as error:
            if attempt <= int(config.get("MaximumRetryAttempts", 2)):
                self.deliver_async(function, event, invoked_arn=invoked_arn, attempt=attempt + 1)
                return
            self.record_delivery_failure(f"async {function.name}", f"{error.error_type}: {error.error_message}")
            destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            record = self._destination_record(function, invoked_arn, event, attempt, "RetriesExhausted", error.payload(), "Unhandled")
            if destination:
                targets.send(self, str(destination), record)
            else:
                dlq = self._dead_letter_target(function)
                if dlq:
                    targets.send(self, dlq, event, attributes={"RequestID": "local", "ErrorCode": "200", "ErrorMessage": error.error_message})
            return
        destination = ((config.get("DestinationConfig") or {}).get("OnSuccess") or {}).get("Destination")
        if destination:
            targets.send(self, str(destination), self._destination_record(function, invoked_arn, event, attempt, "Success", result, None))

    def _dead_letter_target(self, function: LocalFunction) -> Optional[str]:
        props = self.template.resolve(self.template.resources[function.logical_id].properties)
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

    def lambda_api_invoke(self, params: Mapping[str, Any]) -> tuple[int, Any, Optional[str]]:
        """``lambda:Invoke`` from any boto3 client (a handler, the Step Functions engine, a test)."""
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
        if kind == "DryRun":
            return 204, None, None
        if kind == "Event":
            self.deliver_async(function, event, invoked_arn=invoked_arn)
            return 202, None, None
        try:
            return 200, self.run(function, event, invoked_arn=invoked_arn), None
        except ServiceError as error:
            status = 429 if "TooManyRequests" in error.code else 500
            raise ClientError(
                {"Error": {"Code": error.code, "Message": error.error_message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                "Invoke",
            ) from None
        except HandlerError as error:
            return 200, error.payload(), "Unhandled"

    def authorize(self, function: LocalFunction, service: str, operation: str, params: Mapping[str, Any]) -> Optional[str]:
        """None when the function's role allows the call, else AWS's AccessDenied message."""
        assert function.role is not None
        needed = required_permissions(service, operation, params, self._arns)
        missing = denied(function.role, needed)
        if missing is None:
            return None
        return access_denied_message(function.role.role_arn, function.name, missing)

    def lambda_permits(self, function_arn: str, principal: str, source_arn: str) -> bool:
        """Does the function's resource policy let ``principal`` (from ``source_arn``) invoke ``function_arn``?"""
        wanted = self.function_arn_of(function_arn)
        for permission in self.template.of_type("AWS::Lambda::Permission"):
            props = self.template.resolve(permission.properties)
            if str(props.get("Principal")) != principal or str(props.get("Action")) not in ("lambda:InvokeFunction", "lambda:*"):
                continue
            try:
                granted = self.function_arn_of(str(props.get("FunctionName")))
            except ClientError:
                continue
            if granted != wanted:
                continue
            source = props.get("SourceArn")
            if source is None or wildcard_match(str(source), source_arn):
                return True
        return False

    def observe(self, service: str, operation: str, params: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
        """An AWS call succeeded somewhere in the process: deliver what it starts, as the template wires it.

        Deliveries are queued, not made inline: they happen after the call, as
        the service's own (asynchronous) work, never with the caller's identity.
        """
        self.enqueue(lambda: self._deliver_effects(service, operation, dict(params), dict(parsed)))

    def _deliver_effects(self, service: str, operation: str, params: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
        if service == "sns" and operation == "Publish":
            self._route_sns(dict(params), str(parsed.get("MessageId", "")))
        elif service == "sns" and operation == "PublishBatch":
            topic = params.get("TopicArn")
            for entry, ok in zip(params.get("PublishBatchRequestEntries", []), parsed.get("Successful", [])):
                self._route_sns({**entry, "TopicArn": topic}, str(ok.get("MessageId", "")))
        elif service == "events" and operation == "PutEvents":
            for entry in params.get("Entries", []):
                self.eventbridge.put(str(entry.get("EventBusName") or "default"), envelope(self, entry))
        elif service == "s3" and operation in ("PutObject", "CopyObject", "CompleteMultipartUpload", "DeleteObject"):
            self._s3_notification(str(params.get("Bucket", "")), str(params.get("Key", "")), operation)

    def _s3_notification(self, bucket_name: str, key: str, operation: str) -> None:
        bucket = next((b for b in self.template.of_type("AWS::S3::Bucket") if b.name == bucket_name), None)
        if bucket is None:
            return
        config = self.template.resolve(bucket.properties.get("NotificationConfiguration") or {})
        if str((config.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled", False)).lower() != "true":
            return
        from moto.s3.models import s3_backends

        deleted = operation == "DeleteObject"
        size, etag = 0, ""
        if not deleted:
            stored = s3_backends[self.template.account]["aws"].get_object(bucket_name, key)
            size, etag = (stored.size, stored.etag) if stored is not None else (0, "")
        self.eventbridge.put("default", eventbridge.s3_object_event(self, bucket_name, key, size, etag, operation, deleted))

    def _route_sns(self, params: Mapping[str, Any], message_id: str) -> None:
        topic = str(params.get("TopicArn") or params.get("TargetArn") or "")
        message = str(params.get("Message", ""))
        attributes = params.get("MessageAttributes") or {}
        self._published.setdefault(topic, []).append(
            {"MessageId": message_id, "Message": message, "Subject": params.get("Subject"), "MessageAttributes": dict(attributes)}
        )
        from moto.sns.utils import FilterPolicyMatcher

        for subscription in self._subscriptions.get(topic, []):
            policy = subscription.get("FilterPolicy")
            if policy:
                policy = json.loads(policy) if isinstance(policy, str) else policy
                matcher = FilterPolicyMatcher(policy, subscription.get("FilterPolicyScope"))
                if not matcher.matches(
                    {k: {"Type": v.get("DataType", "String"), "Value": v.get("StringValue", v.get("BinaryValue"))} for k, v in attributes.items()},
                    message,
                ):
                    continue
            raw = str(subscription.get("RawMessageDelivery", False)).lower() == "true"
            envelope_body = {
                "Type": "Notification",
                "MessageId": message_id,
                "TopicArn": topic,
                "Message": message,
                "Timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "SignatureVersion": "1",
                "Signature": "local",
                "SigningCertURL": "https://sns.local/cert.pem",
                "UnsubscribeURL": "https://sns.local/unsubscribe",
                "MessageAttributes": {
                    k: {"Type": v.get("DataType", "String"), "Value": v.get("StringValue")} for k, v in attributes.items()
                },
            }
            if params.get("Subject"):
                envelope_body["Subject"] = params["Subject"]
            protocol = str(subscription.get("Protocol"))
            endpoint = str(subscription.get("Endpoint"))
            if protocol == "sqs":
                send: dict[str, Any] = {"QueueUrl": self.queue_url(endpoint), "MessageBody": message if raw else json.dumps(envelope_body)}
                if raw and attributes:
                    send["MessageAttributes"] = dict(attributes)
                if endpoint.endswith(".fifo"):
                    send["MessageGroupId"] = params.get("MessageGroupId") or "default"
                    send["MessageDeduplicationId"] = params.get("MessageDeduplicationId") or message_id
                self.client("sqs").send_message(**send)
            elif protocol == "lambda":
                function, _ = self.function_for_arn(endpoint)
                event = {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": f"{topic}:local", "Sns": envelope_body}]}
                self.deliver_async(function, event, invoked_arn=self.function_arn_of(endpoint))
            else:
                self.warn_once(f"sns:{protocol}", f"SNS subscriptions with protocol {protocol!r} are not delivered locally")

    def record_delivery_failure(self, where: str, message: str) -> None:
        self.delivery_failures.append((where, message))

    def warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(LocalCloudWarning(message), stacklevel=2)


_SESSIONS: list[boto3.session.Session] = []


def _session() -> boto3.session.Session:
    """One boto3 session for LocalCloud's own clients, process-wide (a session loads ~1 MB of endpoint data).

    Created on first use, inside a LocalCloud — after moto and the hooks are
    registered, so its clients always reach moto and the delivery hooks.
    """
    if not _SESSIONS:
        _SESSIONS.append(boto3.session.Session())
    return _SESSIONS[0]


def _plain(value: Any) -> Optional[str]:
    """A construct attribute's value when it is a plain string (not a deploy-time token)."""
    if not isinstance(value, str):
        return None
    import aws_cdk as cdk

    return None if cdk.Token.is_unresolved(value) else value


def _sns_attribute(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"DataType": "Number", "StringValue": str(value)}
    if isinstance(value, (list, tuple)):
        return {"DataType": "String.Array", "StringValue": json.dumps(list(value))}
    return {"DataType": "String", "StringValue": str(value)}
