"""AWS-published observability layers a ``FunctionSpec`` can ask for.

* :class:`Powertools` / ``FunctionSpec(powertools=True)`` — AWS's Powertools for
  AWS Lambda (Python) v3 layer for the function's runtime and architecture,
  pinned to :data:`defaults.POWERTOOLS_LAYER_VERSION` (or resolved at deploy
  time from AWS's public SSM parameter), plus ``POWERTOOLS_SERVICE_NAME`` and
  ``POWERTOOLS_METRICS_NAMESPACE``. Nothing is added to the code package.
* :class:`Tracing` — X-Ray (default) or OpenTelemetry through the ADOT layer.

Layer ARNs are per Region. With a concrete stack Region the ARN is literal; a
Region-agnostic stack gets ``Fn::Join`` over ``AWS::Partition``/``AWS::Region``
(ADOT: CDK's own per-Region mapping), so one template deploys anywhere.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

from aws_cdk import ArnFormat, Stack, Token
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_lambda as lambda_
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.errors import PatternConfigError, Problems, or_default
from cdk_serverless_patterns.runtime import env

from .runtime_family import runtime_family


class Tracing(enum.Enum):
    """How a function is traced (``FunctionSpec.tracing``).

    * ``XRAY`` (default) — Lambda's active X-Ray tracing, no layer.
    * ``OPENTELEMETRY`` — active tracing plus AWS's ADOT Python layer (pinned,
      see :data:`defaults.ADOT_PYTHON_LAYER_VERSION`) auto-instrumenting the
      handler through ``AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-instrument``; spans go
      to X-Ray by default, or to any OTLP backend you configure with the
      collector's environment variables. Costs cold-start time (the SDK and the
      collector extension start with the function).
    """

    XRAY = "xray"
    OPENTELEMETRY = "opentelemetry"


@dataclass(frozen=True)
class Powertools:
    """Options for ``FunctionSpec(powertools=...)``; ``True`` means ``Powertools()``.

    :param service_name: ``POWERTOOLS_SERVICE_NAME``. Default: the function's
        construct path below its stack (e.g. ``"OrdersImport/Processor"``).
    :param metrics_namespace: ``POWERTOOLS_METRICS_NAMESPACE``. Default: the
        stack name, so one application's metrics share a namespace.
    :param layer_version: the layer version to pin. Default
        :data:`defaults.POWERTOOLS_LAYER_VERSION` (Powertools 3.23.0).
    :param ssm_version: resolve the layer ARN at deploy time from AWS's public
        SSM parameter ``/aws/service/powertools/python/<arch>/<runtime>/<ssm_version>``
        instead (``"latest"`` or a release like ``"3.23.0"``). Default: none
        (the pinned version: reproducible deployments).
    """

    service_name: Optional[str] = None
    metrics_namespace: Optional[str] = None
    layer_version: int = defaults.POWERTOOLS_LAYER_VERSION
    ssm_version: Optional[str] = None


def powertools_options(value: object) -> Optional[Powertools]:
    """``FunctionSpec.powertools`` as options (None when off)."""
    if value is True:
        return Powertools()
    return value if isinstance(value, Powertools) else None


def _runtime_name(runtime: lambda_.Runtime) -> str:
    return str(runtime.name)


def _arch(architecture: lambda_.Architecture) -> str:
    return "arm64" if architecture.name == lambda_.Architecture.ARM_64.name else "x86_64"


def validate_observability(
    problems: Problems,
    *,
    powertools: object,
    tracing: object,
    runtime: lambda_.Runtime,
    field_prefix: str,
    region: Optional[str] = None,
) -> None:
    """Rules for ``powertools`` and ``tracing``; ``region`` is the stack's when known."""
    p = field_prefix
    if not isinstance(runtime, lambda_.Runtime):
        return  # the runtime's own type rule reports it; nothing to check against
    python = runtime_family(runtime) == "python"
    if not (isinstance(powertools, bool) or isinstance(powertools, Powertools)):
        problems.add(f"{p}.powertools", type(powertools).__name__, "True, False or a Powertools(...)", "pass powertools=True")
    options = powertools_options(powertools)
    if options is not None:
        problems.check(
            python,
            f"{p}.powertools",
            _runtime_name(runtime),
            "a Python runtime (the layer is Powertools for AWS Lambda (Python))",
            "drop powertools, or use a Python runtime",
        )
        if options.ssm_version is None:
            problems.check_int(
                f"{p}.powertools.layer_version",
                options.layer_version,
                low=1,
                allowed="a published layer version, an integer >= 1",
                fix=f"leave it at {defaults.POWERTOOLS_LAYER_VERSION} or pass the version from the Powertools docs",
            )
            if region is not None and not Token.is_unresolved(region):
                published = (
                    *defaults.POWERTOOLS_LAYER_REGIONS, *defaults.POWERTOOLS_X86_ONLY_REGIONS, *defaults.POWERTOOLS_CN_REGIONS
                )
                problems.check(
                    region in published,
                    f"{p}.powertools",
                    f"stack region {region}",
                    f"a Region where AWS publishes the pinned layer (version {options.layer_version}): "
                    f"{', '.join(published)}",
                    "pass powertools=Powertools(ssm_version='latest') to resolve it from AWS's SSM parameter "
                    "where one exists, or bundle aws-lambda-powertools with your code (powertools=False) "
                    "or add your own layer with layers=[...]",
                )
        else:
            problems.check(
                isinstance(options.ssm_version, str) and bool(options.ssm_version)
                and (options.ssm_version == "latest" or options.ssm_version.count(".") == 2),
                f"{p}.powertools.ssm_version",
                options.ssm_version,
                "'latest' or a release like '3.23.0'",
                "pass ssm_version='latest'",
            )
        for name in ("service_name", "metrics_namespace"):
            value = getattr(options, name)
            problems.check(
                value is None or (isinstance(value, str) and 0 < len(value) <= 255),
                f"{p}.powertools.{name}",
                value,
                "None (derived) or a string of 1-255 characters",
                f"pass {name}='orders' or leave it out",
            )
    if not isinstance(tracing, Tracing):
        problems.add(f"{p}.tracing", tracing, "Tracing.XRAY or Tracing.OPENTELEMETRY", "pass tracing=Tracing.XRAY")
    elif tracing is Tracing.OPENTELEMETRY:
        problems.check(
            python and _runtime_name(runtime) in defaults.ADOT_PYTHON_RUNTIMES,
            f"{p}.tracing",
            f"OPENTELEMETRY on {_runtime_name(runtime)}",
            f"a runtime the ADOT Python layer supports ({', '.join(defaults.ADOT_PYTHON_RUNTIMES)})",
            "pass runtime=aws_lambda.Runtime.PYTHON_3_13, or keep Tracing.XRAY",
        )


def powertools_layer(
    scope: Construct, runtime: lambda_.Runtime, architecture: lambda_.Architecture, options: Powertools
) -> lambda_.ILayerVersion:
    """The Powertools layer for ``runtime``/``architecture``, one reference per stack and ARN."""
    stack = Stack.of(scope)
    arch = _arch(architecture)
    runtime_name = _runtime_name(runtime)
    if options.ssm_version is not None:
        # A dynamic reference: CloudFormation reads AWS's public parameter at deploy time.
        arn = f"{{{{resolve:ssm:{defaults.POWERTOOLS_SSM_PREFIX}/{arch}/{runtime_name}/{options.ssm_version}}}}}"
        layer_id = f"PowertoolsLayer-{arch}-{runtime_name}-ssm-{options.ssm_version}"
    else:
        region = stack.region
        china = not Token.is_unresolved(region) and region in defaults.POWERTOOLS_CN_REGIONS
        if region in defaults.POWERTOOLS_X86_ONLY_REGIONS and arch == "arm64":
            raise PatternConfigError(
                scope.node.path,
                [
                    f"powertools=True in stack region {region} with architecture arm64 is invalid: allowed x86_64 "
                    f"there (AWS publishes the arm64 layer in {', '.join(defaults.POWERTOOLS_LAYER_REGIONS)}). "
                    "Fix: pass architecture=aws_lambda.Architecture.X86_64, bundle aws-lambda-powertools with "
                    "your code (powertools=False), or add your own layer with layers=[...]"
                ],
            )
        layer_name = f"AWSLambdaPowertoolsPythonV3-{runtime_name.replace('.', '')}-{arch}"
        arn = stack.format_arn(
            service="lambda",
            account=defaults.POWERTOOLS_LAYER_ACCOUNT_CN if china else defaults.POWERTOOLS_LAYER_ACCOUNT,
            resource="layer",
            resource_name=f"{layer_name}:{options.layer_version}",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        layer_id = f"PowertoolsLayer-{arch}-{runtime_name}-{options.layer_version}"
    existing = stack.node.try_find_child(layer_id)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return lambda_.LayerVersion.from_layer_version_arn(stack, layer_id, arn)


def powertools_environment(options: Powertools, service_path: str, stack_name: str) -> dict[str, str]:
    """``POWERTOOLS_SERVICE_NAME`` and ``POWERTOOLS_METRICS_NAMESPACE`` for a function."""
    return {
        env.POWERTOOLS_SERVICE_NAME: or_default(options.service_name, service_path),
        env.POWERTOOLS_METRICS_NAMESPACE: (
            options.metrics_namespace if options.metrics_namespace is not None else stack_name
        ),
    }


def adot_instrumentation() -> lambda_.AdotInstrumentationConfig:
    """CDK's ADOT wiring: the pinned Python SDK layer and the instrumenting exec wrapper."""
    return lambda_.AdotInstrumentationConfig(
        layer_version=lambda_.AdotLayerVersion.from_python_sdk_layer_version(
            getattr(lambda_.AdotLambdaLayerPythonSdkVersion, defaults.ADOT_PYTHON_LAYER_VERSION)
        ),
        exec_wrapper=lambda_.AdotLambdaExecWrapper.INSTRUMENT_HANDLER,
    )
