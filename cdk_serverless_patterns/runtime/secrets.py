"""Read the secrets and parameters a function was given by reference, cached for a while.

``FunctionSpec(secrets={"DB_SECRET": ...}, parameters={"MAX_DELETES": ...})``
puts each secret's ARN (or name) and each parameter's name in the named
environment variable and grants the role read access to exactly those. A
handler reads them by the variable's name::

    from cdk_serverless_patterns.runtime.secrets import get_parameter, get_secret

    def handler(event, context):
        credentials = get_secret("DB_SECRET", transform="json")
        limit = int(get_parameter("MAX_DELETES"))

Values are cached per execution environment for ``max_age`` seconds (default
:data:`DEFAULT_MAX_AGE_SECONDS`, as Powertools' parameters utility), so a
warm invocation makes no call and a rotated secret or changed parameter is
picked up within ``max_age``. With ``FunctionSpec(powertools=True)`` (the
function has ``POWERTOOLS_SERVICE_NAME``) and Powertools importable, the
values come from Powertools' parameters utility (its cache, its providers);
otherwise from a boto3 client of :mod:`.clients` (lazy; replace it with
``clients.set_client("secretsmanager", ...)``). Nothing is imported until the
first call.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
from typing import Any, Callable, Optional

from . import clients
from .env import POWERTOOLS_SERVICE_NAME, require

#: Seconds a value stays cached (Powertools' parameters utility uses 5 minutes too).
DEFAULT_MAX_AGE_SECONDS = 300.0

_cache: dict[tuple[str, str], tuple[float, Any]] = {}
_lock = threading.Lock()


def get_secret(env_name: str, *, max_age: float = DEFAULT_MAX_AGE_SECONDS, transform: Optional[str] = None,
               force_fetch: bool = False) -> Any:
    """The current value of the secret whose ARN or name is in ``env_name``.

    :param transform: None (the string, or bytes for a binary secret) or ``"json"`` (parsed).
    :param max_age: seconds a cached value is reused. Default 300.
    :param force_fetch: ignore the cache for this call.
    :raises RuntimeError: ``env_name`` is not set (the function was not given that secret).
    """
    reference = require(env_name)
    return _cached(("secret", reference), max_age, force_fetch, transform, lambda: _fetch_secret(reference))


def get_parameter(env_name: str, *, max_age: float = DEFAULT_MAX_AGE_SECONDS, transform: Optional[str] = None,
                  force_fetch: bool = False) -> Any:
    """The current value of the Parameter Store parameter whose name is in ``env_name`` (SecureString decrypted).

    :param transform: None (the string) or ``"json"`` (parsed).
    :param max_age: seconds a cached value is reused. Default 300.
    :param force_fetch: ignore the cache for this call.
    :raises RuntimeError: ``env_name`` is not set (the function was not given that parameter).
    """
    name = require(env_name)
    return _cached(("parameter", name), max_age, force_fetch, transform, lambda: _fetch_parameter(name))


def clear_cache() -> None:
    """Forget every cached value (tests; a handler that must see a change at once passes ``force_fetch``)."""
    with _lock:
        _cache.clear()


def _cached(key: tuple[str, str], max_age: float, force: bool, transform: Optional[str],
            fetch: Callable[[], Any]) -> Any:
    if transform not in (None, "json"):
        raise ValueError(f"transform={transform!r} is invalid: allowed None or 'json'")
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and not force and now - hit[0] < max_age:
        value = hit[1]
    else:
        value = fetch()
        with _lock:
            _cache[key] = (now, value)
    return json.loads(value) if transform == "json" else value


def _powertools() -> Any:
    """Powertools' parameters module when the function asked for Powertools and it is importable, else None."""
    if not os.environ.get(POWERTOOLS_SERVICE_NAME):
        return None
    try:
        if importlib.util.find_spec("aws_lambda_powertools") is None:
            return None
    except (ImportError, ValueError):
        return None
    from aws_lambda_powertools.utilities import parameters

    return parameters


def _fetch_secret(reference: str) -> Any:
    powertools = _powertools()
    if powertools is not None:
        # max_age=0: this module's cache decides; Powertools' own would hold a value twice as long
        return powertools.get_secret(reference, max_age=0)
    response = clients.client("secretsmanager").get_secret_value(SecretId=reference)
    return response["SecretString"] if "SecretString" in response else response["SecretBinary"]


def _fetch_parameter(name: str) -> Any:
    powertools = _powertools()
    if powertools is not None:
        return powertools.get_parameter(name, decrypt=True, max_age=0)
    return clients.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
