"""Concurrency bounds: every consumer the library wires has one, and says which.

An unbounded consumer scales with its source: a backlog of a million messages
or a burst of events becomes as many concurrent invocations as the account
allows, starving every other function of the account and overwhelming what the
consumer writes to. Each pattern bounds its consumers with what the trigger
offers, and only reserves concurrency where nothing else can:

============================  =====================================================
consumer                      default bound
============================  =====================================================
SQS event source              ``MaximumConcurrency`` :data:`defaults.SQS_MAX_CONCURRENCY`
                              on the mapping (reserves nothing from the account)
Kinesis / DynamoDB stream     one batch per shard x ``parallelization_factor``
API Gateway route/authorizer  the stage's throttling (rate and burst)
EventBridge rule target       reserved concurrency
                              :data:`defaults.RULE_CONSUMER_RESERVED_CONCURRENCY`
EventBridge Scheduler target  reserved concurrency 1 (no overlap), else the schedule
Step Functions task           the state machine (throttles retried with backoff)
============================  =====================================================

Reserved concurrency is taken out of the account's shared pool (default quota
1,000 per Region; Lambda keeps at least 100 unreserved, so an account still at
a new-account quota of 10 cannot reserve anything and the deployment fails).
That is why it is used only for rule targets, where it is the one bound there
is: throttled asynchronous events stay queued inside Lambda and are retried
for up to the target's maximum event age, then go to its dead-letter queue.

:func:`declare_concurrency_bound` records a non-reserving bound as the reason
for the compliance packs' ``LambdaConcurrency`` finding (and checkov's
CKV_AWS_115), which only recognise reserved concurrency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import COMPLIANCE, acknowledge

if TYPE_CHECKING:
    from .function import FunctionSpec, ServerlessFunction


def rule_consumer_spec(spec: "FunctionSpec") -> "FunctionSpec":
    """``spec`` with :data:`defaults.RULE_CONSUMER_RESERVED_CONCURRENCY` unless it sets its own."""
    if spec.reserved_concurrency is not None:
        return spec
    return spec.replace(reserved_concurrency=defaults.RULE_CONSUMER_RESERVED_CONCURRENCY)


def declare_concurrency_bound(function: "ServerlessFunction", bound: str) -> None:
    """Record that ``bound`` (e.g. "the SQS event source's MaximumConcurrency of 10")
    limits ``function``'s concurrency. A function with reserved concurrency needs
    no declaration (the packs see that bound themselves), so this does nothing."""
    if function.spec.reserved_concurrency is not None:
        return
    acknowledge(
        function.function,
        COMPLIANCE + "LambdaConcurrency",
        f"Concurrency is bounded by {bound}, which the rule cannot see; reserved concurrency is not "
        "used because it permanently takes capacity from the account's shared pool (see "
        "cdk_serverless_patterns.building_blocks.concurrency).",
    )
