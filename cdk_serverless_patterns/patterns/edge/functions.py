"""Edge logic for :class:`~cdk_serverless_patterns.patterns.edge.site.EdgeSite`: Lambda@Edge and CloudFront Functions.

Both attach to a cache behavior by event type. Lambda@Edge (Node.js or Python,
network access, up to 30 s at origin events) is an ``EdgeFunction``; CloudFront Functions (JavaScript, viewer events only,
sub-millisecond, no network) are the lighter option for header and URL rewrites.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Optional, Union, cast

from aws_cdk import RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._first_use import module_getattr
from cdk_serverless_patterns._cdk_modules import (
    aws_cloudfront as cloudfront,
    aws_lambda as lambda_,
    aws_logs as logs,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.function import (
    EdgeFunction,
    FunctionSpec,
    validate_lambda_edge_spec,
    validate_spec,
)
from cdk_serverless_patterns.errors import Problems

from .security import cloudfront_comment


#: Lambda@Edge event names accepted in ``edge_functions`` → ``cloudfront.LambdaEdgeEventType`` member.
_LAMBDA_EDGE_MEMBERS = {
    "viewer-request": "VIEWER_REQUEST",
    "viewer-response": "VIEWER_RESPONSE",
    "origin-request": "ORIGIN_REQUEST",
    "origin-response": "ORIGIN_RESPONSE",
}
#: CloudFront Functions run on viewer events only (→ ``cloudfront.FunctionEventType`` member).
_CLOUDFRONT_FUNCTION_MEMBERS = {"viewer-request": "VIEWER_REQUEST", "viewer-response": "VIEWER_RESPONSE"}

# LAMBDA_EDGE_EVENTS / CLOUDFRONT_FUNCTION_EVENTS (public since 0.1.0: event name → enum member)
# are built on first use, so importing the module does not load aws_cloudfront.
if TYPE_CHECKING:
    LAMBDA_EDGE_EVENTS: dict[str, cloudfront.LambdaEdgeEventType]
    CLOUDFRONT_FUNCTION_EVENTS: dict[str, cloudfront.FunctionEventType]
else:
    __getattr__ = module_getattr(
        globals(),
        {
            "LAMBDA_EDGE_EVENTS": lambda: {
                k: getattr(cloudfront.LambdaEdgeEventType, v) for k, v in _LAMBDA_EDGE_MEMBERS.items()
            },
            "CLOUDFRONT_FUNCTION_EVENTS": lambda: {
                k: getattr(cloudfront.FunctionEventType, v) for k, v in _CLOUDFRONT_FUNCTION_MEMBERS.items()
            },
        },
    )

FunctionFile = Union[str, "os.PathLike[str]"]


def _limits(event: str) -> tuple[int, int]:
    """(max memory MB, max timeout s) for a Lambda@Edge event."""
    if event.startswith("viewer-"):
        return defaults.EDGE_VIEWER_MAX_MEMORY_MB, defaults.EDGE_VIEWER_MAX_TIMEOUT_S
    return defaults.EDGE_ORIGIN_MAX_MEMORY_MB, defaults.EDGE_ORIGIN_MAX_TIMEOUT_S


def validate_edge_functions(problems: Problems, edge_functions: Mapping[str, FunctionSpec]) -> None:
    """Event names, Lambda@Edge restrictions and per-event quotas of every spec."""
    allowed = ", ".join(_LAMBDA_EDGE_MEMBERS)
    for event, spec in edge_functions.items():
        field = f"edge_functions[{event!r}]"
        if event not in _LAMBDA_EDGE_MEMBERS:
            problems.add(
                "edge_functions",
                event,
                f"the Lambda@Edge event types {allowed}",
                "use one of those keys (lower case, with a hyphen)",
            )
            continue
        max_memory, max_timeout = _limits(event)
        reason = f"Lambda@Edge quota for {event} events"
        validate_spec(problems, spec, field_prefix=field, max_timeout_s=max_timeout, max_timeout_reason=reason)
        if not isinstance(spec, FunctionSpec):
            continue
        validate_lambda_edge_spec(problems, spec, field_prefix=field)
        if isinstance(spec.memory_size, int) and spec.memory_size <= defaults.MEMORY_MAX_MB:
            problems.check(
                spec.memory_size <= max_memory,
                f"{field}.memory_size",
                spec.memory_size,
                f"at most {max_memory} MB ({reason})",
                f"pass memory_size={max_memory} or less, or move the work to an origin event or a CloudFront Function",
            )


def validate_cloudfront_functions(
    problems: Problems,
    cloudfront_functions: Mapping[str, FunctionFile],
    edge_functions: Mapping[str, FunctionSpec],
) -> None:
    """Event names, code files (exist, at most 10 KB), no clash with Lambda@Edge on the same event."""
    allowed = ", ".join(_CLOUDFRONT_FUNCTION_MEMBERS)
    for event, path in cloudfront_functions.items():
        field = f"cloudfront_functions[{event!r}]"
        if event not in _CLOUDFRONT_FUNCTION_MEMBERS:
            problems.add(
                "cloudfront_functions",
                event,
                f"the viewer events {allowed} (CloudFront Functions do not run on origin events)",
                "use a viewer event, or a Lambda@Edge function in edge_functions for origin events",
            )
            continue
        problems.check(
            event not in edge_functions,
            field,
            event,
            "one function per event: a CloudFront Function or a Lambda@Edge function, not both",
            f"drop {event!r} from cloudfront_functions or from edge_functions",
        )
        if not isinstance(path, (str, os.PathLike)):
            problems.add(field, path, "a path to a JavaScript file", "pass e.g. 'edge/rewrite.js'")
            continue
        file = Path(path)
        if not file.is_file():
            problems.add(field, str(path), "an existing JavaScript file", f"create it or fix the path ({file.resolve()})")
            continue
        size = file.stat().st_size
        problems.check(
            size <= defaults.CLOUDFRONT_FUNCTION_MAX_BYTES,
            field,
            f"{size} bytes",
            f"at most {defaults.CLOUDFRONT_FUNCTION_MAX_BYTES} bytes (CloudFront Functions quota)",
            "trim the code, or use a Lambda@Edge function for larger logic",
        )


class EdgeLogic:
    """The Lambda@Edge and CloudFront Functions of one cache behavior, built from validated input."""

    def __init__(
        self,
        scope: Construct,
        *,
        edge_functions: Mapping[str, FunctionSpec],
        cloudfront_functions: Mapping[str, FunctionFile],
        log_retention: Optional[logs.RetentionDays],
        removal_policy: RemovalPolicy,
    ) -> None:
        self.edge_functions: dict[str, EdgeFunction] = {
            event: EdgeFunction(
                scope,
                f"Edge{_camel(event)}",
                spec,
                log_retention=log_retention,
                removal_policy=removal_policy,
            )
            for event, spec in edge_functions.items()
        }
        self.cloudfront_functions: dict[str, cloudfront.Function] = {
            event: cloudfront.Function(
                scope,
                f"Function{_camel(event)}",
                code=cloudfront.FunctionCode.from_file(file_path=str(path)),
                runtime=cloudfront.FunctionRuntime.JS_2_0,
                comment=cloudfront_comment(f"{event} of {scope.node.path}"),
            )
            for event, path in cloudfront_functions.items()
        }

    @property
    def edge_lambdas(self) -> list[cloudfront.EdgeLambda]:
        return [
            # .version is aws-cdk-lib's EdgeFunction, an IVersion; its Python typing lacks tenancy_config
            cloudfront.EdgeLambda(event_type=getattr(cloudfront.LambdaEdgeEventType, _LAMBDA_EDGE_MEMBERS[event]), function_version=cast(lambda_.IVersion, fn.version))
            for event, fn in self.edge_functions.items()
        ]

    @property
    def function_associations(self) -> list[cloudfront.FunctionAssociation]:
        return [
            cloudfront.FunctionAssociation(event_type=getattr(cloudfront.FunctionEventType, _CLOUDFRONT_FUNCTION_MEMBERS[event]), function=fn)
            for event, fn in self.cloudfront_functions.items()
        ]


def _camel(event: str) -> str:
    return "".join(part.capitalize() for part in event.split("-"))
