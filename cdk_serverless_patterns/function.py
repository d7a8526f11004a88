"""``FunctionSpec`` and ``ServerlessFunction``: the only way the library makes a Lambda.

A :class:`FunctionSpec` describes a function without a CDK scope, so patterns can
be configured declaratively. :class:`ServerlessFunction` turns one into a
function that already meets the production checklist: arm64, its own
least-privilege role, its own retained log group, JSON logs, active X-Ray, a
``live`` alias, an async DLQ when invoked asynchronously, and alarms.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

from aws_cdk import Annotations, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from . import defaults
from .acknowledge import AWS_SOLUTIONS, SERVERLESS, acknowledge
from .alarms import create_alarm, sum_metric
from .errors import Problems, child_path, is_token
from .logs import create_log_group
from .queues import FailureQueue
from .runtime_layer import runtime_layers_for

_HANDLER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
#: Lambda: keys start with a letter, then letters, digits or underscores.
_ENV_KEY_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")
_MODULE_SUFFIXES = {"python": (".py",), "nodejs": (".js", ".mjs", ".cjs")}


@dataclass(frozen=True, eq=False)
class FunctionSpec:
    """What one Lambda function should be (contract). No CDK scope needed.

    Specs compare by identity: routes given the *same* spec object share one
    function. Validation happens when a construct uses the spec.

    :param code: a directory holding the handler code, or an ``aws_lambda.Code``.
    :param handler: ``"module.function"`` (dotted packages allowed).
    :param runtime: default: the newest Python runtime aws-cdk-lib offers.
    :param memory_size: MB, 128-10240. Default: 256.
    :param timeout: 1 s-15 min. Default: 10 s.
    :param architecture: default ``ARM_64`` (Graviton: ~20% cheaper per GB-s).
    :param environment: extra environment variables (keys may not be Lambda's
        reserved ones; all variables together at most 4 KB).
    :param reserved_concurrency: caps the function's concurrency. Default: none
        (shares the account's unreserved pool).
    :param provisioned_concurrency: pre-initialised environments on the ``live``
        alias. Default: none.
    :param snap_start: SnapStart on published versions. Default: False.
    :param description: default: none.
    :param layers: layers carrying dependencies (no Docker bundling). Default: none.
    """

    code: Union[str, os.PathLike, lambda_.Code]
    handler: str
    runtime: Optional[lambda_.Runtime] = None
    memory_size: int = defaults.MEMORY_MB
    timeout: Duration = field(default_factory=lambda: defaults.TIMEOUT)
    architecture: lambda_.Architecture = field(default_factory=lambda: lambda_.Architecture.ARM_64)
    environment: Mapping[str, str] = field(default_factory=dict)
    reserved_concurrency: Optional[int] = None
    provisioned_concurrency: Optional[int] = None
    snap_start: bool = False
    description: Optional[str] = None
    layers: Sequence[lambda_.ILayerVersion] = ()

    def replace(self, **changes: object) -> "FunctionSpec":
        """A copy with ``changes`` applied (specs are immutable)."""
        return dataclasses.replace(self, **changes)

    @property
    def resolved_runtime(self) -> lambda_.Runtime:
        return self.runtime if self.runtime is not None else defaults.newest_python_runtime()


class Invocation(enum.Enum):
    """How a function is invoked; decides its failure handling.

    * ``SYNC`` — the caller waits (API Gateway, Step Functions, direct invoke);
      errors return to the caller, no DLQ.
    * ``ASYNC`` — Lambda's async queue (EventBridge, S3, SNS, Scheduler); retries
      and an on-failure destination queue.
    * ``EVENT_SOURCE`` — an event source mapping polls (SQS, Kinesis, DynamoDB
      streams); failures go to the queue's DLQ or the mapping's destination.
    """

    SYNC = "sync"
    ASYNC = "async"
    EVENT_SOURCE = "event-source"


def validate_spec(
    problems: Problems,
    spec: FunctionSpec,
    *,
    field_prefix: str = "spec",
    max_timeout_s: Optional[float] = None,
    max_timeout_reason: str = "",
    extra_environment: Optional[Mapping[str, str]] = None,
) -> None:
    """Add every problem with ``spec`` to ``problems``.

    Patterns call this for each spec before creating anything, and may pass a
    tighter ``max_timeout_s`` (API Gateway's 29 s, for example).
    """
    p = field_prefix
    if not isinstance(spec, FunctionSpec):
        problems.add(p, type(spec).__name__, "a FunctionSpec", "pass FunctionSpec(code=..., handler=...)")
        return
    if not is_token(spec.memory_size):
        problems.check(
            isinstance(spec.memory_size, int)
            and defaults.MEMORY_MIN_MB <= spec.memory_size <= defaults.MEMORY_MAX_MB,
            f"{p}.memory_size",
            spec.memory_size,
            f"{defaults.MEMORY_MIN_MB}-{defaults.MEMORY_MAX_MB} MB (Lambda quota)",
            "pass memory_size within that range, e.g. 256",
        )
    _validate_timeout(problems, spec, p, max_timeout_s, max_timeout_reason)
    _validate_handler_and_code(problems, spec, p)
    _validate_concurrency(problems, spec, p)
    env = {**spec.environment, **(extra_environment or {})}
    _validate_environment(problems, env, f"{p}.environment")
    problems.check(
        spec.architecture.name in (lambda_.Architecture.ARM_64.name, lambda_.Architecture.X86_64.name),
        f"{p}.architecture",
        spec.architecture.name,
        "ARM_64 or X86_64",
        "use aws_lambda.Architecture.ARM_64",
    )


def _validate_timeout(
    problems: Problems, spec: FunctionSpec, p: str, max_timeout_s: Optional[float], reason: str
) -> None:
    if not isinstance(spec.timeout, Duration):
        problems.add(f"{p}.timeout", spec.timeout, "an aws_cdk.Duration", "pass Duration.seconds(10)")
        return
    seconds = spec.timeout.to_milliseconds() / 1000
    problems.check(
        defaults.TIMEOUT_MIN_S <= seconds <= defaults.TIMEOUT_MAX_S,
        f"{p}.timeout",
        f"{seconds:g} s",
        f"{defaults.TIMEOUT_MIN_S}-{defaults.TIMEOUT_MAX_S} s (Lambda's 15 minute maximum)",
        "pass a Duration within that range; move longer work to Step Functions or ECS",
    )
    if max_timeout_s is not None and seconds <= defaults.TIMEOUT_MAX_S:
        problems.check(
            seconds <= max_timeout_s,
            f"{p}.timeout",
            f"{seconds:g} s",
            f"at most {max_timeout_s:g} s ({reason})",
            f"pass timeout=Duration.seconds({int(max_timeout_s)}) or less, or make the work asynchronous",
        )


def _validate_handler_and_code(problems: Problems, spec: FunctionSpec, p: str) -> None:
    handler_ok = isinstance(spec.handler, str) and bool(_HANDLER_RE.match(spec.handler))
    problems.check(
        handler_ok,
        f"{p}.handler",
        spec.handler,
        "'module.function' (dotted packages allowed, e.g. 'orders.api.handler')",
        "name the module file without its extension, then the function: handler='app.handler'",
    )
    if isinstance(spec.code, lambda_.Code):
        return  # an asset or bucket the user built; nothing to look at here
    if not isinstance(spec.code, (str, os.PathLike)):
        problems.add(f"{p}.code", spec.code, "a directory path or an aws_lambda.Code", "pass code='path/to/dir'")
        return
    directory = Path(spec.code)
    if not directory.is_dir():
        problems.add(
            f"{p}.code",
            str(spec.code),
            "an existing directory with the handler code",
            f"create the directory or fix the path (resolved to {directory.resolve()})",
        )
        return
    if not handler_ok:
        return
    family = spec.resolved_runtime.family
    suffixes = next(
        (sfx for name, sfx in _MODULE_SUFFIXES.items() if family is not None and family.name.lower() == name),
        None,
    )
    if suffixes is None:
        return
    module = spec.handler.rsplit(".", 1)[0].replace(".", "/")
    candidates = [directory / f"{module}{s}" for s in suffixes] + [directory / module / "__init__.py"]
    problems.check(
        any(c.is_file() for c in candidates),
        f"{p}.handler",
        spec.handler,
        f"a module file that exists in {directory} (looked for {', '.join(str(c.name) for c in candidates[:len(suffixes)])})",
        f"add {module}{suffixes[0]} to the code directory or fix the handler's module name",
    )


def _validate_concurrency(problems: Problems, spec: FunctionSpec, p: str) -> None:
    reserved, provisioned = spec.reserved_concurrency, spec.provisioned_concurrency
    if reserved is not None:
        problems.check(
            isinstance(reserved, int) and reserved >= 0,
            f"{p}.reserved_concurrency",
            reserved,
            "an integer >= 0 (0 stops all invocations)",
            "pass a non-negative integer or None to share the account pool",
        )
    if provisioned is not None:
        problems.check(
            isinstance(provisioned, int) and provisioned >= 1,
            f"{p}.provisioned_concurrency",
            provisioned,
            "an integer >= 1",
            "pass at least 1, or None for on-demand only",
        )
    if isinstance(reserved, int) and isinstance(provisioned, int):
        problems.check(
            provisioned <= reserved,
            f"{p}.provisioned_concurrency",
            provisioned,
            f"<= reserved_concurrency ({reserved})",
            "raise reserved_concurrency or lower provisioned_concurrency",
        )
    if spec.snap_start and provisioned is not None:
        problems.add(
            f"{p}.snap_start",
            True,
            "SnapStart without provisioned concurrency (Lambda does not support both)",
            "drop snap_start or provisioned_concurrency",
        )


def _validate_environment(problems: Problems, env: Mapping[str, str], p: str) -> None:
    size = 0
    for key, value in env.items():
        reserved = key in defaults.RESERVED_ENV_KEYS or key.startswith(defaults.RESERVED_ENV_PREFIXES)
        problems.check(
            isinstance(key, str) and bool(_ENV_KEY_RE.match(key)) and not reserved,
            f"{p}[{key!r}]",
            key,
            "a name of letters, digits and '_' starting with a letter, at least 2 characters, "
            "and not reserved by Lambda (AWS_REGION, AWS_LAMBDA_*, _HANDLER, ...)",
            "rename the variable, e.g. with your application's prefix",
        )
        if not isinstance(value, str):
            problems.add(f"{p}[{key!r}]", value, "a string value", f"pass str({value!r})")
            continue
        size += len(key.encode()) + (0 if is_token(value) else len(value.encode()))
    problems.check(
        size <= defaults.ENV_MAX_BYTES,
        p,
        f"{size} bytes",
        f"at most {defaults.ENV_MAX_BYTES} bytes in total (Lambda quota)",
        "move large values to SSM Parameter Store or Secrets Manager and pass their names",
    )


class ServerlessFunction(Construct):
    """A Lambda function with the production checklist built in (contract).

    :param spec: the :class:`FunctionSpec`.
    :param invocation: how it is invoked (:class:`Invocation`). Default ``SYNC``.
        ``ASYNC`` adds an on-failure destination queue and retry settings.
    :param alarm_topic: SNS topic for its alarms. Default: none.
    :param create_alarms: errors, throttles and p95 duration alarms. Default: True.
    :param log_retention: default one month.
    :param removal_policy: of the log group. Default: RETAIN.
    :param async_retry_attempts: 0-2, ASYNC only. Default: 2.
    :param async_max_event_age: 60 s-6 h, ASYNC only. Default: 1 h.
    :param environment: variables the pattern adds (table names...), merged
        over the spec's.
    :param max_timeout: ``(seconds, reason)`` — a tighter timeout limit set by
        the integration (API Gateway's 29 s).

    Attributes: ``function``, ``alias`` (``live``; wire triggers here), ``role``,
    ``log_group``, ``alarms``, ``dead_letter_queue`` (ASYNC only, else None).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        spec: FunctionSpec,
        *,
        invocation: Invocation = Invocation.SYNC,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        log_retention: Optional[logs.RetentionDays] = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        async_retry_attempts: Optional[int] = None,
        async_max_event_age: Optional[Duration] = None,
        environment: Optional[Mapping[str, str]] = None,
        max_timeout: Optional[tuple[float, str]] = None,
    ) -> None:
        retries = async_retry_attempts if async_retry_attempts is not None else defaults.ASYNC_RETRY_ATTEMPTS
        max_age = async_max_event_age if async_max_event_age is not None else defaults.ASYNC_MAX_EVENT_AGE
        problems = Problems(child_path(scope, construct_id))
        validate_spec(
            problems,
            spec,
            max_timeout_s=max_timeout[0] if max_timeout else None,
            max_timeout_reason=max_timeout[1] if max_timeout else "",
            extra_environment=environment,
        )
        problems.check(
            0 <= retries <= 2,
            "async_retry_attempts",
            retries,
            "0-2 (Lambda asynchronous invocation)",
            "pass 0, 1 or 2",
        )
        problems.check(
            60 <= max_age.to_seconds() <= 21600,
            "async_max_event_age",
            f"{max_age.to_seconds()} s",
            "60 s-6 h (Lambda asynchronous invocation)",
            "pass e.g. Duration.hours(1)",
        )
        problems.raise_if_any()
        super().__init__(scope, construct_id)
        self.spec = spec
        self.invocation = invocation

        if spec.architecture.name != lambda_.Architecture.ARM_64.name:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:x86",
                "This function runs on x86_64; arm64 (Graviton) is ~20% cheaper per GB-second. "
                "Keep x86_64 only for binary dependencies that lack arm64 builds.",
            )

        self.log_group = create_log_group(
            self, "LogGroup", retention=log_retention, removal_policy=removal_policy
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {self.node.path} (least privilege, no managed policies)",
        )
        # Only its own log group: streams are created inside it, which needs ':*'.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )

        self.dead_letter_queue: Optional[sqs.IQueue] = None
        failure: Optional[FailureQueue] = None
        if invocation is Invocation.ASYNC:
            failure = FailureQueue(
                self,
                "AsyncFailures",
                purpose=f"asynchronous invocations of {self.node.path}",
                alarm_topic=alarm_topic,
                create_alarms=create_alarms,
            )
            self.dead_letter_queue = failure.queue

        self.function = lambda_.Function(
            self,
            "Function",
            code=_code(spec.code),
            handler=spec.handler,
            runtime=spec.resolved_runtime,
            architecture=spec.architecture,
            memory_size=spec.memory_size,
            timeout=spec.timeout,
            environment={**spec.environment, **(environment or {})},
            reserved_concurrent_executions=spec.reserved_concurrency,
            description=spec.description,
            # the runtime layer lets handlers import cdk_serverless_patterns.runtime
            layers=[*spec.layers, *runtime_layers_for(self, spec.resolved_runtime)] or None,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if spec.snap_start else None,
            retry_attempts=retries if failure else None,
            max_event_age=max_age if failure else None,
            on_failure=destinations.SqsDestination(failure.queue) if failure else None,
        )
        # CDK makes the function depend on its role and the role's policy; the role
        # dependency is already implied by GetAtt (cfn-lint W3005), keep only the policy.
        cfn_function = self.function.node.default_child
        policy_resource = self.role.node.find_child("DefaultPolicy").node.default_child
        cfn_function.add_override("DependsOn", [Stack.of(self).get_logical_id(policy_resource)])
        self.alias = lambda_.Alias(
            self,
            "Alias",
            alias_name=defaults.ALIAS_NAME,
            version=self.function.current_version,
            provisioned_concurrent_executions=spec.provisioned_concurrency,
        )
        self._acknowledge_known_findings(failure is not None)

        self.alarms: list[cloudwatch.Alarm] = list(failure.alarms) if failure else []
        if create_alarms:
            self.alarms.extend(self._create_alarms(alarm_topic))

    @property
    def timeout(self) -> Duration:
        return self.spec.timeout

    def _create_alarms(self, topic: Optional[sns.ITopic]) -> list[cloudwatch.Alarm]:
        fn = self.function
        limit_ms = self.spec.timeout.to_milliseconds() * defaults.DURATION_ALARM_FRACTION
        return [
            create_alarm(
                self,
                "ErrorsAlarm",
                metric=sum_metric(fn.metric_errors()),
                threshold=1,
                description=f"{self.node.path} returned errors.",
                alarm_topic=topic,
            ),
            create_alarm(
                self,
                "ThrottlesAlarm",
                metric=sum_metric(fn.metric_throttles()),
                threshold=1,
                description=f"{self.node.path} was throttled: raise its concurrency or slow the caller.",
                alarm_topic=topic,
            ),
            create_alarm(
                self,
                "DurationAlarm",
                metric=fn.metric_duration(statistic="p95", period=defaults.ALARM_PERIOD),
                threshold=limit_ms,
                description=(
                    f"{self.node.path}: p95 duration is at {defaults.DURATION_ALARM_FRACTION:.0%} of its "
                    f"{self.spec.timeout.to_seconds()} s timeout; it will soon time out."
                ),
                alarm_topic=topic,
            ),
        ]

    def _acknowledge_known_findings(self, has_destination: bool) -> None:
        if has_destination:
            dlq_reason = (
                "Failed asynchronous invocations go to an on-failure destination queue "
                "(EventInvokeConfig), the successor of DeadLetterConfig that also records the error; "
                "configuring both would deliver every failure twice."
            )
        else:
            dlq_reason = (
                "This function is not invoked asynchronously (synchronous callers receive its errors; "
                "event source mappings route failures to their own queue or destination). "
                "DeadLetterConfig only applies to asynchronous invocations, so it would never be used."
            )
        acknowledge(self.function, SERVERLESS + "LambdaDLQ", dlq_reason)
        policy = self.role.node.find_child("DefaultPolicy")
        acknowledge(
            policy,
            AWS_SOLUTIONS + "IAM5[Resource::*]",
            "The '*' resource is the one CDK adds for active tracing: X-Ray's PutTraceSegments and "
            "PutTelemetryRecords support no resource-level permissions (AWS documents '*' as their only "
            "resource). The library's own grants name their resources.",
        )


def _code(code: Union[str, os.PathLike, lambda_.Code]) -> lambda_.Code:
    if isinstance(code, lambda_.Code):
        return code
    return lambda_.Code.from_asset(str(code))
