"""Reading a cloud assembly directory (``cdk.out``): its stacks, templates and validation report.

Stacks come from ``manifest.json`` (nested assemblies of ``Stage``s included),
so a stack's construct path — what findings are reported against — and its
template file are known even when the two names differ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
import os
from typing import Any, Iterator, Mapping, Union

REPORT_FILE = "validation-report.json"
_STACK = "aws:cloudformation:stack"
_NESTED = "cdk:cloud-assembly"

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class StackTemplate:
    """One synthesized stack: artifact id, construct path, template file."""

    name: str
    path: str
    template_file: Path

    def template(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.template_file.read_text(encoding="utf-8"))
        return data

    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        resources = self.template().get("Resources")
        return resources if isinstance(resources, Mapping) else {}


def stacks(outdir: PathLike) -> list[StackTemplate]:
    """Every stack in the assembly at ``outdir``, in manifest order.

    Falls back to ``*.template.json`` when there is no manifest (a copied folder).
    """
    out = Path(outdir)
    if not out.is_dir():
        raise FileNotFoundError(f"{out} is not a cloud assembly directory (run 'cdk synth' or app.synth() first)")
    found = list(_from_manifest(out))
    if found or (out / "manifest.json").exists():
        return found
    return [
        StackTemplate(p.name.removesuffix(".template.json"), p.name.removesuffix(".template.json"), p)
        for p in sorted(out.glob("*.template.json"))
    ]


def _from_manifest(out: Path) -> Iterator[StackTemplate]:
    manifest_file = out / "manifest.json"
    if not manifest_file.exists():
        return
    artifacts = json.loads(manifest_file.read_text(encoding="utf-8")).get("artifacts") or {}
    for name, artifact in artifacts.items():
        kind = artifact.get("type")
        props = artifact.get("properties") or {}
        if kind == _STACK and props.get("templateFile"):
            yield StackTemplate(name, artifact.get("displayName") or name, out / props["templateFile"])
        elif kind == _NESTED and props.get("directoryName"):
            yield from _from_manifest(out / props["directoryName"])


def read_report(outdir: PathLike) -> dict[str, Any] | None:
    """The validation report in ``outdir`` (or the report file itself), None when there is none."""
    path = Path(outdir)
    if path.is_dir():
        path = path / REPORT_FILE
    if not path.exists():
        return None
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report
