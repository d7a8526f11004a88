"""An EventBridge Pipe from a DynamoDB table's stream to an event bus (INSERTs only).

The ``Cqrs`` event store publishes through it: every new item becomes one
event on the bus, with a role that may only read this stream and put events
on this bus, a :class:`~.queues.FailureQueue` for records it gives up on,
optional CloudWatch Logs, and alarms on failed and throttled executions.

::

    table stream ─(INSERT only, TRIM_HORIZON, bisect, retries)─▶ pipe ─▶ event bus
                                                                  └── gave up ▶ FailureQueue
"""

from __future__ import annotations

import json
from typing import Optional, cast

from aws_cdk import Annotations, Duration, Stack, Token
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_dynamodb as dynamodb,
    aws_events as events,
    aws_iam as iam,
    aws_logs as logs,
    aws_pipes as pipes,
)
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge, acknowledge_inline_policies

from .alarms import AlarmSpec, sum_metric
from .logs import create_log_group
from .pattern_options import PatternOptions
from .queues import FailureQueue
from .service_regions import AS_OF, PIPES_REGIONS, REGIONS_WITHOUT_PIPES


PIPES_NAMESPACE = "AWS/EventBridge/Pipes"
#: Id of the warning :func:`warn_pipes_region` adds (acknowledge it with
#: ``Annotations.of(stack).acknowledge_warning(PIPES_REGION_WARNING, reason)``).
PIPES_REGION_WARNING = "cdk-serverless-patterns:pipes-region"


def warn_pipes_region(scope: Construct) -> None:
    """Warn when ``scope``'s stack may deploy where EventBridge Pipes does not exist.

    A Region-agnostic stack (no ``env`` Region) warns with every Region that
    lacks Pipes; a stack in one of them warns that the deployment will fail.
    Data: :mod:`.service_regions`.
    """
    region = Stack.of(scope).region
    if Token.is_unresolved(region):
        Annotations.of(scope).add_warning_v2(
            PIPES_REGION_WARNING,
            f"This Region-agnostic stack creates an EventBridge Pipe, which does not exist in "
            f"{', '.join(REGIONS_WITHOUT_PIPES)} (as of {AS_OF}): a deployment there fails. Give the stack "
            "env=Environment(region=...) to have the Region checked at synth, or acknowledge this warning "
            "naming the Regions you deploy to.",
        )
    elif region in REGIONS_WITHOUT_PIPES:
        Annotations.of(scope).add_warning_v2(
            PIPES_REGION_WARNING,
            f"EventBridge Pipes does not exist in {region} (as of {AS_OF}; it does in "
            f"{', '.join(PIPES_REGIONS)}): deploying this stack there fails. Deploy it in a Region with Pipes.",
        )


class StreamToBusPipe:
    """Publish new items of ``table``'s stream to ``event_bus`` (children created under ``scope``).

    Children (ids under ``scope``): ``PipeRole``, ``PipeFailures`` (its DLQ),
    ``PipeLogs`` (unless ``log_level="OFF"``), ``Pipe``, and with alarms on
    ``PipeExecutionFailedAlarm`` and ``PipeExecutionThrottledAlarm``.

    :param table: a table with a stream (NEW_IMAGE); the caller validates that it has one.
    :param event_bus: where the events go.
    :param source: the ``source`` of every event on the bus.
    :param detail_type_path: a JSON path into the stream record that becomes the
        ``detail-type``, e.g. ``"$.dynamodb.NewImage.type.S"``.
    :param batch_size: records per batch, 1-10 (an event bus target takes at most 10).
    :param retries: retries of a failing batch, 0-10000; then it goes to the DLQ.
    :param record_age: records older than this go to the DLQ, 60 s-7 days.
    :param log_level: ``"OFF"``, ``"ERROR"``, ``"INFO"`` or ``"TRACE"``.
    :param options: the pattern's options (alarm topic, alarms on/off, removal policy).
    """

    def __init__(
        self,
        scope: Construct,
        *,
        table: dynamodb.ITable,
        event_bus: events.IEventBus,
        source: str,
        detail_type_path: str,
        batch_size: int,
        retries: int,
        record_age: Duration,
        log_level: str,
        options: PatternOptions,
    ) -> None:
        path = scope.node.path
        stack = Stack.of(scope)
        warn_pipes_region(scope)
        self.role = iam.Role(
            scope,
            "PipeRole",
            # Confused-deputy guard: only pipes of this account may assume it.
            assumed_by=iam.ServicePrincipal(
                "pipes.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description=f"Publishes new events of {path} from the table stream to the bus",
        )
        failures = FailureQueue(
            scope,
            "PipeFailures",
            purpose=f"event store records {path}'s pipe could not publish (republish them from the store)",
            **options.for_queue,
        )
        self.dead_letter_queue = failures.queue
        self.failures = failures

        table.grant_stream_read(self.role)
        event_bus.grant_put_events_to(self.role)
        failures.queue.grant(self.role, "sqs:SendMessage")

        self.log_group: Optional[logs.LogGroup] = None
        log_configuration = None
        if log_level != "OFF":
            self.log_group = create_log_group(scope, "PipeLogs", removal_policy=options.removal_policy)
            self.log_group.grant_write(self.role)
            log_configuration = pipes.CfnPipe.PipeLogConfigurationProperty(
                level=log_level,
                cloudwatch_logs_log_destination=pipes.CfnPipe.CloudwatchLogsLogDestinationProperty(
                    log_group_arn=self.log_group.log_group_arn
                ),
            )

        # a new event store has a stream; validation refused an existing one without
        stream_arn = cast(str, table.table_stream_arn)
        self.pipe = pipes.CfnPipe(
            scope,
            "Pipe",
            description=f"New events of {path} -> event bus",
            role_arn=self.role.role_arn,
            source=stream_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                # Events are only ever inserted; anything else (a restore, a manual
                # fix) must not be published as a new event.
                filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                    filters=[pipes.CfnPipe.FilterProperty(pattern=json.dumps({"eventName": ["INSERT"]}))]
                ),
                dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                    # From the oldest record kept: nothing appended before the pipe
                    # started is lost (projections ignore what they already have).
                    starting_position="TRIM_HORIZON",
                    batch_size=batch_size,
                    maximum_batching_window_in_seconds=0,
                    maximum_retry_attempts=retries,
                    maximum_record_age_in_seconds=int(record_age.to_seconds()),
                    on_partial_batch_item_failure="AUTOMATIC_BISECT",
                    # One batch per shard at a time keeps each aggregate's order.
                    parallelization_factor=1,
                    dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(arn=failures.queue.queue_arn),
                ),
            ),
            target=event_bus.event_bus_arn,
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                event_bridge_event_bus_parameters=pipes.CfnPipe.PipeTargetEventBridgeEventBusParametersProperty(
                    # A dynamic path: the event's own type becomes the detail-type.
                    detail_type=detail_type_path,
                    source=source,
                )
            ),
            log_configuration=log_configuration,
        )
        acknowledge_inline_policies(self.role)
        # The pipe starts polling as soon as it exists: its permissions must be in place.
        policy = self.role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            self.pipe.node.add_dependency(policy)
        acknowledge(
            self.role.node.find_child("DefaultPolicy"),
            AWS_SOLUTIONS + "IAM5[Resource::*]",
            "The '*' resource is dynamodb:ListStreams, which CDK's grant_stream_read adds and EventBridge Pipes "
            "lists as required for a DynamoDB stream source; ListStreams supports no resource-level permissions. "
            "Reading records (DescribeStream, GetShardIterator, GetRecords) is limited to this table's stream.",
        )
        self.alarms: list[cloudwatch.Alarm] = [
            *failures.alarms,
            *options.alarms(
                scope,
                [
                    AlarmSpec(
                        f"Pipe{metric_name}Alarm",
                        self._metric(metric_name),
                        threshold=1,
                        description=f"The event pipe of {path} {meaning}.",
                    )
                    for metric_name, meaning in (
                        ("ExecutionFailed", "failed to publish events to the bus; records go to the pipe DLQ after retries"),
                        ("ExecutionThrottled", "is throttled; projections fall behind the event store"),
                    )
                ],
            ),
        ]

    # --- metrics: exactly what the alarms watch ------------------------------
    def _metric(self, name: str) -> cloudwatch.Metric:
        return sum_metric(
            cloudwatch.Metric(namespace=PIPES_NAMESPACE, metric_name=name, dimensions_map={"PipeName": self.pipe.ref})
        )

    def metric_failures(self) -> cloudwatch.Metric:
        """``AWS/EventBridge/Pipes ExecutionFailed`` (Sum over 5 min): records not published to the bus."""
        return self._metric("ExecutionFailed")

    def metric_throttled(self) -> cloudwatch.Metric:
        """``ExecutionThrottled`` of the pipe (Sum over 5 min)."""
        return self._metric("ExecutionThrottled")

    def metric_executions(self) -> cloudwatch.Metric:
        """``Invocations`` of the pipe (Sum over 5 min), for dashboards."""
        return self._metric("Invocations")

    def metric_dead_letter_messages(self) -> cloudwatch.Metric:
        """Records the pipe gave up on (its DLQ depth, Maximum over 5 min)."""
        return self.failures.metric_depth()
