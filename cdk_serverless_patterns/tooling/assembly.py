"""Reading a cloud assembly directory (``cdk.out``): its stacks, templates and validation report.

Stacks come from ``manifest.json`` (nested assemblies of ``Stage``s included),
so a stack's construct path — what findings are reported against — and its
template file are known even when the two names differ. Each ``cdk.NestedStack``
follows its parent as a stack of its own (its template is the
``*.nested.template.json`` file the parent's ``AWS::CloudFormation::Stack``
resource names).

A directory that is not there or holds no stacks, a file that is missing or not
JSON, or a manifest or template of the wrong shape (a resource that is not an
object) is an :class:`AssemblyError` whose message names the file and what is
wrong with it. Templates are read when they are needed: finding the stacks
reads each one for its nested stacks, but a template that cannot be read only
fails a command that selects its stack (``--stack``) or needs it otherwise.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Union

REPORT_FILE = "validation-report.json"
#: Written next to the report by ``ServerlessPatternsChecks``: the packs that ran. CDK's
#: report leaves out a plugin that found nothing; ``findings`` lists every pack from this.
PACKS_FILE = "serverless-patterns-checks.json"
NESTED_SUFFIX = ".nested.template.json"
_STACK = "aws:cloudformation:stack"
_NESTED = "cdk:cloud-assembly"
_LOGICAL_ID = "aws:cdk:logicalId"
_TEMPLATE_FILE = "aws:cdk:templateFile"
#: ``Parent/Nested.NestedStack/Nested.NestedStackResource``: the resource of the nested stack ``Parent/Nested``.
_NESTED_RESOURCE = re.compile(r"^(?P<scope>(?:.*/)?)(?P<id>[^/]+)\.NestedStack/(?P=id)\.NestedStackResource$")
_HOW_TO_SYNTH = "synthesize the app first ('cdk synth', or app.synth()) and pass its output directory (cdk.out)"

PathLike = Union[str, "os.PathLike[str]"]


class AssemblyError(ValueError):
    """An assembly that cannot be read: no stacks in it, or a file of it missing, not JSON or of the wrong shape."""


class NoAssembly(AssemblyError, FileNotFoundError):
    """The assembly directory is not there (a ``FileNotFoundError`` too, as it was before)."""


def read_json(path: Path) -> Any:
    """The JSON in ``path``; :class:`AssemblyError` naming the file when it is missing, unreadable or not JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AssemblyError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise AssemblyError(f"{path} is not valid JSON (not UTF-8 text)") from None
    except OSError as error:
        raise AssemblyError(f"{path}: {(error.strerror or str(error)).lower()}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise AssemblyError(f"{path} is not valid JSON (line {error.lineno}): {error.msg}") from None


@dataclass(frozen=True)
class StackTemplate:
    """One synthesized stack: artifact id (a nested stack's: its file name), construct path, template file.

    ``parent`` is the ``name`` of the stack a nested stack is deployed with ("" for a top-level stack);
    ``metadata`` (or ``metadata_file``) is the assembly's metadata of the top-level stack, nested stacks included.
    ``unreadable`` is the error met reading the template to find its nested stacks ("" when there was
    none): those are unknown, and :meth:`template` raises it again when the stack is used.
    """

    name: str
    path: str
    template_file: Path
    metadata: Mapping[str, Any] = field(default_factory=dict)
    metadata_file: Path | None = None
    parent: str = ""
    unreadable: str = ""

    def template(self) -> dict[str, Any]:
        """The template; each resource's ``aws:cdk:path`` is filled in from the assembly's metadata
        where the template lacks it (apps synthesized outside the CDK CLI carry no path metadata).

        Raises :class:`AssemblyError` naming the file when it is missing or not JSON, or when it, its
        ``Resources`` or one of its resources is not a JSON object.
        """
        data = read_json(self.template_file)
        if not isinstance(data, dict):
            raise AssemblyError(f"{self.template_file} is not a CloudFormation template (not a JSON object)")
        resources = data.get("Resources")
        if resources is None:
            resources = data["Resources"] = {}
        if not isinstance(resources, dict):
            raise AssemblyError(f"{self.template_file}: Resources is not an object ({_short(resources)})")
        for logical_id, resource in resources.items():
            if not isinstance(resource, dict):
                raise AssemblyError(f"{self.template_file}: resource {logical_id!r} is not an object ({_short(resource)})")
        paths = self.logical_paths()
        for logical_id, resource in resources.items():
            if logical_id in paths:
                meta = resource.setdefault("Metadata", {})
                if isinstance(meta, dict):
                    meta.setdefault("aws:cdk:path", paths[logical_id])
        return data

    def logical_paths(self) -> dict[str, str]:
        """Logical id -> construct path (``Stack/Pattern/Part/Resource``) of this stack's resources,
        from the manifest's metadata (entries of stacks nested in this one left out: their ids may repeat)."""
        entries = self.all_metadata()
        roots = _stack_roots(entries)
        own = next((p for p, f in roots.items() if f == self.template_file.name), self.path)
        scopes = set(roots) | {own}
        return {
            str(entry.get("data")): path
            for path, entry in _entries(entries, _LOGICAL_ID)
            if _owner(path, scopes) in (own, None)
        }

    def all_metadata(self) -> Mapping[str, Any]:
        """The metadata entries per construct path, from the manifest or its additional metadata file."""
        if self.metadata or self.metadata_file is None or not self.metadata_file.is_file():
            return self.metadata
        data = read_json(self.metadata_file)
        return data if isinstance(data, Mapping) else {}

    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        """The template's resources by logical id (see :meth:`template`; each one a JSON object)."""
        resources: dict[str, dict[str, Any]] = self.template()["Resources"]
        return resources

    def nested(self) -> list[StackTemplate]:
        """The stacks nested directly in this one (``cdk.NestedStack``), in template order.

        A nested stack's template file is the one its ``AWS::CloudFormation::Stack`` resource names
        (``aws:asset:path``, CDK CLI) or the metadata names for its construct path (any synth).
        """
        entries = self.all_metadata()
        roots = _stack_roots(entries)
        found = []
        for resource in self.resources().values():
            if not isinstance(resource, Mapping) or resource.get("Type") != "AWS::CloudFormation::Stack":
                continue
            meta = resource.get("Metadata")
            meta = meta if isinstance(meta, Mapping) else {}
            match = _NESTED_RESOURCE.match(str(meta.get("aws:cdk:path") or ""))
            path = match["scope"] + match["id"] if match else ""
            file = str(meta.get("aws:asset:path") or roots.get(path) or "")
            if not file.endswith(".json"):
                continue  # a stack from a template URL: not in the assembly
            name = Path(file).name.removesuffix(NESTED_SUFFIX).removesuffix(".template.json")
            found.append(StackTemplate(name, path or name, self.template_file.parent / file, entries, None, self.name))
        return found


def _entries(metadata: Mapping[str, Any], kind: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(construct path, entry) for the metadata entries of type ``kind``."""
    for path, entries in metadata.items():
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping) and entry.get("type") == kind:
                yield str(path).lstrip("/"), entry


def _stack_roots(metadata: Mapping[str, Any]) -> dict[str, str]:
    """Construct path -> template file name of each stack the metadata covers (file "" where unknown)."""
    roots = {path: str(entry.get("data") or "") for path, entry in _entries(metadata, _TEMPLATE_FILE)}
    for path, _ in _entries(metadata, _LOGICAL_ID):
        match = _NESTED_RESOURCE.match(path)
        if match:
            roots.setdefault(match["scope"] + match["id"], "")
    return roots


def _short(value: Any) -> str:
    """``value`` for a message: its repr, cut at 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _owner(path: str, scopes: set[str]) -> str | None:
    """The innermost of ``scopes`` that ``path`` lies in, None when it lies in none."""
    inside = [s for s in scopes if path == s or path.startswith(s + "/")]
    return max(inside, key=len) if inside else None


def stacks(outdir: PathLike, *, allow_empty: bool = False) -> list[StackTemplate]:
    """Every stack in the assembly at ``outdir``, in manifest order, each followed by its nested stacks.

    Falls back to ``*.template.json`` when there is no manifest (a copied folder). Raises
    :class:`AssemblyError` when the directory is not there (:class:`NoAssembly`, a ``FileNotFoundError``
    too), holds no stacks (unless ``allow_empty``), or its manifest cannot be read. A template that cannot
    be read does not stop the others: its stack is listed with :attr:`StackTemplate.unreadable` set.
    """
    out = Path(outdir)
    if not out.is_dir():
        raise NoAssembly(f"{out} is not a cloud assembly directory (run 'cdk synth' or app.synth() first)")
    manifest = out / "manifest.json"
    if manifest.exists():
        top = list(_from_manifest(manifest))
        empty = f"{manifest} names no stacks"
    else:
        top = [_from_file(p, "") for p in sorted(out.glob("*.template.json")) if not p.name.endswith(NESTED_SUFFIX)]
        empty = f"{out} holds no synthesized stacks (no manifest.json, no *.template.json)"
    seen: set[Path] = set()
    found = [s for stack in top for s in _with_nested(stack, seen)]
    if not manifest.exists():  # nested templates no parent names (no asset metadata): stacks of their own
        found += [_from_file(p, "") for p in sorted(out.glob("*" + NESTED_SUFFIX)) if p not in seen]
    if not found and not allow_empty:
        raise AssemblyError(f"{empty}: {_HOW_TO_SYNTH}")
    return found


def _from_file(template_file: Path, parent: str) -> StackTemplate:
    """The stack of a template file found without a manifest (named after the file)."""
    name = template_file.name.removesuffix(NESTED_SUFFIX).removesuffix(".template.json")
    return StackTemplate(name, name, template_file, parent=parent)


def _with_nested(stack: StackTemplate, seen: set[Path]) -> Iterator[StackTemplate]:
    """``stack``, then each stack nested in it, depth first; a stack whose template cannot be read comes
    without its nested stacks, ``unreadable`` saying why."""
    if stack.template_file in seen:
        return
    seen.add(stack.template_file)
    try:
        children = stack.nested()
    except AssemblyError as error:
        yield replace(stack, unreadable=str(error))
        return
    yield stack
    for child in children:
        yield from _with_nested(child, seen)


class StackNotFound(LookupError):
    """A ``--stack`` name that is not in the assembly."""


def select(found: list[StackTemplate], names: Sequence[str] | None) -> list[StackTemplate]:
    """The stacks named (artifact id or construct path) and those nested in them, in assembly order;
    all when ``names`` is empty.

    Raises :class:`StackNotFound` for a name that is not in the assembly, and the :class:`AssemblyError`
    of a selected stack whose template cannot be read (or of any such stack, for an unknown name: the
    stack might be nested in it).
    """
    if not names:
        return found
    known = {s.name for s in found} | {s.path for s in found}
    broken = [s for s in found if s.unreadable]
    for name in names:
        if name not in known and broken:
            raise AssemblyError(
                f"no stack {name!r} among the readable stacks ({', '.join(s.path for s in found)}); "
                f"it may be nested in one whose template cannot be read: {broken[0].unreadable}"
            )
        if name not in known:
            raise StackNotFound(
                f"no stack {name!r} in the assembly; its stacks are: {', '.join(s.path for s in found) or 'none'}"
            )
    chosen: set[str] = set()
    for stack in found:  # parents come before their nested stacks
        if stack.name in names or stack.path in names or stack.parent in chosen:
            chosen.add(stack.name)
    selected = [s for s in found if s.name in chosen]
    for stack in selected:
        if stack.unreadable:
            raise AssemblyError(stack.unreadable)
    return selected


def _from_manifest(manifest: Path) -> Iterator[StackTemplate]:
    """The stacks a manifest names, those of nested assemblies (``Stage``) in place."""
    data = read_json(manifest)
    if not isinstance(data, dict):
        raise AssemblyError(f"{manifest} is not a cloud assembly manifest (not a JSON object)")
    artifacts = data.get("artifacts")
    artifacts = {} if artifacts is None else artifacts
    if not isinstance(artifacts, dict):
        raise AssemblyError(f"{manifest}: artifacts is not an object ({_short(artifacts)})")
    out = manifest.parent
    for name, artifact in artifacts.items():
        if not isinstance(artifact, dict):
            raise AssemblyError(f"{manifest}: artifact {name!r} is not an object ({_short(artifact)})")
        kind = artifact.get("type")
        props = artifact.get("properties") or {}
        props = props if isinstance(props, dict) else {}
        if kind == _STACK and props.get("templateFile"):
            extra = artifact.get("additionalMetadataFile")
            metadata = artifact.get("metadata") or {}
            for key, value in (("templateFile", props["templateFile"]), ("additionalMetadataFile", extra or "")):
                if not isinstance(value, str):
                    raise AssemblyError(f"{manifest}: artifact {name!r}: {key} is not a file name ({_short(value)})")
            yield StackTemplate(name, str(artifact.get("displayName") or name), out / props["templateFile"],
                                metadata if isinstance(metadata, dict) else {}, out / extra if extra else None)
        elif kind == _NESTED and props.get("directoryName"):
            if not isinstance(props["directoryName"], str):
                raise AssemblyError(f"{manifest}: artifact {name!r}: directoryName is not a directory name "
                                    f"({_short(props['directoryName'])})")
            yield from _from_manifest(out / props["directoryName"] / "manifest.json")


def read_report(outdir: PathLike) -> dict[str, Any] | None:
    """The validation report in ``outdir`` (or the report file itself), None when there is none."""
    path = Path(outdir)
    if path.is_dir():
        path = path / REPORT_FILE
    if not path.exists():
        return None
    report = read_json(path)
    if not isinstance(report, dict):
        raise AssemblyError(f"{path} is not a validation report (not a JSON object)")
    return report
