"""Observed least privilege for the example modules (issue 27): every LocalCloud a module
opens is recorded when the module defines ``UNUSED_GRANTS``; its last test asserts
that what none of them used is exactly what ``UNUSED_GRANTS`` names, with reasons."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.support import ObservedGrants


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "altered_template: the test runs a changed copy of the example's template, "
        "so its clouds say nothing about the example's grants (not recorded)",
    )


@pytest.fixture(scope="module")
def observed_grants() -> ObservedGrants:
    return ObservedGrants()


@pytest.fixture(autouse=True)
def _record_unused_grants(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if not hasattr(request.module, "UNUSED_GRANTS") or request.node.get_closest_marker("altered_template"):
        yield
        return
    from cdk_serverless_patterns.local import LocalCloud

    grants: ObservedGrants = request.getfixturevalue("observed_grants")
    close = LocalCloud.__exit__

    def record_then_close(self: Any, *exc: Any) -> None:
        if exc[0] is None:  # a test that failed proves nothing about its grants
            grants.record(self)
        close(self, *exc)

    # Autouse fixtures are set up first and torn down last: the patch outlives the cloud fixtures.
    monkeypatch.setattr(LocalCloud, "__exit__", record_then_close)
    yield
