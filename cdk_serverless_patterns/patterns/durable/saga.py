"""``DurableSaga``: the saga of :class:`~cdk_serverless_patterns.Saga`, orchestrated by a
Lambda durable function instead of a Step Functions state machine.

Why a construct of its own rather than ``Saga(..., workflow_type=WorkflowType.DURABLE)``:
the two share the step declarations (:class:`SagaStep`, :class:`SagaApproval`,
:class:`SagaStartApi`) and the payload the step functions receive, and little
else. A durable saga has no state machine, execution log group or task tokens
(its start API invokes a function, its approval is a durable callback); it has
an orchestrator function with a ``DurableConfig``, checkpoint permissions and
its own metrics (``AWS/Lambda DurableExecution*``). Its rules differ too
(Python 3.13+ runtimes, execution timeout up to 366 days, retention 1-90 days,
an approval shorter than the execution timeout). That is the edge function's
situation in aws-cdk-lib (a variant with different rules is a construct of its
own, not a flag with early returns), and ``Saga``'s attributes
(``state_machine``, ``log_group``) would be None for one engine and its options
(``workflow_type``, ``include_execution_data``) meaningless for the other.

Semantics (the runtime, :mod:`cdk_serverless_patterns.runtime.durable_saga`):
actions retried on transient errors; on failure the failing step is
compensated too (it may have committed), then the completed steps in reverse;
a compensation that fails past its retries does not stop the others, and the
execution then ends ``SagaCompensationIncomplete`` listing what is left, with
an alarm.

Options are in :mod:`.options` (the step, approval and retry declarations are
``Saga``'s), rules in :mod:`.validation`; this module declares the orchestrator.
"""

from __future__ import annotations

from typing import Optional, Sequence, cast

from aws_cdk import Duration, RemovalPolicy, Stack
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_events as events,
    aws_iam as iam,
    aws_kms as kms,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_sns as sns,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.alarms import AlarmSpec, Graph, function_graphs, sum_metric
from cdk_serverless_patterns.building_blocks.alarms import dashboard as make_dashboard
from cdk_serverless_patterns.building_blocks.concurrency import saga_function_count
from cdk_serverless_patterns.building_blocks.function import FunctionSpec, Invocation, ServerlessFunction
from cdk_serverless_patterns.building_blocks.grants import grant_exactly
from cdk_serverless_patterns.building_blocks.function.spec import record_idempotency
from cdk_serverless_patterns.building_blocks.hardening import data_key_for
from cdk_serverless_patterns.building_blocks.idempotency import Idempotency
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.building_blocks.rule_targets import RuleTarget
from cdk_serverless_patterns.building_blocks.traffic_hints import add_call_hint
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge, acknowledge_inline_policies
from cdk_serverless_patterns.checks.nag_ids import resource_finding
from cdk_serverless_patterns.errors import Problems, child_path, or_default
from cdk_serverless_patterns.runtime import durable_saga as runtime

from ..saga.options import SagaApproval, SagaStep, SagaStepFunctions
from ..saga.start_api import SagaStartApi, SagaStartApiResources, add_start_api
from ..saga.step_functions import approval_topic, build_step_functions, distinct_functions, execution_alarm_specs
from .options import CALLBACK_ACTIONS, CHECKPOINT_ACTIONS, OPTION_TYPES, ORCHESTRATOR_DIR, DurableSagaSettings
from .validation import validate, validate_start_on


class DurableSaga(Construct):
    """A saga orchestrated by a Lambda durable function (one execution per saga).

    :param steps: the steps, in order: the same :class:`SagaStep` declarations
        ``Saga`` takes (at least one, unique names of 1-64 letters, digits and
        ``_``). Every step's action and compensation is a ``ServerlessFunction``
        invoked synchronously through its ``live`` alias; the same
        ``FunctionSpec`` object passed twice makes one function. Unlike
        ``Saga``, the failing step's own compensation always runs (its action
        may have committed before failing), so ``compensate_on_own_failure`` is
        implied and a last step may have a compensation.
    :param execution_timeout: how long one saga may run (DurableConfig
        ExecutionTimeout), 1 s - 366 days, whole seconds. Default one day:
        room for every retry and compensation backoff of a few-step saga.
    :param retention_period: how long Lambda keeps a closed execution's history
        (GetDurableExecutionHistory), 1-90 whole days. Default 14 days
        (Lambda's default). Retained data is billed per GB-month.
    :param retry_attempts: retries of an action's transient errors (Lambda
        could not run it, it timed out or crashed), 2 s doubling to 30 s with
        full jitter. Default 4. Other errors fail the step at once.
    :param compensation_retry_attempts: retries of any compensation error,
        10 s doubling to 5 min with full jitter. Default 5.
    :param encryption_key: the KMS key that encrypts the executions' payloads
        (input, results, errors) at rest (DurableConfig KMSKeyArn). Default: the
        stack's data key when the stack is hardened (``enable_hardening``),
        else Lambda's AWS owned key.
    :param orchestrator_memory_size: MB of the orchestrator function. Default 256.
    :param orchestrator_runtime: python3.13 or python3.14. Default: the newest.
    :param alarm_topic: SNS topic for every alarm. Default: none.
    :param create_alarms: alarms on DurableExecutionFailed, DurableExecutionTimedOut,
        the orchestrator's CompensationsIncomplete metric and every function's
        errors/throttles/duration. Default True.
    :param log_retention: of every function's log group. Default: one month.
    :param removal_policy: of the log groups. Default RETAIN.
    :param dashboard: a CloudWatch dashboard. Default False (dashboards bill per month).
    :param approval: a human approval before one step (:class:`SagaApproval`:
        ``before``, ``timeout`` default 24 hours, ``topic`` default a new
        encrypted topic): the orchestrator creates a durable callback, publishes
        its ``callback_id`` with the input and results so far to the topic, and
        waits (billed as one operation, not by the hour). The approver answers
        with ``SendDurableExecutionCallbackSuccess`` and ``{"approved": true}``
        (grant with :meth:`grant_send_callback`); a rejection, a
        ``SendDurableExecutionCallbackFailure`` or the timeout compensates the
        completed steps (``Saga.ApprovalRejected``). The timeout must be shorter
        than ``execution_timeout``. Default: none.
    :param start_api: ``POST /executions`` on a REST API (IAM auth by default,
        WAF, JSON schema validation) that invokes :attr:`start_target`
        asynchronously through API Gateway's Lambda service integration, the
        execution named by ``execution_name_field`` (1-64 letters, digits, '-'
        and '_'; a repeated POST with the same name and body joins the running
        execution, another body under that name answers 400). The answer is 202
        with the execution's ARN in ``X-Amz-Durable-Execution-Arn``. Default:
        none. The same :class:`SagaStartApi` options as ``Saga``'s.

    Start a saga by invoking :attr:`start_target` (the orchestrator's ``live``
    alias; durable functions must be invoked by a qualified ARN) asynchronously
    with a ``DurableExecutionName`` (one execution per name):
    :func:`cdk_serverless_patterns.runtime.durable_saga.start_execution`, or
    ``aws lambda invoke --function-name <alias ARN> --invocation-type Event
    --durable-execution-name o-1 --payload '{...}'``. Grants:
    :meth:`grant_start` (callers), :meth:`grant_send_callback` (approvers, and
    systems that answer a callback of a handler you write on :func:`run_saga`);
    ``start_api`` (``POST /executions``) and :meth:`start_on` (an EventBridge
    rule) start sagas through the same alias. Metrics:
    :meth:`metric_failed`, :meth:`metric_timed_out`, :meth:`metric_started`,
    :meth:`metric_succeeded`, :meth:`metric_compensations_incomplete`.

    Attributes: ``orchestrator`` (``ServerlessFunction``), ``start_target``
    (its alias), ``functions`` (step name -> :class:`SagaStepFunctions`),
    ``checkpoint_policy``, ``encryption_key`` (or None), ``start_api``
    (:class:`SagaStartApiResources` or None), ``approval_topic`` (or None),
    ``rule_targets`` (what :meth:`start_on` added), ``alarms``, ``dashboard``
    (or None).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        steps: Sequence[SagaStep],
        execution_timeout: Optional[Duration] = None,
        retention_period: Optional[Duration] = None,
        retry_attempts: Optional[int] = None,
        compensation_retry_attempts: Optional[int] = None,
        encryption_key: Optional[kms.IKey] = None,
        orchestrator_memory_size: Optional[int] = None,
        orchestrator_runtime: Optional[lambda_.Runtime] = None,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        log_retention: Optional[logs.RetentionDays] = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        dashboard: bool = False,
        start_api: Optional[SagaStartApi] = None,
        approval: Optional[SagaApproval] = None,
    ) -> None:
        settings = DurableSagaSettings.of(
            execution_timeout=execution_timeout,
            retention_period=retention_period,
            retry_attempts=retry_attempts,
            compensation_retry_attempts=compensation_retry_attempts,
            orchestrator_memory_size=orchestrator_memory_size,
            orchestrator_runtime=orchestrator_runtime,
        )
        options = PatternOptions(alarm_topic=alarm_topic, create_alarms=create_alarms, removal_policy=removal_policy,
                                 log_retention=log_retention, dashboard=dashboard)
        problems = Problems(child_path(scope, construct_id))
        options.check_types(problems, OPTION_TYPES)
        validate(problems, steps, settings, start_api, approval)
        problems.raise_if_any()
        super().__init__(scope, construct_id)
        self.steps = tuple(steps)
        self._options = options

        self.functions: dict[str, SagaStepFunctions] = build_step_functions(self, self.steps, options, extra_functions=1)
        made = distinct_functions(self.functions)

        #: The topic approval requests go to (with ``approval``), or None.
        self.approval_topic: Optional[sns.ITopic] = approval_topic(self, approval, options.removal_policy)

        longest = max(f.timeout.to_seconds() for f in made)
        orchestrator_timeout = min(
            defaults.TIMEOUT_MAX_S, longest + defaults.DURABLE_ORCHESTRATOR_TIMEOUT_MARGIN.to_seconds()
        )
        definition = {
            "name": self.node.path,
            "steps": [
                {
                    "name": s.name,
                    "action": self.functions[s.name].action.alias.function_arn,
                    "compensation": (
                        cast(ServerlessFunction, self.functions[s.name].compensation).alias.function_arn
                        if s.compensation is not None
                        else None
                    ),
                }
                for s in self.steps
            ],
            "action_retry": {
                "attempts": settings.retries.attempts,
                "initial_delay_s": int(defaults.SAGA_RETRY_INTERVAL.to_seconds()),
                "max_delay_s": int(defaults.SAGA_RETRY_MAX_DELAY.to_seconds()),
            },
            "compensation_retry": {
                "attempts": settings.retries.compensation_attempts,
                "initial_delay_s": int(defaults.SAGA_COMPENSATION_RETRY_INTERVAL.to_seconds()),
                "max_delay_s": int(settings.retries.compensation_max_delay.to_seconds()),
            },
        }
        if approval is not None:
            assert self.approval_topic is not None
            definition["approval"] = {
                "before": approval.before,
                "timeout_s": int(approval.wait.to_seconds()),
                "topic_arn": self.approval_topic.topic_arn,
            }
        self.orchestrator = ServerlessFunction(
            self,
            "Orchestrator",
            FunctionSpec(
                code=ORCHESTRATOR_DIR,
                handler="app.handler",
                runtime=settings.orchestrator_runtime,
                memory_size=settings.orchestrator_memory_size,
                timeout=Duration.seconds(orchestrator_timeout),
                description=f"Durable saga {self.node.path}: " + " -> ".join(s.name for s in self.steps),
                # It waits on each step function inside its own invocation, so its concurrency is the
                # sagas in flight: bounded by its share like the step functions (throttled asynchronous
                # starts wait in Lambda's event queue, up to the maximum event age).
                reserved_concurrency=max(1, defaults.SAGA_RESERVED_CONCURRENCY_SHARE // saga_function_count(self.steps, extra=1)),
            ),
            invocation=Invocation.ASYNC,
            # A failed saga is already compensated: Lambda must not start it again.
            async_retry_attempts=0,
            environment={runtime.DEFINITION_ENV: Stack.of(self).to_json_string(definition)},
            durable_config=lambda_.DurableConfig(
                execution_timeout=settings.execution_timeout, retention_period=settings.retention_period
            ),
            **options.for_function,
        )
        # The cost command: the actions run once per execution, the compensations only when one fails
        # (the role may invoke all of them); a durable operation (step) per call.
        add_call_hint(
            self.orchestrator.function,
            per_execution=[self.functions[s.name].action.alias for s in self.steps],
            on_failure=[c.alias for c in (self.functions[s.name].compensation for s in self.steps) if c is not None],
        )
        #: Durable functions are invoked by qualified ARN only: every caller uses this alias.
        self.start_target: lambda_.IFunction = self.orchestrator.alias
        cfn_function = cast(lambda_.CfnFunction, self.orchestrator.function.node.default_child)

        # Not or_default: data_key_for creates the stack's data key on first use.
        self.encryption_key: Optional[kms.IKey] = encryption_key if encryption_key is not None else data_key_for(self)
        if self.encryption_key is not None:
            cfn_function.add_property_override("DurableConfig.KMSKeyArn", self.encryption_key.key_arn)
            self.encryption_key.grant(self.orchestrator.role, "kms:Decrypt", "kms:GenerateDataKey")

        # Our own checkpoint policy, not AWSLambdaBasicDurableExecutionRolePolicy (Resource "*"):
        # executions are sub-resources of a version, "<function ARN>:<version>/durable-execution/...".
        self.checkpoint_policy = iam.Policy(
            self,
            "CheckpointPolicy",
            statements=[
                iam.PolicyStatement(
                    actions=list(CHECKPOINT_ACTIONS), resources=[self._executions_arn()]
                )
            ],
        )
        self.checkpoint_policy.attach_to_role(self.orchestrator.role)
        acknowledge_inline_policies(self.orchestrator.role, self.checkpoint_policy)
        acknowledge(
            self.checkpoint_policy,
            AWS_SOLUTIONS + f"IAM5[{resource_finding(self.checkpoint_policy, self._executions_arn())}]",
            "Durable executions are sub-resources of a function version (<function ARN>:<version>/"
            "durable-execution/<name>/<id>); '<this function's ARN>:*' is the narrowest pattern AWS documents "
            "that matches this orchestrator's executions across deployments, and nothing else.",
        )
        for name, step_functions in self.functions.items():
            for fn in (step_functions.action, step_functions.compensation):
                if fn is not None:
                    grant_exactly(self.orchestrator, actions=["lambda:InvokeFunction"], resources=[fn.alias.function_arn])
        if self.approval_topic is not None:
            self.approval_topic.grant_publish(self.orchestrator.role)

        self.alarms: list[cloudwatch.Alarm] = [
            alarm for fn in [*made, self.orchestrator] for alarm in fn.alarms
        ]
        self.alarms.extend(options.alarms(self, self._alarm_specs()))
        #: ``POST /executions`` (:class:`SagaStartApiResources`), or None.
        self.start_api: Optional[SagaStartApiResources] = add_start_api(
            self, start_api, self.alarms, durable_target=self.start_target, pattern=options,
        )
        #: The rule deliveries :meth:`start_on` added (each with its DLQ and alarms).
        self.rule_targets: list[RuleTarget] = []
        self.dashboard: Optional[cloudwatch.Dashboard] = (
            make_dashboard(self, "Dashboard", self.alarms, self.dashboard_graphs()) if dashboard else None
        )

    def _executions_arn(self) -> str:
        return f"{self.orchestrator.function.function_arn}:*"

    # --- metrics: what the alarms watch (AWS/Lambda durable execution metrics) ---
    def _durable_metric(self, name: str) -> cloudwatch.Metric:
        return sum_metric(
            cloudwatch.Metric(
                namespace="AWS/Lambda",
                metric_name=name,
                dimensions_map={"FunctionName": self.orchestrator.function.function_name},
            )
        )

    def metric_failed(self) -> cloudwatch.Metric:
        """``AWS/Lambda DurableExecutionFailed`` (Sum over 5 min): sagas that compensated or need a redrive."""
        return self._durable_metric("DurableExecutionFailed")

    def metric_timed_out(self) -> cloudwatch.Metric:
        """``DurableExecutionTimedOut`` (Sum over 5 min): sagas stopped by ``execution_timeout``."""
        return self._durable_metric("DurableExecutionTimedOut")

    def metric_started(self) -> cloudwatch.Metric:
        """``DurableExecutionStarted`` (Sum over 5 min)."""
        return self._durable_metric("DurableExecutionStarted")

    def metric_succeeded(self) -> cloudwatch.Metric:
        """``DurableExecutionSucceeded`` (Sum over 5 min)."""
        return self._durable_metric("DurableExecutionSucceeded")

    def metric_compensations_incomplete(self) -> cloudwatch.Metric:
        """The orchestrator's ``CompensationsIncomplete`` (Sum over 5 min): sagas left with
        undone compensations (execution error ``SagaCompensationIncomplete``)."""
        return sum_metric(
            cloudwatch.Metric(
                namespace=runtime.METRIC_NAMESPACE,
                metric_name=runtime.COMPENSATIONS_INCOMPLETE_METRIC,
                dimensions_map={"saga": self.node.path},
            )
        )

    def dashboard_graphs(self) -> list[Graph]:
        """The graphs ``dashboard=True`` shows."""
        return [
            (
                "Durable executions",
                [
                    ("started", self.metric_started()),
                    ("succeeded", self.metric_succeeded()),
                    ("failed", self.metric_failed()),
                    ("timed out", self.metric_timed_out()),
                    ("compensations incomplete", self.metric_compensations_incomplete()),
                ],
            ),
            *function_graphs({"orchestrator": self.orchestrator, **{fn.node.id: fn for fn in distinct_functions(self.functions)}}),
        ]

    # --- starts from EventBridge ---------------------------------------------------
    def start_on(
        self,
        rule: events.Rule,
        *,
        retry_attempts: int = defaults.RULE_RETRY_ATTEMPTS,
        idempotency: Idempotency,
        max_event_age: Optional[Duration] = None,
        event: Optional[events.RuleTargetInput] = None,
    ) -> RuleTarget:
        """Start one saga per event ``rule`` matches: the rule targets :attr:`start_target`, the
        alias's qualified ARN. A rule that targets the function itself (its unqualified ARN, what
        ``targets.LambdaFunction(fn)`` writes) never starts a durable execution: Lambda refuses
        unqualified invocations of durable functions (aws-cdk issue #36463).

        The event is the execution input. EventBridge names no execution, so a redelivered event
        starts a second execution (``DurableExecutionName`` is not a rule target setting): only
        step functions idempotent per business key (an order id, not the execution) make that
        harmless. Failed deliveries go to a DLQ with alarms.

        :param idempotency: how a second execution for the same event changes nothing, e.g.
            ``Idempotency.conditional_write("order id")``; recorded on the orchestrator, where
            ServerlessPatternsChecks' SP-IDEMPOTENCY rule reads it. Required: the construct
            cannot see the step handlers' code.

        :param retry_attempts: EventBridge delivery retries, 0-185. Default 185.
        :param max_event_age: how long EventBridge retries, 60 s-24 h. Default 1 hour.
        :param event: what the saga receives as input, e.g.
            ``events.RuleTargetInput.from_event_path("$.detail")``. Default: the whole event.
        """
        problems = Problems(f"{self.node.path}.start_on")
        age = or_default(max_event_age, defaults.RULE_MAX_EVENT_AGE)
        validate_start_on(problems, retry_attempts, age, idempotency)
        problems.raise_if_any()
        record_idempotency(cast(lambda_.CfnFunction, self.orchestrator.function.node.default_child), idempotency)
        scope = Construct(self, f"StartOnRule{len(self.rule_targets) + 1}")
        target = RuleTarget(
            scope,
            "DeadLetter",
            purpose=f"events of {rule.node.path} that could not start {self.node.path}",
            retry_attempts=retry_attempts,
            max_event_age=age,
            options=self._options,
        )
        target.to_function(rule, self.start_target, event)
        self.rule_targets.append(target)
        if self._options.create_alarms:
            self.alarms.extend(self._options.alarms(scope, target.failure_alarm_specs(f"The rule {rule.node.path}")))
        return target

    # --- grants ------------------------------------------------------------------
    def grant_start(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start sagas: ``lambda:InvokeFunction`` on the ``live`` alias only."""
        return grant_exactly(grantee, actions=["lambda:InvokeFunction"], resources=[self.start_target.function_arn])

    def grant_send_callback(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` answer callbacks (``SendDurableExecutionCallbackSuccess``,
        ``Failure``, ``Heartbeat``) of this orchestrator's executions, and use its key."""
        grant = grant_exactly(
            grantee,
            actions=list(CALLBACK_ACTIONS),
            resources=[self._executions_arn()],
            wildcard_reason="callbacks belong to durable executions, sub-resources of a function version "
            "('<function ARN>:<version>/durable-execution/...'): ':*' matches this function's executions only",
        )
        if self.encryption_key is not None:
            self.encryption_key.grant(grantee, "kms:Encrypt", "kms:GenerateDataKey")
        return grant

    def _alarm_specs(self) -> list[AlarmSpec]:
        path = self.node.path
        return execution_alarm_specs(
            self,
            failed=f"{path}: a saga failed (a step failed and was compensated, or a "
            "compensation failed: see CompensationsIncomplete).",
            timed_out=f"{path}: a saga hit its execution timeout, possibly mid-compensation.",
            incomplete=f"{path}: a compensation failed past its retries; the execution's error "
            "cause lists the steps left to undo (fix the cause, then run those compensations).",
        )
