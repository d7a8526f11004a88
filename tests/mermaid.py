"""Mermaid's own parser, from the tests: ``scripts/validate_mermaid.mjs`` in one Node process.

Node and the npm packages (``mermaid``, ``jsdom``) come from the repository's
``node_modules``, which ``scripts/setup.sh`` installs with ``npm ci``. Starting
Node and loading Mermaid takes about a second, so validate every diagram a test
needs in one call rather than one call per diagram.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "validate_mermaid.mjs"
PACKAGES = ("mermaid", "jsdom")


def _node() -> str:
    node = shutil.which("node")
    missing = [p for p in PACKAGES if not (ROOT / "node_modules" / p / "package.json").exists()]
    if node is None or missing:
        raise AssertionError(
            f"Mermaid validation needs node and node_modules/{', node_modules/'.join(missing or PACKAGES)}:"
            " run 'bash scripts/setup.sh' (npm ci)"
        )
    return node


def mermaid_errors(texts: Sequence[str]) -> list[Optional[str]]:
    """The parser's message for each diagram in ``texts`` (None where it parses), one Node run."""
    if not texts:
        return []
    proc = subprocess.run(
        [_node(), str(SCRIPT), "--json"],
        input=json.dumps(list(texts)), capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        raise AssertionError(f"validate_mermaid.mjs failed ({proc.returncode}): {proc.stderr.strip()}")
    errors: list[Optional[str]] = json.loads(proc.stdout)
    return errors


def validate_mermaid(*texts: str) -> None:
    """Raise AssertionError with the parser's message(s) unless every diagram parses."""
    errors = mermaid_errors(texts)
    bad = [(i, e) for i, e in enumerate(errors) if e is not None]
    if len(texts) == 1 and bad:
        raise AssertionError(f"invalid Mermaid: {bad[0][1]}")
    if bad:
        raise AssertionError("\n".join(f"invalid Mermaid (diagram {i}): {e}" for i, e in bad))


def markdown_errors(paths: Sequence[Path]) -> dict[Path, list[str]]:
    """The invalid ```mermaid blocks of each Markdown file (``FILE:LINE: message``), one Node run.

    Runs the script on the files themselves, so its own Markdown reading is what is tested.
    """
    if not paths:
        return {}
    names = [str(p) for p in paths]
    proc = subprocess.run([_node(), str(SCRIPT), *names], capture_output=True, text=True, cwd=ROOT, timeout=120)
    if proc.returncode not in (0, 1):
        raise AssertionError(f"validate_mermaid.mjs failed ({proc.returncode}): {proc.stderr.strip()}")
    errors: dict[Path, list[str]] = {p: [] for p in paths}
    start = re.compile("^(" + "|".join(re.escape(n) for n in names) + r"):\d+: ")
    current: Optional[list[str]] = None
    for line in proc.stdout.splitlines():
        match = start.match(line)
        if match:
            current = errors[paths[names.index(match.group(1))]]
            current.append(line)
        elif line.startswith("ok "):
            current = None
        elif current:
            current[-1] += "\n" + line
    return errors
