"""Which AWS services a VPC function's code calls, read from its role's statements.

A function in a VPC reaches an AWS service API only through a VPC endpoint
for that service, or a NAT gateway (or another route to the internet). The
services its *code* calls are those its grants name, less what the Lambda
service does with the role from its own network: delivering logs, managing
the network interfaces, sending to the function's own on-failure destination
(:data:`~cdk_serverless_patterns.defaults.SERVICE_SIDE_PREFIXES`), and KMS
requests another service makes for the caller (statements conditioned on
``kms:ViaService``). Both :class:`~cdk_serverless_patterns.building_blocks.endpoints.ServiceEndpoints`
(at construction, from the role's policies) and the ``SP-VPC-NO-ROUTE`` rule
(from the template) ask this module, so they agree.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from cdk_serverless_patterns import defaults


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def called_services(statements: Iterable[Mapping[str, Any]], service_side_resources: Iterable[Any] = ()) -> set[str]:
    """IAM service prefixes (``dynamodb``, ``secretsmanager``...) the function's code calls.

    :param statements: the role's identity-policy statements (resolved CloudFormation values).
    :param service_side_resources: resources the Lambda service writes to for the function (its
        on-failure destination or dead-letter queue); a statement naming only those is skipped.
    """
    skipped = {_key(r) for r in service_side_resources}
    found: set[str] = set()
    for statement in statements:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        resources = _as_list(statement.get("Resource", []))
        if resources and skipped and all(_key(r) in skipped for r in resources):
            continue
        conditions = statement.get("Condition") or {}
        via_service = any("kms:ViaService" in (block or {}) for block in conditions.values() if isinstance(block, Mapping))
        for action in _as_list(statement.get("Action", [])):
            if not isinstance(action, str) or ":" not in action:
                continue
            prefix = action.split(":", 1)[0].lower()
            if prefix in defaults.SERVICE_SIDE_PREFIXES or (prefix == "kms" and via_service):
                continue
            found.add(prefix)
    return found


def endpoint_service(prefix: str) -> str:
    """The endpoint service suffix (``com.amazonaws.<region>.<suffix>``) of an IAM prefix."""
    if prefix in defaults.GATEWAY_ENDPOINT_SERVICES:
        return defaults.GATEWAY_ENDPOINT_SERVICES[prefix]
    return defaults.INTERFACE_ENDPOINT_SERVICES.get(prefix, prefix)


def endpoint_suffix(service_name: Any) -> str:
    """The suffix of an endpoint's ``ServiceName`` as synthesized (a string or an ``Fn::Join``)."""
    if isinstance(service_name, Mapping) and "Fn::Join" in service_name:
        delimiter, parts = service_name["Fn::Join"]
        service_name = str(delimiter).join(p if isinstance(p, str) else "<token>" for p in parts)
    if not isinstance(service_name, str):
        return ""
    return service_name.rsplit(".", 1)[-1] if service_name.startswith("com.amazonaws.") else ""
