"""Store a release's templates and public imports for the upgrade test.

    .venv/bin/python scripts/release_templates.py 0.2.0 <commit-or-tag>

checks out ``<commit-or-tag>`` into a temporary git worktree, synthesizes every
example app and ``tests/upgrade/probe_app.py`` there (the released package shadows
the installed one: the child runs from the worktree's root), and writes

* ``tests/upgrade/releases/<version>/<stack>.json``: each stack's template,
  normalized as the snapshots are (``tests.support.normalize_template``);
* ``tests/upgrade/releases/<version>/stacks.json``: which example (or ``probe``) made which stack;
* ``tests/upgrade/releases/<version>/public_api.json``: every module of the package
  and the public names it defines (``__all__``, or its top-level definitions).

``tests/upgrade/test_upgrade.py`` then checks today's code against every stored release.
Run it from the repository root; it needs git, the shared ``.venv`` and ``node_modules``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "tests" / "upgrade" / "releases"
PROBE = Path("tests") / "upgrade" / "probe_app.py"

# Runs inside the release's worktree, with its package first on sys.path.
_CHILD = r'''
import ast, importlib, json, os, pkgutil, runpy, sys
from pathlib import Path
import aws_cdk as cdk
import cdk_serverless_patterns as package

assert Path(package.__file__).resolve().is_relative_to(Path.cwd().resolve()), package.__file__
out = Path(sys.argv[1])
stacks = {}

from examples.app import build_example, example_names
for name in example_names():
    app = cdk.App(outdir=str(out / name))
    stacks[name] = [s.artifact_id for s in build_example(app, name)]
    app.synth()

app = cdk.App(outdir=str(out / "probe"))
probes = runpy.run_path(sys.argv[2])["build_all"](app, sys.argv[3])  # this release's probes and earlier ones
stacks["probe"] = [s.artifact_id for s in probes]
app.synth()

def public_names(module):
    if hasattr(module, "__all__"):
        return sorted(module.__all__)
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return sorted(n for n in names if not n.startswith("_"))

api = {package.__name__: public_names(package)}
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if any(part.startswith("_") for part in info.name.split(".")):
        continue
    api[info.name] = public_names(importlib.import_module(info.name))

(out / "stacks.json").write_text(json.dumps(stacks, indent=1, sort_keys=True) + "\n")
(out / "public_api.json").write_text(json.dumps(api, indent=1, sort_keys=True) + "\n")
'''


def main(version: str, ref: str) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.support import normalize_template

    target = RELEASES / version
    with tempfile.TemporaryDirectory(prefix=f"release-{version}-") as tmp:
        worktree, out = Path(tmp) / "src", Path(tmp) / "out"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree), ref], check=True)
        try:
            (worktree / "node_modules").symlink_to(ROOT / "node_modules")
            (worktree / PROBE).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / PROBE, worktree / PROBE)  # build_all(app, version): the probes that release accepts
            env = {**os.environ, "PYTHONPATH": str(worktree), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
            subprocess.run([sys.executable, "-c", _CHILD, str(out), str(worktree / PROBE), version], cwd=worktree, env=env, check=True)
            target.mkdir(parents=True, exist_ok=True)
            for old in target.glob("*.json"):
                old.unlink()
            for group, names in json.loads((out / "stacks.json").read_text()).items():
                for name in names:
                    template = json.loads((out / group / f"{name}.template.json").read_text())
                    text = json.dumps(normalize_template(template), indent=1, sort_keys=True) + "\n"
                    (target / f"{name}.json").write_text(text)
            shutil.copy(out / "public_api.json", target / "public_api.json")
            shutil.copy(out / "stacks.json", target / "stacks.json")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=True)
    print(f"stored {len(list(target.glob('*.json'))) - 2} templates and the public API of {version} ({ref}) in {target}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
