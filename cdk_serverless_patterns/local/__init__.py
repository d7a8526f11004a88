"""Run a stack built with this library end to end in pytest: no AWS account, no Docker, no network.

Install the extra: ``pip install "cdk-serverless-patterns[local]"`` (moto and
jsonschema). See ``docs/testing.md``.

::

    from cdk_serverless_patterns.local import LocalCloud

    with LocalCloud(stack) as cloud:
        response = cloud.api(backend).request("POST", "/orders", json={"sku": "A1"}, claims={"sub": "u1"})
        assert response.status == 201
"""

from .apigw import LocalApi, LocalResponse
from .cloud import LocalCloud, LocalCloudWarning, LocalInvocationError, LocalMessage
from .httpapi import LocalHttpApi
from .states import LocalExecution

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
