"""Cookie-based A/B test on CloudFront's viewer-request event (Lambda@Edge).

The site keeps two builds side by side in its bucket, ``a/`` and ``b/``. Each
viewer is assigned a variant once and keeps it:

* the request carries ``ab-variant=a`` or ``ab-variant=b`` → the URI is
  rewritten into that build (``/pricing`` → ``/b/pricing``, ``/`` →
  ``/b/index.html``) and the request goes on to the cache/origin; the cache key
  is the rewritten URI, so both variants cache independently;
* no cookie, or a value that is not a variant → the viewer gets a variant
  (``B_SHARE`` of viewers get ``b``) and a 302 back to the same URL that sets the
  cookie, so the choice sticks from the first request on. The redirect carries
  the variant in ``ab-assigned=<v>``; a request that has it but still no cookie
  comes from a client that does not keep cookies (crawlers, ``curl``, health
  checks) and is served that variant instead of being redirected again, which
  would loop forever;
* paths already inside a build (``/a/...``, ``/b/...``) pass unchanged, which
  lets the team preview either variant directly.

Lambda@Edge functions cannot have environment variables, so the experiment's
settings are the constants below (ship a new version to change them).
"""

from __future__ import annotations

import random
from typing import Any, Callable, Mapping, Optional

COOKIE_NAME = "ab-variant"
VARIANTS = ("a", "b")
#: Share of new viewers that get variant "b" (0.0-1.0).
B_SHARE = 0.5
#: How long a viewer keeps the variant: 30 days.
COOKIE_MAX_AGE_S = 30 * 24 * 3600
INDEX_DOCUMENT = "index.html"
#: Query parameter of the assignment redirect (see the module docstring).
ASSIGNED_PARAM = "ab-assigned"


def viewer_request(event: Mapping[str, Any], context: Any = None, *, rand: Callable[[], float] = random.random) -> dict:
    """Rewrite the request into the viewer's variant, or assign one with a redirect."""
    request = event["Records"][0]["cf"]["request"]
    uri = request.get("uri") or "/"
    if _inside_a_build(uri):
        return request
    variant = variant_from_cookies(request.get("headers", {}))
    if variant is None:
        assigned, rest = _take_assigned(request.get("querystring") or "")
        if assigned is None:
            return _assign(request, choose_variant(rand()))
        # Redirected once already and still no cookie: serve, never redirect again.
        variant, request["querystring"] = assigned, rest
    request["uri"] = rewrite_uri(uri, variant)
    return request


def _take_assigned(querystring: str) -> tuple[Optional[str], str]:
    """The variant in :data:`ASSIGNED_PARAM` (if valid) and the query string without it."""
    assigned, rest = None, []
    for pair in querystring.split("&") if querystring else []:
        name, _, value = pair.partition("=")
        if name != ASSIGNED_PARAM:
            rest.append(pair)
        elif value in VARIANTS:
            assigned = value
    return assigned, "&".join(rest)


def choose_variant(draw: float) -> str:
    """``b`` for draws below :data:`B_SHARE`, else ``a`` (``draw`` in [0, 1))."""
    return "b" if draw < B_SHARE else "a"


def rewrite_uri(uri: str, variant: str) -> str:
    """The URI inside the variant's build; directory URIs get the index document."""
    if not uri.startswith("/"):
        uri = "/" + uri
    if uri.endswith("/"):
        uri += INDEX_DOCUMENT
    return f"/{variant}{uri}"


def variant_from_cookies(headers: Mapping[str, Any]) -> Optional[str]:
    """The variant in the ``Cookie`` headers, or None when absent or not a variant."""
    for header in headers.get("cookie", []):
        for pair in str(header.get("value", "")).split(";"):
            name, _, value = pair.strip().partition("=")
            if name == COOKIE_NAME:
                value = value.strip().lower()
                return value if value in VARIANTS else None
    return None


def _inside_a_build(uri: str) -> bool:
    return any(uri == f"/{v}" or uri.startswith(f"/{v}/") for v in VARIANTS)


def _assign(request: Mapping[str, Any], variant: str) -> dict:
    location = request.get("uri") or "/"
    _, rest = _take_assigned(request.get("querystring") or "")
    query = [q for q in [rest, f"{ASSIGNED_PARAM}={variant}"] if q]
    location += "?" + "&".join(query)
    cookie = f"{COOKIE_NAME}={variant}; Path=/; Max-Age={COOKIE_MAX_AGE_S}; Secure; HttpOnly; SameSite=Lax"
    return {
        "status": "302",
        "statusDescription": "Found",
        "headers": {
            "location": [{"key": "Location", "value": location}],
            "set-cookie": [{"key": "Set-Cookie", "value": cookie}],
            # The redirect depends on the missing cookie: never cache it.
            "cache-control": [{"key": "Cache-Control", "value": "no-store"}],
        },
    }
