"""``FunctionSpec``: what one Lambda function should be, and the typed options patterns pass on.

A spec needs no CDK scope, so patterns can be configured declaratively; it is
validated (:mod:`.validation`) when a construct uses it.
"""

from __future__ import annotations

import dataclasses
import enum
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, TypedDict, Union

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns

from cdk_serverless_patterns import defaults

from ..idempotency import METADATA_KEY as IDEMPOTENCY_METADATA_KEY
from ..idempotency import Idempotency
from ..lambda_layers import Powertools, Tracing
from .compute import ManagedInstances, TenantIsolation


@dataclass(frozen=True, eq=False)
class FunctionSpec:
    """What one Lambda function should be (contract). No CDK scope needed.

    Specs compare by identity: routes given the *same* spec object share one
    function. Validation happens when a construct uses the spec.

    :param code: a directory holding the handler code, or an ``aws_lambda.Code``.
    :param handler: ``"module.function"`` (dotted packages allowed), at most 128
        characters; for a Python code directory the module must define the function
        (checked at synth by parsing the file, without importing it).
    :param runtime: default: the newest Python runtime aws-cdk-lib offers; with
        ``tracing=Tracing.OPENTELEMETRY``, the newest one the ADOT layer supports
        (python3.13), since the layer lags Lambda's newest Python. Python and
        Node.js runtimes only.
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
    :param snap_start: SnapStart on published versions (the ``live`` alias points
        at the version published with each code change, so its invocations start
        from the snapshot). Runtimes Python 3.12+ (Java 11+, .NET 8+), x86_64 or
        arm64; not with ``provisioned_concurrency``, ``tenant_isolation`` or
        ``managed_instances``. Python SnapStart bills snapshot caching and restores
        (docs/cost.md). Default: False.
    :param description: at most 256 characters (Lambda). Default: none.
    :param layers: layers carrying dependencies (no Docker bundling). Lambda allows
        5 layers in all, and the library adds its own (the runtime layer for Python,
        Powertools, ADOT), so fewer are left. Default: none.
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
    :param tenant_isolation: Lambda's tenant isolation mode
        (:class:`~.compute.TenantIsolation`: where the route reads the tenant id):
        each tenant's invocations run in execution environments of their own.
        :class:`~cdk_serverless_patterns.ApiBackend` REST routes only (they pass the
        tenant id); not with ``provisioned_concurrency``, ``snap_start`` or
        ``managed_instances``. Default: none (environments are shared by all callers).
    :param managed_instances: run on Lambda Managed Instances
        (:class:`~.compute.ManagedInstances`: a capacity provider's EC2 instances,
        several invocations per environment, EC2 pricing). Needs ``memory_size`` >=
        2048 and Python 3.13+ or Node.js 22+; not with ``provisioned_concurrency``
        or ``snap_start``. Default: none (Lambda's on-demand compute).
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
    tenant_isolation: Optional[TenantIsolation] = None
    managed_instances: Optional[ManagedInstances] = None

    def replace(self, **changes: Any) -> "FunctionSpec":
        """A copy with ``changes`` applied (specs are immutable)."""
        return dataclasses.replace(self, **changes)

    @property
    def resolved_runtime(self) -> lambda_.Runtime:
        if self.runtime is not None:
            return self.runtime
        if self.tracing is Tracing.OPENTELEMETRY:  # the ADOT layer lags Lambda's newest Python
            return defaults.newest_adot_python_runtime()
        return defaults.newest_python_runtime()

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


class FunctionOptions(TypedDict, total=False):
    """Keyword options a pattern hands to every ``ServerlessFunction`` it makes (typed for ``**``)."""

    invocation: Invocation
    alarm_topic: Optional[sns.ITopic]
    create_alarms: bool
    log_retention: Optional[logs.RetentionDays]
    removal_policy: RemovalPolicy


def code_asset(code: Union[str, "os.PathLike[str]", lambda_.Code]) -> lambda_.Code:
    """``FunctionSpec.code`` as an ``aws_lambda.Code``: a directory becomes an asset."""
    if isinstance(code, lambda_.Code):
        return code
    # Resolve here: validation looked at the path relative to Python's working
    # directory, and the jsii kernel (a separate process) must see the same one.
    return lambda_.Code.from_asset(str(Path(code).resolve()))


def record_idempotency(cfn_function: lambda_.CfnFunction, idempotency: Optional[Idempotency]) -> None:
    """Write the spec's idempotency declaration into the template, where ServerlessPatternsChecks reads it."""
    if idempotency is not None:
        cfn_function.add_metadata(IDEMPOTENCY_METADATA_KEY, idempotency.to_metadata())
