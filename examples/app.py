"""The CDK app that ``cdk.json`` runs: every example stack, with all checks on
(AwsSolutions, Serverless, ServerlessPatterns and cdk-nag's NIST 800-53 R5,
HIPAA Security and PCI DSS 3.2.1 packs).

Each sub-package of ``examples/`` that has a ``stack.py`` with a
``build(app) -> list[Stack]`` function is one example; they are discovered, so
adding an example is adding a folder.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Optional

import aws_cdk as cdk

from cdk_serverless_patterns import enable_checks
from cdk_serverless_patterns.checks import COMPLIANCE_PACKS

EXAMPLES_DIR = Path(__file__).parent


def example_names() -> list[str]:
    """Names of the example packages, sorted."""
    return sorted(p.parent.name for p in EXAMPLES_DIR.glob("*/stack.py"))


def build_example(app: cdk.App, name: str) -> list[cdk.Stack]:
    """Add the stacks of example ``name`` to ``app``."""
    return list(importlib.import_module(f"examples.{name}.stack").build(app))


def build_app(outdir: Optional[str] = None) -> cdk.App:
    """The app with every example stack and all checks enabled, compliance packs included."""
    app = cdk.App(outdir=outdir)
    enable_checks(app, compliance=tuple(COMPLIANCE_PACKS))
    for name in example_names():
        build_example(app, name)
    return app


if __name__ == "__main__":
    build_app().synth()
