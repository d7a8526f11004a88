"""Module attributes built on first read (PEP 562), the one mechanism the package uses for them.

A module names what it builds lazily and hands :func:`module_getattr` its namespace;
the returned function is the module's ``__getattr__``: it builds a name once, keeps it
in the module (later reads do not reach ``__getattr__``) and raises ``AttributeError``
for any other name. Used for re-exports loaded on first use (the package root,
``checks``) and for public constants whose value is an aws-cdk-lib object (building
one is a jsii call or loads a sub-module).
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, MutableMapping


def module_getattr(namespace: MutableMapping[str, Any], builders: dict[str, Callable[[], Any]]) -> Callable[[str], Any]:
    """The ``__getattr__`` of the module whose ``globals()`` is ``namespace``: ``builders[name]()``, once."""
    module_name = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        build = builders.get(name)
        if build is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = namespace[name] = build()
        return value

    return __getattr__


def exported_from(package: str, exports: dict[str, str]) -> dict[str, Callable[[], Any]]:
    """Builders for names re-exported from modules of ``package`` (name → relative module, e.g. ``".plugin"``)."""
    return {name: _attribute(package, module, name) for name, module in exports.items()}


def _attribute(package: str, module: str, name: str) -> Callable[[], Any]:
    return lambda: getattr(importlib.import_module(module, package), name)
