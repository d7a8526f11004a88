"""Lambda functions, one concept per module; the only way the library makes one.

* :mod:`.spec` — :class:`FunctionSpec` (what a function should be, no CDK scope
  needed), :class:`Invocation`, :class:`FunctionOptions`;
* :mod:`.validation` — every rule, as data where it looks at one field
  (:data:`~.validation.TYPE_RULES`, :data:`~.validation.CONCURRENCY_RULES`,
  :data:`~.validation.EDGE_RULES`), all collected into one ``PatternConfigError``;
* :mod:`.regional` — :class:`ServerlessFunction`: arm64, its own role and log
  group, JSON logs, X-Ray, a ``live`` alias, an async DLQ, alarms, ``metric_*``;
* :mod:`.edge` — :class:`EdgeFunction`: Lambda@Edge, a construct of its own
  (x86_64, published version, no alias);
* side features in sibling modules: :mod:`.role`, :mod:`.logging`,
  :mod:`.tracing`, :mod:`.async_invoke`, :mod:`.alarms`, :mod:`.findings`.

Everything importable from ``building_blocks.function`` before it became a
package still is, from here. :mod:`.edge` and the ``lambda_edge=True`` shim
load on first use (they import CloudFront): a regional function does not pay for them.
"""

from typing import TYPE_CHECKING, Any

from ..idempotency import Idempotency
from ..lambda_layers import Powertools, Tracing
from .alarm_options import FunctionAlarms
from .regional import ServerlessFunction, register_legacy_edge
from .spec import FunctionOptions, FunctionSpec, Invocation
from .tracing import TRACING_POLICY_ID, XRAY_WRITE_ACTIONS, tracing_policy
from .validation import validate_lambda_edge_spec, validate_spec

__all__ = [
    "EdgeFunction",
    "FunctionAlarms",
    "FunctionOptions",
    "FunctionSpec",
    "Idempotency",
    "Invocation",
    "Powertools",
    "ServerlessFunction",
    "TRACING_POLICY_ID",
    "Tracing",
    "XRAY_WRITE_ACTIONS",
    "tracing_policy",
    "validate_lambda_edge_spec",
    "validate_spec",
]

if TYPE_CHECKING:
    from .edge import EdgeFunction as EdgeFunction


def _legacy_edge_class() -> type:
    from .legacy_edge import LegacyEdgeServerlessFunction

    return LegacyEdgeServerlessFunction


register_legacy_edge(_legacy_edge_class)


def __getattr__(name: str) -> Any:
    if name == "EdgeFunction":
        from .edge import EdgeFunction

        return EdgeFunction
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
