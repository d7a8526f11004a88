"""Settings attached to a construct scope and inherited by everything below it.

``set_default_alarm_topic(stack, topic)`` and ``enable_hardening(app)`` need the
same thing: a value set once on an app, stage, stack or any construct that
every pattern built underneath finds by walking up the construct tree (the
nearest scope that set it wins). The values live on the Python side, keyed by
the construct object, so they can be real constructs (a topic, a key), not
only the JSON values CDK context allows.
"""

from __future__ import annotations

import weakref
from typing import Any, Optional

from constructs import IConstruct

from cdk_serverless_patterns.errors import scopes_of

_SETTINGS: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()


def set_on_scope(scope: IConstruct, key: str, value: Any) -> None:
    """Set ``key`` to ``value`` for ``scope`` and every construct below it."""
    _SETTINGS.setdefault(scope, {})[key] = value


def find_on_scope(scope: IConstruct, key: str) -> Optional[Any]:
    """The value of ``key`` set on ``scope`` or its nearest ancestor, or None."""
    if not any(key in settings for settings in _SETTINGS.values()):
        return None  # set nowhere: no need to read the scope chain
    for ancestor in reversed(scopes_of(scope)):
        settings = _SETTINGS.get(ancestor)
        if settings is not None and key in settings:
            return settings[key]
    return None


def own_setting(scope: IConstruct, key: str) -> Optional[Any]:
    """The value of ``key`` set on ``scope`` itself (not inherited), or None."""
    return _SETTINGS.get(scope, {}).get(key)
