"""The handler-side package stays light: no aws_cdk/jsii/constructs, fast import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

MODULES = [
    "cdk_serverless_patterns.runtime",
    "cdk_serverless_patterns.runtime.batch",
    "cdk_serverless_patterns.runtime.log",
    "cdk_serverless_patterns.runtime.metrics",
]
#: Budget for importing the runtime package in a fresh interpreter (cold start).
IMPORT_BUDGET_MS = 50

PROBE = """
import json, sys, time
t0 = time.perf_counter()
import importlib
for name in {modules!r}:
    importlib.import_module(name)
elapsed = (time.perf_counter() - t0) * 1000
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'constructs', 'cdk_nag', 'aws_lambda_powertools'))
print(json.dumps({{"ms": elapsed, "heavy": heavy}}))
"""


def _probe(modules: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(modules=modules)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _runtime_modules() -> list[str]:
    import pkgutil

    import cdk_serverless_patterns.runtime as runtime

    return ["cdk_serverless_patterns.runtime"] + [
        f"cdk_serverless_patterns.runtime.{m.name}" for m in pkgutil.iter_modules(runtime.__path__)
    ]


def test_runtime_modules_do_not_import_cdk_or_powertools():
    # Powertools is installed in the test venv; the runtime must still never pull it in.
    result = _probe(_runtime_modules())
    assert result["heavy"] == []


def test_runtime_package_imports_within_budget():
    # best of three: the first run also pays for filesystem caches
    best = min(_probe(MODULES)["ms"] for _ in range(3))
    assert best <= IMPORT_BUDGET_MS, f"runtime import took {best:.1f} ms"


@pytest.mark.parametrize("module", ["cdk_serverless_patterns.runtime.env"])
def test_env_names_are_plain_strings(module):
    import importlib

    env = importlib.import_module(module)
    assert env.TABLE_NAME == "TABLE_NAME"
