"""Route keys (``"GET /orders/{id}"``): parsing and validation, shared by every
pattern that puts Lambda functions behind API Gateway routes (``ApiBackend``,
``Cqrs``).

A route key is ``"<METHOD> <path>"``. Methods are case-insensitive and
normalised to upper case; paths are case-sensitive (API Gateway matches them
exactly), start with ``/``, and are made of segments that are either literal
(``orders``), a path parameter (``{id}``) or, as the last segment only, a greedy
proxy (``{proxy+}``).

Two functions make up the public surface:

* :func:`parse_route` turns one key into a :class:`Route` or raises
  :class:`RouteError` saying what is wrong.
* :func:`validate_routes` checks a whole ``{key: value}`` mapping into a
  :class:`~cdk_serverless_patterns.errors.Problems` collector (every bad key,
  duplicates after normalising, sibling parameter clashes API Gateway would
  reject at deploy time, collisions with routes another field already took)
  and returns the parsed mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence, TypeVar

from cdk_serverless_patterns.errors import Problems

#: Methods API Gateway REST APIs accept (``ANY`` matches all of them).
#: https://docs.aws.amazon.com/apigateway/latest/api/API_PutMethod.html
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
#: Methods that only read: their functions get read-only table grants.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Characters API Gateway (and CDK's ``Resource``) allow in a path part.
_LITERAL_RE = re.compile(r"^[a-zA-Z0-9:._\-$]+$")
#: Parameter names: letters, digits, ``_`` and ``-`` (they become
#: ``method.request.path.<name>``), optionally greedy with a trailing ``+``.
_PARAM_RE = re.compile(r"^\{([a-zA-Z0-9_\-.]+)(\+?)\}$")

V = TypeVar("V")


class RouteError(ValueError):
    """A route key that cannot be parsed. ``allowed`` and ``fix`` explain it."""

    def __init__(self, key: Any, allowed: str, fix: str) -> None:
        self.key = key
        self.allowed = allowed
        self.fix = fix
        super().__init__(f"route {key!r} is invalid: allowed {allowed}. Fix: {fix}")


@dataclass(frozen=True)
class Route:
    """One parsed route: an upper-case ``method`` and a normalised ``path``."""

    method: str
    path: str

    @property
    def key(self) -> str:
        """The normalised route key, ``"METHOD /path"``."""
        return f"{self.method} {self.path}"

    @property
    def segments(self) -> tuple[str, ...]:
        """Path segments; empty for the root ``/``."""
        return tuple(s for s in self.path.split("/") if s)

    @property
    def path_parameters(self) -> tuple[str, ...]:
        """Names of the ``{param}`` / ``{param+}`` segments, in order."""
        names = []
        for segment in self.segments:
            match = _PARAM_RE.match(segment)
            if match:
                names.append(match.group(1))
        return tuple(names)

    @property
    def is_read_only(self) -> bool:
        """True for GET, HEAD and OPTIONS: the handler needs read access only."""
        return self.method in READ_ONLY_METHODS

    def __str__(self) -> str:
        return self.key


def parse_route(key: str) -> Route:
    """Parse ``"METHOD /path"`` into a :class:`Route`; raise :class:`RouteError` if invalid.

    Surrounding whitespace and repeated spaces between method and path are
    tolerated; the method is upper-cased. A trailing ``/`` (other than the root)
    and empty segments (``//``) are rejected rather than silently dropped,
    because API Gateway would treat them as a different resource.
    """
    if not isinstance(key, str):
        raise RouteError(key, "a string 'METHOD /path'", "write the route as e.g. 'GET /orders/{id}'")
    parts = key.split()
    if len(parts) != 2:
        raise RouteError(
            key,
            "'METHOD /path' (a method, one space, a path without spaces)",
            "write the route as e.g. 'GET /orders/{id}'",
        )
    method, path = parts[0].upper(), parts[1]
    if method not in METHODS:
        raise RouteError(
            key,
            f"a method among {', '.join(METHODS)} (case-insensitive)",
            f"use one of those methods instead of {parts[0]!r}",
        )
    if not path.startswith("/"):
        raise RouteError(key, "a path starting with '/'", f"write '{method} /{path}'")
    if path != "/" and path.endswith("/"):
        raise RouteError(key, "a path without a trailing '/'", f"write '{method} {path.rstrip('/') or '/'}'")
    segments = path.split("/")[1:] if path != "/" else []
    seen_params: set[str] = set()
    for index, segment in enumerate(segments):
        if segment == "":
            raise RouteError(key, "no empty path segments ('//')", "remove the repeated '/'")
        match = _PARAM_RE.match(segment)
        if match:
            name, greedy = match.group(1), match.group(2)
            if greedy and index != len(segments) - 1:
                raise RouteError(
                    key,
                    "a greedy '{name+}' segment only as the last segment",
                    f"end the path at {segment!r} or make it a plain '{{{name}}}' parameter",
                )
            if name in seen_params:
                raise RouteError(
                    key, "each path parameter name once per path", f"rename the second '{{{name}}}'"
                )
            seen_params.add(name)
        elif not _LITERAL_RE.match(segment):
            raise RouteError(
                key,
                "path segments of [a-zA-Z0-9:._-$], or '{param}', or a last '{proxy+}' "
                "(API Gateway resource path parts)",
                f"rename segment {segment!r}",
            )
    return Route(method, path)


def validate_routes(
    problems: Problems,
    routes: Any,
    *,
    field_name: str = "routes",
    taken: Optional[Mapping[Route, str]] = None,
    allow_empty: bool = False,
) -> dict[Route, Any]:
    """Validate a ``{route key: value}`` mapping into ``problems``; return the parsed routes.

    Checks, each reported once into ``problems``:

    * ``routes`` is a non-empty mapping (empty allowed with ``allow_empty``);
    * every key parses (:func:`parse_route`);
    * no two keys name the same route after normalising (``"get /a"`` and
      ``"GET /a"``);
    * no route is already in ``taken`` (route → the field that owns it), so a
      pattern with several route fields (``commands``/``queries``) detects
      collisions between them;
    * siblings do not use different parameter names (``/orders/{id}`` and
      ``/orders/{orderId}``): API Gateway allows one variable path part per level
      and fails the deployment otherwise.

    Values are not inspected; the caller validates them (e.g. with
    ``validate_spec``). Only valid, non-duplicate routes are returned, in the
    given order.
    """
    if not isinstance(routes, Mapping):
        problems.add(
            field_name,
            routes,
            "a mapping of 'METHOD /path' to a FunctionSpec",
            f"pass {field_name}={{'GET /items': FunctionSpec(...)}}",
        )
        return {}
    if not routes and not allow_empty:
        problems.add(
            field_name, {}, "at least one route", f"pass {field_name}={{'GET /items': FunctionSpec(...)}}"
        )
        return {}
    parsed: dict[Route, Any] = {}
    original_key: dict[Route, str] = {}
    for key, value in routes.items():
        try:
            route = parse_route(key)
        except RouteError as err:
            problems.add(f"{field_name}[{key!r}]", key, err.allowed, err.fix)
            continue
        if route in original_key:
            problems.add(
                f"{field_name}[{key!r}]",
                key,
                "each route once (methods are case-insensitive)",
                f"merge it with {original_key[route]!r}: both are {route.key!r}",
            )
            continue
        if taken and route in taken:
            problems.add(
                f"{field_name}[{key!r}]",
                key,
                "a route not already used by another field",
                f"{route.key!r} is already in {taken[route]}; change its method or path",
            )
            continue
        original_key[route] = key
        parsed[route] = value
    all_routes = list(parsed) + list(taken or {})
    for clash in parameter_clashes(all_routes):
        problems.add(field_name, clash[0], clash[1], clash[2])
    return parsed


def parameter_clashes(routes: Iterable[Route]) -> list[tuple[str, str, str]]:
    """Sibling parameter segments with different names, as ``(value, allowed, fix)``.

    ``/orders/{id}`` and ``/orders/{orderId}`` would become two variable
    children of ``/orders``, which API Gateway rejects at deploy time.
    """
    variable_children: dict[str, dict[str, str]] = {}
    for route in routes:
        prefix = ""
        for segment in route.segments:
            if segment.startswith("{"):
                names = variable_children.setdefault(prefix or "/", {})
                names.setdefault(segment, route.key)
            prefix = f"{prefix}/{segment}"
    clashes = []
    for parent, names in variable_children.items():
        if len(names) > 1:
            listed = ", ".join(f"{seg} (in {key!r})" for seg, key in names.items())
            clashes.append(
                (
                    listed,
                    f"one parameter name per path level (API Gateway allows a single variable child under {parent!r})",
                    "use the same parameter name in every route under that path",
                )
            )
    return clashes


def routes_by_value(parsed: Mapping[Route, V]) -> dict[int, tuple[V, list[Route]]]:
    """Group routes by value *identity*: ``{id(value): (value, [routes...])}``, in order.

    Routes handed the same spec object share one function (a "lambdalith").
    """
    groups: dict[int, tuple[V, list[Route]]] = {}
    for route, value in parsed.items():
        groups.setdefault(id(value), (value, []))[1].append(route)
    return groups


# --- construct ids and ARNs of routes -------------------------------------------------


def function_id(route: Route) -> str:
    """The construct id of a route's function: ``GetOrdersId`` for ``GET /orders/{id}``, ``GetRoot`` for ``GET /``."""
    words = [route.method.capitalize()]
    for segment in route.segments or ("root",):
        words.extend(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", segment) if w)
    return "".join(words)


def shared_function_id(routes: Sequence[Route]) -> str:
    """``<common literal path prefix>Routes`` (``OrdersRoutes``; ``RootRoutes`` for ``/`` only,
    ``ApiRoutes`` when the routes share no leading path segment)."""
    common: list[str] = []
    for parts in zip(*(r.segments for r in routes)):
        if len(set(parts)) != 1 or parts[0].startswith("{"):
            break
        common.append(parts[0])
    if not common and all(not r.segments for r in routes):
        common = ["root"]
    words = [w.capitalize() for segment in common for w in re.split(r"[^A-Za-z0-9]+", segment) if w]
    return "".join(words or ["Api"]) + "Routes"


def unique_id(base: str, used: set[str]) -> str:
    """``base``, or ``base2``, ``base3``, ... the first not in ``used`` (which it joins)."""
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}{n}", n + 1
    used.add(candidate)
    return candidate


def arn_path(route: Route) -> str:
    """The route's path in an execute-api ARN: path parameters match any value."""
    return "/" + "/".join("*" if segment.startswith("{") else segment for segment in route.segments)
