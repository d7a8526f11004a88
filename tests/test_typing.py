"""mypy --strict: a user's app type-checks, a wrong option does not; the lazy exports stay in step.

mypy reads aws-cdk-lib's (large) stubs: a cold run takes about a minute, a run
with a warm cache a few seconds. The cache lives in the system temp directory,
keyed by the pinned versions, so only the first run after a dependency change
is slow.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import cdk_serverless_patterns

ROOT = Path(__file__).resolve().parent.parent
APPS = Path(__file__).parent / "fixtures" / "typing"
INIT = ROOT / "cdk_serverless_patterns" / "__init__.py"

pytest.importorskip("mypy")


def mypy_cache_dir() -> Path:
    """mypy's cache, shared by the runs of the test suite and keyed by the pinned versions;
    ``MYPY_CACHE_DIR`` (mypy's own variable) when set, as scripts/check_wheel.sh does for its venv."""
    if os.environ.get("MYPY_CACHE_DIR"):
        return Path(os.environ["MYPY_CACHE_DIR"])
    key = hashlib.sha256((ROOT / "constraints.txt").read_bytes()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"cdk-serverless-patterns-mypy-{key}"


@pytest.fixture(scope="module")
def mypy_output() -> dict[str, list[str]]:
    """Error lines per checked file, from one ``mypy --strict`` run over the package and both apps."""
    cache = mypy_cache_dir()
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), "--no-error-summary",
         "cdk_serverless_patterns", str(APPS / "user_app.py"), str(APPS / "wrong_option.py")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode in (0, 1), proc.stderr or proc.stdout  # 2 = mypy itself failed
    by_file: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        if ": error:" in line:
            by_file.setdefault(Path(line.split(":", 1)[0]).name, []).append(line)
    return by_file


def test_the_package_passes_mypy_strict(mypy_output):
    package_errors = [e for name, lines in mypy_output.items() for e in lines if "cdk_serverless_patterns" in e]
    assert package_errors == []


def test_a_user_app_using_every_pattern_passes_mypy_strict(mypy_output):
    assert mypy_output.get("user_app.py", []) == []


def test_a_wrong_option_name_and_type_fail_mypy(mypy_output):
    errors = "\n".join(mypy_output.get("wrong_option.py", []))
    assert 'Unexpected keyword argument "no_such_option" for "ApiBackend"' in errors
    assert re.search(r'Argument "routes" to "ApiBackend" has incompatible type "int"', errors), errors


def _type_checking_imports() -> dict[str, str]:
    """name -> module of every ``from .x import Name as Name`` under ``if TYPE_CHECKING:``."""
    found: dict[str, str] = {}
    for node in ast.parse(INIT.read_text()).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom), ast.dump(stmt)
                for alias in stmt.names:
                    assert alias.asname == alias.name, f"{alias.name}: re-export as itself so mypy sees it"
                    found[alias.name] = "." * stmt.level + (stmt.module or "")
    return found


def test_exports_all_and_type_checking_imports_agree():
    exports = cdk_serverless_patterns._EXPORTS
    assert _type_checking_imports() == exports
    assert sorted(cdk_serverless_patterns.__all__) == sorted([*exports, "__version__"])
    for name in cdk_serverless_patterns.__all__:
        assert getattr(cdk_serverless_patterns, name) is not None, name


def test_all_is_a_literal_list():
    # type checkers only read a literal __all__
    tree = ast.parse(INIT.read_text())
    [assign] = [n for n in tree.body if isinstance(n, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)]
    assert isinstance(assign.value, ast.List) and all(isinstance(e, ast.Constant) for e in assign.value.elts)


def test_version_is_the_packaged_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", cdk_serverless_patterns.__version__)
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{cdk_serverless_patterns.__version__}]" in changelog
