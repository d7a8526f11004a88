"""Every rule of :class:`~.construct.Cqrs`, collected before anything is created."""
from __future__ import annotations

import inspect
import json
from typing import Any, Mapping, Optional


from cdk_serverless_patterns._cdk_modules import aws_dynamodb as dynamodb
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.delivery_rules import (
    duration_seconds,
    validate_target_retry_policy,
)
from cdk_serverless_patterns.building_blocks.function import FunctionSpec, validate_spec
from cdk_serverless_patterns.building_blocks.option_types import STRING_LIST
from cdk_serverless_patterns.errors import is_token, Problems
from cdk_serverless_patterns.runtime import env

from ..api.backend import ApiBackend
from ..api.routes import Route, validate_routes
from .options import API_OPTIONS_SET_BY_CQRS, CqrsProjection, PROJECTION_NAME_RE


def validate(
    problems: Problems,
    *,
    commands: Any,
    queries: Any,
    projections: Any,
    event_store: Optional[dynamodb.ITable],
    event_source: Any,
    archive_retention_days: Any,
    pipe_batch_size: Any,
    pipe_retry_attempts: Any,
    pipe_max_record_age: Any,
    pipe_log_level: Any,
    projector_retry_attempts: Any,
    projector_max_event_age: Any,
    environment: Optional[Mapping[str, str]],
    api_options: Optional[Mapping[str, Any]] = None,
) -> tuple[dict[Route, FunctionSpec], dict[Route, FunctionSpec], dict[str, CqrsProjection]]:
    """Every rule of :class:`Cqrs`, collected into ``problems``."""
    api_limit = (defaults.API_INTEGRATION_TIMEOUT_S, "API Gateway's integration timeout")
    parsed_commands = validate_routes(problems, commands, field_name="commands")
    parsed_queries = validate_routes(
        problems,
        queries,
        field_name="queries",
        taken={route: "commands" for route in parsed_commands},
        allow_empty=True,
    )
    extra_env = {**(environment or {}), env.EVENT_STORE_TABLE: "x", env.READ_MODEL_TABLE: "x"}
    for field_name, parsed in (("commands", parsed_commands), ("queries", parsed_queries)):
        for route, spec in parsed.items():
            validate_spec(
                problems,
                spec,
                field_prefix=f"{field_name}[{route.key!r}]",
                max_timeout_s=api_limit[0],
                max_timeout_reason=api_limit[1],
                extra_environment=extra_env,
            )
    command_specs = {id(spec): route for route, spec in parsed_commands.items()}
    for route, spec in parsed_queries.items():
        if id(spec) in command_specs:
            problems.add(
                f"queries[{route.key!r}]",
                "the FunctionSpec of command " + repr(command_specs[id(spec)].key),
                "a spec not shared with a command (a shared spec is one function, which would get both "
                "the command's event store and the query's read model access)",
                "give the query its own FunctionSpec",
            )

    parsed_projections: dict[str, CqrsProjection] = {}
    if not isinstance(projections, Mapping) or not projections:
        problems.add(
            "projections",
            projections,
            "at least one projection {'name': FunctionSpec or CqrsProjection}",
            "pass projections={'order-summary': FunctionSpec(...)}: without one, nothing reads the events",
        )
    else:
        for name, value in projections.items():
            field = f"projections[{name!r}]"
            problems.check(
                isinstance(name, str) and bool(PROJECTION_NAME_RE.match(name)),
                field,
                name,
                "a name of 1-64 letters, digits, '-' or '_' starting with a letter",
                "rename the projection, e.g. 'order-summary'",
            )
            projection = value if isinstance(value, CqrsProjection) else CqrsProjection(value)
            if not isinstance(projection.handler, FunctionSpec):
                problems.add(
                    field,
                    value,
                    "a FunctionSpec or CqrsProjection(handler=FunctionSpec, event_types=[...])",
                    "pass the projector's FunctionSpec",
                )
                continue
            validate_spec(
                problems,
                projection.handler,
                field_prefix=field,
                extra_environment={
                    **(environment or {}),
                    env.READ_MODEL_TABLE: "x",
                    env.EVENT_STORE_TABLE: "x",
                    env.PROJECTION_NAME: "x",
                    env.PROJECTION_EVENT_TYPES: json.dumps(
                        list(projection.event_types) if STRING_LIST.check(projection.event_types) else []
                    ),
                },
            )
            types = projection.event_types
            types_ok = STRING_LIST.check(types) and all(
                isinstance(t, str) and 0 < len(t) <= defaults.EVENT_DETAIL_TYPE_MAX_CHARS for t in types
            )
            problems.check(
                types_ok,
                f"{field}.event_types",
                types,
                f"a list of event type names, each 1-{defaults.EVENT_DETAIL_TYPE_MAX_CHARS} characters "
                "(EventBridge detail-type), or empty for all events",
                "pass e.g. event_types=['OrderPlaced', 'OrderCancelled']",
            )
            parsed_projections[str(name)] = projection

    if event_store is not None:
        problems.check(
            event_store.table_stream_arn is not None,
            "event_store",
            event_store.node.path,
            "a table with a stream (NEW_IMAGE): the pipe reads new events from it",
            "create it with stream=StreamViewType.NEW_IMAGE, or import it with "
            "Table.from_table_attributes(..., table_stream_arn=...)",
        )
    if not is_token(event_source):
        problems.check(
            isinstance(event_source, str)
            and 0 < len(event_source) <= defaults.EVENT_SOURCE_MAX_CHARS
            and not event_source.startswith(defaults.EVENT_SOURCE_RESERVED_PREFIX),
            "event_source",
            event_source,
            f"1-{defaults.EVENT_SOURCE_MAX_CHARS} characters, not starting with "
            f"{defaults.EVENT_SOURCE_RESERVED_PREFIX!r} (reserved for AWS services)",
            "pass e.g. event_source='com.example.orders'",
        )
    problems.check_int(
        "archive_retention_days",
        archive_retention_days,
        low=0,
        allowed="an integer >= 0 (EventBridge archive; 0 keeps events forever)",
        fix="pass 0 to keep every event, or a number of days such as 365",
    )
    problems.check_range("pipe_batch_size", pipe_batch_size, defaults.PIPE_BATCH_SIZE_MIN, defaults.PIPE_BATCH_SIZE_MAX,
                         "EventBridge Pipes: an event bus target takes at most 10 events per batch", "pass e.g. 10")
    problems.check_range("pipe_retry_attempts", pipe_retry_attempts, 0, defaults.PIPE_RETRY_ATTEMPTS_MAX,
                         "EventBridge Pipes stream source; infinite (-1) would let one bad record block its shard",
                         "pass e.g. 10")
    _check_duration(problems, "pipe_max_record_age", pipe_max_record_age, defaults.PIPE_RECORD_AGE_MIN_S,
                    defaults.PIPE_RECORD_AGE_MAX_S, "EventBridge Pipes stream source", "pass e.g. Duration.hours(24)")
    problems.check(
        pipe_log_level in defaults.PIPE_LOG_LEVELS,
        "pipe_log_level",
        pipe_log_level,
        f"one of {', '.join(defaults.PIPE_LOG_LEVELS)}",
        "pass 'ERROR' (failed executions only) or 'OFF'",
    )
    validate_target_retry_policy(
        problems,
        projector_retry_attempts,
        projector_max_event_age,
        retries_field="projector_retry_attempts",
        age_field="projector_max_event_age",
    )
    passable = set(inspect.signature(ApiBackend.__init__).parameters) - {"self", "scope", "construct_id"}
    unknown = sorted(str(k) for k in set(api_options or {}) - passable)
    problems.check(
        not unknown,
        "api_options",
        unknown,
        "keyword options of ApiBackend (" + ", ".join(sorted(passable - API_OPTIONS_SET_BY_CQRS)) + ")",
        "fix the option's name, or drop it",
    )
    owned = sorted(set(api_options or {}) & API_OPTIONS_SET_BY_CQRS)
    problems.check(
        not owned,
        "api_options",
        owned,
        "ApiBackend options other than " + ", ".join(sorted(API_OPTIONS_SET_BY_CQRS)) + " (Cqrs sets those)",
        "pass auth, environment, alarm_topic, create_alarms and removal_policy to Cqrs itself; "
        "routes are commands + queries",
    )
    return parsed_commands, parsed_queries, parsed_projections


def _check_duration(problems: Problems, field: str, value: Any, low_s: int, high_s: int, source: str, fix: str) -> None:
    duration_seconds(problems, field, value, low_s=low_s, high_s=high_s, allowed=f"{low_s}-{high_s} s ({source})", fix=fix)
