"""API Gateway mapping templates: Velocity (``airspeed``, the engine moto uses) with ``$input``, ``$util``, ``$context``.

:func:`render` evaluates a request or response mapping template as a REST
API's integration does, with the variables API Gateway documents
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html):

* ``$input.body`` (the raw payload), ``$input.json('$.x')`` (a JSONPath
  result as JSON text), ``$input.path('$.x')`` (the same result as an object:
  ``.size()``, ``.get(0)``, ``#foreach``), ``$input.params()`` (``path``,
  ``querystring``, ``header`` maps) and ``$input.params('x')`` (path, then query
  string, then header);
* ``$util.escapeJavaScript`` (JavaScript string rules, so ``'`` becomes ``\\'``),
  ``parseJson``, ``urlEncode``/``urlDecode`` (``application/x-www-form-urlencoded``),
  ``base64Encode``/``base64Decode``;
* ``$context`` (``requestId``, ``httpMethod``, ``resourcePath``, ``stage``,
  ``requestTimeEpoch``, ``identity.sourceIp``, ``authorizer.claims.*``, ...) and
  ``$stageVariables``.

A reference to something absent renders as the empty string, as in API
Gateway. Velocity (1.7, as API Gateway runs it) treats backslashes in string
literals as ordinary characters — so the common
``.replaceAll("\\\\'","'")`` undoes ``escapeJavaScript``'s ``\\'``; airspeed
would unescape them, so templates are compiled with Velocity's literals.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from functools import lru_cache
from typing import Any, Iterator, Mapping, Optional

import airspeed

_COMPILE_LOCK = threading.Lock()


class VtlError(Exception):
    """A mapping template that cannot be evaluated (syntax, or a failing call); ``str()`` says where."""


class _Absent(str):
    """What an absent key or JSONPath gives: renders empty, and so does anything reached through it."""

    def __getitem__(self, key: Any) -> "_Absent":  # any key of nothing is nothing
        return self

    def __getattr__(self, name: str) -> "_Absent":
        return self

    def __call__(self, *args: Any) -> "_Absent":
        return self


ABSENT = _Absent()


class VtlMap(dict):  # type: ignore[type-arg]
    """A Java map as templates see it: ``.get``, ``.keySet()``, ``.size()``, ``.containsKey``; absent keys render empty."""

    def __missing__(self, key: str) -> _Absent:
        if hasattr(type(self), key):
            raise KeyError(key)  # a method (``.keySet()``...): the engine looks it up next
        return ABSENT

    def get(self, key: Any, default: Any = ABSENT) -> Any:  # noqa: D102 - Java's Map.get
        return super().get(key, default)

    def keySet(self) -> list[str]:  # noqa: N802 - the Java name templates call
        return list(self.keys())

    def entrySet(self) -> list[dict[str, Any]]:  # noqa: N802
        return [VtlMap(key=k, value=v) for k, v in self.items()]

    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:  # noqa: N802
        return not self

    def containsKey(self, key: str) -> bool:  # noqa: N802
        return key in self

    def put(self, key: str, value: Any) -> None:
        self[key] = value

    def toString(self) -> str:  # noqa: N802
        return str(self)

    def __str__(self) -> str:
        # Java's AbstractMap.toString(), what ``"$input.params()"`` prints in API Gateway.
        return "{" + ", ".join(f"{k}={v}" for k, v in self.items()) + "}"


class VtlList(list):  # type: ignore[type-arg]
    """A Java list as templates see it: ``.size()``, ``.get(i)``, ``.isEmpty()``, ``.contains``."""

    def size(self) -> int:
        return len(self)

    def get(self, index: int) -> Any:
        return self[index]

    def isEmpty(self) -> bool:  # noqa: N802
        return not self

    def contains(self, value: Any) -> bool:
        return value in self

    def __str__(self) -> str:
        return "[" + ", ".join(str(v) for v in self) + "]"


def vtl_value(value: Any) -> Any:
    """``value`` with its dicts and lists as :class:`VtlMap` / :class:`VtlList` (Java's collections)."""
    if isinstance(value, Mapping):
        return VtlMap({str(k): vtl_value(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return VtlList(vtl_value(v) for v in value)
    return value


def _jsonpath(document: Any, path: str) -> Any:
    """The JSONPath ``path`` in ``document``: one match as itself, several as a list, none as None."""
    from jsonpath_ng.ext.parser import parse as parse_jsonpath

    path = path.strip() or "$"
    if path == "$":
        return document
    try:
        matches = [m.value for m in parse_jsonpath(path).find(document)]
    except Exception as error:  # noqa: BLE001 - jsonpath-ng raises several types for a bad path
        raise VtlError(f"invalid JSONPath {path!r}: {error}") from error
    if not matches:
        return None
    wildcard = any(token in path for token in ("*", "..", "?(", ":"))
    return matches if wildcard or len(matches) > 1 else matches[0]


class InputVariable:
    """``$input``: the request (or integration response) payload and the method request's parameters."""

    def __init__(self, body: Optional[str], params: Optional[Mapping[str, Mapping[str, str]]] = None) -> None:
        self.body = body or ""
        self._params = VtlMap({kind: VtlMap((params or {}).get(kind) or {}) for kind in ("path", "querystring", "header")})
        self._document: Any = None
        self._parsed = False

    def _payload(self) -> Any:
        if not self._parsed:
            self._parsed = True
            try:
                self._document = json.loads(self.body) if self.body.strip() else {}
            except ValueError:
                self._document = self.body
        return self._document

    def json(self, path: str = "$") -> str:
        """The JSONPath result as JSON text (``null`` when nothing matches)."""
        return json.dumps(_jsonpath(self._payload(), path))

    def path(self, path: str = "$") -> Any:
        """The JSONPath result as an object templates can walk (maps, lists, strings, numbers)."""
        found = _jsonpath(self._payload(), path)
        return ABSENT if found is None else vtl_value(found)

    def params(self, name: Optional[str] = None) -> Any:
        """All parameters (``path``, ``querystring``, ``header``), or one by name in that order of precedence."""
        if name is None:
            return self._params
        for kind in ("path", "querystring", "header"):
            found = self._params[kind]
            if kind == "header":
                lowered = {k.lower(): v for k, v in found.items()}
                if name.lower() in lowered:
                    return lowered[name.lower()]
            elif name in found:
                return found[name]
        return ABSENT


_JS_ESCAPES = {"'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class UtilVariable:
    """``$util``: the helper functions API Gateway documents for mapping templates."""

    @staticmethod
    def escapeJavaScript(value: Any) -> str:  # noqa: N802 - the name templates call
        """JavaScript string rules (Apache Commons ``escapeJavaScript``): quotes, backslash, ``/``, control and non-ASCII characters."""
        out = []
        for char in "" if value is None else str(value):
            if char in _JS_ESCAPES:
                out.append(_JS_ESCAPES[char])
            elif ord(char) < 32 or ord(char) > 0x7E:
                out.append("".join(f"\\u{unit:04X}" for unit in _utf16_units(char)))
            else:
                out.append(char)
        return "".join(out)

    @staticmethod
    def parseJson(value: Any) -> Any:  # noqa: N802
        """A JSON string as an object."""
        try:
            return vtl_value(json.loads(str(value)))
        except ValueError as error:
            raise VtlError(f"$util.parseJson: not JSON: {str(value)[:80]!r}") from error

    @staticmethod
    def urlEncode(value: Any) -> str:  # noqa: N802
        """``application/x-www-form-urlencoded`` (Java's ``URLEncoder``: space as ``+``)."""
        return urllib.parse.quote_plus(str(value), safe="*").replace("~", "%7E")

    @staticmethod
    def urlDecode(value: Any) -> str:  # noqa: N802
        return urllib.parse.unquote_plus(str(value))

    @staticmethod
    def base64Encode(value: Any) -> str:  # noqa: N802
        return base64.b64encode(str(value).encode()).decode()

    @staticmethod
    def base64Decode(value: Any) -> str:  # noqa: N802
        return base64.b64decode(str(value)).decode(errors="replace")


def _utf16_units(char: str) -> Iterator[int]:
    encoded = char.encode("utf-16-be")
    for index in range(0, len(encoded), 2):
        yield int.from_bytes(encoded[index:index + 2], "big")


@lru_cache(maxsize=256)
def _compiled(source: str) -> airspeed.Template:
    """``source`` parsed once, with Velocity's string literals (backslashes kept as they are)."""
    template = airspeed.Template(source)
    literal, interpolated = airspeed.StringLiteral, airspeed.InterpolatedStringLiteral
    with _COMPILE_LOCK:
        saved = (literal.STRING, literal.ESCAPED_CHAR, interpolated.STRING, interpolated.ESCAPED_CHAR)
        literal.STRING, interpolated.STRING = _VELOCITY_SINGLE, _VELOCITY_DOUBLE
        literal.ESCAPED_CHAR = interpolated.ESCAPED_CHAR = _NO_ESCAPES
        try:
            template.ensure_compiled()
        except airspeed.TemplateError as error:
            raise VtlError(f"mapping template does not parse: {error}") from error
        finally:
            literal.STRING, literal.ESCAPED_CHAR, interpolated.STRING, interpolated.ESCAPED_CHAR = saved
    return template


_VELOCITY_SINGLE = re.compile(r"'([^']*)'", re.S)
_VELOCITY_DOUBLE = re.compile(r'"([^"]*)"', re.S)
_NO_ESCAPES = re.compile(r"(?!)")


def render(source: str, *, input: InputVariable, context: Optional[Mapping[str, Any]] = None,  # noqa: A002 - `$input`
           stage_variables: Optional[Mapping[str, str]] = None) -> str:
    """Evaluate the mapping template ``source`` with ``$input``, ``$util``, ``$context`` and ``$stageVariables``.

    A ``context`` given as a :class:`VtlMap` is used as is, so what the template
    ``#set``s in it (``$context.responseOverride.status``) can be read afterwards.

    :raises VtlError: the template does not parse, or a call in it fails.
    """
    namespace = {
        "input": input,
        "util": UtilVariable(),
        "context": context if isinstance(context, VtlMap) else vtl_value(context or {}),
        "stageVariables": vtl_value(stage_variables or {}),
    }
    try:
        return str(_compiled(source).merge(namespace))
    except VtlError:
        raise
    except Exception as error:  # noqa: BLE001 - airspeed surfaces a failing call as any exception
        raise VtlError(f"mapping template failed: {error}") from error


__all__ = ["InputVariable", "UtilVariable", "VtlError", "VtlList", "VtlMap", "render", "vtl_value"]
