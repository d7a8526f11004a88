"""Traffic hints: what a pattern knows about its own traffic, written into the template.

The ``cost`` command estimates traffic from the template alone, so a pattern
whose data plane is smarter than its wiring says so in the resource's metadata
(``cdk_serverless_patterns:traffic``). A fan-out worker, for example, may send
to the aggregator queue, but only the worker that completes a job does: one
message per job, not one per part. A user's traffic profile still wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CfnResource

from constructs import IConstruct

from cdk_serverless_patterns._cdk_modules import aws_lambda as lambda_
from cdk_serverless_patterns.tooling.profile import DEFAULTS, TRAFFIC_CALLS, TRAFFIC_HINT


def add_traffic_hint(resource: IConstruct, **settings: float) -> None:
    """Record profile defaults (:data:`tooling.traffic.DEFAULTS` keys) for ``resource``'s L1."""
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown traffic setting {unknown[0]!r}")
    _cfn(resource).add_metadata(TRAFFIC_HINT, dict(sorted(settings.items())))


def add_call_hint(
    resource: IConstruct, per_execution: Sequence[lambda_.IFunction], on_failure: Sequence[lambda_.IFunction] = ()
) -> None:
    """Declare (metadata :data:`~cdk_serverless_patterns.tooling.profile.TRAFFIC_CALLS`) the
    functions ``resource``'s code invokes: ``per_execution`` once per execution each (the happy
    path), ``on_failure`` only when an execution fails (priced at the profile's ``failure_rate``,
    default 0). A function listed twice is invoked twice. The cost command then ignores
    ``messages_per_event`` for these functions."""
    _cfn(resource).add_metadata(
        TRAFFIC_CALLS,
        {"per_execution": [f.function_arn for f in per_execution], "on_failure": [f.function_arn for f in on_failure]},
    )


def _cfn(resource: IConstruct) -> CfnResource:
    cfn = resource if isinstance(resource, CfnResource) else resource.node.default_child
    if not isinstance(cfn, CfnResource):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource to annotate")
    return cfn
