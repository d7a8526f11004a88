"""Traffic hints: what a pattern knows about its own traffic, written into the template.

The ``cost`` command estimates traffic from the template alone, so a pattern
whose data plane is smarter than its wiring says so in the resource's metadata
(``cdk_serverless_patterns:traffic``). A fan-out worker, for example, may send
to the aggregator queue, but only the worker that completes a job does: one
message per job, not one per part. A user's traffic profile still wins.
"""

from __future__ import annotations

from aws_cdk import CfnResource
from constructs import IConstruct

from cdk_serverless_patterns.tooling.profile import DEFAULTS, TRAFFIC_HINT


def add_traffic_hint(resource: IConstruct, **settings: float) -> None:
    """Record profile defaults (:data:`tooling.traffic.DEFAULTS` keys) for ``resource``'s L1."""
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown traffic setting {unknown[0]!r}")
    cfn = resource if isinstance(resource, CfnResource) else resource.node.default_child
    if not isinstance(cfn, CfnResource):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource to annotate")
    cfn.add_metadata(TRAFFIC_HINT, dict(sorted(settings.items())))
