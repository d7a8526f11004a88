"""A monthly cost estimate of a synthesized stack: what it costs idle, and under traffic.

Reads the template only (through :mod:`.graph` and :mod:`.traffic`), prices
every line with :mod:`.prices` (us-east-1 list prices, no free tier), and says
what it could not price:

* **fixed** lines are billed at zero traffic: KMS keys, alarms, dashboards,
  Kinesis stream or shard hours, WAF web ACLs and rules, API caches,
  provisioned concurrency, secrets, hosted zones, and the receive requests
  Lambda's pollers make on an idle SQS queue;
* **variable** lines follow the traffic :func:`.traffic.propagate` computes:
  Lambda (requests and GB-seconds per architecture, the INIT phases of
  on-demand cold starts, Lambda@Edge), API Gateway,
  SQS, SNS, EventBridge (events, Pipes, archive, Scheduler), Step Functions,
  DynamoDB (request units, storage, PITR, AWS Backup copies), Kinesis data,
  S3 requests and storage, CloudFront, Cognito MAUs, WAF requests, CloudWatch
  Logs ingestion, X-Ray traces, KMS requests;
* resource types with no price and no known-free status are listed as **not
  priced** (never counted as $0), as are charges the template cannot tell.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Optional

from cdk_serverless_patterns.template.catalogue import FREE_TYPES, PRICED_TYPES, unknown_types

from .cost_model import CostLine, Pricer, StackEstimate
from .cost_services import PRICERS
from .graph import ResourceGraph, build_graph
from .traffic import Profile, propagate

__all__ = ["FREE_TYPES", "PRICED_TYPES", "CostLine", "StackEstimate", "estimate", "estimate_stack", "unknown_types"]


def estimate(graph: ResourceGraph, profile: Profile) -> StackEstimate:
    """Price ``graph`` under ``profile`` (see the module docstring for what is priced).

    The **fixed** lines are the stack priced at zero requests: what its resources, schedules and
    stated users cost whatever the traffic. The **variable** lines are what the requests add.
    """
    idle = _price(graph, dataclasses.replace(profile, requests_per_month=0))
    busy = _price(graph, profile)
    out = StackEstimate(graph.stack, profile, not_priced=busy.not_priced, notes=busy.notes, volumes=busy.volumes,
                        memory=busy.memory,
                        lambda_compute_x86_usd=busy.lambda_compute_x86_usd, x86_64_compute_usd=busy.x86_64_compute_usd)
    base = {(line.service, line.item): line for line in idle.lines}
    out.lines.extend(dataclasses.replace(line, fixed=True) for line in idle.lines)
    for line in busy.lines:
        before = base.get((line.service, line.item))
        quantity = line.quantity - (before.quantity if before else 0.0)
        usd = line.usd - (before.usd if before else 0.0)
        if quantity > 1e-9 or usd > 1e-9:
            out.lines.append(CostLine(line.service, line.item, quantity, line.unit, usd, False))
    return out


def _price(graph: ResourceGraph, profile: Profile) -> StackEstimate:
    traffic = propagate(graph, profile)
    p = Pricer(graph, traffic)
    for price in PRICERS:
        price(p)
    p.estimate.not_priced.update(unknown_types(graph.resources))
    p.estimate.volumes = [
        (traffic.path(n), graph.nodes[n].label, units, traffic.invocations.get(n, 0.0))
        for n, units in traffic.units.items()
    ]
    for source, target in traffic.loops:
        p.estimate.notes.append(
            f"traffic loops back from {traffic.path(source)} to {traffic.path(target)}: each request is counted "
            "once around the loop (a profile's match_rate or messages_per_event can say it goes round more)"
        )
    p.estimate.notes.extend(graph.notes)
    return p.estimate


def estimate_stack(name: str, template: Mapping[str, Any], profile: Optional[Profile] = None) -> StackEstimate:
    """:func:`estimate` of one template."""
    return estimate(build_graph(name, template), profile or Profile())
