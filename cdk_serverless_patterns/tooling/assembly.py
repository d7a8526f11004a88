"""Reading a cloud assembly directory (``cdk.out``): its stacks, templates and validation report.

Stacks come from ``manifest.json`` (nested assemblies of ``Stage``s included),
so a stack's construct path — what findings are reported against — and its
template file are known even when the two names differ.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

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
    metadata: Mapping[str, Any] = field(default_factory=dict)
    metadata_file: Path | None = None

    def template(self) -> dict[str, Any]:
        """The template; each resource's ``aws:cdk:path`` is filled in from the assembly's metadata
        where the template lacks it (apps synthesized outside the CDK CLI carry no path metadata)."""
        data: dict[str, Any] = json.loads(self.template_file.read_text(encoding="utf-8"))
        paths = self.logical_paths()
        for logical_id, resource in (data.get("Resources") or {}).items():
            if isinstance(resource, dict) and logical_id in paths:
                meta = resource.setdefault("Metadata", {})
                if isinstance(meta, dict):
                    meta.setdefault("aws:cdk:path", paths[logical_id])
        return data

    def logical_paths(self) -> dict[str, str]:
        """Logical id -> construct path (``Stack/Pattern/Part/Resource``), from the manifest's metadata."""
        metadata: Mapping[str, Any] = self.metadata
        if not metadata and self.metadata_file is not None and self.metadata_file.is_file():
            metadata = json.loads(self.metadata_file.read_text(encoding="utf-8"))
        return {
            str(entry.get("data")): path.lstrip("/")
            for path, entries in metadata.items()
            for entry in entries or []
            if isinstance(entry, Mapping) and entry.get("type") == "aws:cdk:logicalId"
        }

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


class StackNotFound(LookupError):
    """A ``--stack`` name that is not in the assembly."""


def select(found: list[StackTemplate], names: Sequence[str] | None) -> list[StackTemplate]:
    """The stacks named (artifact id or construct path), in assembly order; all when ``names`` is empty."""
    if not names:
        return found
    known = {s.name for s in found} | {s.path for s in found}
    for name in names:
        if name not in known:
            raise StackNotFound(
                f"no stack {name!r} in the assembly; its stacks are: {', '.join(s.name for s in found) or 'none'}"
            )
    return [s for s in found if s.name in names or s.path in names]


def _from_manifest(out: Path) -> Iterator[StackTemplate]:
    manifest_file = out / "manifest.json"
    if not manifest_file.exists():
        return
    artifacts = json.loads(manifest_file.read_text(encoding="utf-8")).get("artifacts") or {}
    for name, artifact in artifacts.items():
        kind = artifact.get("type")
        props = artifact.get("properties") or {}
        if kind == _STACK and props.get("templateFile"):
            extra = artifact.get("additionalMetadataFile")
            yield StackTemplate(name, artifact.get("displayName") or name, out / props["templateFile"],
                                artifact.get("metadata") or {}, out / extra if extra else None)
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
