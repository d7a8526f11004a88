"""The library's one error type and the collector that builds it.

Validation follows aws-cdk's ``validate-all-props`` style: every rule is checked,
every failure is collected, and one :class:`PatternConfigError` reports them all,
before a single child construct exists. Values that resolve only at deploy time
(CDK tokens) are skipped rather than guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union, cast

from typing_extensions import TypeGuard

from aws_cdk import Token

if TYPE_CHECKING:
    from aws_cdk import CfnResource, Duration, Stack
    from constructs import IConstruct, Node


class PatternConfigError(ValueError):
    """Raised at construction time for every invalid input (contract).

    The message names the construct path, the field, the value given, what is
    allowed and how to fix it. ``problems`` holds one line per failed rule.
    """

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"Invalid configuration for '{path}':\n{lines}")


_T = TypeVar("_T")
#: Shortest reason accepted for an explicitly weakened default: a sentence a reviewer can sign.
REASON_MIN_CHARS = 20


def or_default(value: Optional[_T], default: _T) -> _T:
    """``value`` unless it is None (unset), else ``default``. Unlike ``value or default``
    it keeps ``0``, ``False`` and ``""``, which are real choices."""
    return value if value is not None else default


def is_token(value: Any) -> bool:
    """True when ``value`` is only known at deploy time (skip validating it)."""
    # Each Token.is_unresolved is a jsii round trip: answer in Python when the
    # value cannot be a token (no string-token marker; a number far from the
    # ~-1.9e289 doubles CDK encodes number tokens as).
    if isinstance(value, str):
        return _STRING_TOKEN_MARKER in value and Token.is_unresolved(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # inf/NaN are not JSON: sent to jsii they kill its process for the rest of the app.
        # A number token is a finite double, so a non-finite value is never one.
        if not math.isfinite(value) or abs(value) < _SMALLEST_NUMBER_TOKEN:
            return False
        return Token.is_unresolved(value)
    return False


#: How CDK marks a string token (``${Token[NAME.123]}``).
_STRING_TOKEN_MARKER = "${Token["
#: Every number token CDK encodes is a double of magnitude above this.
_SMALLEST_NUMBER_TOKEN = 1e280


def is_number(value: Any, *, integer: bool = True) -> TypeGuard[Union[int, float]]:
    """True for a finite ``int`` (or, unless ``integer``, a finite ``float``); never a ``bool``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and (integer or not math.isfinite(value)):
        return False
    return True


@dataclass
class Problems:
    """Collects validation failures for one construct path, then raises once."""

    path: str
    items: list[str] = field(default_factory=list)

    def add(self, field_name: str, value: Any, allowed: str, fix: str) -> None:
        """Record that ``field_name`` = ``value`` is invalid (the value's repr, shortened)."""
        self.items.append(f"{field_name}={shown(value)} is invalid: allowed {allowed}. Fix: {fix}")

    def check(self, ok: bool, field_name: str, value: Any, allowed: str, fix: str) -> None:
        """Record a failure unless ``ok``."""
        if not ok:
            self.add(field_name, value, allowed, fix)

    def check_int(
        self,
        field_name: str,
        value: Any,
        *,
        low: Optional[float] = None,
        high: Optional[float] = None,
        allowed: str,
        fix: str,
        integer: bool = True,
    ) -> bool:
        """The numeric rule, the one place every numeric option goes through: ``value`` is
        an ``int`` (with ``integer=False`` also a finite ``float``) in ``low``-``high``
        (either bound may be left out). ``bool``, ``inf`` and ``NaN`` always fail (a bool
        is not a count; inf/NaN would kill the jsii process). A deploy-time token is
        skipped, not guessed. Returns whether the value passed (a token counts as passed)."""
        if is_token(value):
            return True
        ok = is_number(value, integer=integer) and (low is None or value >= low) and (high is None or value <= high)
        if not ok and isinstance(value, (bool, float)) and not is_number(value, integer=integer):
            why = (
                "a bool is not a number"
                if isinstance(value, bool)
                else ("inf and NaN are never allowed" if not math.isfinite(value) else "a float is not an integer")
            )
            allowed = f"{allowed}; {why}"
        self.check(ok, field_name, value, allowed, fix)
        return ok

    def check_range(self, field_name: str, value: Any, low: int, high: int, source: str, fix: str) -> bool:
        """:meth:`check_int` of an integer in ``low``-``high``, allowed as ``"{low}-{high} ({source})"``
        (``source`` names the AWS limit, e.g. ``"SQS event source"``). A deploy-time token is skipped."""
        return self.check_int(field_name, value, low=low, high=high, allowed=f"{low}-{high} ({source})", fix=fix)

    def check_duration(
        self,
        field_name: str,
        value: Any,
        *,
        low_s: float,
        high_s: float,
        allowed: str,
        fix: str,
        unit_s: int = 1,
        human: bool = False,
    ) -> Optional[float]:
        """The duration rule, the one place every ``Duration`` option AWS takes in whole
        seconds goes through: ``value`` is an ``aws_cdk.Duration`` of whole ``unit_s``
        (1, or 86400 for whole days) in ``low_s``-``high_s``. The message shows the value
        in seconds (``human``: as ``Duration.to_human_string()`` when whole). Returns the
        seconds when valid, else None; a deploy-time token is skipped (None, no problem)."""
        from aws_cdk import Duration  # here: errors.py stays light at import

        if not isinstance(value, Duration):
            self.add(field_name, value, "an aws_cdk.Duration", fix)
            return None
        seconds = value.to_seconds(integral=False)
        if is_token(seconds):
            return None
        whole = seconds == int(seconds)
        ok = whole and seconds % unit_s == 0 and low_s <= seconds <= high_s
        self.check(ok, field_name, value.to_human_string() if human and whole else f"{format_seconds(seconds)} s", allowed, fix)
        return seconds if ok else None

    def check_reason(self, field_name: str, reason: Any, *, why: str, fix: str) -> bool:
        """The reason rule for an explicitly weakened default (a public API or URL): a string
        of at least :data:`REASON_MIN_CHARS` characters saying ``why``. Returns whether it passed."""
        ok = isinstance(reason, str) and len(reason.strip()) >= REASON_MIN_CHARS
        self.check(ok, field_name, reason, f"a reason of at least {REASON_MIN_CHARS} characters saying {why}", fix)
        return ok

    def extend(self, other: "Problems") -> None:
        self.items.extend(other.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise PatternConfigError(self.path, self.items)


def format_seconds(seconds: float) -> str:
    """``61`` for whole seconds, ``61.5`` otherwise (no exponent for large values)."""
    return str(int(seconds)) if seconds == int(seconds) else f"{seconds}"


_DEFAULT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")
#: Longest value repr a message shows; longer ones are cut in the middle.
SHOWN_MAX_CHARS = 120


def shown(value: Any) -> str:
    """``repr(value)``, cut to :data:`SHOWN_MAX_CHARS` with ``...`` in the middle.

    Messages show the value itself (``table='orders'``), not its type, so the
    user sees what they passed; the cut keeps a 5 KB string readable.
    """
    text = repr(value)
    if _DEFAULT_REPR.fullmatch(text):
        # object.__repr__ (most jsii objects): the address says nothing; name the type and its name if any
        name = getattr(value, "name", None)
        text = f"<{type(value).__name__} {name!r}>" if isinstance(name, str) else f"<{type(value).__name__}>"
    if len(text) <= SHOWN_MAX_CHARS:
        return text
    keep = (SHOWN_MAX_CHARS - 5) // 2
    return f"{text[:keep]} ... {text[-keep:]}"


# --- construct-tree facts, asked of jsii once ----------------------------------
# Each property read of a construct is a round trip to the jsii kernel (about a
# millisecond), and construction asks the same questions many times (a scope's
# path for every child, a function's L1 for every setting). What never changes
# once known is kept here, keyed by the construct's jsii object id: a construct
# CDK created on the JavaScript side (a default child, a role's DefaultPolicy)
# comes back as a new Python proxy each time it is returned, so the proxy itself
# cannot be the key. jsii never frees its objects, so neither do these tables.
_NODES: "dict[str, Node]" = {}
_PATHS: dict[str, str] = {}
_STACKS: "dict[str, Stack]" = {}
_DEFAULT_CHILDREN: "dict[str, IConstruct]" = {}


def jsii_ref(obj: Any) -> str:
    """The jsii object id of ``obj`` (a construct, a ``Duration``): the same for every proxy of it."""
    return str(obj.__jsii_ref__.ref)


def node_of(construct: "IConstruct") -> "Node":
    """``construct.node`` (a construct keeps its node)."""
    ref = jsii_ref(construct)
    node = _NODES.get(ref)
    if node is None:
        node = _NODES[ref] = construct.node
    return node


def path_of(construct: "IConstruct") -> str:
    """``construct.node.path`` (a construct never moves)."""
    ref = jsii_ref(construct)
    path = _PATHS.get(ref)
    if path is None:
        path = _PATHS[ref] = node_of(construct).path
    return path


def stack_of(construct: "IConstruct") -> "Stack":
    """``Stack.of(construct)``."""
    ref = jsii_ref(construct)
    stack = _STACKS.get(ref)
    if stack is None:
        from aws_cdk import Stack

        # a stack is its own Stack.of
        stack = _STACKS[ref] = construct if isinstance(construct, Stack) else Stack.of(construct)
    return stack


_SCOPES: "dict[str, list[IConstruct]]" = {}


def scopes_of(construct: "IConstruct") -> "list[IConstruct]":
    """``construct.node.scopes``: its ancestors from the root, then itself."""
    ref = jsii_ref(construct)
    scopes = _SCOPES.get(ref)
    if scopes is None:
        scopes = _SCOPES[ref] = list(node_of(construct).scopes)
    return scopes


def remember_stack(construct: "IConstruct", stack: "Stack") -> None:
    """Record that ``construct`` (not itself a stack) was created inside ``stack``,
    which its creator already knows: a later :func:`stack_of` needs no round trip."""
    _STACKS[jsii_ref(construct)] = stack


def default_child_of(construct: "IConstruct") -> "Optional[IConstruct]":
    """``construct.node.default_child``; once there, it is kept (the library never
    re-points a default child; ``node.default_child = ...`` afterwards is not seen)."""
    ref = jsii_ref(construct)
    child = _DEFAULT_CHILDREN.get(ref)
    if child is None:
        child = node_of(construct).default_child
        if child is not None:
            _DEFAULT_CHILDREN[ref] = child
    return child


_CHILDREN: "dict[tuple[str, str], IConstruct]" = {}


def child_of(scope: "IConstruct", child_id: str) -> "Optional[IConstruct]":
    """``scope.node.try_find_child(child_id)``; once found, it is kept (the library
    never removes a child, e.g. a stack's shared layer or X-Ray policy)."""
    key = (jsii_ref(scope), child_id)
    child = _CHILDREN.get(key)
    if child is None:
        child = node_of(scope).try_find_child(child_id)
        if child is not None:
            _CHILDREN[key] = child
    return child


def default_resource(construct: "IConstruct") -> "CfnResource":
    """The CloudFormation resource of an L2 construct (its default child)."""
    return cast("CfnResource", default_child_of(construct))


_DURATIONS: dict[tuple[str, str], float] = {}


def duration_in(duration: "Duration", unit: str) -> float:
    """``duration.to_<unit>()`` (``unit``: ``"seconds"``, ``"milliseconds"``, ...): a
    ``Duration`` never changes, and many functions share one (the default timeout).
    Raises what ``to_<unit>()`` raises (a token duration cannot be converted)."""
    key = (jsii_ref(duration), unit)
    value = _DURATIONS.get(key)
    if value is None:
        value = _DURATIONS[key] = getattr(duration, f"to_{unit}")()
    return value


def child_path(scope: Any, construct_id: str) -> str:
    """The path a construct will have once created under ``scope`` (for messages).

    Raises :class:`PatternConfigError` when ``scope`` is not a construct (a string, say),
    when ``construct_id`` is not a non-empty string, or when ``scope`` already has a child
    with that id — each of which would otherwise surface as an ``AttributeError`` or a jsii
    traceback.
    """
    from constructs import Construct  # here: errors.py is imported by modules that avoid constructs at import

    if not isinstance(scope, Construct):
        raise PatternConfigError(
            f"?/{construct_id}",
            [
                f"scope={shown(scope)} is invalid: allowed a construct (a Stack, or a Construct inside one). "
                "Fix: pass the construct to build in as the first argument, e.g. Pattern(self, 'Orders', ...) "
                "inside a Stack's __init__"
            ],
        )
    parent = path_of(scope)
    path = f"{parent}/{construct_id}" if parent else str(construct_id)
    if not isinstance(construct_id, str) or not construct_id:
        raise PatternConfigError(
            path,
            [
                f"construct_id={shown(construct_id)} is invalid: allowed a non-empty string, unique among "
                "its siblings. Fix: pass an id such as 'Orders'"
            ],
        )
    if node_of(scope).try_find_child(construct_id) is not None:
        taken = sorted(child.node.id for child in scope.node.children)
        raise PatternConfigError(
            path,
            [
                f"construct_id={construct_id!r} is invalid: allowed an id no other child of "
                f"'{parent or '<app>'}' uses (taken: {', '.join(taken)}). Fix: give this construct another id, "
                f"e.g. {construct_id + '2'!r}, or build it under a different scope"
            ],
        )
    return path
