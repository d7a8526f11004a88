"""Session fixtures: jsii start-up is expensive, so each app is synthesized once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass
class SynthesizedExample:
    """One example app, synthesized once with all checks enabled: AwsSolutions,
    Serverless, ServerlessPatterns and the NIST 800-53 R5, HIPAA Security and
    PCI DSS 3.2.1 packs (adding them costs well under a second per example)."""

    name: str
    outdir: Path
    stack_names: list[str]
    error: Optional[Exception]
    stacks: list[Any] = field(default_factory=list)  # the cdk.Stack objects, for LocalCloud

    @property
    def report(self) -> Path:
        return self.outdir / "validation-report.json"

    def template_path(self, stack_name: str) -> Path:
        return self.outdir / f"{stack_name}.template.json"


@pytest.fixture(scope="session")
def synthesized_example(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], SynthesizedExample]:
    """``synthesized_example(name)``: that example's app, synthesized at most once.

    Each example gets its own app, so one broken example cannot fail the others.
    """
    import aws_cdk as cdk

    from cdk_serverless_patterns import enable_checks
    from cdk_serverless_patterns.checks import COMPLIANCE_PACKS
    from examples.app import build_example
    from tests.support import synth_keeping_error

    cache: dict[str, SynthesizedExample] = {}

    def get(name: str) -> SynthesizedExample:
        if name not in cache:
            outdir = tmp_path_factory.mktemp(f"cdk-out-{name}")
            app = cdk.App(outdir=str(outdir))
            enable_checks(app, compliance=tuple(COMPLIANCE_PACKS))
            stacks = build_example(app, name)
            error = synth_keeping_error(app)
            cache[name] = SynthesizedExample(name, outdir, [s.artifact_id for s in stacks], error, stacks)
        return cache[name]

    return get
