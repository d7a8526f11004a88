"""Rules about Lambda functions themselves: architecture, sizing, logs, async
failure handling, and synchronous function-to-function chains."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.base import ERROR, WARNING, Finding, Rule
from cdk_serverless_patterns.checks.graph import Target, TemplateGraph


def lambda_not_arm64(graph: TemplateGraph) -> Iterable[Finding]:
    """Functions run on arm64 (Lambda@Edge and CDK internals excepted)."""
    for fn, props in graph.user_functions.items():
        if fn in graph.edge_functions:
            continue
        architectures = props.get("Architectures")
        if architectures is None or (
            isinstance(architectures, list) and all(isinstance(a, str) for a in architectures)
            and "arm64" not in architectures
        ):
            shown = ", ".join(architectures) if architectures else "x86_64 (Lambda's default)"
            yield Finding(fn, "Properties/Architectures", f"architecture: {shown}")


def lambda_implicit_sizing(graph: TemplateGraph) -> Iterable[Finding]:
    """Functions state their memory and timeout instead of inheriting 128 MB / 3 s."""
    for fn, props in graph.user_functions.items():
        if "MemorySize" not in props:
            yield Finding(fn, "Properties/MemorySize", f"memory left at Lambda's {defaults.LAMBDA_DEFAULT_MEMORY_MB} MB")
        if "Timeout" not in props:
            yield Finding(fn, "Properties/Timeout", f"timeout left at Lambda's {defaults.LAMBDA_DEFAULT_TIMEOUT_S} s")


def _names_function_log_group(graph: TemplateGraph, fn: str, value: Any) -> bool:
    """``value`` is the name of ``fn``'s default log group (``/aws/lambda/<name>``)."""
    if fn in graph.functions_in(value):
        return True
    name = graph.functions[fn].get("FunctionName")
    return isinstance(name, str) and value == f"/aws/lambda/{name}"


def logs_without_retention(graph: TemplateGraph) -> Iterable[Finding]:
    """Every log group expires its events, including the one Lambda creates on
    first invocation for a function with no log group of its own."""
    retained_defaults: set[str] = set()
    for lid, props in graph.of_type("AWS::Logs::LogGroup"):
        if "RetentionInDays" not in props:
            yield Finding(lid, "Properties/RetentionInDays", "log group never expires its events")
        else:
            retained_defaults |= {
                fn for fn in graph.user_functions if _names_function_log_group(graph, fn, props.get("LogGroupName"))
            }
    for _lid, props in graph.of_type("Custom::LogRetention"):
        if props.get("RetentionInDays") is not None:
            retained_defaults |= {
                fn for fn in graph.user_functions if _names_function_log_group(graph, fn, props.get("LogGroupName"))
            }
    for fn, props in graph.user_functions.items():
        if fn in graph.edge_functions or fn in retained_defaults:
            continue  # Lambda@Edge replicas log to a group per Region, made on first use
        logging = props.get("LoggingConfig")
        if isinstance(logging, Mapping) and logging.get("LogGroup"):
            continue
        yield Finding(
            fn,
            "Properties/LoggingConfig/LogGroup",
            "no log group of its own: Lambda creates /aws/lambda/<name> on first invocation, without retention",
        )


def async_without_failure_destination(graph: TemplateGraph) -> Iterable[Finding]:
    """Functions invoked asynchronously keep the events they fail on."""
    reported: set[str] = set()
    for trigger in graph.async_triggers:
        fn = trigger.target.function
        if fn in reported or fn not in graph.user_functions or graph.handles_async_failures(trigger.target):
            continue
        reported.add(fn)
        qualifier = _describe_qualifier(trigger.target)
        yield Finding(
            fn,
            "Properties/DeadLetterConfig",
            f"invoked asynchronously by {trigger.kind} {trigger.source} ({qualifier}) with no on-failure "
            "destination for that qualifier and no DeadLetterConfig",
        )


def _describe_qualifier(target: Target) -> str:
    if target.qualifier is None:
        return "unqualified function, i.e. $LATEST"
    if target.qualifier.startswith("#version:"):
        return f"version {target.qualifier.split(':', 1)[1]}"
    return f"alias '{target.qualifier}'"


def sync_invoke_chains(graph: TemplateGraph) -> Iterable[Finding]:
    """A function allowed to invoke another function, where a caller waits on
    either end (API, function URL, load balancer, AppSync): Lambda -> Lambda."""
    for fn in graph.user_functions:
        role = graph.role_of(fn)
        if not role:
            continue
        callees = sorted({t.function for t in graph.invocable_by(role)} - {fn})
        for callee in callees:
            if callee not in graph.functions or graph.configured_for_async(callee):
                continue  # an asynchronous target (has a failure destination): fire-and-forget is fine
            fronts = graph.sync_fronts.get(fn, []) + graph.sync_fronts.get(callee, [])
            if not fronts:
                continue
            yield Finding(
                fn,
                "Properties/Role",
                f"may invoke {callee} (lambda:InvokeFunction) while a caller waits via {', '.join(sorted(set(fronts)))}",
            )


RULES: list[Rule] = [
    Rule(
        "SP-LAMBDA-ARM64",
        WARNING,
        "Lambda function does not run on arm64 (Graviton), which costs about 20% less per GB-second "
        "for the same work.",
        "Leave FunctionSpec's architecture unset (the pattern then chooses arm64) or pass "
        "architecture=aws_lambda.Architecture.ARM_64 to aws_lambda.Function. Keep x86_64 only for binary "
        "dependencies without arm64 builds and acknowledge with that reason. Lambda@Edge functions and "
        "CDK's own custom-resource handlers are exempt.",
        lambda_not_arm64,
    ),
    Rule(
        "SP-LAMBDA-SIZING",
        WARNING,
        "Lambda function leaves MemorySize or Timeout at Lambda's defaults (128 MB, 3 s), which are "
        "rarely what the code needs: too little CPU, or timeouts under load.",
        "Set memory_size and timeout explicitly (FunctionSpec defaults: 256 MB, 10 s); measure with "
        "the duration alarm and Lambda Power Tuning.",
        lambda_implicit_sizing,
    ),
    Rule(
        "SP-LOGS-RETENTION",
        ERROR,
        "Logs are kept forever: a log group without RetentionInDays, or a function with no log group "
        "of its own (Lambda then creates /aws/lambda/<name> without retention).",
        f"Give the log group a retention (library default logs.RetentionDays.{defaults.LOG_RETENTION_NAME}); "
        "give each function its own log group with a retention (aws_lambda.Function(log_group="
        "logs.LogGroup(..., retention=...))), as ServerlessFunction does.",
        logs_without_retention,
    ),
    Rule(
        "SP-ASYNC-FAILURE-DEST",
        ERROR,
        "Function invoked asynchronously (EventBridge rule or Scheduler target, S3 notification, SNS "
        "subscription) has nowhere to put events that fail all retries: Lambda drops them silently. "
        "Event-invoke configs apply per qualifier, so the one for the alias or version the trigger "
        "invokes is the one that counts.",
        "Use ServerlessFunction(invocation=Invocation.ASYNC) or give the invoked alias an on-failure "
        "destination (Alias(..., on_failure=SqsDestination(queue))) or the function a dead-letter queue.",
        async_without_failure_destination,
    ),
    Rule(
        "SP-SYNC-CHAIN",
        WARNING,
        "Synchronous Lambda -> Lambda chain: a function may invoke another function while a caller waits "
        "(API Gateway, function URL, load balancer or AppSync in front of either). The caller pays for "
        "both while it waits, timeouts and retries compound, and errors surface far from their cause.",
        "Put the shared logic in a library or layer both handlers import; or make the hand-off "
        "asynchronous (InvocationType=Event to a function with an on-failure destination, a queue, "
        "EventBridge); or orchestrate with Step Functions. Acknowledge only a deliberate, bounded call.",
        sync_invoke_chains,
    ),
]
