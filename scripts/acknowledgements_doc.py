"""Regenerate the acknowledgement table of docs/checks.md from the synthesized examples.

    JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 .venv/bin/python scripts/acknowledgements_doc.py

tests/test_examples.py fails when the page differs from what this writes.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cdk_serverless_patterns.tooling.acknowledgements import collect, render, replace_section  # noqa: E402
from examples.app import build_app  # noqa: E402

DOC = ROOT / "docs" / "checks.md"


def main() -> None:
    with tempfile.TemporaryDirectory() as outdir:
        build_app(outdir).synth()
        templates = [json.loads(p.read_text()) for p in sorted(Path(outdir).glob("*.template.json"))]
    DOC.write_text(replace_section(DOC.read_text(), render(collect(templates))))
    print(f"wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
