"""The Lambda layer that ships :mod:`cdk_serverless_patterns.runtime` to handlers.

Handlers import ``cdk_serverless_patterns.runtime`` (fan-in, event store,
batch helpers...), but a function's code asset holds only its own directory.
Every Python ``ServerlessFunction`` therefore gets this layer: one
``LayerVersion`` per stack (arm64 and x86_64 compatible, pure Python), built
without Docker by copying the runtime package into the layer's ``python/``
folder at synth time.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk_serverless_patterns import defaults

RUNTIME_DIR = Path(__file__).parent.parent / "runtime"
_LAYER_ID = "CdkServerlessPatternsRuntimeLayer"
#: Construct id of the one runtime layer per stack (public for resource counting).
RUNTIME_LAYER_ID = _LAYER_ID
_PACKAGE_INIT = '"""cdk-serverless-patterns handler-side runtime (Lambda layer)."""\n'


@jsii.implements(ILocalBundling)
class _CopyRuntimePackage:
    """Local bundling: ``<output>/python/cdk_serverless_patterns/runtime/*.py``."""

    # jsii hands the BundlingOptions over positionally; aws-cdk-lib's typing spells
    # them as keyword arguments. Neither is needed: accept both shapes.
    def try_bundle(self, output_dir: str, *_options: Any, **_keyword_options: Any) -> bool:
        package = Path(output_dir) / "python" / "cdk_serverless_patterns"
        shutil.copytree(
            RUNTIME_DIR, package / "runtime", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True
        )
        (package / "__init__.py").write_text(_PACKAGE_INIT)
        return True


def _compatible_runtimes() -> list[lambda_.Runtime]:
    """Python 3.12 and newer (the runtime helpers use 3.11+ syntax; 3.12 is the oldest supported here)."""
    newest = defaults.newest_python_runtime()
    older = [getattr(lambda_.Runtime, n) for n in ("PYTHON_3_12", "PYTHON_3_13") if hasattr(lambda_.Runtime, n)]
    return [r for r in older if r.name != newest.name] + [newest]


def runtime_layer(scope: Construct) -> lambda_.ILayerVersion:
    """The stack's runtime layer, created on first use."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(_LAYER_ID)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return lambda_.LayerVersion(
        stack,
        _LAYER_ID,
        code=lambda_.Code.from_asset(
            str(RUNTIME_DIR),
            asset_hash_type=AssetHashType.SOURCE,
            bundling=BundlingOptions(
                # never used: local bundling always succeeds, so Docker is never needed
                image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.13"),
                local=_CopyRuntimePackage(),
            ),
            exclude=["__pycache__", "*.pyc"],
        ),
        compatible_runtimes=_compatible_runtimes(),
        compatible_architectures=[lambda_.Architecture.ARM_64, lambda_.Architecture.X86_64],
        description="cdk_serverless_patterns.runtime: handler-side helpers (no dependencies beyond boto3)",
    )


def runtime_layers_for(scope: Construct, runtime: lambda_.Runtime) -> list[lambda_.ILayerVersion]:
    """``[runtime layer]`` for Python functions, ``[]`` for other runtimes."""
    family = runtime.family
    if family is None or family.name != lambda_.RuntimeFamily.PYTHON.name:
        return []
    return [runtime_layer(scope)]
