"""Open a stack of a synthesized cloud assembly (``cdk.out``) without its constructs.

The stacks, their template files and construct paths come from the one
assembly reader of :mod:`cdk_serverless_patterns.tooling.assembly`; this module
adds what LocalCloud needs on top: the stack's deployed name and region (from
the manifest's ``stackName`` and ``environment``) and its file assets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from ..tooling.assembly import AssemblyError, select, stacks
from .template import StackTemplate, load_assets


def read_stack(outdir: Path, stack_name: Optional[str]) -> StackTemplate:
    """The stack ``stack_name`` (artifact id or construct path) of the assembly at ``outdir``.

    Without a name the assembly must hold exactly one top-level stack.
    Raises :class:`~cdk_serverless_patterns.tooling.assembly.AssemblyError`
    (a ``ValueError``) naming the stacks there when the choice is unclear.
    """
    found = [s for s in stacks(outdir) if not s.parent]
    if stack_name is None:
        if len(found) != 1:
            raise AssemblyError(
                f"{outdir} holds {len(found)} stacks ({', '.join(s.path for s in found)}); name one (--stack NAME)"
            )
        chosen = found[0]
    else:
        chosen = select(found, [stack_name])[0]
    assembly_dir = chosen.template_file.parent
    artifact = _artifact(assembly_dir, chosen.name)
    properties = artifact.get("properties") or {}
    environment = str(artifact.get("environment") or "")
    region = environment.rsplit("/", 1)[-1] if environment.startswith("aws://") else ""
    return StackTemplate(
        chosen.template(),
        stack_name=str(properties.get("stackName") or chosen.name),
        assembly_dir=assembly_dir,
        region=region if region and region != "unknown-region" else None,
        assets=load_assets(assembly_dir / f"{chosen.name}.assets.json"),
    )


def _artifact(assembly_dir: Path, name: str) -> dict[str, Any]:
    manifest = assembly_dir / "manifest.json"
    if not manifest.exists():
        return {}
    artifact = (json.loads(manifest.read_text()).get("artifacts") or {}).get(name)
    return artifact if isinstance(artifact, dict) else {}
