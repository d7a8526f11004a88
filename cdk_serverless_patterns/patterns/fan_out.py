"""``FanOutFanIn``: SNS → one SQS queue per worker → workers → exactly-once aggregator.

::

    start_job() ──► SNS topic (KMS) ──┬─► queue[thumbnail] (+DLQ) ──► worker thumbnail ──┐
                                      └─► queue[metadata]  (+DLQ) ──► worker metadata  ──┤ complete_part()
                                                                                          ▼
                          aggregator ◄── aggregator queue (+DLQ) ◄── winner ◄── state table (DynamoDB)

A job is one message on the topic (shape in :mod:`.runtime.jobs`). Every worker
queue receives it (raw delivery; an optional filter policy per worker), the
worker does its part and records it with
:func:`~.runtime.fan_in.submit_part`; the call that records the last missing
part (exactly one per job, by conditional writes) sends the job id to the
aggregator's queue, and the aggregator reads all results with
:func:`~.runtime.fan_in.load_job`.

With ``fifo=True`` the topic and every worker queue (and their DLQs) are FIFO:
jobs of one message group (a customer, an account) reach each worker in the
order they were published, one batch at a time, and ``start_job`` takes the
group id from the job's payload (``message_group_key``). Workers use
``process_batch``, which stops a group at its first failure so later jobs of
that group are retried after it, never before.
"""

from __future__ import annotations

import re
from typing import Mapping, Optional

from aws_cdk import Duration, RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_dynamodb as dynamodb,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_sns as sns,
    aws_sns_subscriptions as subscriptions,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.table_access import grant_table_actions
from cdk_serverless_patterns.building_blocks.alarms import Graph, function_graphs
from cdk_serverless_patterns.building_blocks.alarms import dashboard as make_dashboard
from cdk_serverless_patterns.building_blocks.delivery_rules import duration_seconds
from cdk_serverless_patterns.building_blocks.function import (
    FunctionSpec,
    Invocation,
    ServerlessFunction,
    validate_spec,
)
from cdk_serverless_patterns.building_blocks.option_types import (
    COMMON,
    INTEGER,
    MAPPING,
    TABLE,
    TOPIC,
)
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.building_blocks.queues import (
    FailureQueue,
    WorkQueue,
    validate_work_queue,
)
from cdk_serverless_patterns.building_blocks.sqs_consumers import (
    ProvisionedPollers,
    consume_queue,
    validate_queue_consumer,
)
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.building_blocks.topic_grants import grant_publish
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic
from cdk_serverless_patterns.building_blocks.traffic_hints import add_traffic_hint
from cdk_serverless_patterns.errors import PatternConfigError, Problems, child_path, or_default
from cdk_serverless_patterns.runtime import env, fan_in


_WORKER_NAME = re.compile(defaults.FAN_OUT_WORKER_NAME_PATTERN)
#: What a worker's complete_part / submit_part call needs on the state table:
#: a consistent read of the job item, the transactional put + update, and the
#: notified_at update. No Query, Scan or Delete.
WORKER_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
#: What load_job needs: one strongly consistent Query of the job's items (no GetItem).
AGGREGATOR_TABLE_ACTIONS = ("dynamodb:Query",)


_OPTION_TYPES = {
    **COMMON,
    "topic": TOPIC,
    "state_table": TABLE,
    "filter_policies": MAPPING,
    "max_receive_count": INTEGER,
}


class FanOutFanIn(Construct):
    """Fan a job out to parallel workers and aggregate their results exactly once (contract).

    :param workers: ``{"name": FunctionSpec}``, at least one. The name is the
        worker's construct id and its part name in the fan-in (letters, digits,
        ``-``, ``_``, starting with a letter, at most 64 characters). Each gets
        its own queue, dead-letter queue and subscription.
    :param aggregator: the function that runs once per completed job. It
        receives SQS records whose body is ``{"job_id": ...}`` and must be
        idempotent (SQS delivers at least once).
    :param topic: an existing topic to fan out from. Default: a new
        :class:`~.topics.EncryptedTopic` (own rotating KMS key, SSL only).
    :param state_table: an existing table for fan-in state, with string keys
        ``pk`` and ``sk`` and TTL on ``expires_at``. Default: a new on-demand,
        encrypted table with point-in-time recovery and that TTL.
    :param filter_policies: ``{"worker name": {attribute: sns.SubscriptionFilter}}``:
        the worker only receives jobs whose message attributes match. A job
        must then list only the workers that receive it in ``parts``.
        Default: every worker receives every job.
    :param max_receive_count: receives before a message moves to its queue's
        DLQ, 1-1000. Default: 5 (a few retries for transient errors, then an
        operator looks).
    :param batch_size: messages per worker / aggregator invocation, 1-10.
        Default: 10. Larger batches need a batching window, which would delay
        every job.
    :param max_concurrency: most concurrent invocations each queue may drive,
        2-1000, at most a function's ``reserved_concurrency`` when that is set.
        Default: 10 (``defaults.SQS_MAX_CONCURRENCY``; at most the function's
        reserved concurrency), so a backlog cannot take the account's whole
        concurrency; raise it for throughput. None with ``provisioned_pollers``.
    :param provisioned_pollers: run every queue's event source mapping (workers'
        and aggregator's) in provisioned mode
        (:class:`~cdk_serverless_patterns.building_blocks.sqs_consumers.ProvisionedPollers`:
        dedicated pollers between a minimum and a maximum, billed per poller-hour) for
        spiky job bursts that must drain fast; excludes ``max_concurrency``.
        Default: none (Lambda's default polling, bounded by ``max_concurrency``).
    :param job_retention: how long job state is kept after its last write
        (DynamoDB TTL), 14-365 days. Default: 30 days, longer than SQS's 14-day
        maximum retention so a late duplicate never restarts a finished job.
    :param alarm_topic: SNS topic for every alarm. Default: none.
    :param create_alarms: queue age, DLQ depth and function alarms. Default: True.
    :param removal_policy: of the state table, the topic's key and the log groups.
        Default: RETAIN. DESTROY (sandboxes) makes the stack deletable in one ``cdk
        destroy``: tables and user pools drop deletion protection, KMS keys get the
        7-day minimum pending window; buckets must be empty. CDK's
        ``RemovalPolicies.of(stack).destroy()`` has the same effect (see
        docs/patterns/destroy.md).
    :param log_retention: of the functions' log groups. Default: one month.
    :param dashboard: also create a CloudWatch dashboard: queue ages, DLQ
        depths, the functions' graphs, then the alarms. Default: False
        (dashboards bill per month).
    :param fifo: ordered fan-out: a FIFO topic and FIFO worker queues (and
        FIFO dead-letter queues). Each worker receives the jobs of one message
        group in publish order; different groups run in parallel. Batches are
        at most 10 messages. The aggregator queue stays standard: the
        aggregator runs once per job, and its order across jobs is not
        guaranteed. A given ``topic`` must then be FIFO. Default: False.
    :param message_group_key: FIFO only. The payload field whose value is a
        job's message group id (e.g. ``"customer_id"``); handlers get it as
        ``FAN_OUT_MESSAGE_GROUP_KEY`` through :attr:`publisher_environment`,
        and ``start_job`` reads it from the payload. Default: none (pass
        ``start_job(..., group_id=...)``).
    :param content_based_deduplication: FIFO only. The topic deduplicates by a
        hash of the message when a publisher gives no deduplication id
        (``start_job`` always gives the job id). Default: False.

    Metrics (what the alarms watch): :meth:`metric_oldest_message_age` and
    :meth:`metric_dead_letter_messages` (per worker, or the aggregator's
    queue), :meth:`metric_undeliverable_messages` (per worker) and each
    function's ``metric_*``. Grants: :meth:`grant_start_jobs`.

    Attributes: ``topic`` (``sns.ITopic``), ``encrypted_topic`` (the
    EncryptedTopic, None when ``topic`` was given), ``queues`` (name →
    :class:`~.queues.WorkQueue`), ``subscription_dead_letter_queues`` (name →
    :class:`~.queues.FailureQueue` for deliveries SNS could not make),
    ``subscriptions``, ``workers`` (name → :class:`ServerlessFunction`),
    ``event_sources`` (name → mapping, the aggregator's under ``"aggregator"``),
    ``aggregator``, ``aggregator_queue``, ``state_table``, ``alarms``,
    ``dashboard``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workers: Mapping[str, FunctionSpec],
        aggregator: FunctionSpec,
        topic: Optional[sns.ITopic] = None,
        state_table: Optional[dynamodb.ITable] = None,
        filter_policies: Optional[Mapping[str, Mapping[str, sns.SubscriptionFilter]]] = None,
        max_receive_count: Optional[int] = None,
        batch_size: Optional[int] = None,
        max_concurrency: Optional[int] = None,
        job_retention: Optional[Duration] = None,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: Optional[logs.RetentionDays] = None,
        dashboard: bool = False,
        fifo: bool = False,
        message_group_key: Optional[str] = None,
        content_based_deduplication: bool = False,
        provisioned_pollers: Optional[ProvisionedPollers] = None,
    ) -> None:
        options = PatternOptions(alarm_topic=alarm_topic, create_alarms=create_alarms, removal_policy=removal_policy,
                                 log_retention=log_retention, dashboard=dashboard)
        type_problems = Problems(child_path(scope, construct_id))
        typed = options.check_types(
            type_problems,
            _OPTION_TYPES,
            topic=topic,
            state_table=state_table,
            filter_policies=filter_policies,
            max_receive_count=max_receive_count,
        )
        receive = or_default(typed["max_receive_count"], defaults.MAX_RECEIVE_COUNT)
        batch = or_default(batch_size, defaults.SQS_BATCH_SIZE)
        retention = or_default(job_retention, defaults.FAN_IN_JOB_RETENTION)
        policies = dict(typed["filter_policies"]) if typed["filter_policies"] is not None else {}
        _validate_fifo(type_problems, fifo, topic, message_group_key, content_based_deduplication)
        _validate(
            type_problems,
            workers,
            aggregator,
            policies,
            receive,
            batch,
            max_concurrency,
            retention,
            fifo=fifo,
            provisioned_pollers=provisioned_pollers,
        )
        super().__init__(scope, construct_id)
        self.fifo = fifo
        self.message_group_key = message_group_key

        self.encrypted_topic: Optional[EncryptedTopic] = None
        if topic is None:
            self.encrypted_topic = EncryptedTopic(
                self,
                "Topic",
                fifo=fifo,
                content_based_deduplication=content_based_deduplication,
                removal_policy=options.removal_policy,
            )
            topic = self.encrypted_topic.topic
        self.topic: sns.ITopic = topic

        if state_table is None:
            state_table = create_table(
                self,
                "StateTable",
                partition_key=fan_in.PARTITION_KEY,
                sort_key=fan_in.SORT_KEY,
                removal_policy=options.removal_policy,
                time_to_live_attribute=fan_in.TTL_ATTRIBUTE,
            )
        self.state_table: dynamodb.ITable = state_table

        self.aggregator_queue = WorkQueue(
            self,
            "AggregatorQueue",
            consumer_timeout=aggregator.timeout,
            purpose=f"completed jobs of {self.node.path} waiting for the aggregator",
            max_receive_count=receive,
            **options.for_queue,
        )
        self.aggregator = ServerlessFunction(
            self,
            "Aggregator",
            aggregator,
            invocation=Invocation.EVENT_SOURCE,
            environment={env.FAN_IN_TABLE: state_table.table_name},
            **options.for_function,
        )
        grant_table_actions(state_table, self.aggregator.role, AGGREGATOR_TABLE_ACTIONS)
        self.event_sources: dict[str, lambda_.EventSourceMapping] = {
            "aggregator": consume_queue(
                self,
                "AggregatorEventSource",
                consumer=self.aggregator,
                queue=self.aggregator_queue.queue,
                batch_size=batch,
                max_concurrency=max_concurrency,
                provisioned_pollers=provisioned_pollers,
            )
        }

        self.queues: dict[str, WorkQueue] = {}
        self.subscription_dead_letter_queues: dict[str, FailureQueue] = {}
        self.subscriptions: dict[str, sns.Subscription] = {}
        self.workers: dict[str, ServerlessFunction] = {}
        workers_scope = Construct(self, "Workers")
        for name, spec in workers.items():
            scope_ = Construct(workers_scope, name)
            work_queue = WorkQueue(
                scope_,
                "Queue",
                consumer_timeout=spec.timeout,
                purpose=f"jobs for worker '{name}' of {self.node.path}",
                max_receive_count=receive,
                fifo=fifo,
                **options.for_queue,
            )
            delivery_failures = FailureQueue(
                scope_,
                "SubscriptionDeadLetter",
                purpose=f"SNS deliveries to the queue of worker '{name}' of {self.node.path}",
                # A FIFO topic's subscription DLQ must be FIFO too.
                fifo=fifo,
                **options.for_queue,
            )
            # SqsSubscription adds the queue policies that let this topic (only) send
            # to the work queue and SNS send undeliverable messages to the DLQ.
            subscription = subscriptions.SqsSubscription(
                work_queue.queue,
                raw_message_delivery=True,
                dead_letter_queue=delivery_failures.queue,
                filter_policy=policies.get(name),
            )
            self.subscriptions[name] = topic.add_subscription(subscription)
            worker = ServerlessFunction(
                scope_,
                "Worker",
                spec,
                invocation=Invocation.EVENT_SOURCE,
                environment={
                    env.FAN_IN_TABLE: state_table.table_name,
                    env.AGGREGATOR_QUEUE_URL: self.aggregator_queue.queue.queue_url,
                    env.FAN_OUT_WORKER: name,
                    env.FAN_IN_RETENTION: str(int(retention.to_seconds())),
                },
                **options.for_function,
            )
            grant_table_actions(state_table, worker.role, WORKER_TABLE_ACTIONS)
            self.aggregator_queue.queue.grant_send_messages(worker.role)
            # only the worker that records a job's last part sends: one aggregator message per job
            add_traffic_hint(worker.function, messages_per_event=1 / len(workers))
            self.event_sources[name] = consume_queue(
                scope_,
                "EventSource",
                consumer=worker,
                queue=work_queue.queue,
                batch_size=batch,
                max_concurrency=max_concurrency,
                provisioned_pollers=provisioned_pollers,
            )
            self.queues[name] = work_queue
            self.subscription_dead_letter_queues[name] = delivery_failures
            self.workers[name] = worker

        self.alarms: list[cloudwatch.Alarm] = [*self.aggregator_queue.alarms, *self.aggregator.alarms]
        for name in self.workers:
            self.alarms.extend(self.queues[name].alarms)
            self.alarms.extend(self.subscription_dead_letter_queues[name].alarms)
            self.alarms.extend(self.workers[name].alarms)
        self.dashboard: Optional[cloudwatch.Dashboard] = (
            make_dashboard(self, "Dashboard", self.alarms, self.dashboard_graphs()) if options.dashboard else None
        )

    # --- metrics: exactly what the alarms watch ------------------------------
    def _work_queue(self, worker: Optional[str], method: str) -> WorkQueue:
        if worker is None:
            return self.aggregator_queue
        if worker not in self.queues:
            raise PatternConfigError(
                self.node.path,
                [f"{method}: worker={worker!r} is invalid: allowed {', '.join(map(repr, self.queues))} "
                 "or None (the aggregator's queue). Fix: pass a name from workers="],
            )
        return self.queues[worker]

    def metric_oldest_message_age(self, worker: Optional[str] = None) -> cloudwatch.Metric:
        """Age (s) of the oldest job waiting for ``worker``, or (None, the default) of the
        oldest completed job waiting for the aggregator; Maximum over 5 min, as the alarm sees it."""
        return self._work_queue(worker, "metric_oldest_message_age").metric_oldest_message_age()

    def metric_dead_letter_messages(self, worker: Optional[str] = None) -> cloudwatch.Metric:
        """Messages in the DLQ of ``worker``'s queue (None: the aggregator's), as its depth alarm sees it."""
        return self._work_queue(worker, "metric_dead_letter_messages").metric_dead_letter_depth()

    def metric_undeliverable_messages(self, worker: str) -> cloudwatch.Metric:
        """Jobs SNS could not deliver to ``worker``'s queue (its subscription DLQ depth)."""
        self._work_queue(worker, "metric_undeliverable_messages")
        return self.subscription_dead_letter_queues[worker].metric_depth()

    def dashboard_graphs(self) -> list[Graph]:
        """The graphs ``dashboard=True`` shows."""
        names = [*self.workers, None]
        return [
            ("Oldest message (s)", [(n or "aggregator", self.metric_oldest_message_age(n)) for n in names]),
            ("Dead-letter messages", [(n or "aggregator", self.metric_dead_letter_messages(n)) for n in names]),
            *function_graphs({**self.workers, "aggregator": self.aggregator}),
        ]

    @property
    def publisher_environment(self) -> dict[str, str]:
        """Environment for a function that calls ``runtime.jobs.start_job``."""
        environment = {env.FAN_OUT_TOPIC_ARN: self.topic.topic_arn}
        if self.message_group_key is not None:
            environment[env.FAN_OUT_MESSAGE_GROUP_KEY] = self.message_group_key
        return environment

    @property
    def worker_names(self) -> list[str]:
        """The part names a job lists to include every worker."""
        return list(self.workers)

    def grant_start_jobs(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` publish jobs: ``sns:Publish`` on the topic and, for an
        encrypted topic, ``kms:GenerateDataKey`` + ``kms:Decrypt`` on its key.

        Named actions rather than ``Topic.grant_publish``'s ``kms:GenerateDataKey*``
        wildcard: SNS needs exactly these two to encrypt a published message.
        """
        return grant_publish(self.topic, grantee)


def _validate(
    problems: Problems,
    workers: Mapping[str, FunctionSpec],
    aggregator: FunctionSpec,
    policies: Mapping[str, object],
    receive: int,
    batch: int,
    max_concurrency: Optional[int],
    retention: Duration,
    *,
    fifo: bool = False,
    provisioned_pollers: Optional[ProvisionedPollers] = None,
) -> None:
    """Every rule of :class:`FanOutFanIn`, added to ``problems`` (which may hold type problems), then raised."""
    path = problems.path
    if not isinstance(workers, Mapping) or not workers:
        problems.add(
            "workers",
            workers if not isinstance(workers, Mapping) else dict(workers),
            "a mapping of at least one worker name to a FunctionSpec",
            "pass workers={'thumbnail': FunctionSpec(code=..., handler=...)}",
        )
        workers = {}
    consumers: list[tuple[str, object]] = [(f"workers[{n!r}]", s) for n, s in workers.items()]
    consumers.append(("aggregator", aggregator))
    for name in workers:
        problems.check(
            isinstance(name, str) and bool(_WORKER_NAME.match(name)),
            "workers",
            name,
            "worker names that are valid construct ids and part names: letters, digits, '-' and '_', "
            "starting with a letter, at most 64 characters",
            "rename the worker, e.g. 'thumbnail' or 'extract-metadata'",
        )
    # The variables the construct adds count toward Lambda's 4 KB (their deploy-time
    # values are tokens, which ServerlessFunction does not count either).
    worker_env = {env.FAN_IN_TABLE: "", env.AGGREGATOR_QUEUE_URL: "", env.FAN_OUT_WORKER: "", env.FAN_IN_RETENTION: ""}
    for field_prefix, spec in consumers:
        extra = {env.FAN_IN_TABLE: ""} if field_prefix == "aggregator" else worker_env
        validate_spec(problems, spec, field_prefix=field_prefix, extra_environment=extra)
        if not isinstance(spec, FunctionSpec):
            continue
        if isinstance(spec.timeout, Duration):
            queue_problems = Problems(path)
            validate_work_queue(queue_problems, spec.timeout, receive)
            for item in queue_problems.items:
                item = item if item.startswith("max_receive_count") else f"{field_prefix}.{item}"
                if item not in problems.items:
                    problems.items.append(item)
        validate_queue_consumer(
            problems,
            batch_size=batch,
            max_concurrency=max_concurrency,
            reserved_concurrency=spec.reserved_concurrency,
            # The aggregator queue stays standard; worker queues follow fifo.
            fifo=fifo and field_prefix != "aggregator",
            provisioned_pollers=provisioned_pollers,
        )
    unknown = sorted(set(policies) - set(workers))
    problems.check(
        not unknown,
        "filter_policies",
        unknown,
        f"keys that are worker names ({', '.join(map(repr, workers)) or 'none'})",
        "key each filter policy by the name of the worker it filters for",
    )
    low, high = defaults.FAN_IN_JOB_RETENTION_MIN, defaults.FAN_IN_JOB_RETENTION_MAX
    duration_seconds(
        problems,
        "job_retention",
        retention,
        low_s=int(low.to_seconds()),
        high_s=int(high.to_seconds()),
        allowed=f"{low.to_days():g}-{high.to_days():g} days",
        fix="pass e.g. Duration.days(30); it must outlive any redelivery of a job's messages",
    )
    # The same consumer rule failing for every function reads better once.
    problems.items = list(dict.fromkeys(problems.items))
    problems.raise_if_any()


#: SNS/SQS message group ids: 1-128 characters; a payload key naming one is a JSON key.
_GROUP_KEY_MAX = 128


def _validate_fifo(
    problems: Problems, fifo: object, topic: Optional[sns.ITopic], message_group_key: object, content_dedup: object
) -> None:
    """The FIFO rules, added to ``problems`` (raised with the others by :func:`_validate`)."""
    problems.check(isinstance(fifo, bool), "fifo", fifo, "True or False", "pass fifo=True for ordered fan-out")
    if fifo is not True:
        for name, value, unset in (
            ("message_group_key", message_group_key, None),
            ("content_based_deduplication", content_dedup, False),
        ):
            problems.check(
                value is unset or value is None,
                name,
                value,
                "only with fifo=True (standard topics have no message groups or deduplication)",
                f"pass fifo=True as well, or drop {name}",
            )
    if message_group_key is not None:
        problems.check(
            isinstance(message_group_key, str) and 0 < len(message_group_key) <= _GROUP_KEY_MAX,
            "message_group_key",
            message_group_key,
            f"the name of a payload field, 1-{_GROUP_KEY_MAX} characters",
            "pass e.g. message_group_key='customer_id'",
        )
    if topic is not None:
        topic_fifo = getattr(topic, "fifo", None)
        if isinstance(topic_fifo, bool):
            problems.check(
                topic_fifo == bool(fifo),
                "topic",
                f"{'FIFO' if topic_fifo else 'standard'} topic",
                f"a {'FIFO' if fifo else 'standard'} topic with fifo={fifo} (SNS FIFO topics deliver only to "
                "FIFO queues, standard topics only to standard queues)",
                "pass a matching topic, or leave topic unset to create one",
            )
        problems.check(
            not content_dedup,
            "content_based_deduplication",
            content_dedup,
            "only for a topic the construct creates",
            "set content-based deduplication on your own topic",
        )
