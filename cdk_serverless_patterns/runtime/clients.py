"""boto3 clients created on first use, one per service, shared by the runtime helpers.

Importing boto3 and creating a client costs tens of milliseconds, so the
runtime helpers create a client only when a handler first calls one that
needs it, and reuse it on warm invocations. Every helper also accepts an
explicit client (``client=...``); :func:`set_client` replaces the cached one
(tests, custom endpoints) for every helper at once.
"""

from __future__ import annotations

from typing import Any

_clients: dict[str, Any] = {}


def client(service: str, explicit: Any = None) -> Any:
    """``explicit`` when given, else the cached boto3 client for ``service`` (created on first use)."""
    if explicit is not None:
        return explicit
    if service not in _clients:
        import boto3  # imported on first use: keeps the runtime's import free at cold start

        _clients[service] = boto3.client(service)
    return _clients[service]


def set_client(service: str, replacement: Any) -> None:
    """Use ``replacement`` as the client for ``service`` from now on; None forgets it (next use creates one)."""
    if replacement is None:
        _clients.pop(service, None)
    else:
        _clients[service] = replacement
