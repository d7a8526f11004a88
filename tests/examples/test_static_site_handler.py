"""The static_site example's edge A/B handler and API handler (plain functions, no AWS)."""

from __future__ import annotations

import copy
import json

import pytest

from examples.static_site.handler.api import hello
from examples.static_site.handler.edge import ab_test

VIEWER_REQUEST = {
    "Records": [
        {
            "cf": {
                "config": {"eventType": "viewer-request", "distributionId": "EDFDVBD6EXAMPLE"},
                "request": {
                    "clientIp": "203.0.113.178",
                    "method": "GET",
                    "uri": "/pricing",
                    "querystring": "",
                    "headers": {"host": [{"key": "Host", "value": "d111111abcdef8.cloudfront.net"}]},
                },
            }
        }
    ]
}


def event(uri: str = "/pricing", cookie: str | None = None, querystring: str = "") -> dict:
    e = copy.deepcopy(VIEWER_REQUEST)
    request = e["Records"][0]["cf"]["request"]
    request["uri"], request["querystring"] = uri, querystring
    if cookie is not None:
        request["headers"]["cookie"] = [{"key": "Cookie", "value": cookie}]
    return e


@pytest.mark.parametrize(
    ("uri", "variant", "expected"),
    [("/pricing", "b", "/b/pricing"), ("/", "a", "/a/index.html"), ("/docs/", "b", "/b/docs/index.html")],
)
def test_viewer_with_cookie_is_served_their_variant(uri, variant, expected):
    result = ab_test.viewer_request(event(uri, cookie=f"theme=dark; ab-variant={variant}"), None)
    assert result["uri"] == expected
    assert "status" not in result  # a request, not a generated response


def test_new_viewer_gets_a_variant_cookie_and_a_redirect_to_the_same_url():
    result = ab_test.viewer_request(event("/pricing", querystring="ref=ad"), None, rand=lambda: 0.1)
    assert result["status"] == "302"
    assert result["headers"]["location"][0]["value"] == "/pricing?ref=ad&ab-assigned=b"
    cookie = result["headers"]["set-cookie"][0]["value"]
    assert cookie.startswith("ab-variant=b;")
    for attribute in ("Path=/", "Secure", "HttpOnly", "SameSite=Lax", f"Max-Age={ab_test.COOKIE_MAX_AGE_S}"):
        assert attribute in cookie
    assert result["headers"]["cache-control"][0]["value"] == "no-store"


def test_assignment_follows_the_b_share():
    assert ab_test.choose_variant(ab_test.B_SHARE - 0.01) == "b"
    assert ab_test.choose_variant(ab_test.B_SHARE) == "a"
    draws = [i / 1000 for i in range(1000)]
    share = sum(ab_test.choose_variant(d) == "b" for d in draws) / len(draws)
    assert share == pytest.approx(ab_test.B_SHARE, abs=0.01)


def test_tampered_cookie_is_reassigned():
    result = ab_test.viewer_request(event("/", cookie="ab-variant=../../etc"), None, rand=lambda: 0.9)
    assert result["status"] == "302"
    assert result["headers"]["set-cookie"][0]["value"].startswith("ab-variant=a;")


def test_a_client_without_cookies_is_served_after_one_redirect_not_looped():
    # Crawlers, curl and health checks keep no cookies: redirecting them again would
    # loop forever (and keep search engines off the site).
    first = ab_test.viewer_request(event("/pricing", querystring="ref=ad"), None, rand=lambda: 0.1)
    location = first["headers"]["location"][0]["value"]
    uri, _, query = location.partition("?")
    second = ab_test.viewer_request(event(uri, querystring=query), None, rand=lambda: 0.9)
    assert "status" not in second
    assert second["uri"] == "/b/pricing"
    assert second["querystring"] == "ref=ad"


def test_an_invalid_assignment_marker_is_ignored():
    result = ab_test.viewer_request(event("/", querystring="ab-assigned=../x"), None, rand=lambda: 0.9)
    assert result["status"] == "302"
    assert result["headers"]["location"][0]["value"] == "/?ab-assigned=a"


@pytest.mark.parametrize("uri", ["/a/index.html", "/b/pricing", "/b"])
def test_paths_inside_a_build_pass_unchanged(uri):
    result = ab_test.viewer_request(event(uri, cookie="ab-variant=a"), None)
    assert result["uri"] == uri


def test_api_greets_signed_in_viewer_in_their_variant():
    response = hello.handler(
        {
            "headers": {"cookie": "ab-variant=b", "Authorization": "Bearer x"},
            "requestContext": {"authorizer": {"claims": {"sub": "u-1", "email": "ana@example.com"}}},
        },
        None,
    )
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"message": "Welcome back, ana@example.com", "variant": "b"}
    assert response["headers"]["Cache-Control"] == "no-store"


def test_api_without_claims_is_unauthorized():
    response = hello.handler({"headers": {}, "requestContext": {}}, None)
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == "unauthorized"
