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
API Gateway route function    reserved concurrency :func:`api_reserved_concurrency`:
                              min(ceil(stage rate x timeout), 200 / functions)
EventBridge rule target       reserved concurrency
                              :data:`defaults.RULE_CONSUMER_RESERVED_CONCURRENCY`
EventBridge Scheduler target  reserved concurrency 1 (no overlap), else the schedule
Saga (Step Functions) step    reserved concurrency :func:`saga_reserved_concurrency`:
                              100 / the saga's functions
============================  =====================================================

Why API and saga functions reserve: the stage throttle bounds the request
*rate*, not concurrency; at 1,000 requests/s and a 10 s timeout, 10,000
invocations could run at once, ten times a default account's quota, starving
every other function. A saga's executions are not rate-limited at all. Their
shares (200 and 100 of the default 1,000) leave the 100 Lambda keeps unreserved
and room for other stacks; set ``reserved_concurrency`` on a spec to choose
your own.

Reserved concurrency is taken out of the account's shared pool (default quota
1,000 per Region; Lambda keeps at least 100 unreserved, so an account still at
a new-account quota of 10 cannot reserve anything and the deployment fails).
That is why, beyond API and saga functions, it is used only for rule targets,
where it is the one bound there is: throttled asynchronous events stay queued inside Lambda and are retried
for up to the target's maximum event age, then go to its dead-letter queue.

:func:`declare_concurrency_bound` records a non-reserving bound as the reason
for the compliance packs' ``LambdaConcurrency`` finding (and checkov's
CKV_AWS_115), which only recognise reserved concurrency.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import COMPLIANCE, acknowledge

if TYPE_CHECKING:
    from cdk_serverless_patterns.errors import Problems

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


def api_reserved_concurrency(spec: "FunctionSpec", *, rate: float, functions: int) -> int:
    """The default reserved concurrency of an API route (or authorizer) function.

    Little's law bounds what the stage lets through: at ``rate`` requests/s and
    at most ``spec.timeout`` seconds each, no more than ``ceil(rate x timeout)``
    invocations run at once. That is capped at the API's share of the account,
    :data:`defaults.API_RESERVED_CONCURRENCY_SHARE` split over its ``functions``
    (at least 1 each), and raised to the spec's provisioned concurrency if that
    is higher (reserved must cover provisioned).
    """
    by_rate = math.ceil(rate * spec.timeout.to_seconds())
    share = max(1, defaults.API_RESERVED_CONCURRENCY_SHARE // max(1, functions))
    return max(min(by_rate, share), spec.provisioned_concurrency or 0)


def saga_function_count(steps: "Iterable[Any]", *, extra: int = 0) -> int:
    """How many functions a saga's ``steps`` make: one per distinct ``FunctionSpec``
    object (the same spec passed twice makes one function), plus ``extra`` (a
    ``DurableSaga``'s orchestrator)."""
    specs = {id(s.action) for s in steps} | {id(s.compensation) for s in steps if s.compensation is not None}
    return len(specs) + extra


def saga_reserved_concurrency(spec: "FunctionSpec", *, functions: int) -> int:
    """The default reserved concurrency of a saga's action or compensation function:
    :data:`defaults.SAGA_RESERVED_CONCURRENCY_SHARE` split over the saga's
    ``functions`` (at least 1), or its provisioned concurrency if higher. A
    throttled step is retried with backoff (``Lambda.TooManyRequestsException``
    is one of the saga's transient errors); if throttling outlasts the retries the
    step fails and the saga compensates (a throttled compensation is retried with
    the compensation retries), which the function throttle alarms report."""
    share = max(1, defaults.SAGA_RESERVED_CONCURRENCY_SHARE // max(1, functions))
    return max(share, spec.provisioned_concurrency or 0)


def bounded(spec: "FunctionSpec", bound: int) -> "FunctionSpec":
    """``spec`` with reserved concurrency ``bound`` unless it sets its own."""
    if spec.reserved_concurrency is not None:
        return spec
    return spec.replace(reserved_concurrency=bound)


def check_not_zero(problems: "Problems", field_name: str, spec: Any, consumer: str) -> None:
    """Reserved concurrency 0 stops a function: impossible for a function that must answer."""
    value = getattr(spec, "reserved_concurrency", None)
    problems.check(
        value != 0 or isinstance(value, bool),
        f"{field_name}.reserved_concurrency",
        value,
        f"None (the pattern's bound, see building_blocks.concurrency) or >= 1: {consumer} with reserved "
        "concurrency 0 is never invoked, every call is throttled",
        "leave reserved_concurrency unset, or set the bound you want (>= 1)",
    )
