"""Session fixtures: jsii start-up is expensive, so each app is synthesized once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def _share_botocore_data_loader() -> None:
    """Every botocore session of the test process reads its JSON through one loader per data path.

    moto gives each ``mock_aws`` a fresh boto3 default session, whose first
    clients would parse endpoints.json and each service model again (~0.1 s a
    test that uses moto). A loader only reads botocore's data files and keeps
    what it parsed, so sharing it changes no answer. Sessions stay fresh in
    everything else (credentials, config, events).
    """
    import botocore.loaders
    import botocore.session

    loaders: dict[Any, botocore.loaders.Loader] = {}

    def register_shared_loader(session: botocore.session.Session) -> None:
        def loader() -> botocore.loaders.Loader:
            data_path = session.get_config_variable("data_path")
            if data_path not in loaders:
                loaders[data_path] = botocore.loaders.create_loader(data_path)
            return loaders[data_path]

        session._components.lazy_register_component("data_loader", loader)  # noqa: SLF001

    botocore.session.Session._register_data_loader = register_shared_loader  # type: ignore[method-assign]


_share_botocore_data_loader()


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
