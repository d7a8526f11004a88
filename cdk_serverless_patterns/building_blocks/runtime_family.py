"""A Lambda runtime's family, asked of jsii once per runtime.

``Runtime.family`` is a jsii property: each read is a round trip to the kernel,
and validation, layers and the runtime layer ask it of every function several
times. Runtimes are few and immutable, so the answer is kept per runtime object.
"""

from __future__ import annotations

from typing import Optional

from cdk_serverless_patterns._cdk_modules import aws_lambda as lambda_


_FAMILIES: dict[lambda_.Runtime, Optional[str]] = {}


def runtime_family(runtime: lambda_.Runtime) -> Optional[str]:
    """The ``RuntimeFamily`` member's name in lower case (``"python"``, ``"nodejs"``), or None."""
    try:
        return _FAMILIES[runtime]
    except KeyError:
        family = runtime.family
        name = family.name.lower() if family is not None else None
        _FAMILIES[runtime] = name
        return name
