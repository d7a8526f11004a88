"""Session fixtures: jsii start-up is expensive, so each app is synthesized once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass
class ExamplesAssembly:
    outdir: Path
    stacks: dict  # example name -> list of stack names
    error: Exception | None

    @property
    def report(self) -> Path:
        return self.outdir / "validation-report.json"


@pytest.fixture(scope="session")
def examples_assembly(tmp_path_factory: pytest.TempPathFactory) -> ExamplesAssembly:
    """Every example stack, synthesized once with all checks enabled."""
    from examples.app import build_app

    outdir = tmp_path_factory.mktemp("examples-cdk-out")
    app, stacks = build_app(str(outdir))
    error = None
    try:
        app.synth()
    except Exception as exc:  # ValidationFailed: the report says why; tests show it
        error = exc
    names = {name: [s.stack_name for s in built] for name, built in stacks.items()}
    return ExamplesAssembly(outdir=outdir, stacks=names, error=error)
