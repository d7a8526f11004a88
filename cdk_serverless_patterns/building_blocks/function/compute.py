"""The 2026 compute options of a :class:`~.spec.FunctionSpec`: tenant isolation and Lambda
Managed Instances, with the combinations AWS forbids and SnapStart's own rules.

Sources (read 2026-12-07):

* Tenant isolation: https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-invoke.html
  (every invoke carries ``X-Amz-Tenant-Id``; API Gateway REST APIs map it from a client request
  header, query string or path parameter; HTTP APIs cannot set it) and aws-cdk-lib 2.275.0's
  ``TenancyConfig`` (incompatible with SnapStart, provisioned concurrency, function URLs and every
  event source mapping).
* Lambda Managed Instances: https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-runtimes.html
  (Python 3.13+, Node.js 22+), the best-practices page (functions of at least 2 GB and 1 vCPU),
  the ``LambdaManagedInstancesCapacityProviderConfig`` API reference (memory per vCPU 2.0-8.0 GiB,
  per-environment concurrency 1-1600). Instances run functions in containers, not Firecracker
  microVMs, so the Firecracker features (SnapStart snapshots, per-tenant microVMs) and Lambda's
  on-demand provisioned concurrency do not apply; Managed Instances keep their own warm
  execution environments instead.
* SnapStart: https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html (Java 11+, Python 3.12+,
  .NET 8+; published versions only; no provisioned concurrency, Amazon EFS or ephemeral storage
  above 512 MB). arm64 is allowed: the page lists no architecture limit any more, aws-cdk-lib
  2.275.0 checks runtime, tenant isolation, EFS and ephemeral storage but no longer arm64 (it once
  refused ARM_64), and AWS's agent-toolkit Lambda reference lists the same three limits. The library
  offers neither EFS nor extra ephemeral storage, so those two cannot meet SnapStart here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional


from cdk_serverless_patterns._cdk_modules import aws_lambda as lambda_
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.errors import Problems, is_token

if TYPE_CHECKING:
    from .spec import FunctionSpec


class TenantIdSource(enum.Enum):
    """Where API Gateway reads the tenant id of a request."""

    HEADER = "header"
    QUERY = "querystring"
    PATH = "path"


@dataclass(frozen=True)
class TenantIsolation:
    """Tenant isolation mode: Lambda runs each tenant's invocations in execution environments
    of their own, never shared with another tenant of the same function (SaaS code or data
    that must not meet another tenant's).

    Only :class:`~cdk_serverless_patterns.ApiBackend` REST routes can invoke such a function:
    each invoke must carry the tenant id (``X-Amz-Tenant-Id``), which the route maps from the
    client request. Build it with :meth:`header`, :meth:`query` or :meth:`path`; handlers read
    the id from ``context.tenant_id``. Billed per tenant execution environment created (see
    docs/cost.md).
    """

    source: TenantIdSource
    name: str

    @classmethod
    def header(cls, name: str = "X-Tenant-Id") -> "TenantIsolation":
        """The tenant id is the request header ``name``. Default ``X-Tenant-Id``."""
        return cls(TenantIdSource.HEADER, name)

    @classmethod
    def query(cls, name: str) -> "TenantIsolation":
        """The tenant id is the query string parameter ``name``."""
        return cls(TenantIdSource.QUERY, name)

    @classmethod
    def path(cls, name: str) -> "TenantIsolation":
        """The tenant id is the path parameter ``{name}`` every route of the function has."""
        return cls(TenantIdSource.PATH, name)

    @property
    def method_request_parameter(self) -> str:
        """The API Gateway method request parameter the tenant id comes from."""
        return f"method.request.{self.source.value}.{self.name}"


#: The integration request header Lambda reads the tenant id from.
TENANT_ID_INTEGRATION_HEADER = "integration.request.header.X-Amz-Tenant-Id"


@dataclass(frozen=True)
class ManagedInstances:
    """Run the function on Lambda Managed Instances: EC2 instances of a capacity provider that
    Lambda manages, priced as EC2 (plus a 15 % management fee) instead of per GB-second, with
    several invocations per execution environment. For steady, high-volume load; idle
    instances still bill.

    :param capacity_provider: the ``aws_lambda.CapacityProvider`` (or an imported
        ``ICapacityProvider``) whose instances run the function. Required.
    :param max_concurrency_per_environment: invocations one execution environment runs at once,
        1-1600. Default: Lambda's per-runtime default (Python 16 per vCPU, Node.js 64).
    :param memory_gib_per_vcpu: memory per vCPU of an execution environment, 2.0-8.0 GiB.
        Default: Lambda's default ratio.
    """

    capacity_provider: lambda_.ICapacityProvider
    max_concurrency_per_environment: Optional[int] = None
    memory_gib_per_vcpu: Optional[float] = None

    def to_config(self) -> lambda_.CfnFunction.CapacityProviderConfigProperty:
        """The function's ``CapacityProviderConfig``."""
        return lambda_.CfnFunction.CapacityProviderConfigProperty(
            lambda_managed_instances_capacity_provider_config=lambda_.CfnFunction.LambdaManagedInstancesCapacityProviderConfigProperty(
                capacity_provider_arn=self.capacity_provider.capacity_provider_arn,
                per_execution_environment_max_concurrency=self.max_concurrency_per_environment,
                execution_environment_memory_gib_per_v_cpu=self.memory_gib_per_vcpu,
            )
        )


def _runtime_version(runtime: object) -> tuple[str, tuple[int, ...]]:
    """``("python", (3, 13))`` for python3.13, ``("nodejs", (22,))`` for nodejs22.x."""
    name = str(getattr(runtime, "name", ""))
    for family in ("python", "nodejs"):
        if name.startswith(family):
            digits = name[len(family):].removesuffix(".x").split(".")
            if all(d.isdigit() for d in digits):
                return family, tuple(int(d) for d in digits)
    return name, ()


def _managed_instances_runtime_ok(runtime: object) -> bool:
    family, version = _runtime_version(runtime)
    minimum = defaults.MANAGED_INSTANCES_MIN_RUNTIMES.get(family)
    return minimum is not None and version >= minimum


def validate_compute_options(problems: Problems, spec: "FunctionSpec", p: str) -> None:
    """Tenant isolation, Managed Instances and SnapStart: types, ranges and the combinations AWS forbids."""
    runtime = spec.resolved_runtime
    if spec.snap_start is True and isinstance(runtime, lambda_.Runtime):
        problems.check(
            bool(runtime.supports_snap_start),
            f"{p}.snap_start",
            True,
            f"only on runtimes SnapStart supports (Java 11+, Python 3.12+, .NET 8+); runtime is {runtime.name}",
            "use runtime=aws_lambda.Runtime.PYTHON_3_12 or newer, or drop snap_start",
        )
    tenant = spec.tenant_isolation
    if tenant is not None:
        _validate_tenant_isolation(problems, spec, tenant, p)
    managed = spec.managed_instances
    if managed is not None:
        _validate_managed_instances(problems, spec, managed, p)


def _validate_tenant_isolation(problems: Problems, spec: "FunctionSpec", tenant: object, p: str) -> None:
    f = f"{p}.tenant_isolation"
    if not isinstance(tenant, TenantIsolation) or not isinstance(tenant.source, TenantIdSource):
        problems.add(
            f,
            tenant,
            "a TenantIsolation (TenantIsolation.header(name), .query(name) or .path(name)), or None",
            "pass tenant_isolation=TenantIsolation.header('X-Tenant-Id')",
        )
        return
    problems.check(
        isinstance(tenant.name, str) and bool(tenant.name) and tenant.name.replace("-", "").replace("_", "").isalnum(),
        f"{f}.name",
        tenant.name,
        "a non-empty name of letters, digits, '-' and '_' (an HTTP header, query string or path parameter name)",
        "pass e.g. TenantIsolation.header('X-Tenant-Id')",
    )
    excluded = (
        ("provisioned_concurrency", spec.provisioned_concurrency is not None, spec.provisioned_concurrency),
        ("snap_start", spec.snap_start is True, spec.snap_start),
        ("managed_instances", spec.managed_instances is not None, spec.managed_instances),
    )
    for name, present, value in excluded:
        problems.check(
            not present,
            f"{p}.{name}",
            value,
            f"not with tenant_isolation (Lambda's tenant isolation mode supports no {name.replace('_', ' ')}: "
            "each tenant gets execution environments of its own, created on demand)",
            f"drop {name}, or drop tenant_isolation",
        )


def _validate_managed_instances(problems: Problems, spec: "FunctionSpec", managed: object, p: str) -> None:
    f = f"{p}.managed_instances"
    if not isinstance(managed, ManagedInstances):
        problems.add(
            f,
            managed,
            "a ManagedInstances(capacity_provider=...), or None",
            "pass managed_instances=ManagedInstances(capacity_provider=aws_lambda.CapacityProvider(...))",
        )
        return
    problems.check(
        hasattr(managed.capacity_provider, "capacity_provider_arn"),
        f"{f}.capacity_provider",
        managed.capacity_provider,
        "an aws_lambda.ICapacityProvider (CapacityProvider(...) or CapacityProvider.from_capacity_provider_arn(...))",
        "pass the capacity provider construct, not its name",
    )
    ranges = (  # (field, value, low, high, integer, what AWS calls it, fix)
        ("max_concurrency_per_environment", managed.max_concurrency_per_environment,
         defaults.MANAGED_INSTANCES_CONCURRENCY_MIN, defaults.MANAGED_INSTANCES_CONCURRENCY_MAX, True,
         "an integer (PerExecutionEnvironmentMaxConcurrency)", "pass e.g. 16, or leave it out for the runtime's default"),
        ("memory_gib_per_vcpu", managed.memory_gib_per_vcpu,
         defaults.MANAGED_INSTANCES_GIB_PER_VCPU_MIN, defaults.MANAGED_INSTANCES_GIB_PER_VCPU_MAX, False,
         "GiB (ExecutionEnvironmentMemoryGiBPerVCpu)", "pass 2 (compute), 4 (general purpose) or 8 (memory heavy)"),
    )
    for name, value, low, high, integer, what, fix in ranges:
        if value is not None:
            problems.check_int(
                f"{f}.{name}", value, low=low, high=high, allowed=f"{low:g}-{high:g} {what}", fix=fix, integer=integer
            )
    if not is_token(spec.memory_size) and isinstance(spec.memory_size, int):
        problems.check(
            spec.memory_size >= defaults.MANAGED_INSTANCES_MEMORY_MIN_MB,
            f"{p}.memory_size",
            spec.memory_size,
            f"at least {defaults.MANAGED_INSTANCES_MEMORY_MIN_MB} MB with managed_instances (the smallest Managed "
            "Instances function is 2 GB and 1 vCPU)",
            f"pass memory_size={defaults.MANAGED_INSTANCES_MEMORY_MIN_MB} or more",
        )
    runtime = spec.resolved_runtime
    problems.check(
        _managed_instances_runtime_ok(runtime),
        f"{p}.runtime",
        getattr(runtime, "name", runtime),
        "Python 3.13+ or Node.js 22+ with managed_instances (the runtimes Managed Instances run, of those the "
        "library builds)",
        "pass runtime=aws_lambda.Runtime.PYTHON_3_13 or newer (or leave the default, the newest Python)",
    )
    for name, present, value, why in (
        ("provisioned_concurrency", spec.provisioned_concurrency is not None, spec.provisioned_concurrency,
         "Managed Instances keep their own warm execution environments (3 by default), set on the capacity "
         "provider's scaling"),
        ("snap_start", spec.snap_start is True, spec.snap_start,
         "SnapStart restores Firecracker snapshots; Managed Instances run containers and have no cold starts "
         "to shorten"),
    ):
        problems.check(
            not present,
            f"{p}.{name}",
            value,
            f"not with managed_instances ({why})",
            f"drop {name}, or drop managed_instances",
        )
