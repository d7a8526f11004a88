"""Run a stack built with this library end to end in pytest: no AWS account, no Docker, no network.

Install the extra: ``pip install "cdk-serverless-patterns[local]"`` (moto and
jsonschema). See ``docs/testing.md``.

::

    from cdk_serverless_patterns.local import LocalCloud

    with LocalCloud(stack) as cloud:
        response = cloud.api(backend).request("POST", "/orders", json={"sku": "A1"}, claims={"sub": "u1"})
        assert response.status == 201
"""

from .cloud import LocalCloud, LocalCloudWarning, LocalInvocationError, LocalMessage
from .http import LocalResponse
from .services.apigateway import LocalApi
from .services.apigatewayv2 import LocalHttpApi
from .services.stepfunctions import LocalExecution

__all__ = [
    "LocalApi",
    "LocalCloud",
    "LocalCloudWarning",
    "LocalExecution",
    "LocalHttpApi",
    "LocalInvocationError",
    "LocalMessage",
    "LocalResponse",
]
