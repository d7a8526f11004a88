"""Run a stack built with this library end to end in pytest: no AWS account, no Docker, no network.

Install the extra: ``pip install "cdk-serverless-patterns[local]"`` (moto and
jsonschema). See ``docs/testing.md``.

::

    from cdk_serverless_patterns.local import LocalCloud

    with LocalCloud(stack) as cloud:
        response = cloud.api(backend).request("POST", "/orders", json={"sku": "A1"}, claims={"sub": "u1"})
        assert response.status == 201

Layout: :mod:`.cloud` is the lifecycle and this public test API; each AWS
service is a module of :mod:`.services`, registered by the CloudFormation
resource types it runs and given a :class:`~.context.CloudContext` — its
docstring says how to add one.
"""

from .cloud import LocalCloud, LocalCloudWarning, LocalInvocationError, LocalMessage, Undelivered
from .http import LocalResponse
from .services.apigateway import LocalApi
from .services.apigatewayv2 import LocalHttpApi
from .services.cognito import LocalTokens
from .services.durable import LocalDurableExecution
from .services.stepfunctions import LocalExecution

__all__ = [
    "LocalApi",
    "LocalCloud",
    "LocalCloudWarning",
    "LocalDurableExecution",
    "LocalExecution",
    "LocalHttpApi",
    "LocalInvocationError",
    "LocalMessage",
    "LocalResponse",
    "LocalTokens",
    "Undelivered",
]
