"""Rules about event source mappings: SQS visibility and at-least-once delivery."""

from __future__ import annotations

from typing import Iterable, Mapping

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.base import ERROR, WARNING, Finding, Rule
from cdk_serverless_patterns.checks.graph import TemplateGraph, as_list, number
from cdk_serverless_patterns.runtime import env
from cdk_serverless_patterns.template.metadata import IDEMPOTENCY as IDEMPOTENCY_METADATA

#: Tag key that marks a function as idempotent (for functions the library did not make).
IDEMPOTENCY_TAG = "idempotency"
#: Deprecated: the environment variable that used to mark a function as idempotent.
IDEMPOTENCY_ENV = env.IDEMPOTENCY
#: What every SP-IDEMPOTENCY message tells the user to write.
DECLARE = (
    "declare it on the function's spec: FunctionSpec(..., idempotency=Idempotency.natural('<why a repeat is "
    "harmless>')) or idempotency=Idempotency.conditional_write('<dedup key>') (from cdk_serverless_patterns "
    "import Idempotency)"
)


def sqs_visibility_too_short(graph: TemplateGraph) -> Iterable[Finding]:
    """A queue feeding a function hides messages for at least 6x its timeout."""
    reported: set[str] = set()
    for esm in graph.event_source_mappings:
        if esm.source_kind != "sqs" or not esm.source or not esm.target or esm.source in reported:
            continue
        queue = graph.props(esm.source)
        visibility = number(queue.get("VisibilityTimeout", defaults.SQS_DEFAULT_VISIBILITY_S))
        timeout = number(graph.functions[esm.target.function].get("Timeout", defaults.LAMBDA_DEFAULT_TIMEOUT_S))
        if visibility is None or timeout is None:
            continue  # a parameter or import: known only at deploy time
        needed = timeout * defaults.SQS_VISIBILITY_FACTOR
        if visibility < needed:
            reported.add(esm.source)
            yield Finding(
                esm.source,
                "Properties/VisibilityTimeout",
                f"visibility timeout {visibility:g} s < {defaults.SQS_VISIBILITY_FACTOR} x {timeout:g} s timeout of "
                f"{esm.target.function} (needs >= {needed:g} s)",
            )


def has_idempotency_marker(graph: TemplateGraph, function: str) -> bool:
    """The function declares how it makes redelivery harmless: the typed
    declaration ServerlessFunction writes into the template metadata, or (for
    functions made elsewhere) the ``idempotency`` tag, or the deprecated
    ``IDEMPOTENCY`` environment variable."""
    metadata = (graph.resources.get(function) or {}).get("Metadata")
    declared = metadata.get(IDEMPOTENCY_METADATA) if isinstance(metadata, Mapping) else None
    if isinstance(declared, Mapping) and declared.get("how"):
        return True
    marker = graph.environment(function).get(IDEMPOTENCY_ENV)
    tag = graph.tags(function).get(IDEMPOTENCY_TAG)
    return bool(marker) or bool(tag)


def at_least_once_without_idempotency(graph: TemplateGraph) -> Iterable[Finding]:
    """Event source mappings report partial batch failures, or their function is
    marked idempotent."""
    for esm in graph.event_source_mappings:
        response_types = as_list(esm.props.get("FunctionResponseTypes"))
        if "ReportBatchItemFailures" in response_types:
            continue
        if esm.target and has_idempotency_marker(graph, esm.target.function):
            continue
        source = esm.source or esm.source_kind or "an event source"
        function = esm.target.function if esm.target else "a function outside this template"
        yield Finding(
            esm.logical_id,
            "Properties/FunctionResponseTypes",
            f"{source} -> {function}: one failed record redelivers the whole batch, and the function "
            f"declares no idempotency; {DECLARE}",
        )
    # EventBridge rules, Scheduler, S3 and SNS deliver at least once and Lambda's
    # async queue retries: no batch to report on, so the handler must be idempotent.
    reported: set[tuple[str, str]] = set()
    for trigger in graph.async_triggers:
        key = (trigger.source, trigger.target.function)
        if key in reported or has_idempotency_marker(graph, trigger.target.function):
            continue
        reported.add(key)
        yield Finding(
            trigger.source,
            "Properties",
            f"{trigger.kind} {trigger.source} -> {trigger.target.function}: delivered at least once and retried "
            f"by Lambda's async queue, and the function declares no idempotency; {DECLARE}",
        )


RULES: list[Rule] = [
    Rule(
        "SP-SQS-VISIBILITY",
        ERROR,
        "SQS queue feeding a Lambda function has a visibility timeout shorter than 6x the function "
        "timeout (AWS guidance): messages reappear while still being processed or retried after a "
        "throttle, and are processed twice.",
        "Set the queue's visibility_timeout to at least 6x the consumer's timeout; WorkQueue("
        "consumer_timeout=...) does this for you.",
        sqs_visibility_too_short,
    ),
    Rule(
        "SP-IDEMPOTENCY",
        WARNING,
        "At-least-once consumer without partial batch responses and without an idempotency declaration: "
        "for an SQS, Kinesis or DynamoDB stream mapping a single bad record makes Lambda redeliver the "
        "whole batch, so records that succeeded run again; an asynchronous target (EventBridge rule or "
        "Scheduler, S3, SNS) receives duplicates and retries with nothing to report them on.",
        "Make the handler idempotent and declare how on its spec: FunctionSpec(..., "
        "idempotency=Idempotency.natural('<why a repeat is harmless>')) or "
        "idempotency=Idempotency.conditional_write('<dedup key>'). For an event source mapping you build "
        "yourself, alternatively pass report_batch_item_failures=True to aws_lambda_event_sources.SqsEventSource "
        "/ KinesisEventSource / DynamoEventSource and return failures with "
        "cdk_serverless_patterns.runtime.batch.process_batch. A function not made by the library can carry the "
        f"tag '{IDEMPOTENCY_TAG}'='<how>' (Tags.of(fn).add(...)).",
        at_least_once_without_idempotency,
    ),
]
