"""``FunctionSpec`` and ``ServerlessFunction``: the only way the library makes a Lambda.

A :class:`FunctionSpec` describes a function without a CDK scope, so patterns can
be configured declaratively. :class:`ServerlessFunction` turns one into a
function that already meets the production checklist: arm64, its own
least-privilege role, its own retained log group, JSON logs, active X-Ray, a
``live`` alias, an async DLQ when invoked asynchronously, and alarms. It is an
``iam.IGrantable`` (grants go to its own role) and exposes ``metric_*`` for
what its alarms watch.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, TypedDict, Union, cast

import jsii
from aws_cdk import (
    Annotations,
    ArnFormat,
    Duration,
    Environment,
    Names,
    RemovalPolicy,
    Stack,
    Stage,
    Token,
)
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import (
    AWS_SOLUTIONS,
    COMPLIANCE,
    SERVERLESS,
    acknowledge,
    acknowledge_checkov,
    acknowledge_inline_policies,
)
from cdk_serverless_patterns.errors import PatternConfigError, Problems, child_path, is_token

from cdk_serverless_patterns.runtime import env as env_names

from .alarms import create_alarm, sum_metric
from .delivery_rules import duration_seconds
from .idempotency import METADATA_KEY as IDEMPOTENCY_METADATA_KEY
from .idempotency import Idempotency
from .lambda_layers import (
    Powertools,
    Tracing,
    adot_instrumentation,
    powertools_environment,
    powertools_layer,
    powertools_options,
    validate_observability,
)
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
    :param timeout: 1 s-15 min, in whole seconds (Lambda's ``Timeout`` is an
        integer). Default: 10 s.
    :param architecture: default: unset, meaning the pattern chooses: ``ARM_64``
        (Graviton, ~20% cheaper per GB-s) everywhere, ``X86_64`` for Lambda@Edge
        (the only architecture it runs). An explicit ``X86_64`` elsewhere is
        allowed with a warning; an explicit ``ARM_64`` on an edge function is a
        :class:`PatternConfigError`.
    :param environment: extra environment variables: a mapping of string names
        to string values (names may not be the ones Lambda reserves, see
        ``defaults.RESERVED_ENV_KEYS``; all variables together at most 4 KB).
    :param reserved_concurrency: caps the function's concurrency. Default: none
        (shares the account's unreserved pool).
    :param provisioned_concurrency: pre-initialised environments on the ``live``
        alias. Default: none.
    :param snap_start: SnapStart on published versions. Default: False.
    :param description: at most 256 characters (Lambda). Default: none.
    :param layers: layers carrying dependencies (no Docker bundling). Default: none.
    :param idempotency: how the handler makes a repeated event harmless
        (:class:`~cdk_serverless_patterns.building_blocks.idempotency.Idempotency`:
        ``Idempotency.natural(reason)`` or ``Idempotency.conditional_write(key)``).
        Recorded in the function's template metadata, where the ``SP-IDEMPOTENCY``
        rule reads it; declare it on every at-least-once consumer (EventBridge
        rules, Scheduler, S3, SNS, queues and streams without partial batch
        responses). Default: none. (The ``IDEMPOTENCY`` environment variable
        still counts but is deprecated.)
    :param powertools: ``True`` (or a :class:`Powertools` with options) attaches
        AWS's published Powertools for AWS Lambda (Python) layer for the
        function's runtime and architecture (pinned: layer version
        :data:`defaults.POWERTOOLS_LAYER_VERSION`, Powertools 3.23.0) and sets
        ``POWERTOOLS_SERVICE_NAME`` (the construct path below the stack) and
        ``POWERTOOLS_METRICS_NAMESPACE`` (the stack name); nothing is added to
        the code package. Default False: importing Powertools' utilities costs
        50-120 ms of cold start the light ``runtime`` helpers do not.
    :param tracing: :class:`Tracing` ``XRAY`` (default: active X-Ray) or
        ``OPENTELEMETRY`` (X-Ray plus the pinned ADOT Python layer, runtimes
        python3.8-3.13).
    """

    code: Union[str, "os.PathLike[str]", lambda_.Code]
    handler: str
    runtime: Optional[lambda_.Runtime] = None
    memory_size: int = defaults.MEMORY_MB
    timeout: Duration = field(default_factory=lambda: defaults.TIMEOUT)
    architecture: Optional[lambda_.Architecture] = None
    environment: Mapping[str, str] = field(default_factory=dict)
    reserved_concurrency: Optional[int] = None
    provisioned_concurrency: Optional[int] = None
    snap_start: bool = False
    description: Optional[str] = None
    layers: Sequence[lambda_.ILayerVersion] = ()
    idempotency: Optional[Idempotency] = None
    powertools: Union[bool, Powertools] = False
    tracing: Tracing = Tracing.XRAY

    def replace(self, **changes: Any) -> "FunctionSpec":
        """A copy with ``changes`` applied (specs are immutable)."""
        return dataclasses.replace(self, **changes)

    @property
    def resolved_runtime(self) -> lambda_.Runtime:
        return self.runtime if self.runtime is not None else defaults.newest_python_runtime()

    def resolved_architecture(self, *, lambda_edge: bool = False) -> lambda_.Architecture:
        """``architecture`` if set, else the pattern's choice: arm64, or x86_64 for Lambda@Edge."""
        if self.architecture is not None:
            return self.architecture
        return defaults.EDGE_ARCHITECTURE if lambda_edge else defaults.ARCHITECTURE


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
    spec: object,
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
        problems.add(p, spec, "a FunctionSpec", "pass FunctionSpec(code=..., handler=...)")
        return
    if not is_token(spec.memory_size):
        problems.check(
            isinstance(spec.memory_size, int)
            and not isinstance(spec.memory_size, bool)
            and defaults.MEMORY_MIN_MB <= spec.memory_size <= defaults.MEMORY_MAX_MB,
            f"{p}.memory_size",
            spec.memory_size,
            f"{defaults.MEMORY_MIN_MB}-{defaults.MEMORY_MAX_MB} MB, an integer (Lambda quota)",
            "pass memory_size within that range, e.g. 256",
        )
    _validate_timeout(problems, spec, p, max_timeout_s, max_timeout_reason)
    _validate_handler_and_code(problems, spec, p)
    _validate_concurrency(problems, spec, p)
    validate_observability(
        problems, powertools=spec.powertools, tracing=spec.tracing, runtime=spec.resolved_runtime, field_prefix=p
    )
    _validate_types(problems, spec, p)
    if not isinstance(spec.environment, Mapping):
        problems.add(
            f"{p}.environment",
            spec.environment,
            "a mapping of variable names to string values",
            "pass environment={'NAME': 'value'}",
        )
    else:
        env = {**spec.environment, **(extra_environment or {})}
        _validate_environment(problems, env, f"{p}.environment")


def _validate_types(problems: Problems, spec: FunctionSpec, p: str) -> None:
    """The fields whose wrong *type* would otherwise fail deep inside jsii."""
    if spec.runtime is not None:
        problems.check(
            isinstance(spec.runtime, lambda_.Runtime),
            f"{p}.runtime",
            spec.runtime,
            "an aws_lambda.Runtime, or None for the newest Python runtime",
            "pass runtime=aws_lambda.Runtime.PYTHON_3_13 (the member, not its name), or leave it out",
        )
    if spec.architecture is not None:
        problems.check(
            isinstance(spec.architecture, lambda_.Architecture)
            and spec.architecture.name in (lambda_.Architecture.ARM_64.name, lambda_.Architecture.X86_64.name),
            f"{p}.architecture",
            spec.architecture.name if isinstance(spec.architecture, lambda_.Architecture) else spec.architecture,
            "aws_lambda.Architecture.ARM_64 or X86_64, or None (the pattern chooses: arm64; x86_64 for Lambda@Edge)",
            "leave architecture out, or pass aws_lambda.Architecture.ARM_64 (the member, not its name)",
        )
    problems.check(
        isinstance(spec.snap_start, bool),
        f"{p}.snap_start",
        spec.snap_start,
        "True or False",
        "pass snap_start=True or leave it out",
    )
    if spec.description is not None:
        if not isinstance(spec.description, str):
            problems.add(f"{p}.description", spec.description, "a string or None", "pass description='...'")
        elif not is_token(spec.description):
            problems.check(
                len(spec.description) <= defaults.DESCRIPTION_MAX_CHARS,
                f"{p}.description",
                spec.description,
                f"at most {defaults.DESCRIPTION_MAX_CHARS} characters (Lambda), got {len(spec.description)}",
                "shorten the description; put longer documentation in the code or a README",
            )
    layers_ok = isinstance(spec.layers, (list, tuple)) and all(
        hasattr(layer, "layer_version_arn") for layer in spec.layers
    )
    problems.check(
        layers_ok,
        f"{p}.layers",
        spec.layers,
        "a list of aws_lambda.ILayerVersion",
        "pass layers=[aws_lambda.LayerVersion.from_layer_version_arn(scope, 'Deps', arn)]",
    )
    _validate_idempotency(problems, spec.idempotency, f"{p}.idempotency")


def _validate_idempotency(problems: Problems, value: object, field_name: str) -> None:
    if value is None:
        return
    if not isinstance(value, Idempotency):
        problems.add(
            field_name,
            value,
            "an Idempotency (Idempotency.natural(reason) or Idempotency.conditional_write(key)), or None",
            "pass idempotency=Idempotency.natural('why a repeated event is harmless')",
        )
        return
    problems.check(
        isinstance(value.how, str) and bool(value.how.strip()),
        f"{field_name}.how",
        value.how,
        "a non-empty sentence saying how a repeat is harmless (a reviewer checks it against the code)",
        "pass Idempotency.natural('overwrites report/<date>.csv') or similar",
    )
    if value.kind.name == "CONDITIONAL_WRITE":
        problems.check(
            isinstance(value.key, str) and bool(value.key.strip()),
            f"{field_name}.key",
            value.key,
            "the non-empty name of what the conditional write is keyed by",
            "pass Idempotency.conditional_write('event id')",
        )


def _validate_timeout(
    problems: Problems, spec: FunctionSpec, p: str, max_timeout_s: Optional[float], reason: str
) -> None:
    if not isinstance(spec.timeout, Duration):
        problems.add(f"{p}.timeout", spec.timeout, "an aws_cdk.Duration", "pass timeout=Duration.seconds(10)")
        return
    seconds = spec.timeout.to_milliseconds() / 1000
    if is_token(seconds):
        return
    problems.check(
        defaults.TIMEOUT_MIN_S <= seconds <= defaults.TIMEOUT_MAX_S,
        f"{p}.timeout",
        f"{seconds:g} s",
        f"{defaults.TIMEOUT_MIN_S}-{defaults.TIMEOUT_MAX_S} s (Lambda's 15 minute maximum)",
        "pass a Duration within that range; move longer work to Step Functions or ECS",
    )
    problems.check(
        seconds == int(seconds),
        f"{p}.timeout",
        f"{seconds:g} s",
        "whole seconds (Lambda's Timeout is an integer number of seconds)",
        f"pass timeout=Duration.seconds({max(int(seconds), 1)})",
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
    if not handler_ok or not isinstance(spec.resolved_runtime, lambda_.Runtime):
        return  # the runtime's own problem is reported by _validate_types
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
        if not isinstance(key, str):
            problems.add(f"{p} key", key, "a string name", f"pass the name as a string, e.g. {str(key)!r}")
            continue
        problems.check(
            bool(_ENV_KEY_RE.match(key)) and key not in defaults.RESERVED_ENV_KEYS,
            f"{p}[{key!r}]",
            key,
            "a name of letters, digits and '_' starting with a letter, at least 2 characters, "
            "and not reserved by Lambda (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME, _HANDLER, ...; the ones AWS "
            "documents as settable, such as AWS_LAMBDA_EXEC_WRAPPER, are fine)",
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


def validate_lambda_edge_spec(
    problems: Problems,
    spec: FunctionSpec,
    *,
    field_prefix: str = "spec",
    extra_environment: Optional[Mapping[str, str]] = None,
) -> None:
    """Add every way ``spec`` breaks Lambda@Edge's restrictions to ``problems``.

    Event-specific quotas (viewer events: 128 MB, 5 s) are the caller's to check.
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-at-edge-function-restrictions.html
    """
    p = field_prefix
    if not isinstance(spec, FunctionSpec):
        return  # validate_spec reports it
    if isinstance(spec.architecture, lambda_.Architecture):
        problems.check(
            spec.architecture.name == lambda_.Architecture.X86_64.name,
            f"{p}.architecture",
            spec.architecture.name,
            "X86_64 or unset (Lambda@Edge does not run arm64 functions; unset, the edge function gets X86_64)",
            "leave architecture out of the edge function's spec",
        )
    env = {**spec.environment, **(extra_environment or {})} if isinstance(spec.environment, Mapping) else {}
    problems.check(
        not env,
        f"{p}.environment",
        sorted(env),
        "no environment variables (Lambda@Edge rejects them)",
        "put configuration in the code package (a constants module or bundled JSON file)",
    )
    problems.check(
        not spec.layers,
        f"{p}.layers",
        f"{len(spec.layers)} layer(s)" if isinstance(spec.layers, (list, tuple)) else spec.layers,
        "no layers (Lambda@Edge rejects them)",
        "bundle dependencies into the code directory",
    )
    problems.check(
        spec.provisioned_concurrency is None,
        f"{p}.provisioned_concurrency",
        spec.provisioned_concurrency,
        "None (Lambda@Edge does not support provisioned concurrency)",
        "drop provisioned_concurrency",
    )
    problems.check(
        spec.reserved_concurrency is None,
        f"{p}.reserved_concurrency",
        spec.reserved_concurrency,
        "None (replicas run on each Region's shared concurrency; a reservation on the us-east-1 "
        "function does not cap or protect them)",
        "drop reserved_concurrency; ask for a higher Regional concurrency quota instead",
    )
    problems.check(
        spec.powertools is False and spec.tracing is Tracing.XRAY,
        f"{p}.powertools" if spec.powertools is not False else f"{p}.tracing",
        spec.powertools if spec.powertools is not False else spec.tracing,
        "no Powertools layer and no OpenTelemetry (Lambda@Edge rejects layers)",
        "bundle what the edge function needs into its code directory",
    )
    problems.check(
        not spec.snap_start,
        f"{p}.snap_start",
        spec.snap_start,
        "False (SnapStart is not among the Lambda features Lambda@Edge supports)",
        "drop snap_start; keep edge handlers small so cold starts stay short",
    )
    if not isinstance(spec.resolved_runtime, lambda_.Runtime):
        return  # validate_spec reports it
    family = spec.resolved_runtime.family
    family_name = family.name.lower() if family is not None else str(spec.resolved_runtime.name)
    problems.check(
        family_name in defaults.EDGE_RUNTIME_FAMILIES,
        f"{p}.runtime",
        spec.resolved_runtime.name,
        "a Node.js or Python runtime (the runtimes Lambda@Edge supports)",
        "pass runtime=aws_lambda.Runtime.PYTHON_3_x or NODEJS_x_X, or leave the default",
    )


def _validate_lambda_edge_scope(problems: Problems, scope: Construct, invocation: Invocation) -> None:
    problems.check(
        invocation is Invocation.SYNC,
        "invocation",
        invocation.name,
        "SYNC (CloudFront invokes Lambda@Edge synchronously; it has no asynchronous DLQ)",
        "leave invocation at its default",
    )
    region = Stack.of(scope).region
    problems.check(
        not Token.is_unresolved(region),
        "stack region",
        region,
        "a concrete Region (Lambda@Edge lives in us-east-1; from another Region CDK deploys it "
        "through a companion stack and must know where the parent stack is)",
        "give the stack env=Environment(account=..., region=...) — ideally region='us-east-1'",
    )


class FunctionOptions(TypedDict, total=False):
    """Keyword options a pattern hands to every ``ServerlessFunction`` it makes (typed for ``**``)."""

    invocation: Invocation
    alarm_topic: Optional[sns.ITopic]
    create_alarms: bool
    log_retention: Optional[logs.RetentionDays]
    removal_policy: RemovalPolicy


@jsii.implements(iam.IGrantable)
class ServerlessFunction(Construct):
    """A Lambda function with the production checklist built in (contract).

    It is an ``iam.IGrantable``: ``table.grant_read_data(fn)`` grants to its own
    role (``grant_principal``).

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
    :param lambda_edge: make a Lambda@Edge function instead. Default: False.
        The spec must fit Lambda@Edge (:func:`validate_lambda_edge_spec`:
        x86_64, no environment, layers, provisioned/reserved concurrency or
        SnapStart; Node.js or Python) and the stack needs a concrete region.
        CloudFront's ``EdgeFunction`` puts the function, its role and log group
        in us-east-1 (a companion stack when this stack is elsewhere) and
        publishes a version. Lambda@Edge rejects X-Ray, DLQs and aliases, so
        there is no tracing, no ``alias`` (None; use ``version``) and no
        function alarms: replicas report metrics in the Region where they run,
        so alarm on the distribution instead (EdgeSite does). Replicas log to a
        log group of the same name in every Region they run in; only the
        us-east-1 one is created here with retention.
    :param durable_config: make a Lambda durable function (execution timeout,
        retention). Default: none. The caller validates it and grants the
        checkpoint permissions (``DurableSaga`` does both).

    Attributes: ``function``, ``alias`` (``live``; wire triggers here), ``role``,
    ``grant_principal`` (the role), ``log_group``, ``alarms``,
    ``dead_letter_queue`` (ASYNC only, else None), ``powertools_layer`` (or None),
    ``tracing_policy`` (X-Ray's permissions, apart from the role's default policy: one per
    stack, attached to every function role; None for Lambda@Edge);
    Lambda@Edge only: ``version`` (the published version to associate).
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
        lambda_edge: bool = False,
        durable_config: Optional[lambda_.DurableConfig] = None,
    ) -> None:
        retries = async_retry_attempts if async_retry_attempts is not None else defaults.ASYNC_RETRY_ATTEMPTS
        max_age = async_max_event_age if async_max_event_age is not None else defaults.ASYNC_MAX_EVENT_AGE
        path = child_path(scope, construct_id)
        problems = Problems(path)
        powertools = powertools_options(spec.powertools) if isinstance(spec, FunctionSpec) else None
        stack = Stack.of(scope)
        # Below the stack: "OrdersImport/Processor" names the service, not the deployment.
        stack_prefix = f"{stack.node.path}/"
        service_path = path[len(stack_prefix):] if path.startswith(stack_prefix) else path
        powertools_env = powertools_environment(powertools, service_path, stack.stack_name) if powertools else {}
        validate_spec(
            problems,
            spec,
            max_timeout_s=max_timeout[0] if max_timeout else None,
            max_timeout_reason=max_timeout[1] if max_timeout else "",
            extra_environment={**powertools_env, **(environment or {})},
        )
        if isinstance(spec, FunctionSpec) and not lambda_edge:
            region_problems = Problems(path)
            validate_observability(
                region_problems,
                powertools=spec.powertools,
                tracing=spec.tracing,
                runtime=spec.resolved_runtime,
                field_prefix="spec",
                region=stack.region,
            )
            problems.items.extend(i for i in region_problems.items if i not in problems.items)
        if lambda_edge:
            validate_lambda_edge_spec(problems, spec, extra_environment=environment)
            _validate_lambda_edge_scope(problems, scope, invocation)
            problems.raise_if_any()
            super().__init__(scope, construct_id)
            self.spec = spec
            self.invocation = invocation
            self.powertools_layer: Optional[lambda_.ILayerVersion] = None
            self._build_lambda_edge(log_retention, removal_policy)
            return
        problems.check(
            isinstance(retries, int) and not isinstance(retries, bool) and 0 <= retries <= 2,
            "async_retry_attempts",
            retries,
            "an integer 0-2 (Lambda asynchronous invocation)",
            "pass 0, 1 or 2",
        )
        duration_seconds(
            problems,
            "async_max_event_age",
            max_age,
            low_s=60,
            high_s=21600,
            allowed="60 s-6 h (Lambda asynchronous invocation)",
            fix="pass e.g. Duration.hours(1)",
        )
        problems.raise_if_any()
        super().__init__(scope, construct_id)
        self.spec = spec
        self.invocation = invocation

        architecture = spec.resolved_architecture()
        if architecture.name != lambda_.Architecture.ARM_64.name:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:x86",
                "This function runs on x86_64; arm64 (Graviton) is ~20% cheaper per GB-second. "
                "Keep x86_64 only for binary dependencies that lack arm64 builds.",
            )
        if env_names.IDEMPOTENCY in spec.environment:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:idempotency-env",
                f"The {env_names.IDEMPOTENCY} environment variable is deprecated as an idempotency declaration: "
                "declare it on the spec instead, FunctionSpec(..., idempotency=Idempotency.natural('<why a "
                "repeat is harmless>')) or Idempotency.conditional_write('<key>'), and drop the variable.",
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
                removal_policy=removal_policy,
            )
            self.dead_letter_queue = failure.queue
        self._failure_queue = failure

        self.powertools_layer = (
            powertools_layer(self, spec.resolved_runtime, architecture, powertools) if powertools else None
        )
        self.function = lambda_.Function(
            self,
            "Function",
            code=_code(spec.code),
            handler=spec.handler,
            runtime=spec.resolved_runtime,
            architecture=architecture,
            memory_size=spec.memory_size,
            timeout=spec.timeout,
            # Powertools' names first: the spec and the pattern may override them.
            environment={**powertools_env, **spec.environment, **(environment or {})},
            reserved_concurrent_executions=spec.reserved_concurrency,
            description=spec.description,
            # the runtime layer lets handlers import cdk_serverless_patterns.runtime
            layers=[
                *spec.layers,
                *([self.powertools_layer] if self.powertools_layer is not None else []),
                *runtime_layers_for(self, spec.resolved_runtime),
            ]
            or None,
            adot_instrumentation=adot_instrumentation() if spec.tracing is Tracing.OPENTELEMETRY else None,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            # Active tracing is set on the L1 below: CDK's tracing= would put X-Ray's
            # Resource "*" statement into the default policy, beside the real grants.
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if spec.snap_start else None,
            durable_config=durable_config,
        )
        # CDK makes the function depend on its role and the role's policy; the role
        # dependency is already implied by GetAtt (cfn-lint W3005), keep only the policy.
        cfn_function = cast(lambda_.CfnFunction, self.function.node.default_child)
        cfn_function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
        self.tracing_policy: Optional[iam.Policy] = tracing_policy(self)
        self.tracing_policy.attach_to_role(self.role)
        policy_resource = cast(iam.CfnPolicy, self.role.node.find_child("DefaultPolicy").node.default_child)
        cfn_function.add_override(
            "DependsOn",
            [
                Stack.of(self).get_logical_id(policy_resource),
                Stack.of(self).get_logical_id(cast(iam.CfnPolicy, self.tracing_policy.node.default_child)),
            ],
        )
        _record_idempotency(cfn_function, spec.idempotency)
        self.alias = lambda_.Alias(
            self,
            "Alias",
            alias_name=defaults.ALIAS_NAME,
            version=self.function.current_version,
            provisioned_concurrent_executions=spec.provisioned_concurrency,
            # Lambda keeps async settings per qualifier, and every trigger invokes
            # this alias: configure them here, not on $LATEST.
            retry_attempts=retries if failure else None,
            max_event_age=max_age if failure else None,
            on_failure=destinations.SqsDestination(failure.queue) if failure else None,
        )
        self._acknowledge_known_findings(failure is not None)

        self.alarms: list[cloudwatch.Alarm] = list(failure.alarms) if failure else []
        if create_alarms:
            self.alarms.extend(self._create_alarms(alarm_topic))

    @property
    def timeout(self) -> Duration:
        return self.spec.timeout

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The function's own execution role (``iam.IGrantable``)."""
        return self.role

    # --- metrics: exactly what the alarms watch ------------------------------
    def metric_errors(self) -> cloudwatch.Metric:
        """``AWS/Lambda Errors`` (Sum over 5 min) of the function, as the errors alarm sees it."""
        return sum_metric(self.function.metric_errors())

    def metric_throttles(self) -> cloudwatch.Metric:
        """``AWS/Lambda Throttles`` (Sum over 5 min), as the throttles alarm sees it."""
        return sum_metric(self.function.metric_throttles())

    def metric_duration(self) -> cloudwatch.Metric:
        """``AWS/Lambda Duration`` p95 over 5 min, as the duration alarm sees it."""
        return self.function.metric_duration(statistic="p95", period=defaults.ALARM_PERIOD)

    def metric_invocations(self) -> cloudwatch.Metric:
        """``AWS/Lambda Invocations`` (Sum over 5 min), for dashboards."""
        return sum_metric(self.function.metric_invocations())

    def metric_async_failures(self) -> cloudwatch.Metric:
        """Failed asynchronous invocations waiting in the on-failure queue (``Invocation.ASYNC`` only),
        as its depth alarm sees it."""
        if self._failure_queue is None:
            raise PatternConfigError(
                self.node.path,
                [f"metric_async_failures: invocation={self.invocation.name} is invalid: allowed ASYNC only "
                 "(only asynchronous invocations have an on-failure queue). Fix: use metric_errors()"],
            )
        return self._failure_queue.metric_depth()

    def _create_alarms(self, topic: Optional[sns.ITopic]) -> list[cloudwatch.Alarm]:
        limit_ms = self.spec.timeout.to_milliseconds() * defaults.DURATION_ALARM_FRACTION
        return [
            create_alarm(
                self,
                "ErrorsAlarm",
                metric=self.metric_errors(),
                threshold=1,
                description=f"{self.node.path} returned errors.",
                alarm_topic=topic,
            ),
            create_alarm(
                self,
                "ThrottlesAlarm",
                metric=self.metric_throttles(),
                threshold=1,
                description=f"{self.node.path} was throttled: raise its concurrency or slow the caller.",
                alarm_topic=topic,
            ),
            create_alarm(
                self,
                "DurationAlarm",
                metric=self.metric_duration(),
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
        acknowledge_inline_policies(self.role)
        acknowledge_checkov(
            self.function,
            ("CKV_AWS_173",),
            "Lambda encrypts environment variables at rest with its AWS managed key. The library puts only "
            "resource names, ARNs and settings there; secrets do not belong in environment variables (read "
            "them from Secrets Manager or SSM Parameter Store at run time). Set kms_key_arn on "
            "function.node.default_child if a value must be protected by your own key.",
        )
        acknowledge(
            self.function,
            COMPLIANCE + "LambdaInsideVPC",
            "Not attached to a VPC: the function calls only AWS service APIs (TLS, authenticated and "
            "authorized by its own role, whose grants name its resources) and reaches no private network, "
            "so a VPC would add NAT or interface-endpoint cost and cold-start latency with no network "
            "boundary to enforce. Attach one when the function must reach private resources.",
        )

    def _build_lambda_edge(self, log_retention: Optional[logs.RetentionDays], removal_policy: RemovalPolicy) -> None:
        """The Lambda@Edge variant: same role/log discipline, EdgeFunction for placement."""
        spec = self.spec
        parent = Stack.of(self)
        if parent.region == defaults.EDGE_REGION:
            home: Construct = self
            function_id, stack_id = "Function", None
        else:
            # EdgeFunction puts the function straight into a companion us-east-1
            # stack. Its role and log group must live there too (CloudFormation
            # has no cross-Region references), so create that stack first, under
            # the id EdgeFunction is then given, and put them in it.
            stack_id = f"{parent.artifact_id}EdgeFunctions"
            stage = Stage.of(parent)
            assert stage is not None, "every stack is in a Stage (the App is one)"
            edge_stack = cast(Optional[Stack], stage.node.try_find_child(stack_id)) or Stack(
                stage,
                stack_id,
                env=Environment(account=parent.account, region=defaults.EDGE_REGION),
                tags=parent.tags.tag_values(),
            )
            function_id = Names.unique_id(self)
            home = Construct(edge_stack, f"{function_id}Execution")

        self.log_group = create_log_group(home, "LogGroup", retention=log_retention, removal_policy=removal_policy)
        self.role = iam.Role(
            home,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of Lambda@Edge {self.node.path} (least privilege, no managed policies)",
        )
        # Replicas log in the Region that serves the viewer, to a log group with
        # this same name, created there on first use: any Region, this name only.
        home_stack = Stack.of(home)
        log_group_arn = home_stack.format_arn(
            service="logs",
            region="*",
            resource="log-group",
            resource_name=self.log_group.log_group_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group_arn, f"{log_group_arn}:*"],
            )
        )
        # EdgeFunction adds edgelambda.amazonaws.com to the role's trust policy,
        # publishes a version and, across Regions, hands its ARN back via SSM.
        self.version = cloudfront.experimental.EdgeFunction(
            self,
            function_id,
            stack_id=stack_id,
            code=_code(spec.code),
            handler=spec.handler,
            runtime=spec.resolved_runtime,
            architecture=spec.resolved_architecture(lambda_edge=True),
            memory_size=spec.memory_size,
            timeout=spec.timeout,
            description=spec.description,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
        )
        # EdgeFunction.lambda_ is the lambda_.Function it created (here or in the companion stack)
        self.function = cast(lambda_.Function, self.version.lambda_)
        cfn_function = cast(lambda_.CfnFunction, self.function.node.default_child)
        policy = self.role.node.find_child("DefaultPolicy")
        cfn_function.add_override(
            "DependsOn", [home_stack.get_logical_id(cast(iam.CfnPolicy, policy.node.default_child))]
        )
        _record_idempotency(cfn_function, spec.idempotency)
        # Lambda@Edge has no aliases. ``alias`` is typed for the other 99% of
        # functions (patterns and users wire triggers to it without a None check).
        self.alias = None  # type: ignore[assignment]
        self.dead_letter_queue = None
        self.tracing_policy = None
        self.alarms = []

        acknowledge(
            self.function,
            SERVERLESS + "LambdaDLQ",
            "Lambda@Edge does not support dead-letter queues: CloudFront invokes the function "
            "synchronously and a failure reaches the viewer as a 5xx, which the distribution's "
            "5xxErrorRate alarm watches.",
        )
        acknowledge(
            self.function,
            SERVERLESS + "LambdaTracing",
            "Lambda@Edge does not support AWS X-Ray active tracing; requests are traced through "
            "CloudFront access logs and the function's JSON logs instead.",
        )
        acknowledge(
            self.function,
            COMPLIANCE + "LambdaInsideVPC",
            "Lambda@Edge does not support VPC configuration (CloudFront runs the replicas in its own "
            "Regions); an edge function reaches only what a viewer request carries.",
        )
        acknowledge(
            self.function,
            COMPLIANCE + "LambdaConcurrency",
            "Lambda@Edge does not support reserved concurrency: replicas run under the account concurrency "
            "of each Region CloudFront serves from; the distribution's web ACL rate-limits each viewer IP.",
        )
        acknowledge_inline_policies(self.role)
        # cdk-nag names each wildcard resource the way it renders it.
        account = "<AWS::AccountId>" if Token.is_unresolved(home_stack.account) else home_stack.account
        log_group_id = home_stack.resolve(
            home_stack.get_logical_id(cast(logs.CfnLogGroup, self.log_group.node.default_child))
        )
        rendered = f"arn:<AWS::Partition>:logs:*:{account}:log-group:<{log_group_id}>"
        for resource in (rendered, f"{rendered}:*"):
            acknowledge(
                policy,
                f"{AWS_SOLUTIONS}IAM5[Resource::{resource}]",
                "The Region is the only wildcard (plus this log group's streams): Lambda@Edge replicas "
                "log in whichever Region serves the viewer, unknown in advance, to a log group of this "
                "function's own log group name.",
            )


def _record_idempotency(cfn_function: lambda_.CfnFunction, idempotency: Optional[Idempotency]) -> None:
    """Write the declaration into the template, where ServerlessPatternsChecks reads it."""
    if idempotency is not None:
        cfn_function.add_metadata(IDEMPOTENCY_METADATA_KEY, idempotency.to_metadata())


#: What active tracing needs; X-Ray documents "*" as their only resource.
XRAY_WRITE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
#: Construct id (under the stack) of the stack's one X-Ray policy.
TRACING_POLICY_ID = "ServerlessPatternsTracingPolicy"


def tracing_policy(scope: Construct) -> iam.Policy:
    """The stack's X-Ray policy: only X-Ray's write actions, attached to every function role.

    Apart from the roles' default policies, so its acknowledged ``Resource: "*"``
    covers nothing else: a later ``"*"`` grant in a default policy is still
    reported. One per stack (an ``AWS::IAM::Policy`` may name many roles), so
    it costs one resource per stack, not one per function.
    """
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(TRACING_POLICY_ID)
    if isinstance(existing, iam.Policy):
        return existing
    policy = iam.Policy(
        stack,
        TRACING_POLICY_ID,
        statements=[
            iam.PolicyStatement(
                actions=list(XRAY_WRITE_ACTIONS),
                resources=["*"],  # X-Ray's write actions support no resource-level permissions
            )
        ],
    )
    acknowledge(
        policy,
        AWS_SOLUTIONS + "IAM5[Resource::*]",
        "This policy holds only X-Ray's PutTraceSegments and PutTelemetryRecords, which support no "
        "resource-level permissions (AWS documents '*' as their only resource); it is separate from the "
        "functions' default policies so that no other '*' grant is covered by this reason.",
    )
    acknowledge(
        policy,
        COMPLIANCE + "IAMNoInlinePolicy",
        "Inline policy the library attaches to the function roles of this stack, holding only X-Ray's "
        "PutTraceSegments and PutTelemetryRecords: it is defined, changed and deleted with those roles in "
        "this template and grants nothing else. A customer managed policy would grant the same, and could "
        "also be attached to principals outside the library.",
    )
    return policy


def _code(code: Union[str, "os.PathLike[str]", lambda_.Code]) -> lambda_.Code:
    if isinstance(code, lambda_.Code):
        return code
    # Resolve here: validation looked at the path relative to Python's working
    # directory, and the jsii kernel (a separate process) must see the same one.
    return lambda_.Code.from_asset(str(Path(code).resolve()))
