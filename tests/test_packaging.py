"""Package metadata a pip user and a package index see (issue 15, item 8).

Building and installing the wheel is slow (a fresh virtualenv); that end-to-end
check is ``scripts/check_wheel.sh``, a release step in CONTRIBUTING.md.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
BUILD = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
HOME = "https://github.com/cdk-serverless-patterns/cdk-serverless-patterns"


def test_license_is_an_spdx_expression_with_the_full_text_shipped():
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text
    # PEP 639: a license expression and a License :: classifier together are an error
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]
    # setuptools reads `license` as SPDX (and `license-files`) from 77 on
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d)(\.\d+)*", r) for r in BUILD["requires"]), BUILD["requires"]


def test_classifiers_and_urls():
    assert "Typing :: Typed" in PROJECT["classifiers"]
    assert (ROOT / "cdk_serverless_patterns" / "py.typed").exists()
    assert all(url.startswith(HOME) for url in PROJECT["urls"].values())
    assert {"Homepage", "Source", "Issues", "Changelog"} <= set(PROJECT["urls"])


def test_dependency_floors():
    deps = {re.split(r"[<>=]", d, maxsplit=1)[0]: d for d in PROJECT["dependencies"]}
    assert deps["aws-cdk-lib"] == "aws-cdk-lib>=2.271.0,<3"  # see the comment in pyproject.toml
    assert deps["constructs"] == "constructs>=10.5.1,<11"
    assert deps["cdk-nag"] == "cdk-nag>=3.0.0,<4"


def test_dev_tools_are_pinned():
    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().split())
    for tool in ("mypy", "build", "twine"):
        assert any(d.startswith(tool) for d in PROJECT["optional-dependencies"]["dev"]), tool
        assert tool in pins, tool


def test_readme_links_are_absolute():
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)]+)\)", readme)
    assert targets and all(t.startswith("https://") for t in targets), [t for t in targets if not t.startswith("https://")]


def test_sdist_leaves_tests_out_instead_of_shipping_them_broken():
    manifest = (ROOT / "MANIFEST.in").read_text().splitlines()
    assert "prune tests" in manifest and "prune examples" in manifest
    assert "include LICENSE README.md CHANGELOG.md CONTRIBUTING.md" in manifest


def test_changelog_and_contributing():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in changelog
    assert "## [0.1.0] - 2026-11-23" in changelog and "## [0.2.0]" in changelog
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    for step in ("python -m build", "twine check", "git tag -a v"):
        assert step in contributing, step
