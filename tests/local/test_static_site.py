"""Static site: the API behind CloudFront and the A/B Lambda@Edge logic, locally; CloudFront itself is listed as not run."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_serverless_patterns.local import LocalCloud, LocalCloudWarning, LocalInvocationError


@pytest.fixture(scope="module")
def stack(synthesized_example: Any) -> Any:
    return synthesized_example("static_site").stacks[0]


@pytest.fixture()
def cloud(stack: Any) -> Any:
    with pytest.warns(LocalCloudWarning, match=r"AWS::CloudFront::Distribution") as caught:
        local = LocalCloud(stack).__enter__()
    assert sum("does not run these resources" in str(w.message) for w in caught) == 1  # listed once
    try:
        yield local
    finally:
        local.__exit__(None, None, None)


def _viewer_request(uri: str, cookie: str = "", querystring: str = "") -> dict[str, Any]:
    headers = {"host": [{"key": "Host", "value": "shop.example.com"}]}
    if cookie:
        headers["cookie"] = [{"key": "Cookie", "value": cookie}]
    request = {"uri": uri, "method": "GET", "querystring": querystring, "headers": headers, "clientIp": "203.0.113.9"}
    return {"Records": [{"cf": {"config": {"eventType": "viewer-request"}, "request": request}}]}


def test_a_new_viewer_is_assigned_a_variant_and_a_returning_one_is_served_it(cloud: Any, stack: Any) -> None:
    edge = stack.site.edge_functions["viewer-request"]
    first = cloud.invoke(edge, _viewer_request("/pricing"))
    assert first["status"] == "302"
    assert "ab-variant=" in first["headers"]["set-cookie"][0]["value"]
    again = cloud.invoke(edge, _viewer_request("/pricing", cookie="ab-variant=b"))
    assert again["uri"] == "/b/pricing"


def test_the_api_greets_a_signed_in_viewer_in_their_variant(cloud: Any, stack: Any) -> None:
    api = cloud.api(stack.backend)
    response = api.request(
        "GET", "/api/hello", headers={"Cookie": "ab-variant=b"}, claims={"sub": "u-1", "email": "ada@example.com"}
    )
    assert response.status == 200
    assert response.json() == {"message": "Welcome back, ada@example.com", "variant": "b"}
    assert api.request("GET", "/api/hello").status == 401


def test_api_takes_only_things_that_have_a_rest_api(cloud: Any, stack: Any) -> None:
    with pytest.raises(TypeError, match="is not a REST or HTTP API; pass a construct with .api"):
        cloud.api(stack.site.edge_functions["viewer-request"])


def test_a_crash_after_the_response_and_a_duplicate_request_change_nothing(stack: Any) -> None:
    # The site writes nothing: its invariant under retries is that the same viewer gets the same answer.
    with LocalCloud(stack, duplicate_deliveries=True) as cloud:
        api = cloud.api(stack.backend)
        hello = next(iter(stack.backend.functions.values()))
        cloud.fail(hello, after_commit=True, error="Timeout")
        claims, cookie = {"sub": "u-1", "email": "ada@example.com"}, {"Cookie": "ab-variant=b"}
        assert api.request("GET", "/api/hello", headers=cookie, claims=claims).status == 502
        answers = [api.request("GET", "/api/hello", headers=cookie, claims=claims).json() for _ in range(2)]
        assert answers == [{"message": "Welcome back, ada@example.com", "variant": "b"}] * 2
        edge = stack.site.edge_functions["viewer-request"]
        cloud.fail(edge, after_commit=True)
        with pytest.raises(LocalInvocationError):
            cloud.invoke(edge, _viewer_request("/pricing", cookie="ab-variant=b"))
        assert cloud.invoke(edge, _viewer_request("/pricing", cookie="ab-variant=b"))["uri"] == "/b/pricing"


#: Grants no test of this module used, each with why it is still granted (empty: all used).
UNUSED_GRANTS: dict[str, dict[str, str]] = {}


def test_every_grant_was_used_or_is_named(observed_grants: Any) -> None:
    observed_grants.assert_named(UNUSED_GRANTS)  # last: every cloud of the module has closed
