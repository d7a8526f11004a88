"""What both saga engines build from the step declarations: the step functions, the approval topic, the alarms.

``Saga`` and ``DurableSaga`` differ in what orchestrates the steps (a state machine,
a durable function) and share these: one ``ServerlessFunction`` per distinct
``FunctionSpec`` object, each invoked synchronously through its ``live`` alias and
reserving its share of concurrency, the topic approval requests go to, and the
alarms on failed, timed-out and incompletely compensated executions.
"""

from __future__ import annotations

from typing import Optional, Protocol, Sequence

from aws_cdk import RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_cloudwatch as cloudwatch, aws_sns as sns
from cdk_serverless_patterns.building_blocks.alarms import AlarmSpec
from cdk_serverless_patterns.building_blocks.concurrency import bounded, saga_function_count, saga_reserved_concurrency
from cdk_serverless_patterns.building_blocks.function import FunctionSpec, Invocation, ServerlessFunction
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic

from .options import SagaApproval, SagaStep, SagaStepFunctions


def build_step_functions(
    scope: Construct, steps: Sequence[SagaStep], options: PatternOptions, *, extra_functions: int = 0
) -> dict[str, SagaStepFunctions]:
    """Step name → its action and compensation functions, created under ``scope`` as
    ``<step>Action`` / ``<step>Compensation``. The same spec object passed twice makes
    one function (named for its first use). Executions are not rate-limited, so every
    function reserves its share of :data:`~cdk_serverless_patterns.defaults.SAGA_RESERVED_CONCURRENCY_SHARE`,
    split over the saga's functions and ``extra_functions`` (a durable orchestrator)."""
    functions = saga_function_count(steps, extra=extra_functions)
    by_spec: dict[int, ServerlessFunction] = {}

    def function(spec: FunctionSpec, fid: str) -> ServerlessFunction:
        if id(spec) not in by_spec:
            bound = saga_reserved_concurrency(spec, functions=functions)
            by_spec[id(spec)] = ServerlessFunction(
                scope, fid, bounded(spec, bound), invocation=Invocation.SYNC, **options.for_function
            )
        return by_spec[id(spec)]

    return {
        step.name: SagaStepFunctions(
            function(step.action, f"{step.name}Action"),
            function(step.compensation, f"{step.name}Compensation") if step.compensation is not None else None,
        )
        for step in steps
    }


def distinct_functions(functions: dict[str, SagaStepFunctions]) -> list[ServerlessFunction]:
    """Each function of ``functions`` once, in the order the steps made them."""
    found: dict[int, ServerlessFunction] = {}
    for step in functions.values():
        for fn in (step.action, step.compensation):
            if fn is not None:
                found.setdefault(id(fn), fn)
    return list(found.values())


def approval_topic(
    scope: Construct, approval: Optional[SagaApproval], removal_policy: RemovalPolicy
) -> Optional[sns.ITopic]:
    """Where approval requests go: the approval's own topic, else a new ``ApprovalTopic`` (encrypted)
    under ``scope``; None without an approval."""
    if approval is None:
        return None
    if approval.topic is not None:
        return approval.topic
    return EncryptedTopic(scope, "ApprovalTopic", display_name="Saga approval requests", removal_policy=removal_policy).topic


class SagaMetrics(Protocol):
    """The execution metrics both engines expose (what their alarms watch)."""

    def metric_failed(self) -> cloudwatch.Metric: ...

    def metric_timed_out(self) -> cloudwatch.Metric: ...

    def metric_compensations_incomplete(self) -> cloudwatch.Metric: ...


def execution_alarm_specs(saga: SagaMetrics, *, failed: str, timed_out: str, incomplete: str) -> list[AlarmSpec]:
    """The alarms every saga raises at the first occurrence: an execution failed, timed out, or
    ended with compensations left to run; each described by its engine (what it means there)."""
    return [
        AlarmSpec("ExecutionsFailedAlarm", metric=saga.metric_failed(), threshold=1, description=failed),
        AlarmSpec("ExecutionsTimedOutAlarm", metric=saga.metric_timed_out(), threshold=1, description=timed_out),
        AlarmSpec(
            "CompensationsIncompleteAlarm",
            metric=saga.metric_compensations_incomplete(),
            threshold=1,
            description=incomplete,
        ),
    ]
