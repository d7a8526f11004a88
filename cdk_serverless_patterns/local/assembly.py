"""Open a stack of a synthesized cloud assembly (``cdk.out``) without its constructs.

LocalCloud needs little of the assembly: the stack's template file, its
deployed name and region (the manifest's ``stackName`` and ``environment``) and
its file assets (``<artifact>.assets.json``). It reads them here rather than
through :mod:`cdk_serverless_patterns.tooling.assembly` because the tooling's
command line runs LocalCloud (``local serve``): the layers stay a DAG.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

from .template import StackTemplate, load_assets

_STACK = "aws:cloudformation:stack"
_NESTED = "cdk:cloud-assembly"


class AssemblyError(ValueError):
    """No such assembly or stack, or the stack to open is unclear (the message lists the stacks)."""


@dataclass(frozen=True)
class _Stack:
    artifact_id: str
    display_name: str
    stack_name: str
    region: Optional[str]
    template_file: Path


def read_stack(outdir: Path, stack_name: Optional[str]) -> StackTemplate:
    """The stack ``stack_name`` (artifact id, construct path or deployed name) of the assembly at ``outdir``.

    Without a name the assembly must hold exactly one stack. Raises
    :class:`AssemblyError` naming the stacks there otherwise.
    """
    if not outdir.is_dir():
        raise AssemblyError(f"{outdir} is not a cloud assembly directory (run 'cdk synth' or app.synth() first)")
    found = list(_stacks(outdir))
    if stack_name is None:
        chosen = found if len(found) == 1 else []
    else:
        chosen = [s for s in found if stack_name in (s.artifact_id, s.display_name, s.stack_name)][:1]
    if not chosen:
        listed = ", ".join(s.display_name for s in found) or "none"
        wanted = f"no stack {stack_name!r}" if stack_name else f"{len(found)} stacks"
        raise AssemblyError(f"{outdir} has {wanted}; its stacks: {listed} (name one: --stack NAME)")
    stack = chosen[0]
    return StackTemplate(
        json.loads(stack.template_file.read_text()),
        stack_name=stack.stack_name,
        assembly_dir=stack.template_file.parent,
        region=stack.region,
        assets=load_assets(stack.template_file.parent / f"{stack.artifact_id}.assets.json"),
    )


def _stacks(outdir: Path) -> Iterator[_Stack]:
    manifest = outdir / "manifest.json"
    if not manifest.exists():
        for template in sorted(outdir.glob("*.template.json")):
            name = template.name.removesuffix(".template.json")
            if not name.endswith(".nested"):
                yield _Stack(name, name, name, None, template)
        return
    artifacts: dict[str, Any] = json.loads(manifest.read_text()).get("artifacts") or {}
    for artifact_id, artifact in artifacts.items():
        props = artifact.get("properties") or {}
        if artifact.get("type") == _STACK and props.get("templateFile"):
            environment = str(artifact.get("environment") or "")
            region = environment.rsplit("/", 1)[-1] if environment.startswith("aws://") else ""
            yield _Stack(
                artifact_id,
                str(artifact.get("displayName") or artifact_id),
                str(props.get("stackName") or artifact_id),
                region if region and region != "unknown-region" else None,
                outdir / str(props["templateFile"]),
            )
        elif artifact.get("type") == _NESTED and props.get("directoryName"):
            yield from _stacks(outdir / str(props["directoryName"]))
