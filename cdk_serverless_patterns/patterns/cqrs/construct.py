"""The :class:`Cqrs` construct: declarations over the shared building blocks."""
from __future__ import annotations

import json
from typing import Any, Mapping, Optional, Union, cast

from aws_cdk import Duration, RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_dynamodb as dynamodb,
    aws_events as events,
    aws_iam as iam,
    aws_logs as logs,
    aws_sns as sns,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.alarms import AlarmSpec, max_metric
from cdk_serverless_patterns.building_blocks.alarms import function_graphs, Graph
from cdk_serverless_patterns.building_blocks.alarms import dashboard as alarm_dashboard
from cdk_serverless_patterns.building_blocks.concurrency import rule_consumer_spec
from cdk_serverless_patterns.building_blocks.table_access import KEY_READ_ACTIONS, KEY_WRITE_ACTIONS, grant_table_actions
from cdk_serverless_patterns.building_blocks.grants import grant_exactly
from cdk_serverless_patterns.building_blocks.function import FunctionSpec, Invocation, ServerlessFunction
from cdk_serverless_patterns.building_blocks.option_types import check_option_types
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.building_blocks.rule_targets import RuleTarget
from cdk_serverless_patterns.building_blocks.stream_pipe import StreamToBusPipe
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.errors import child_path, or_default, PatternConfigError, Problems
from cdk_serverless_patterns.runtime import env
from cdk_serverless_patterns.runtime import event_store as store_runtime
from cdk_serverless_patterns.runtime import projection as projection_runtime

from ..api.auth import ApiAuth
from ..api.backend import ApiBackend
from ..api.routes import Route
from .options import CqrsProjection, OPTION_TYPES
from .validation import validate


class Cqrs(Construct):
    """CQRS with event sourcing (contract).

    :param commands: ``{"POST /orders": spec, ...}`` (at least one); routes as
        in ``ApiBackend``. Command functions may append to and read the event
        store (``PutItem``, ``ConditionCheckItem``, ``Query``, ``GetItem``),
        nothing else.
    :param projections: ``{"order-summary": spec or CqrsProjection(...)}`` (at
        least one). Names: a letter, then letters, digits, ``-`` or ``_``, at most
        64 characters. Each gets a bus rule, a projector (invoked asynchronously,
        with a delivery DLQ and retries; reserved concurrency 10 unless its spec
        sets one, ``defaults.RULE_CONSUMER_RESERVED_CONCURRENCY``), ``GetItem``/``PutItem`` on the read
        model and ``Query`` (read-only catch-up) on the event store.
    :param queries: ``{"GET /orders/{id}": spec}``. Default: none. Read-only
        access to the read model. May not reuse a command route or spec.
    :param auth: ``ApiAuth`` for the API. Default: ``ApiBackend``'s (Cognito).
    :param event_store: an existing event store table (``ITable``) with keys
        ``aggregate_id`` (string) / ``version`` (number) and a NEW_IMAGE stream.
        Default: a new table (PITR, deletion protection, RETAIN).
    :param read_model: an existing read-model table (``ITable``) with keys
        ``aggregate_id`` / ``projection`` (strings). Default: a new table.
    :param event_bus: an existing ``IEventBus`` to publish to. Default: a new bus.
        The bus and its archive use EventBridge's AWS owned key; both accept a
        customer managed key (``events.EventBus(kms_key=...)``,
        ``events.Archive(kms_key=...)`` in aws-cdk-lib >= 2.220) if a regulation
        asks for key-level control: pass such a bus, and set the archive's key
        with ``archive.node.default_child.kms_key_identifier`` (the key policy
        must allow ``events.amazonaws.com``).
    :param event_source: the ``source`` of the events on the bus, up to 256
        characters, not starting with ``aws.``. Default ``"cqrs.<construct id>"``.
    :param archive_retention_days: days the archive keeps events, an integer
        >= 0; 0 keeps them forever. Default 0, so any projection can be rebuilt
        by replaying the full history.
    :param pipe_batch_size: stream records per pipe batch, 1-10 (an event bus
        target takes at most 10). Default 1: every record is published with the
        detail-type read from itself; raise it for throughput.
    :param pipe_retry_attempts: retries of a failing batch, 0-10000. Default 10;
        then the batch's description goes to the pipe DLQ.
    :param pipe_max_record_age: records older than this go to the pipe DLQ,
        60 s-7 days. Default 24 h (the stream's retention).
    :param pipe_log_level: ``"OFF"``, ``"ERROR"``, ``"INFO"`` or ``"TRACE"``
        (CloudWatch Logs, without payloads). Default ``"ERROR"``.
    :param projector_retry_attempts: EventBridge delivery retries to a
        projector, 0-185. Default 185 (bounded by the age below).
    :param projector_max_event_age: how long EventBridge keeps retrying a
        delivery, 60 s-24 h. Default 1 h; then the event goes to the projection's
        delivery DLQ.
    :param environment: extra variables for every function.
    :param api_options: further ``ApiBackend`` keyword options (``stage_name``,
        ``throttling_rate_limit``, ``cors_allow_origins``, ``request_schemas``,
        ``waf``, ...), passed through unchanged. Default: ApiBackend's defaults.
    :param alarm_topic: SNS topic for the alarms. Default: none.
    :param create_alarms: pipe failures/throttles, DLQ depths, function errors,
        projection lag, and per projection rule deliveries that failed for good or
        could not reach the delivery DLQ. Default True.
    :param dashboard: a CloudWatch dashboard: the API's graphs, pipe
        executions and failures, projection lag, DLQ depths, the functions'
        graphs, then one widget per alarm. Default False (dashboards bill per month).
    :param removal_policy: of the tables, user pool, log groups, failure queues and
        the event archive (the history replays rebuild projections from). Default RETAIN.
        DESTROY (sandboxes) makes the stack deletable in one ``cdk destroy``: tables and
        user pools drop deletion protection, KMS keys get the 7-day minimum pending
        window; buckets must be empty. CDK's ``RemovalPolicies.of(stack).destroy()`` has
        the same effect (see docs/patterns/destroy.md).

    Metrics (what the alarms watch): :meth:`metric_pipe_failures`,
    :meth:`metric_pipe_throttled`, :meth:`metric_pipe_dead_letter_messages`,
    :meth:`metric_projection_lag`, :meth:`metric_projection_failed_invocations`,
    :meth:`metric_projection_invocations_failed_to_dlq` and
    :meth:`metric_projection_dead_letter_messages` (per projection); the API's through ``api_backend.metric_*``. Grants:
    :meth:`grant_append` (writers outside the API), :meth:`grant_read_model`
    (readers of the views).

    Attributes: ``api`` (the REST API), ``api_backend``, ``url``,
    ``event_store``, ``read_model``, ``event_bus``, ``archive``, ``pipe``,
    ``pipe_role``, ``pipe_dead_letter_queue``, ``pipe_log_group``, ``commands``
    and ``queries`` (route key → ServerlessFunction), ``projectors`` and
    ``rules`` and ``delivery_dead_letter_queues`` (projection name → ...),
    ``user_pool``, ``alarms``, ``dashboard`` (or None).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        commands: Mapping[str, FunctionSpec],
        projections: Mapping[str, Union[FunctionSpec, CqrsProjection]],
        queries: Optional[Mapping[str, FunctionSpec]] = None,
        auth: Optional[ApiAuth] = None,
        event_store: Optional[dynamodb.ITable] = None,
        read_model: Optional[dynamodb.ITable] = None,
        event_bus: Optional[events.IEventBus] = None,
        event_source: Optional[str] = None,
        archive_retention_days: Optional[int] = None,
        pipe_batch_size: Optional[int] = None,
        pipe_retry_attempts: Optional[int] = None,
        pipe_max_record_age: Optional[Duration] = None,
        pipe_log_level: Optional[str] = None,
        projector_retry_attempts: Optional[int] = None,
        projector_max_event_age: Optional[Duration] = None,
        environment: Optional[Mapping[str, str]] = None,
        api_options: Optional[Mapping[str, Any]] = None,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        dashboard: bool = False,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        source = or_default(event_source, f"{defaults.CQRS_EVENT_SOURCE_PREFIX}{construct_id}")
        retention_days = or_default(archive_retention_days, defaults.CQRS_ARCHIVE_RETENTION_DAYS)
        batch_size = or_default(pipe_batch_size, defaults.PIPE_BATCH_SIZE)
        pipe_retries = or_default(pipe_retry_attempts, defaults.PIPE_RETRY_ATTEMPTS)
        record_age = or_default(pipe_max_record_age, defaults.PIPE_MAX_RECORD_AGE)
        log_level = or_default(pipe_log_level, defaults.PIPE_LOG_LEVEL)
        delivery_retries = or_default(projector_retry_attempts, defaults.RULE_RETRY_ATTEMPTS)
        delivery_age = or_default(projector_max_event_age, defaults.RULE_MAX_EVENT_AGE)
        query_routes = or_default(queries, {})

        problems = Problems(child_path(scope, construct_id))
        typed = check_option_types(
            problems,
            dict(
                event_store=event_store,
                read_model=read_model,
                event_bus=event_bus,
                event_source=event_source,
                environment=environment,
                api_options=api_options,
                alarm_topic=alarm_topic,
                create_alarms=create_alarms,
                dashboard=dashboard,
                removal_policy=removal_policy,
            ),
            OPTION_TYPES,
        )
        event_store, environment, api_options = typed["event_store"], typed["environment"], typed["api_options"]
        create_alarms = or_default(create_alarms, True)  # None means the default, not False
        if typed["event_source"] is None:
            source = f"{defaults.CQRS_EVENT_SOURCE_PREFIX}{construct_id}"
        parsed_commands, parsed_queries, parsed_projections = validate(
            problems,
            commands=commands,
            queries=query_routes,
            projections=projections,
            event_store=event_store,
            event_source=source,
            archive_retention_days=retention_days,
            pipe_batch_size=batch_size,
            pipe_retry_attempts=pipe_retries,
            pipe_max_record_age=record_age,
            pipe_log_level=log_level,
            projector_retry_attempts=delivery_retries,
            projector_max_event_age=delivery_age,
            environment=environment,
            api_options=api_options,
        )
        problems.raise_if_any()
        super().__init__(scope, construct_id)
        options = PatternOptions(
            alarm_topic=alarm_topic, create_alarms=create_alarms, removal_policy=removal_policy, dashboard=dashboard
        )
        self.event_source = source
        self.alarms: list[cloudwatch.Alarm] = []

        # --- stores ------------------------------------------------------------
        self.event_store: dynamodb.ITable = (
            event_store
            if event_store is not None
            else create_table(
                self,
                "EventStore",
                partition_key=store_runtime.AGGREGATE_ID,
                sort_key=store_runtime.VERSION,
                sort_key_type=dynamodb.AttributeType.NUMBER,
                stream=dynamodb.StreamViewType.NEW_IMAGE,
                removal_policy=removal_policy,
            )
        )
        self.read_model: dynamodb.ITable = (
            read_model
            if read_model is not None
            else create_table(
                self,
                "ReadModel",
                partition_key=projection_runtime.AGGREGATE_ID,
                sort_key=projection_runtime.PROJECTION,
                removal_policy=removal_policy,
            )
        )

        # --- commands and queries: one API, before anything else can exist ------
        # ApiBackend validates auth and api_options itself; built right after the
        # tables (which cannot fail), a problem there leaves nothing behind.
        self._build_api(
            parsed_commands,
            parsed_queries,
            auth=auth,
            api_options=api_options,
            environment=environment,
            alarm_topic=alarm_topic,
            create_alarms=create_alarms,
            removal_policy=removal_policy,
        )

        # --- bus and archive ---------------------------------------------------
        self.event_bus: events.IEventBus = (
            event_bus
            if event_bus is not None
            else events.EventBus(self, "EventBus", description=f"Events appended to the event store of {self.node.path}")
        )
        self.archive = events.Archive(
            self,
            "Archive",
            source_event_bus=self.event_bus,
            event_pattern=events.EventPattern(source=[source]),
            retention=Duration.days(retention_days) if retention_days > 0 else None,
            description=f"Every event of {self.node.path}, for replaying into projections",
        )
        self.archive.apply_removal_policy(removal_policy)

        # --- publishing: stream -> pipe -> bus ----------------------------------
        publisher = StreamToBusPipe(
            self,
            table=self.event_store,
            event_bus=self.event_bus,
            source=source,
            # the event's own type becomes the detail-type
            detail_type_path="$.dynamodb.NewImage.type.S",
            batch_size=batch_size,
            retries=pipe_retries,
            record_age=record_age,
            log_level=log_level,
            options=options,
        )
        self.publisher = publisher
        self.pipe = publisher.pipe
        self.pipe_role = publisher.role
        self.pipe_dead_letter_queue = publisher.dead_letter_queue
        self.pipe_log_group: Optional[logs.LogGroup] = publisher.log_group
        self.alarms.extend(publisher.alarms)

        # --- projections -------------------------------------------------------
        self.projectors: dict[str, ServerlessFunction] = {}
        self.rules: dict[str, events.Rule] = {}
        self.delivery_dead_letter_queues: dict[str, Any] = {}
        self._deliveries: dict[str, RuleTarget] = {}
        container = Construct(self, "Projections")
        for name, projection in parsed_projections.items():
            self._build_projection(
                container,
                name,
                projection,
                source=source,
                retries=delivery_retries,
                max_age=delivery_age,
                environment=environment,
                options=options,
            )

        self._grant_routes()
        self.alarms.extend(self.api_backend.alarms)
        self.dashboard: Optional[cloudwatch.Dashboard] = (
            alarm_dashboard(self, "Dashboard", self.alarms, self.dashboard_graphs()) if dashboard else None
        )

    # --- metrics: exactly what the alarms watch ------------------------------
    def metric_pipe_failures(self) -> cloudwatch.Metric:
        """``AWS/EventBridge/Pipes ExecutionFailed`` (Sum over 5 min): events not published to the bus."""
        return self.publisher.metric_failures()

    def metric_pipe_throttled(self) -> cloudwatch.Metric:
        """``ExecutionThrottled`` of the pipe (Sum over 5 min)."""
        return self.publisher.metric_throttled()

    def metric_pipe_executions(self) -> cloudwatch.Metric:
        """``Invocations`` of the pipe (Sum over 5 min), for dashboards."""
        return self.publisher.metric_executions()

    def metric_pipe_dead_letter_messages(self) -> cloudwatch.Metric:
        """Event-store records the pipe gave up on (its DLQ depth, Maximum over 5 min)."""
        return self.publisher.metric_dead_letter_messages()

    def _projector(self, projection: str, method: str) -> ServerlessFunction:
        if projection not in self.projectors:
            raise PatternConfigError(
                self.node.path,
                [f"{method}: projection={projection!r} is invalid: allowed {', '.join(map(repr, self.projectors))}. "
                 "Fix: pass a name from projections="],
            )
        return self.projectors[projection]

    def metric_projection_lag(self, projection: str) -> cloudwatch.Metric:
        """How long events wait for ``projection``'s projector (``AsyncEventAge``, ms, Maximum over 5 min)."""
        return max_metric(self._projector(projection, "metric_projection_lag").function.metric("AsyncEventAge"))

    def metric_projection_failed_invocations(self, projection: str) -> cloudwatch.Metric:
        """Events ``projection``'s rule could not deliver to its projector
        (``AWS/Events FailedInvocations``, Sum over 5 min)."""
        self._projector(projection, "metric_projection_failed_invocations")
        return self._deliveries[projection].metric_failed_invocations()

    def metric_projection_invocations_failed_to_dlq(self, projection: str) -> cloudwatch.Metric:
        """Events ``projection``'s rule could not even put in its delivery DLQ: lost (Sum over 5 min)."""
        self._projector(projection, "metric_projection_invocations_failed_to_dlq")
        return self._deliveries[projection].metric_invocations_failed_to_dlq()

    def metric_projection_dead_letter_messages(self, projection: str) -> cloudwatch.Metric:
        """Events EventBridge could not deliver to ``projection`` (its delivery DLQ depth)."""
        self._projector(projection, "metric_projection_dead_letter_messages")
        return self._deliveries[projection].metric_dead_letter_messages()

    def dashboard_graphs(self) -> list[Graph]:
        """The graphs ``dashboard=True`` shows."""
        api_graphs = [g for g in self.api_backend.dashboard_graphs() if g[0] in ("Requests", "Error rates", "Latency p95 (ms)")]
        return [
            *api_graphs,
            (
                "Event pipe",
                [
                    ("executions", self.metric_pipe_executions()),
                    ("failed", self.metric_pipe_failures()),
                    ("throttled", self.metric_pipe_throttled()),
                    ("in DLQ", self.metric_pipe_dead_letter_messages()),
                ],
            ),
            ("Projection lag (ms)", [(name, self.metric_projection_lag(name)) for name in self.projectors]),
            (
                "Undelivered projection events",
                [(name, self.metric_projection_dead_letter_messages(name)) for name in self.projectors],
            ),
            *function_graphs(
                {
                    **{fn.node.id: fn for fn in dict.fromkeys(self.commands.values())},
                    **{fn.node.id: fn for fn in dict.fromkeys(self.queries.values())},
                    **{f"projector {name}": fn for name, fn in self.projectors.items()},
                }
            ),
        ]

    # --- grants ---------------------------------------------------------------
    def grant_append(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let a writer outside the API append events (``runtime.event_store.append``):
        exactly ``dynamodb:PutItem`` and ``dynamodb:ConditionCheckItem`` (the two
        actions of its transaction) on the event store; no updates, no deletes."""
        grant = grant_exactly(
            grantee,
            actions=["dynamodb:PutItem", "dynamodb:ConditionCheckItem"],
            resources=[self.event_store.table_arn],
        )
        if self.event_store.encryption_key is not None:
            self.event_store.encryption_key.grant(grantee, *KEY_WRITE_ACTIONS)
        return grant

    def grant_read_model(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let a reader outside the API read views (``runtime.projection.get_view``):
        exactly ``dynamodb:GetItem`` on the read model."""
        grant = grant_exactly(grantee, actions=["dynamodb:GetItem"], resources=[self.read_model.table_arn])
        if self.read_model.encryption_key is not None:
            self.read_model.encryption_key.grant(grantee, *KEY_READ_ACTIONS)
        return grant

    def _build_projection(
        self,
        container: Construct,
        name: str,
        projection: CqrsProjection,
        *,
        source: str,
        retries: int,
        max_age: Duration,
        environment: Optional[Mapping[str, str]],
        options: PatternOptions,
    ) -> None:
        scope = Construct(container, name)
        projector = ServerlessFunction(
            scope,
            "Projector",
            rule_consumer_spec(projection.handler),
            invocation=Invocation.ASYNC,
            environment={
                **(environment or {}),
                env.READ_MODEL_TABLE: self.read_model.table_name,
                env.EVENT_STORE_TABLE: self.event_store.table_name,
                env.PROJECTION_NAME: name,
                **(
                    {env.PROJECTION_EVENT_TYPES: json.dumps(list(projection.event_types))}
                    if projection.event_types
                    else {}
                ),
            },
            **options.for_function,
        )
        # Projectors write only the read model: read the current view, put the next.
        # On the event store they may only Query, to catch up on versions they missed.
        grant_table_actions(self.read_model, projector.role, ["dynamodb:GetItem", "dynamodb:PutItem"])
        grant_table_actions(self.event_store, projector.role, ["dynamodb:Query"])
        delivery = RuleTarget(
            scope,
            "DeliveryFailures",
            purpose=f"events EventBridge could not deliver to projection {name!r} of {self.node.path}",
            retry_attempts=retries,
            max_event_age=max_age,
            options=options,
        )
        rule = events.Rule(
            scope,
            "Rule",
            event_bus=self.event_bus,
            description=f"Events of {self.node.path} for projection {name}",
            event_pattern=events.EventPattern(
                source=[source], detail_type=list(projection.event_types) or None
            ),
        )
        delivery.to_function(rule, projector.alias)
        self.projectors[name] = projector
        self.rules[name] = rule
        self.delivery_dead_letter_queues[name] = delivery.dead_letter_queue
        self._deliveries[name] = delivery
        self.alarms.extend(projector.alarms)
        self.alarms.extend(delivery.failures.alarms)
        lag = defaults.PROJECTION_LAG_ALARM
        self.alarms.extend(
            options.alarms(
                scope,
                [
                    *delivery.failure_alarm_specs(f"The rule of projection {name!r} of {self.node.path}"),
                    AlarmSpec(
                        "LagAlarm",
                        self.metric_projection_lag(name),
                        threshold=lag.to_milliseconds(),
                        description=(
                            f"Projection {name!r} of {self.node.path} lags: events wait {lag.to_minutes()} min or "
                            "more in its projector's queue (errors, throttling or out-of-order retries)."
                        ),
                    )
                ],
            )
        )

    def _build_api(
        self,
        parsed_commands: Mapping[Route, FunctionSpec],
        parsed_queries: Mapping[Route, FunctionSpec],
        *,
        auth: Optional[ApiAuth],
        api_options: Optional[Mapping[str, Any]],
        environment: Optional[Mapping[str, str]],
        alarm_topic: Optional[sns.ITopic],
        create_alarms: bool,
        removal_policy: RemovalPolicy,
    ) -> None:
        routes = {r.key: s for r, s in {**parsed_commands, **parsed_queries}.items()}
        api_kwargs: dict[str, Any] = dict(api_options or {})
        if auth is not None:
            api_kwargs["auth"] = auth
        try:
            self.api_backend = ApiBackend(
                self,
                "Api",
                routes=routes,
                table=None,
                environment={
                    **(environment or {}),
                    env.EVENT_STORE_TABLE: self.event_store.table_name,
                    env.READ_MODEL_TABLE: self.read_model.table_name,
                },
                alarm_topic=alarm_topic,
                create_alarms=create_alarms,
                removal_policy=removal_policy,
                **api_kwargs,
            )
        except PatternConfigError:
            # Bad auth/api_options: take this construct (only its tables so far) out of the tree.
            cast(Construct, self.node.scope).node.try_remove_child(self.node.id)
            raise
        self.api = self.api_backend.api
        self.url = self.api_backend.url
        self.user_pool = self.api_backend.user_pool
        self.commands = {r.key: self._route_function(r) for r in parsed_commands}
        self.queries = {r.key: self._route_function(r) for r in parsed_queries}

    def _grant_routes(self) -> None:
        for function in _unique(self.commands.values()):
            # Append-only: put new versions (conditional), check the expected one,
            # read history. No UpdateItem/DeleteItem/BatchWriteItem, nothing on the read model.
            grant_table_actions(
                self.event_store,
                function.role,
                ["dynamodb:PutItem", "dynamodb:ConditionCheckItem", "dynamodb:Query", "dynamodb:GetItem"],
            )
        for function in _unique(self.queries.values()):
            grant_table_actions(self.read_model, function.role, ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"])

    def _route_function(self, route: Route) -> ServerlessFunction:
        functions = self.api_backend.functions
        for key in (route.key, route, f"{route.method.lower()} {route.path}"):
            if key in functions:
                return functions[key]
        raise KeyError(f"ApiBackend made no function for {route.key!r}")


def _unique(functions: Any) -> list[ServerlessFunction]:
    seen: dict[int, ServerlessFunction] = {}
    for function in functions:
        seen.setdefault(id(function), function)
    return list(seen.values())
