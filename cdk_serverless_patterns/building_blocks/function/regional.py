"""``ServerlessFunction``: the only way the library makes a regional Lambda function.

It computes everything, creates the ``aws_lambda.Function`` once and hands the
side features to sibling modules: the execution role (:mod:`.role`), the log
group and JSON logs (:mod:`.logging`), X-Ray (:mod:`.tracing`), the async
on-failure queue (:mod:`.async_invoke`), its alarms (:mod:`.alarms`) and the
acknowledged findings (:mod:`.findings`). Lambda@Edge is :class:`~.edge.EdgeFunction`.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Self, cast

import jsii
from aws_cdk import Annotations, Duration, RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_ec2 as ec2,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_sns as sns,
    aws_sqs as sqs,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import in_one_batch
from cdk_serverless_patterns.errors import (
    PatternConfigError,
    Problems,
    child_path,
    default_child_of,
    or_default,
    path_of,
    remember_stack,
    stack_of,
)
from cdk_serverless_patterns.runtime import env as env_names

from ..lambda_layers import (
    Tracing,
    adot_instrumentation,
    powertools_environment,
    powertools_layer,
    powertools_options,
)
from ..option_types import COMMON, check_option_types, instance_of
from ..queues import FailureQueue
from ..runtime_layer import runtime_layers_for
from ..hardening import is_hardened
from .access import FunctionAccess
from . import alarms as alarm_metrics
from .alarm_options import validate_function_alarms
from .alarms import function_alarms
from .async_invoke import alias_async_settings, async_failure_queue
from .findings import acknowledge_regional_findings
from .logging import function_log_group, json_logging
from .role import allow_logging_to, default_policy, depend_only_on_policies, execution_role
from .spec import FunctionSpec, Invocation, code_asset, record_idempotency
from .tracing import acknowledge_adot_runtime, activate_tracing
from .validation import validate_regional_options, validate_spec


#: ``lambda_.Architecture.ARM_64.name``, without asking jsii for it on every function.
ARM_64 = "arm64"

#: The options ServerlessFunction checks the type of (``None`` means the default).
FUNCTION_OPTION_TYPES = {
    **COMMON,
    "invocation": instance_of(
        Invocation,
        "an Invocation: SYNC, ASYNC or EVENT_SOURCE",
        "pass invocation=Invocation.ASYNC (the member, not its value 'async')",
    ),
}

#: Returns the deprecated ``lambda_edge=True`` shim class; the package ``__init__``
#: registers it, so :mod:`.legacy_edge` (and CloudFront with it) loads on first use.
_legacy_edge_loader: Optional[Callable[[], type]] = None


def register_legacy_edge(loader: Callable[[], type]) -> None:
    """Called by the package ``__init__`` (kept out of this module's imports: no cycle)."""
    global _legacy_edge_loader
    _legacy_edge_loader = loader


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
    :param lambda_edge: deprecated, use :class:`~.edge.EdgeFunction`. ``True``
        returns an ``EdgeFunction`` that still answers ``alias``,
        ``dead_letter_queue`` and ``tracing_policy`` with None and ``alarms``
        with ``[]``, and warns (``DeprecationWarning``). Default: False.
    :param durable_config: make a Lambda durable function (execution timeout,
        retention). Default: none. The caller validates it and grants the
        checkpoint permissions (``DurableSaga`` does both).
    :param passes_tenant_id: the caller sends a tenant id with every invoke
        (``ApiBackend``'s REST routes map one), which a spec with
        ``tenant_isolation`` needs: Lambda rejects tenant-isolated invokes without
        one. Default: False (a spec with ``tenant_isolation`` is then a
        :class:`PatternConfigError`).

    Attributes: ``function``, ``alias`` (``live``; wire triggers here), ``role``,
    ``grant_principal`` (the role), ``log_group``, ``alarms``,
    ``dead_letter_queue`` (ASYNC only, else None), ``powertools_layer`` (or None),
    ``tracing_policy`` (X-Ray's permissions, apart from the role's default policy: one per
    stack, attached to every function role), ``access`` (the spec's secrets, parameters,
    VPC and environment key: ``access.secrets``, ``access.parameters``,
    ``access.environment_key``, ``access.network_policy``), ``connections`` (the VPC
    function's security groups, e.g. ``fn.connections.allow_to(database, ec2.Port.tcp(5432))``;
    None outside a VPC).
    """

    def __new__(cls, *args: Any, lambda_edge: bool = False, **kwargs: Any) -> Self:
        if lambda_edge and cls is ServerlessFunction:
            # Deprecated: Python then runs the shim's __init__ with these same arguments.
            # The package registers how to load the shim (legacy_edge imports
            # this module, not the reverse: no cycle).
            assert _legacy_edge_loader is not None
            return object.__new__(_legacy_edge_loader())
        return object.__new__(cls)

    @in_one_batch
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
        passes_tenant_id: bool = False,
    ) -> None:
        retries = or_default(async_retry_attempts, defaults.ASYNC_RETRY_ATTEMPTS)
        max_age = or_default(async_max_event_age, defaults.ASYNC_MAX_EVENT_AGE)
        path = child_path(scope, construct_id)
        problems = Problems(path)
        typed = check_option_types(
            problems,
            dict(
                invocation=invocation,
                alarm_topic=alarm_topic,
                create_alarms=create_alarms,
                log_retention=log_retention,
                removal_policy=removal_policy,
            ),
            FUNCTION_OPTION_TYPES,
        )
        # None (or a wrong type, already reported) means the default, never False.
        invocation = or_default(typed["invocation"], Invocation.SYNC)
        alarm_topic = typed["alarm_topic"]
        create_alarms = or_default(typed["create_alarms"], True)
        log_retention = typed["log_retention"]
        removal_policy = or_default(typed["removal_policy"], RemovalPolicy.RETAIN)
        powertools = powertools_options(spec.powertools) if isinstance(spec, FunctionSpec) else None
        stack = stack_of(scope)
        # Below the stack: "OrdersImport/Processor" names the service, not the deployment.
        stack_prefix = f"{path_of(stack)}/"
        service_path = path[len(stack_prefix):] if path.startswith(stack_prefix) else path
        powertools_env = powertools_environment(powertools, service_path, stack.stack_name) if powertools else {}
        validate_spec(
            problems,
            spec,
            max_timeout_s=max_timeout[0] if max_timeout else None,
            max_timeout_reason=max_timeout[1] if max_timeout else "",
            extra_environment={**powertools_env, **(environment or {})},
            passes_tenant_id=passes_tenant_id,
            invocation=invocation,
        )
        if isinstance(spec, FunctionSpec):
            validate_function_alarms(problems, spec.alarms)
        validate_regional_options(
            problems, spec, region=stack.region, async_retry_attempts=retries, async_max_event_age=max_age
        )
        problems.check(
            not lambda_edge,
            "lambda_edge",
            lambda_edge,
            "False (deprecated; only ServerlessFunction itself still turns it into an EdgeFunction)",
            "build the edge function with EdgeFunction(scope, id, spec)",
        )
        problems.raise_if_any()
        super().__init__(scope, construct_id)
        remember_stack(self, stack)
        self.spec = spec
        self.invocation = invocation

        architecture = spec.resolved_architecture()
        self._warn_about_overridden_defaults(architecture)

        self.log_group = function_log_group(self, retention=log_retention, removal_policy=removal_policy)
        self.role = execution_role(
            self, description=f"Execution role of {path_of(self)} (least privilege, no managed policies)"
        )
        allow_logging_to(self.role, self.log_group)

        self.dead_letter_queue: Optional[sqs.IQueue] = None
        failure: Optional[FailureQueue] = None
        if invocation is Invocation.ASYNC:
            failure = async_failure_queue(
                self, alarm_topic=alarm_topic, create_alarms=create_alarms, removal_policy=removal_policy
            )
            self.dead_letter_queue = failure.queue
        self._failure_queue = failure

        # secrets, parameters, VPC and environment key: before the function (environment, props)
        self.access = FunctionAccess(self, spec, hardened=is_hardened(self))
        self.powertools_layer: Optional[lambda_.ILayerVersion] = (
            powertools_layer(self, spec.resolved_runtime, architecture, powertools) if powertools else None
        )
        self.function = lambda_.Function(
            self,
            "Function",
            code=code_asset(spec.code),
            handler=spec.handler,
            runtime=spec.resolved_runtime,
            architecture=architecture,
            memory_size=spec.memory_size,
            timeout=spec.timeout,
            # Powertools' names first: the spec and the pattern may override them.
            environment={**powertools_env, **spec.environment, **self.access.environment(), **(environment or {})},
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
            # with ADOT, CDK turns tracing on itself and adds X-Ray's "*" to the default policy:
            # DISABLED here keeps it out (activate_tracing sets Active on the L1 below)
            tracing=lambda_.Tracing.DISABLED if spec.tracing is Tracing.OPENTELEMETRY else None,
            role=self.role,
            log_group=self.log_group,
            **json_logging(platform_reports=create_alarms and spec.alarms.cold_starts),
            # Active tracing is set by activate_tracing: CDK's tracing= would put X-Ray's
            # Resource "*" statement into the default policy, beside the real grants.
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if spec.snap_start else None,
            durable_config=durable_config,
            **self.access.function_props(),
            tenancy_config=lambda_.TenancyConfig.PER_TENANT if spec.tenant_isolation is not None else None,
        )
        remember_stack(self.function, stack)
        if spec.managed_instances is not None:
            cast(lambda_.CfnFunction, default_child_of(self.function)).capacity_provider_config = (
                spec.managed_instances.to_config()
            )
        self.tracing_policy: Optional[iam.Policy] = activate_tracing(self.function, self.role)
        access_policies = self.access.grant(self.role, default_child_of(self.function))
        depend_only_on_policies(self.function, [default_policy(self.role), self.tracing_policy, *access_policies])
        record_idempotency(cast(lambda_.CfnFunction, default_child_of(self.function)), spec.idempotency)
        self.alias: lambda_.Alias = lambda_.Alias(
            self,
            "Alias",
            alias_name=defaults.ALIAS_NAME,
            version=self.function.current_version,
            provisioned_concurrent_executions=spec.provisioned_concurrency,
            **alias_async_settings(failure, retry_attempts=retries, max_event_age=max_age),
        )
        acknowledge_regional_findings(
            self.function,
            self.role,
            has_destination=failure is not None,
            in_vpc=spec.vpc is not None,
            environment_key=self.access.environment_key is not None,
        )
        if spec.tracing is Tracing.OPENTELEMETRY and spec.runtime is None:
            acknowledge_adot_runtime(self.function)
        if spec.managed_instances is not None:
            from ..concurrency import declare_concurrency_bound

            declare_concurrency_bound(
                self, "the capacity provider's instances (Lambda Managed Instances) and the invocations each "
                "execution environment runs at once (max_concurrency_per_environment)"
            )

        self._cold_starts: Optional[cloudwatch.Metric] = (
            alarm_metrics.cold_start_filter(self) if create_alarms and spec.alarms.cold_starts else None
        )
        self.alarms: list[cloudwatch.Alarm] = list(failure.alarms) if failure else []
        if create_alarms:
            self.alarms.extend(function_alarms(self, alarm_topic))

    def _warn_about_overridden_defaults(self, architecture: lambda_.Architecture) -> None:
        if architecture.name != ARM_64:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:x86",
                "This function runs on x86_64; arm64 (Graviton) is ~20% cheaper per GB-second. "
                "Keep x86_64 only for binary dependencies that lack arm64 builds.",
            )
        if env_names.IDEMPOTENCY in self.spec.environment:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:idempotency-env",
                f"The {env_names.IDEMPOTENCY} environment variable is deprecated as an idempotency declaration: "
                "declare it on the spec instead, FunctionSpec(..., idempotency=Idempotency.natural('<why a "
                "repeat is harmless>')) or Idempotency.conditional_write('<key>'), and drop the variable.",
            )

    @property
    def connections(self) -> Optional[ec2.Connections]:
        """The security groups of a VPC function (``allow_to``/``allow_from``); None outside a VPC."""
        return self.function.connections if self.spec.vpc is not None else None

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
        return self.function.metric_errors(statistic="Sum", period=defaults.ALARM_PERIOD)

    def metric_throttles(self) -> cloudwatch.Metric:
        """``AWS/Lambda Throttles`` (Sum over 5 min), as the throttles alarm sees it."""
        return self.function.metric_throttles(statistic="Sum", period=defaults.ALARM_PERIOD)

    def metric_duration(self) -> cloudwatch.Metric:
        """``AWS/Lambda Duration`` p95 over 5 min, as the duration alarm sees it."""
        return self.function.metric_duration(statistic="p95", period=defaults.ALARM_PERIOD)

    def metric_invocations(self) -> cloudwatch.Metric:
        """``AWS/Lambda Invocations`` (Sum over 5 min), for dashboards."""
        return self.function.metric_invocations(statistic="Sum", period=defaults.ALARM_PERIOD)

    def metric_low_traffic_errors(self) -> cloudwatch.MathExpression:
        """Errors in 5-minute periods under ``spec.alarms.min_invocations`` invocations (else 0),
        as the errors (count) alarm sees it."""
        return alarm_metrics.low_traffic_errors(self)

    def metric_error_rate(self) -> cloudwatch.MathExpression:
        """Errors / Invocations in percent, in periods with at least ``spec.alarms.min_invocations``
        invocations (else 0), as the error-rate alarm sees it."""
        return alarm_metrics.error_rate(self)

    def metric_cost_per_invocation(self) -> cloudwatch.MathExpression:
        """GB-seconds per invocation (average Duration x memory), as the cost anomaly alarm sees it."""
        return alarm_metrics.cost_per_invocation(self)

    def metric_cold_start_rate(self) -> cloudwatch.MathExpression:
        """Cold starts / Invocations in percent, in periods with at least ``spec.alarms.min_invocations``
        invocations (else 0), as the cold-start-rate alarm sees it (``FunctionAlarms(cold_starts=True)`` only)."""
        if self._cold_starts is None:
            raise PatternConfigError(
                path_of(self),
                [f"metric_cold_start_rate: spec.alarms.cold_starts={self.spec.alarms.cold_starts!r} is invalid: "
                 "allowed True with create_alarms=True (the count comes from a log metric filter on the "
                 "platform.report records). Fix: FunctionSpec(..., alarms=FunctionAlarms(cold_starts=True))"],
            )
        return alarm_metrics.cold_start_rate(self, self._cold_starts)

    def metric_async_failures(self) -> cloudwatch.Metric:
        """Failed asynchronous invocations waiting in the on-failure queue (``Invocation.ASYNC`` only),
        as its depth alarm sees it."""
        if self._failure_queue is None:
            raise PatternConfigError(
                path_of(self),
                [f"metric_async_failures: invocation={self.invocation.name} is invalid: allowed ASYNC only "
                 "(only asynchronous invocations have an on-failure queue). Fix: use metric_errors()"],
            )
        return self._failure_queue.metric_depth()

