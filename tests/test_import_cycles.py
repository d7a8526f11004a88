"""The package has no import cycle.

The import graph is read with ``ast`` from the package's source files (nothing is
imported, so the test is cheap and sees every module, including ``local/`` whose
extra may be missing). Every ``import`` and ``from ... import`` counts, at any
depth: a function-level import is a dependency the caller takes on when it runs,
and moving an import into a function is how a cycle usually hides.

Two levels are held:

* **modules, at run time** — no cycle between modules through imports that execute.
  Imports under ``if TYPE_CHECKING:`` are left out here: they never run, and a
  type-only back-reference (``local/sources.py`` annotating with ``LocalCloud``
  from ``local/cloud.py``, which imports it) is the documented way to annotate a
  caller without depending on it at run time.
* **sub-packages, including type-only imports** — the layers (``patterns``,
  ``building_blocks``, ``checks``, ``tooling``, ``template``, ``runtime``, ``local``
  and the top-level modules) form a DAG even counting annotations: within a
  sub-package a type-only back-reference is fine, between layers it is a design cycle.

An edge goes to the module an import names: ``from pkg import sub`` names
``pkg.sub`` when that is a module, else ``pkg`` (its ``__init__``). Python also
runs a package's parent ``__init__`` files; counting that would make the root
package's re-exports a cycle with everything, which is not what a reader means
by one module depending on another.
"""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Mapping
from pathlib import Path

import pytest

PACKAGE = "cdk_serverless_patterns"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, type_only: bool = False) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement in ``tree`` at any depth, with whether it sits under ``if TYPE_CHECKING:``."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append((node, type_only))
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                found.extend(_imports(ast.Module(body=[child], type_ignores=[]), True))
            for child in node.orelse:
                found.extend(_imports(ast.Module(body=[child], type_ignores=[]), type_only))
        else:
            found.extend(_imports(node, type_only))
    return found


def import_graph(sources: Mapping[str, tuple[str, bool]], *, type_only: bool) -> dict[str, set[str]]:
    """Module -> the package modules it imports.

    :param sources: module name -> (source text, is a package ``__init__``).
    :param type_only: count imports under ``if TYPE_CHECKING:`` too.
    """
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for name, (text, is_package) in sources.items():
        package = name if is_package else name.rpartition(".")[0]
        for node, under_type_checking in _imports(ast.parse(text)):
            if under_type_checking and not type_only:
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in sources else module for a in node.names]
            graph[name].update(t for t in targets if t in sources and t != name)
    return graph


def _sources() -> dict[str, tuple[str, bool]]:
    return {_module_name(p): (p.read_text(), p.name == "__init__.py") for p in sorted(ROOT.rglob("*.py"))}


def _layer(module: str) -> str:
    """``cdk_serverless_patterns.checks.rules.apigw`` -> ``cdk_serverless_patterns.checks``."""
    return ".".join(module.split(".")[:2])


def _cycle(graph: Mapping[str, set[str]]) -> list[str]:
    """One cycle of ``graph`` (``[]`` when it has none)."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return []


@pytest.fixture(scope="module")
def sources() -> dict[str, tuple[str, bool]]:
    found = _sources()
    assert f"{PACKAGE}.template.reader" in found and f"{PACKAGE}.checks.graph" in found  # the walk found the package
    return found


def test_no_cycle_between_modules_at_run_time(sources: dict[str, tuple[str, bool]]) -> None:
    graph = import_graph(sources, type_only=False)
    assert sum(map(len, graph.values())) > 100  # the graph is the package's, not empty
    assert _cycle(graph) == []


def test_no_cycle_between_sub_packages_counting_type_only_imports(sources: dict[str, tuple[str, bool]]) -> None:
    layers: dict[str, set[str]] = {}
    for module, imported in import_graph(sources, type_only=True).items():
        layers.setdefault(_layer(module), set()).update(_layer(m) for m in imported if _layer(m) != _layer(module))
    assert {f"{PACKAGE}.checks", f"{PACKAGE}.tooling", f"{PACKAGE}.template"} <= set(layers)
    assert _cycle(layers) == []


def test_template_catalogue_and_metadata_are_leaves(sources: dict[str, tuple[str, bool]]) -> None:
    graph = import_graph(sources, type_only=True)
    assert graph[f"{PACKAGE}.template.catalogue"] == set()
    assert graph[f"{PACKAGE}.template.metadata"] == set()
    assert {_layer(m) for m in graph[f"{PACKAGE}.template.reader"]} == {f"{PACKAGE}.template"}


def test_the_check_finds_a_cycle_through_a_function_level_import() -> None:
    sources = {
        "pkg": ("", True),
        "pkg.a": ("from .b import thing\n", False),
        "pkg.b": ("def thing():\n    from pkg import a\n    return a\n", False),
        "pkg.c": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import thing\n", False),
    }
    assert sorted(set(_cycle(import_graph(sources, type_only=False)))) == ["pkg.a", "pkg.b"]
    assert import_graph(sources, type_only=False)["pkg.c"] == set()
    assert import_graph(sources, type_only=True)["pkg.c"] == {"pkg.a"}
