"""The Lambda layer that ships :mod:`cdk_serverless_patterns.runtime` to handlers.

Handlers import ``cdk_serverless_patterns.runtime`` (fan-in, event store,
batch helpers...), but a function's code asset holds only its own directory.
Every Python ``ServerlessFunction`` therefore gets this layer: one
``LayerVersion`` per stack (arm64 and x86_64 compatible, pure Python), built
without Docker: the runtime package is copied into a ``python/`` folder once
per content version (:func:`staged_layer_dir`) and that folder is the asset.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path


from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_lambda as lambda_
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.errors import child_of, stack_of

from .runtime_family import runtime_family


RUNTIME_DIR = Path(__file__).parent.parent / "runtime"
_LAYER_ID = "CdkServerlessPatternsRuntimeLayer"
#: Construct id of the one runtime layer per stack (public for resource counting).
RUNTIME_LAYER_ID = _LAYER_ID
_PACKAGE_INIT = '"""cdk-serverless-patterns handler-side runtime (Lambda layer)."""\n'
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")
_STAGING_PREFIX = "cdk-serverless-patterns-runtime-layer-"


def _runtime_files() -> list[Path]:
    """The runtime package's files as the layer ships them (no ``__pycache__``, no ``*.pyc``)."""
    return sorted(
        p for p in RUNTIME_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def stage_layer_content(target: Path) -> None:
    """Write the layer's content under ``target``: ``python/cdk_serverless_patterns/runtime/*.py``."""
    package = target / "python" / "cdk_serverless_patterns"
    shutil.copytree(RUNTIME_DIR, package / "runtime", ignore=_IGNORED, dirs_exist_ok=True)
    (package / "__init__.py").write_text(_PACKAGE_INIT)


@lru_cache(maxsize=1)
def staged_layer_dir() -> Path:
    """A directory holding the layer's content, staged once per content version.

    Named after a SHA-256 of the runtime files (and the package ``__init__``),
    under the system temp directory: built in Python, without a jsii bundling
    callback at synth, reused by every stack and every later synth until the
    runtime package changes. Written to a sibling directory first and renamed
    into place, so concurrent synths never see a half-written copy.
    """
    digest = hashlib.sha256(_PACKAGE_INIT.encode())
    for path in _runtime_files():
        digest.update(path.relative_to(RUNTIME_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    target = Path(tempfile.gettempdir()) / f"{_STAGING_PREFIX}{digest.hexdigest()[:32]}"
    if not target.is_dir():
        partial = Path(tempfile.mkdtemp(prefix=f"{target.name}.partial-", dir=target.parent))
        stage_layer_content(partial)
        try:
            os.rename(partial, target)
        except OSError:  # staged meanwhile by another process: keep theirs
            shutil.rmtree(partial, ignore_errors=True)
    return target


@lru_cache(maxsize=1)
def _compatible_runtimes() -> tuple[lambda_.Runtime, ...]:
    """Python 3.12 and newer (the runtime helpers use 3.11+ syntax; 3.12 is the oldest supported here).

    Static aws-cdk-lib objects, looked up once per process.
    """
    newest = defaults.newest_python_runtime()
    older = [getattr(lambda_.Runtime, n) for n in ("PYTHON_3_12", "PYTHON_3_13") if hasattr(lambda_.Runtime, n)]
    return (*[r for r in older if r.name != newest.name], newest)


def runtime_layer(scope: Construct) -> lambda_.ILayerVersion:
    """The stack's runtime layer, created on first use."""
    stack = stack_of(scope)
    existing = child_of(stack, _LAYER_ID)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return lambda_.LayerVersion(
        stack,
        _LAYER_ID,
        code=lambda_.Code.from_asset(str(staged_layer_dir())),
        compatible_runtimes=list(_compatible_runtimes()),
        compatible_architectures=[lambda_.Architecture.ARM_64, lambda_.Architecture.X86_64],
        description="cdk_serverless_patterns.runtime: handler-side helpers (no dependencies beyond boto3)",
    )


def runtime_layers_for(scope: Construct, runtime: lambda_.Runtime) -> list[lambda_.ILayerVersion]:
    """``[runtime layer]`` for Python functions, ``[]`` for other runtimes."""
    if runtime_family(runtime) != "python":
        return []
    return [runtime_layer(scope)]
