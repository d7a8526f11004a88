"""aws-cdk-lib sub-modules loaded on first use, so importing a pattern loads only what it builds.

``from aws_cdk import aws_wafv2`` executes the whole generated module (thousands of
classes) even when the importing module never builds a web ACL. Each module of this
package names its sub-modules as::

    if TYPE_CHECKING:
        from aws_cdk import aws_logs as logs
    else:
        logs = cdk_module("aws_logs")

Type checkers see the real module; at run time ``logs`` is a stand-in that imports
``aws_cdk.aws_logs`` on its first attribute access and then hands out the module's
attributes. The stand-in is not put in ``sys.modules``: any other import of the
module (by a user, or by jsii resolving an object's type) gets the real module.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

_LOADED: dict[str, ModuleType] = {}


class LazyCdkModule:
    """``aws_cdk.<name>``, imported on the first attribute access."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        module = _LOADED.get(self._name)
        if module is None:
            module = _LOADED[self._name] = importlib.import_module(f"aws_cdk.{self._name}")
        return getattr(module, attribute)

    def __repr__(self) -> str:
        state = "loaded" if self._name in _LOADED else "not loaded yet"
        return f"<aws_cdk.{self._name}, {state}>"


def cdk_module(name: str) -> Any:
    """The sub-module ``aws_cdk.<name>`` (e.g. ``"aws_logs"``), loaded when first used."""
    return LazyCdkModule(name)


def cdk_modules(*names: str) -> tuple[Any, ...]:
    """:func:`cdk_module` for several names, in order."""
    return tuple(LazyCdkModule(name) for name in names)
