"""``ServerlessFunction(..., lambda_edge=True)``: deprecated, kept for one release.

Returns an :class:`~.edge.EdgeFunction` (same construct ids, same template)
that is also a ``ServerlessFunction`` and still answers the attributes the flag
used to set: ``alias``, ``dead_letter_queue``, ``tracing_policy`` and
``powertools_layer`` are None, ``alarms`` is empty. Remove in 0.3.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any, Mapping, Optional

from aws_cdk import RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_cloudwatch as cloudwatch, aws_logs as logs
from cdk_serverless_patterns.errors import Problems, child_path

from .edge import EdgeFunction
from .regional import ServerlessFunction
from .spec import FunctionSpec, Invocation
from .validation import validate_edge_function


DEPRECATION = (
    "ServerlessFunction(..., lambda_edge=True) is deprecated and will be removed in 0.3: "
    "use EdgeFunction(scope, id, spec) from cdk_serverless_patterns (it has no alias; "
    "associate its .version)."
)


class LegacyEdgeServerlessFunction(ServerlessFunction, EdgeFunction):
    """What ``ServerlessFunction(..., lambda_edge=True)`` returns: an EdgeFunction with the old surface."""

    def __init__(self, scope: Construct, construct_id: str, spec: FunctionSpec, **options: Any) -> None:
        """Takes ``ServerlessFunction``'s options (callers are type-checked against those);
        the ones Lambda@Edge has no use for (alarms, async settings) are ignored, as they were."""
        inspect.signature(ServerlessFunction.__init__).bind(self, scope, construct_id, spec, **options)  # TypeError as before
        invocation: Invocation = options.get("invocation", Invocation.SYNC)
        environment: Optional[Mapping[str, str]] = options.get("environment")
        max_timeout: Optional[tuple[float, str]] = options.get("max_timeout")
        log_retention: Optional[logs.RetentionDays] = options.get("log_retention")
        removal_policy: RemovalPolicy = options.get("removal_policy", RemovalPolicy.RETAIN)
        # The caller's frame: this __init__ <- jsii's JSIIMeta.__call__ <- the caller.
        warnings.warn(DEPRECATION, DeprecationWarning, stacklevel=3)
        # What EdgeFunction does not take (environment, max_timeout, invocation) is checked
        # here, with everything else, so the user still sees every problem at once.
        problems = Problems(child_path(scope, construct_id))
        validate_edge_function(
            problems, scope, spec, extra_environment=environment, max_timeout=max_timeout, invocation=invocation
        )
        problems.raise_if_any()
        EdgeFunction.__init__(self, scope, construct_id, spec, log_retention=log_retention, removal_policy=removal_policy)
        self.invocation = invocation
        self.alias = None  # type: ignore[assignment]  # the deprecated surface: Lambda@Edge has no alias
        self.dead_letter_queue = None
        self.tracing_policy = None
        self.powertools_layer = None
        self._failure_queue = None
        self.alarms: list[cloudwatch.Alarm] = []

