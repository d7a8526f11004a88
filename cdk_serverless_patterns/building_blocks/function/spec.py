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

from cdk_serverless_patterns._cdk_modules import (
    aws_ec2 as ec2,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_sns as sns,
)
from .access import (
    EnvironmentEncryption,
    ParameterReference,
    SecretReference,
)

from cdk_serverless_patterns import defaults

from ..idempotency import METADATA_KEY as IDEMPOTENCY_METADATA_KEY
from ..idempotency import Idempotency
from ..lambda_layers import Powertools, Tracing
from .alarm_options import FunctionAlarms
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

    Secrets, parameters, VPC and environment encryption (:mod:`.access`):

    :param secrets: environment variable name -> a Secrets Manager secret, as an
        ``aws_secretsmanager.ISecret`` or its name. The function's role may
        ``secretsmanager:GetSecretValue`` and ``DescribeSecret`` on exactly that
        secret (a name is granted as ``<name>-??????``, the six random characters
        Secrets Manager appends) and ``kms:Decrypt`` on its key through Secrets
        Manager only, when the secret has a customer managed key; the variable
        holds the secret's full ARN, or its name — never its value. Read it with
        :func:`cdk_serverless_patterns.runtime.secrets.get_secret` (cached).
        Default: none.
    :param parameters: environment variable name -> an SSM Parameter Store
        parameter, as an ``aws_ssm.IParameter`` or its name (``/app/limit`` or
        ``limit``). The role may ``ssm:GetParameter`` and ``ssm:GetParameters``
        on exactly that parameter; the variable holds the parameter's name. A
        SecureString under the AWS managed key (``aws/ssm``) needs nothing more;
        under a customer managed key, grant ``kms:Decrypt`` on it with
        ``kms:ViaService`` ssm (CDK's imported parameters do not expose their key). Read it with
        :func:`cdk_serverless_patterns.runtime.secrets.get_parameter`. Default: none.
    :param vpc: run the function in this VPC (to reach a database or another
        private resource). Lambda then creates network interfaces in its
        subnets; the role gets the EC2 actions that needs in its own policy (not
        the ``AWSLambdaVPCAccessExecutionRole`` managed policy). AWS services the
        function calls need a route: VPC endpoints
        (:class:`~cdk_serverless_patterns.building_blocks.endpoints.ServiceEndpoints`)
        or a NAT gateway; the ``SP-VPC-NO-ROUTE`` rule flags a grant without one.
        Default: none (Lambda's own network, with internet access).
    :param vpc_subnets: which subnets of ``vpc``; private ones only (with egress
        or isolated: Lambda's interfaces never get a public IP). Default: the
        VPC's private subnets with egress, else its isolated ones.
    :param security_groups: the function's security groups. Default: one new
        group allowing all outbound traffic and no inbound (a function takes no
        connections).
    :param environment_encryption: a customer managed ``aws_kms.IKey`` that
        encrypts the environment variables at rest, ``True`` to create one for
        this function (rotation on; its key policy lets the account's
        principals use it only through Lambda), or ``False`` for Lambda's AWS
        owned key. Default: None — the AWS owned key, or the stack's
        environment key under
        :func:`~cdk_serverless_patterns.building_blocks.hardening.enable_hardening`.
    :param alarms: thresholds of its alarms (:class:`FunctionAlarms`: error
        rate 1 % above 100 invocations per 5 min, any error below that, cost
        per invocation anomaly; cold-start rate opt-in). Default ``FunctionAlarms()``.
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
    # secrets, parameters, VPC and environment encryption (see .access)
    secrets: Mapping[str, SecretReference] = field(default_factory=dict)
    parameters: Mapping[str, ParameterReference] = field(default_factory=dict)
    vpc: Optional[ec2.IVpc] = None
    vpc_subnets: Optional[ec2.SubnetSelection] = None
    security_groups: Sequence[ec2.ISecurityGroup] = ()
    environment_encryption: EnvironmentEncryption = None
    alarms: FunctionAlarms = field(default_factory=FunctionAlarms)
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
