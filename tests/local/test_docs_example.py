"""The LocalCloud example of docs/testing.md, run for real: its handler block on disk, its test block's tests."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "testing.md"


def _blocks() -> tuple[str, str]:
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.S | re.M)
    handler = next(b for b in blocks if b.startswith("# handlers/orders/app.py"))
    test = next(b for b in blocks if "from cdk_serverless_patterns.local import LocalCloud" in b)
    return handler, test


def test_the_documented_handler_and_tests_pass(tmp_path: Path) -> None:
    handler, test = _blocks()
    (tmp_path / "handlers" / "orders").mkdir(parents=True)
    (tmp_path / "handlers" / "orders" / "app.py").write_text(handler)
    cwd = os.getcwd()
    os.chdir(tmp_path)  # the example's code="handlers/orders" is relative to the reader's project
    try:
        namespace: dict[str, Any] = {"__name__": "docs_testing_example"}
        exec(compile(test, f"{DOC}:LocalCloud example", "exec"), namespace)
        tests = {name: fn for name, fn in namespace.items() if name.startswith("test_")}
        assert set(tests) == {"test_an_order_round_trips", "test_no_token_no_handler"}
        fixture = namespace["cloud"].__wrapped__  # the pytest fixture's generator function
        for run in tests.values():
            generator = fixture()
            run(next(generator))
            with pytest.raises(StopIteration):
                next(generator)
    finally:
        os.chdir(cwd)
