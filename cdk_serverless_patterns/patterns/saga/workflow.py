"""``Saga``: a Step Functions workflow (Standard, or Express for short sagas) with
compensating transactions.

Each :class:`SagaStep` is an action Lambda and, optionally, a compensation
Lambda that undoes it. Steps run in order; transient Lambda errors of actions are
retried with exponential backoff and full jitter; any other failure at step *k*
runs the compensation of step *k* itself (its action may have committed before
it failed), then those of the steps that completed (*k-1* ... *1*, in reverse
order), and ends in a ``Fail`` state whose error names the failed step
(``Saga.<step>.Failed``, or ``Saga.ApprovalRejected``) and whose cause names the
failed state and the error it caught (``"charge_payment failed with
PaymentDeclined; the compensations of the completed steps ran"``), never the
order's data (input, results and error messages stay in the execution history,
behind ``states:GetExecutionHistory``). A
compensation that fails past its retries does not stop the others: they run,
and the execution ends ``Saga.CompensationIncomplete`` instead, its cause
naming the steps left to undo and their errors (and the ``CompensationsIncomplete``
metric alarms). The same semantics as :class:`~cdk_serverless_patterns.DurableSaga`. Optional: a human approval
before one step (task token over SNS) and ``POST /executions`` to start
executions (:mod:`.saga_api`). See ``docs/patterns/saga.md`` for the generated
workflow.

State shape (what every Lambda receives, see :func:`.graph._payload`; the graph itself is
:func:`.graph.build_state_graph`)::

    {"input": <execution input, never overwritten>,
     "results": {"<step>": <what the step's action returned>, ...},
     "compensations": {"<step>": <what the compensation returned>, ...},
     "failure": {"step": "<failed state>", "name": "<the execution's error>",   # once failing
                 "error": {"Error": ..., "Cause": ...}},
     "incomplete": {"<step>": {"Error": ...}, ...}}                              # compensations that failed

The package reads top-down: the declarations and retry settings are in :mod:`.options`,
every rule in :mod:`.validation`, the functions and approval topic both engines build
in :mod:`.step_functions`, the state graph in :mod:`.graph`; this module declares the
state machine over them.
"""

from __future__ import annotations

from typing import Optional, Sequence, cast

from aws_cdk import Annotations, CfnElement, Duration, Names, RemovalPolicy, Stack
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudwatch as cloudwatch,
    aws_iam as iam,
    aws_logs as logs,
    aws_sns as sns,
    aws_stepfunctions as sfn,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.alarms import Graph, AlarmSpec, function_graphs, sum_metric
from cdk_serverless_patterns.building_blocks.alarms import dashboard as make_dashboard
from cdk_serverless_patterns.building_blocks.grants import grant_exactly
from cdk_serverless_patterns.building_blocks.logs import create_log_group
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge, acknowledge_inline_policies
from cdk_serverless_patterns.errors import PatternConfigError, Problems, child_path

from .graph import (
    APPROVAL_CHOICE_STATE,
    APPROVAL_FAILED_STATE,
    APPROVAL_REJECTED_ERROR,
    APPROVAL_REJECTED_STATE,
    APPROVAL_STATE,
    FAIL_STATE,
    INCOMPLETE_STATE,
    START_STATE,
    SUCCEED_STATE,
    COMPENSATION_INCOMPLETE_ERROR,
    COMPENSATIONS_INCOMPLETE_METRIC,
    METRIC_NAMESPACE,
    SagaGraph,
    build_state_graph,
    compensation_state_name,
    failure_state_name,
    step_failed_error,
)
from .options import OPTION_TYPES, STEP_NAME_MAX, SagaApproval, SagaRetries, SagaStep, SagaStepFunctions, WorkflowType
from .start_api import SagaStartApi, SagaStartApiResources, add_start_api
from .step_functions import approval_topic, build_step_functions, distinct_functions, execution_alarm_specs
from .validation import validate


__all__ = [
    # The state names (public in 0.1.0, where they lived in this module).
    "APPROVAL_CHOICE_STATE",
    "APPROVAL_FAILED_STATE",
    "APPROVAL_REJECTED_STATE",
    "APPROVAL_STATE",
    "FAIL_STATE",
    "INCOMPLETE_STATE",
    "START_STATE",
    "SUCCEED_STATE",
    "APPROVAL_REJECTED_ERROR",
    "COMPENSATION_INCOMPLETE_ERROR",
    "STEP_NAME_MAX",
    "Saga",
    "SagaApproval",
    "SagaStep",
    "SagaStepFunctions",
    "WorkflowType",
    "compensation_state_name",
    "failure_state_name",
    "step_failed_error",
]

class Saga(Construct):
    """A saga: steps with compensations, orchestrated by Step Functions (contract).

    :param steps: the steps, in order (at least one, unique names; see
        :class:`SagaStep`). Action and compensation functions are
        ``ServerlessFunction``s invoked synchronously by Step Functions through
        their ``live`` alias. Passing the *same* ``FunctionSpec`` object twice
        makes one function serve both (``saga.phase`` in its payload tells it
        which job it has).
    :param approval: an optional human approval before one step
        (:class:`SagaApproval`). Default: none.
    :param timeout: execution timeout, 1 s - 1 year. Default: none (Step
        Functions' one year). Every task is already bounded (function timeouts,
        retries, the approval timeout), and an execution timeout would stop a
        compensation halfway, so set one only as a backstop (longer than the
        approval timeout).
    :param retry_attempts: retries of transient Lambda errors
        (:data:`defaults.SAGA_TRANSIENT_LAMBDA_ERRORS`) per action, 2 s doubling to
        30 s with full jitter. Default 4.
    :param compensation_retry_attempts: retries of *any* error of a
        compensation, transient Lambda errors included (it must eventually
        succeed), 10 s doubling to 5 min with full jitter. Default 5. A
        compensation that still fails does not stop the others: they run, and
        the execution ends ``Saga.CompensationIncomplete`` with the steps left
        to undo in its cause (see docs/patterns/saga.md, "When a compensation
        fails for good", for the recovery).
    :param start_api: ``POST /executions`` on a REST API (IAM auth, WAF,
        throttling, schema validation, access logs) that starts executions
        through API Gateway's Step Functions integration
        (:class:`~cdk_serverless_patterns.patterns.saga.start_api.SagaStartApi`). Default: none.
    :param workflow_type: ``WorkflowType.STANDARD`` (default: exactly-once
        state execution, up to a year, approvals, redrive) or
        ``WorkflowType.EXPRESS`` (at-least-once when started asynchronously, at
        most 5 minutes, no approval, no redrive; much cheaper for short,
        high-volume sagas). With Express the execution timeout defaults to 5
        minutes, compensation retries back off to at most 20 s so they fit, and
        every action and compensation must be idempotent (an execution may run
        twice).
    :param include_execution_data: also log each state's input and output
        (ALL level logs always: every state transition, with its name and errors).
        Default False: execution input and results are personal or payment data
        more often than not, and CloudWatch Logs would keep a copy of every one
        for the log retention, readable by anyone with logs:GetLogEvents. Set True
        for Express workflows whose history you need (for them CloudWatch Logs is
        the only execution history there is) and whose inputs may be logged.
    :param alarm_topic: SNS topic for every alarm. Default: none.
    :param create_alarms: alarms on ExecutionsFailed, ExecutionsTimedOut,
        ExecutionThrottled, CompensationsIncomplete (a compensation failed for
        good) and each function's errors/throttles/duration.
        Default True.
    :param log_retention: of the execution log group and the functions' log
        groups. Default: one month.
    :param removal_policy: of the log groups and the approval topic's key. Default RETAIN
        (evidence after an incident). DESTROY (sandboxes) makes the stack deletable in
        one ``cdk destroy``: tables and user pools drop deletion protection, KMS keys
        get the 7-day minimum pending window; buckets must be empty. CDK's
        ``RemovalPolicies.of(stack).destroy()`` has the same effect (see
        docs/patterns/destroy.md).
    :param dashboard: a CloudWatch dashboard: executions started, succeeded,
        failed, timed out, throttled, the functions' graphs, then the alarms.
        Default False (dashboards bill per month).

    Metrics (what the alarms watch): :meth:`metric_failed`,
    :meth:`metric_timed_out`, :meth:`metric_throttled`,
    :meth:`metric_compensations_incomplete`, and each function's
    ``metric_*``. Grants: :meth:`grant_start_execution` (callers starting
    sagas), :meth:`grant_task_response` (approvers, with ``approval``).

    Attributes: ``state_machine``, ``functions`` (step name ->
    :class:`SagaStepFunctions`), ``log_group``, ``approval_topic`` (or None),
    ``start_api`` (:class:`~cdk_serverless_patterns.patterns.saga.start_api.SagaStartApiResources`
    or None), ``alarms``, ``dashboard`` (or None).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        steps: Sequence[SagaStep],
        approval: Optional[SagaApproval] = None,
        timeout: Optional[Duration] = None,
        retry_attempts: Optional[int] = None,
        compensation_retry_attempts: Optional[int] = None,
        start_api: Optional[SagaStartApi] = None,
        workflow_type: WorkflowType = WorkflowType.STANDARD,
        include_execution_data: bool = False,
        alarm_topic: Optional[sns.ITopic] = None,
        create_alarms: bool = True,
        log_retention: Optional[logs.RetentionDays] = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        dashboard: bool = False,
    ) -> None:
        express = workflow_type is WorkflowType.EXPRESS
        retries = SagaRetries.of(retry_attempts, compensation_retry_attempts, express=express)
        options = PatternOptions(alarm_topic=alarm_topic, create_alarms=create_alarms, removal_policy=removal_policy,
                                 log_retention=log_retention, dashboard=dashboard)
        problems = Problems(child_path(scope, construct_id))
        options.check_types(problems, OPTION_TYPES, include_execution_data=include_execution_data)
        validate(problems, steps, approval, timeout, retries, start_api, workflow_type)
        problems.raise_if_any()
        super().__init__(scope, construct_id)
        self.workflow_type = workflow_type
        self.steps = tuple(steps)
        self.approval = approval
        self._retries = retries

        self.functions: dict[str, SagaStepFunctions] = build_step_functions(self, self.steps, options)
        self.approval_topic: Optional[sns.ITopic] = approval_topic(self, approval, options.removal_policy)

        self.log_group = create_log_group(
            self,
            "ExecutionLogs",
            retention=options.log_retention,
            removal_policy=options.removal_policy,
            # The vendedlogs prefix keeps the log-delivery resource policy small
            # (CloudWatch Logs limits it to 5,120 characters per account and Region).
            log_group_name="/aws/vendedlogs/states/" + Names.unique_resource_name(self, max_length=200, separator="-"),
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(self._definition()),
            state_machine_type=sfn.StateMachineType.EXPRESS if express else sfn.StateMachineType.STANDARD,
            # Express ends every execution at 5 minutes anyway; saying so keeps the
            # template honest and the TimedOut alarm meaningful.
            timeout=timeout if timeout is not None or not express else defaults.SFN_EXPRESS_MAX_DURATION,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group,
                level=sfn.LogLevel.ALL,
                include_execution_data=include_execution_data,
            ),
            comment=f"Saga {self.node.path}: " + " -> ".join(s.name for s in self.steps),
        )
        # CDK makes the state machine depend on its role and the role's policy; GetAtt
        # already implies the role (cfn-lint W3005), so keep only the policy.
        role_policy = self.state_machine.role.node.find_child("DefaultPolicy")
        cast(sfn.CfnStateMachine, self.state_machine.node.default_child).add_override(
            "DependsOn", [Stack.of(self).get_logical_id(cast(CfnElement, role_policy.node.default_child))]
        )
        uncompensated = [s.name for s in self.steps if s.compensation is not None and not s.compensate_on_own_failure]
        if uncompensated:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:saga-own-failure",
                f"Steps {', '.join(uncompensated)} have compensate_on_own_failure=False: an action that "
                "times out or crashes after its write fails the step, and that write is never undone.",
            )
        if timeout is not None:
            Annotations.of(self).add_warning_v2(
                "cdk-serverless-patterns:saga-timeout",
                "An execution timeout stops the saga wherever it is, including halfway through its "
                "compensations; keep it well above the longest run (tasks, retries, approval).",
            )
        approval_key = self.approval_topic.master_key if self.approval_topic is not None else None
        if approval_key is not None:
            # Publishing to an encrypted topic needs its key (SnsPublish grants only sns:Publish).
            approval_key.grant(self.state_machine, "kms:Decrypt", "kms:GenerateDataKey")
        acknowledge(
            role_policy,
            AWS_SOLUTIONS + "IAM5[Resource::*]",
            "The '*' resources are those Step Functions documents for CloudWatch Logs log delivery "
            "(logs:CreateLogDelivery, GetLogDelivery, ..., DescribeLogGroups), X-Ray "
            "(PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and "
            "cloudwatch:PutMetricData (the CompensationsIncomplete metric); these actions "
            "support no resource-level permissions. Function invocations are granted per alias.",
        )
        acknowledge_inline_policies(self.state_machine.role)

        self.alarms: list[cloudwatch.Alarm] = [
            alarm for fn in distinct_functions(self.functions) for alarm in fn.alarms
        ]
        self.alarms.extend(options.alarms(self, self._alarm_specs()))

        self.start_api: Optional[SagaStartApiResources] = add_start_api(
            self, start_api, self.alarms, state_machine=self.state_machine, pattern=options
        )
        self.dashboard: Optional[cloudwatch.Dashboard] = (
            make_dashboard(self, "Dashboard", self.alarms, self.dashboard_graphs()) if options.dashboard else None
        )

    # --- metrics: exactly what the alarms watch ------------------------------
    def metric_failed(self) -> cloudwatch.Metric:
        """``AWS/States ExecutionsFailed`` (Sum over 5 min): sagas that compensated, or need a redrive."""
        return sum_metric(self.state_machine.metric_failed())

    def metric_timed_out(self) -> cloudwatch.Metric:
        """``ExecutionsTimedOut`` (Sum over 5 min)."""
        return sum_metric(self.state_machine.metric_timed_out())

    def metric_throttled(self) -> cloudwatch.Metric:
        """``ExecutionThrottled`` (Sum over 5 min)."""
        return sum_metric(self.state_machine.metric_throttled())

    def metric_compensations_incomplete(self) -> cloudwatch.Metric:
        """The state machine's ``CompensationsIncomplete`` (Sum over 5 min): executions that
        ended ``Saga.CompensationIncomplete``, with steps left to undo."""
        return sum_metric(
            cloudwatch.Metric(
                namespace=METRIC_NAMESPACE,
                metric_name=COMPENSATIONS_INCOMPLETE_METRIC,
                dimensions_map={"saga": self.node.path},
            )
        )

    def metric_started(self) -> cloudwatch.Metric:
        """``ExecutionsStarted`` (Sum over 5 min)."""
        return sum_metric(self.state_machine.metric_started())

    def metric_succeeded(self) -> cloudwatch.Metric:
        """``ExecutionsSucceeded`` (Sum over 5 min)."""
        return sum_metric(self.state_machine.metric_succeeded())

    def dashboard_graphs(self) -> list[Graph]:
        """The graphs ``dashboard=True`` shows."""
        return [
            (
                "Executions",
                [
                    ("started", self.metric_started()),
                    ("succeeded", self.metric_succeeded()),
                    ("failed", self.metric_failed()),
                    ("timed out", self.metric_timed_out()),
                    ("throttled", self.metric_throttled()),
                    ("compensations incomplete", self.metric_compensations_incomplete()),
                ],
            ),
            *function_graphs({fn.node.id: fn for fn in distinct_functions(self.functions)}),
        ]

    # --- grants ---------------------------------------------------------------
    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start sagas: exactly ``states:StartExecution`` on this state machine."""
        return grant_exactly(
            grantee, actions=["states:StartExecution"], resources=[self.state_machine.state_machine_arn]
        )

    def grant_task_response(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let an approver answer the approval step: ``states:SendTaskSuccess``,
        ``SendTaskFailure`` and ``SendTaskHeartbeat`` on this state machine."""
        if self.approval is None:
            raise PatternConfigError(
                self.node.path,
                ["grant_task_response: approval=None is invalid: allowed only for a saga with an approval step. "
                 "Fix: pass approval=SagaApproval(before=...) or use grant_start_execution"],
            )
        return grant_exactly(
            grantee,
            actions=["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
            resources=[self.state_machine.state_machine_arn],
        )

    # --- construction ------------------------------------------------------

    def _definition(self) -> sfn.IChainable:
        # States get their own scope: a step may be called "StateMachine" or "ExecutionLogs".
        self._states = Construct(self, "States")
        return build_state_graph(
            self._states,
            SagaGraph(
                steps=self.steps,
                actions={name: fns.action.alias for name, fns in self.functions.items()},
                compensations={
                    name: fns.compensation.alias for name, fns in self.functions.items() if fns.compensation is not None
                },
                retry_attempts=self._retries.attempts,
                compensation_retry_attempts=self._retries.compensation_attempts,
                compensation_max_delay=self._retries.compensation_max_delay,
                approval=self.approval,
                approval_topic=self.approval_topic,
                saga_name=self.node.path,
            ),
        )

    def _alarm_specs(self) -> list[AlarmSpec]:
        path = self.node.path
        return [
            *execution_alarm_specs(
                self,
                failed=f"{path}: an execution failed (a step failed and was compensated, "
                "or a compensation failed and needs a redrive).",
                timed_out=f"{path}: an execution hit its timeout, possibly mid-compensation.",
                incomplete=f"{path}: a compensation failed past its retries; the execution's "
                "cause lists the steps left to undo (fix the cause, then run those compensations: "
                "docs/patterns/saga.md).",
            ),
            AlarmSpec(
                "ExecutionThrottledAlarm",
                metric=self.metric_throttled(),
                threshold=1,
                description=f"{path}: state transitions were throttled; raise the quota or slow callers.",
            ),
        ]
