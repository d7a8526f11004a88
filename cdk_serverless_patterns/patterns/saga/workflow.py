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
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Sequence, cast

from aws_cdk import Annotations, CfnElement, Duration, Names, RemovalPolicy, Stack
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import cdk_modules
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.alarms import Graph, AlarmSpec, alarms_from_specs, function_graphs, sum_metric
from cdk_serverless_patterns.building_blocks.alarms import dashboard as make_dashboard
from cdk_serverless_patterns.building_blocks.concurrency import (
    bounded,
    check_not_zero,
    saga_function_count,
    saga_reserved_concurrency,
)
from cdk_serverless_patterns.building_blocks.grants import grant_exactly
from cdk_serverless_patterns.building_blocks.function import (
    FunctionOptions,
    FunctionSpec,
    Invocation,
    ServerlessFunction,
    validate_spec,
)
from cdk_serverless_patterns.building_blocks.delivery_rules import format_seconds
from cdk_serverless_patterns.building_blocks.logs import create_log_group
from cdk_serverless_patterns.building_blocks.option_types import BOOL, COMMON, TOPIC, check_option_types
from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge, acknowledge_inline_policies
from cdk_serverless_patterns.errors import PatternConfigError, Problems, child_path, is_token, or_default

from .graph import (
    _COMPENSATE_PREFIX,
    _FAILED_SUFFIX,
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
from .start_api import SagaStartApi, SagaStartApiResources, add_start_api, validate_start_api

if TYPE_CHECKING:
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_sns as sns
    from aws_cdk import aws_stepfunctions as sfn
else:
    cloudwatch, iam, logs, sns, sfn = cdk_modules(
        "aws_cloudwatch", "aws_iam", "aws_logs", "aws_sns", "aws_stepfunctions"
    )

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

#: Step names become state names and JSON keys (``$.results.<name>``): letters,
#: digits and ``_``, starting with a letter. The library's own states all contain
#: a ``-``, so they can never collide with a step.
_STEP_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: Longest step name whose derived state names still fit Step Functions' limit.
STEP_NAME_MAX = defaults.SFN_STATE_NAME_MAX - max(len(_COMPENSATE_PREFIX), len(_FAILED_SUFFIX))
#: States.Retry MaxAttempts ceiling (Amazon States Language).
_MAX_ATTEMPTS_LIMIT = 99999999

class WorkflowType(enum.Enum):
    """The Step Functions workflow type of a :class:`Saga` (contract).

    * ``STANDARD`` (default): exactly-once execution of each state, up to one
      year, human approvals (task tokens), redrive after a failed
      compensation; billed per state transition (USD 25 per million).
    * ``EXPRESS``: at-least-once execution when started asynchronously (an
      execution may run more than once; synchronous starts are at-most-once),
      at most five minutes, no task tokens, no redrive, history only in
      CloudWatch Logs; billed per request and GB-second, far cheaper for
      short, high-volume sagas. Every action and compensation must be
      idempotent. See ``docs/patterns/saga.md``.
    """

    STANDARD = "STANDARD"
    EXPRESS = "EXPRESS"


@dataclass(frozen=True)
class SagaStep:
    """One step of a :class:`Saga` (contract).

    :param name: the step's name; also its state name and its key in
        ``$.results``. Letters, digits and ``_``, starting with a letter, at most
        :data:`STEP_NAME_MAX` (69) characters, unique within the saga.
    :param action: the function that does the work. It receives the state (see
        the module docstring) and returns what a compensation will need to undo
        it (a reservation id, a payment id...). Raising an error fails the step.
    :param compensation: the function that undoes ``action``. Default: none
        (the step needs no undo, e.g. a read or a notification). It runs when
        this step or a *later* one fails, and must be idempotent (it is retried,
        and may find nothing to undo: treat that as success).
        :func:`cdk_serverless_patterns.runtime.saga_steps.idempotent_step` does both.
    :param compensate_on_own_failure: also run this step's compensation when the
        step itself fails. Default True: a failed action may have committed
        before it failed (a timeout or crash after its write, a payment provider
        that timed out after taking the money), so the compensation then finds
        no ``results.<name>`` and looks up what, if anything, happened (by
        execution id or order id). False only for an action that provably
        cannot commit and then fail (the saga warns: Lambda can time out after
        any write). ``DurableSaga`` always compensates the failing step.
    """

    name: str
    action: FunctionSpec
    compensation: Optional[FunctionSpec] = None
    compensate_on_own_failure: bool = True


@dataclass(frozen=True)
class SagaApproval:
    """A human approval inside a :class:`Saga`, using a Step Functions task token.

    Before step ``before`` runs, the saga publishes to an SNS topic a message with
    the ``taskToken``, the execution id, the input and the results so far, and
    waits. The approver answers with ``SendTaskSuccess`` and output
    ``{"approved": true}`` to continue; ``{"approved": false}`` (or anything
    else), ``SendTaskFailure`` or the ``timeout`` compensate the completed steps
    and fail the execution with :data:`APPROVAL_REJECTED_ERROR`
    (``Saga.ApprovalRejected``; the cause's ``failure.error`` says which). Grant approvers with
    ``saga.state_machine.grant_task_response(principal)``.

    :param before: name of the step that needs the approval.
    :param timeout: how long to wait; then the approval counts as rejected.
        1 s - 1 year (Step Functions task token limit). Default 24 hours.
    :param topic: existing topic to publish to (typed as ``ITopic``). When it
        exposes its ``master_key`` the state machine is granted that key; for an
        imported topic encrypted with a customer key, grant the key yourself.
        Default: the saga creates an :class:`EncryptedTopic`.
    """

    before: str
    timeout: Optional[Duration] = None
    topic: Optional[sns.ITopic] = None


def approval_topic(scope: Construct, approval: Optional[SagaApproval], removal_policy: RemovalPolicy) -> Optional[sns.ITopic]:
    """Where approval requests go: the approval's own topic, else a new ``ApprovalTopic`` (encrypted)
    under ``scope``; None without an approval."""
    if approval is None:
        return None
    if approval.topic is not None:
        return approval.topic
    return EncryptedTopic(scope, "ApprovalTopic", display_name="Saga approval requests", removal_policy=removal_policy).topic


@dataclass(frozen=True)
class SagaStepFunctions:
    """The functions of one step: ``action`` and ``compensation`` (or None)."""

    action: ServerlessFunction
    compensation: Optional[ServerlessFunction]


def _validate(
    problems: Problems,
    steps: Any,
    approval: Optional[SagaApproval],
    timeout: Optional[Duration],
    retry_attempts: int,
    compensation_retry_attempts: int,
    start_api: Optional[SagaStartApi] = None,
    workflow_type: Any = WorkflowType.STANDARD,
) -> None:
    """Every rule of :class:`Saga`, collected into ``problems``."""
    if not isinstance(workflow_type, WorkflowType):
        problems.add(
            "workflow_type",
            workflow_type,
            "WorkflowType.STANDARD or WorkflowType.EXPRESS",
            "pass workflow_type=WorkflowType.EXPRESS (import WorkflowType from cdk_serverless_patterns)",
        )
        workflow_type = WorkflowType.STANDARD
    if workflow_type is WorkflowType.EXPRESS:
        _validate_express(problems, steps, approval, timeout)
    if not isinstance(steps, (list, tuple)) or not steps:
        problems.add(
            "steps",
            steps,
            "a non-empty list of SagaStep",
            "pass steps=[SagaStep('reserve', action=FunctionSpec(...), compensation=...), ...]",
        )
        steps = steps if isinstance(steps, (list, tuple)) else []
    seen: set[str] = set()
    for index, step in enumerate(steps):
        field = f"steps[{index}]"
        if not isinstance(step, SagaStep):
            problems.add(field, step, "a SagaStep", "wrap it: SagaStep(name, action=spec)")
            continue
        _validate_step_name(problems, field, step.name, seen)
        validate_spec(problems, step.action, field_prefix=f"{field}.action")
        check_not_zero(problems, f"{field}.action", step.action, "a saga step")
        if step.compensation is not None:
            validate_spec(problems, step.compensation, field_prefix=f"{field}.compensation")
            check_not_zero(problems, f"{field}.compensation", step.compensation, "a saga compensation")
        problems.check(
            isinstance(step.compensate_on_own_failure, bool),
            f"{field}.compensate_on_own_failure",
            step.compensate_on_own_failure,
            "True or False",
            "pass compensate_on_own_failure=True or leave it out",
        )
    last = steps[-1] if steps and isinstance(steps[-1], SagaStep) else None
    if last is not None and last.compensation is not None and not last.compensate_on_own_failure:
        problems.add(
            f"steps[{len(steps) - 1}].compensation",
            last.name,
            "a compensation only where it can run: no step follows the last one, so its "
            "compensation would run only if the step itself failed, which compensate_on_own_failure allows",
            "remove the last step's compensation, or set compensate_on_own_failure=True if a failed "
            "attempt can leave it partially applied",
        )
    if approval is not None:
        _validate_approval(problems, approval, seen)
    if timeout is not None:
        _validate_duration(problems, "timeout", timeout, "pass e.g. Duration.hours(1), or None for no execution timeout")
    if isinstance(approval, SagaApproval) and isinstance(timeout, Duration):
        wait = or_default(approval.timeout, defaults.SAGA_APPROVAL_TIMEOUT)
        if isinstance(wait, Duration):
            problems.check(
                wait.to_seconds(integral=False) < timeout.to_seconds(integral=False),
                "approval.timeout",
                wait.to_human_string(),
                f"shorter than the execution timeout ({timeout.to_human_string()}): otherwise the execution "
                "times out while waiting and the completed steps are never compensated",
                "shorten approval.timeout or lengthen timeout (or leave timeout unset)",
            )
    for field, value in (("retry_attempts", retry_attempts), ("compensation_retry_attempts", compensation_retry_attempts)):
        problems.check_int(
            field,
            value,
            low=0,
            high=_MAX_ATTEMPTS_LIMIT,
            allowed=f"an integer 0-{_MAX_ATTEMPTS_LIMIT} (Step Functions Retry MaxAttempts)",
            fix="pass a small integer such as 3",
        )
    if start_api is not None:
        validate_start_api(problems, start_api)


def _validate_express(problems: Problems, steps: Any, approval: Any, timeout: Any) -> None:
    """Express workflows: at most five minutes, no task tokens."""
    limit = defaults.SFN_EXPRESS_MAX_DURATION.to_seconds()
    problems.check(
        approval is None,
        "approval",
        type(approval).__name__,
        "no approval with WorkflowType.EXPRESS (Express workflows do not support .waitForTaskToken, "
        "and a human answers in hours, not within Express's five minutes)",
        "use WorkflowType.STANDARD for sagas with a human approval",
    )
    if isinstance(timeout, Duration):
        problems.check(
            timeout.to_seconds() <= limit,
            "timeout",
            timeout.to_human_string(),
            "at most 5 minutes with WorkflowType.EXPRESS (Express execution limit)",
            "shorten timeout, or use WorkflowType.STANDARD for longer sagas",
        )
    for index, step in enumerate(steps if isinstance(steps, (list, tuple)) else []):
        if not isinstance(step, SagaStep):
            continue
        for role, spec in (("action", step.action), ("compensation", step.compensation)):
            if isinstance(spec, FunctionSpec) and isinstance(spec.timeout, Duration):
                problems.check(
                    spec.timeout.to_seconds() < limit,
                    f"steps[{index}].{role}.timeout",
                    spec.timeout.to_human_string(),
                    "less than 5 minutes with WorkflowType.EXPRESS (the whole execution ends at 5 minutes)",
                    "shorten the function's timeout, or use WorkflowType.STANDARD",
                )


def _validate_step_name(problems: Problems, field: str, name: Any, seen: set[str]) -> None:
    if not isinstance(name, str) or not name:
        problems.add(f"{field}.name", name, "a non-empty string", "name the step, e.g. 'reserve_inventory'")
        return
    problems.check(
        len(name) <= STEP_NAME_MAX,
        f"{field}.name",
        name,
        f"at most {STEP_NAME_MAX} characters (Step Functions state names are at most "
        f"{defaults.SFN_STATE_NAME_MAX}, and the saga adds '{_COMPENSATE_PREFIX}' to name compensation states)",
        "shorten the name",
    )
    problems.check(
        bool(_STEP_NAME_RE.match(name)),
        f"{field}.name",
        name,
        "letters, digits and '_', starting with a letter (Step Functions rejects whitespace, brackets, "
        "wildcards and special characters in state names and logs only 0-9 A-Z a-z - _ to CloudWatch; "
        "the name is also a JSON key in $.results.<name>)",
        "use a name like 'charge_payment'",
    )
    problems.check(
        name not in seen,
        f"{field}.name",
        name,
        "a name no other step uses (state names are unique in a state machine)",
        "rename one of the steps",
    )
    seen.add(name)


def _validate_approval(problems: Problems, approval: Any, step_names: set[str]) -> None:
    if not isinstance(approval, SagaApproval):
        problems.add("approval", approval, "a SagaApproval", "pass SagaApproval(before='ship')")
        return
    if approval.topic is not None:
        problems.check(
            TOPIC.check(approval.topic), "approval.topic", approval.topic, TOPIC.allowed, TOPIC.fix
        )
    problems.check(
        approval.before in step_names,
        "approval.before",
        approval.before,
        f"the name of a step ({', '.join(sorted(step_names)) or 'none defined'})",
        "name the step that must wait for the approval",
    )
    if approval.timeout is not None:
        _validate_duration(problems, "approval.timeout", approval.timeout, "pass e.g. Duration.hours(24)")


def _validate_duration(problems: Problems, field: str, value: Any, fix: str) -> None:
    if not isinstance(value, Duration):
        problems.add(field, value, "an aws_cdk.Duration", fix)
        return
    seconds = value.to_seconds(integral=False)
    if is_token(seconds):
        return
    # Step Functions takes TimeoutSeconds as an integer: whole seconds only.
    whole = seconds == int(seconds)
    problems.check(
        whole and 1 <= seconds <= defaults.SFN_MAX_DURATION.to_seconds(),
        field,
        value.to_human_string() if whole else f"{format_seconds(seconds)} s",
        f"1 s - {defaults.SFN_MAX_DURATION.to_days():g} days (a Standard workflow runs at most one year), "
        "in whole seconds",
        fix,
    )


_OPTION_TYPES = {**COMMON, "include_execution_data": BOOL}


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
        retries = or_default(retry_attempts, defaults.SAGA_RETRY_ATTEMPTS)
        compensation_retries = or_default(compensation_retry_attempts, defaults.SAGA_COMPENSATION_RETRY_ATTEMPTS)
        problems = Problems(child_path(scope, construct_id))
        check_option_types(
            problems,
            dict(
                include_execution_data=include_execution_data,
                alarm_topic=alarm_topic,
                create_alarms=create_alarms,
                log_retention=log_retention,
                removal_policy=removal_policy,
                dashboard=dashboard,
            ),
            _OPTION_TYPES,
        )
        _validate(problems, steps, approval, timeout, retries, compensation_retries, start_api, workflow_type)
        create_alarms = or_default(create_alarms, True)  # None means the default, not False
        problems.raise_if_any()
        super().__init__(scope, construct_id)
        self.workflow_type = workflow_type
        express = workflow_type is WorkflowType.EXPRESS
        self._compensation_max_delay = (
            defaults.SAGA_EXPRESS_COMPENSATION_RETRY_MAX_DELAY if express else defaults.SAGA_COMPENSATION_RETRY_MAX_DELAY
        )

        self.steps = tuple(steps)
        self.approval = approval
        self._retries = retries
        self._compensation_retries = compensation_retries
        self._function_options: FunctionOptions = dict(
            invocation=Invocation.SYNC,
            alarm_topic=alarm_topic,
            create_alarms=create_alarms,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )

        self.functions: dict[str, SagaStepFunctions] = {}
        by_spec: dict[int, ServerlessFunction] = {}
        for step in self.steps:
            action = self._function(by_spec, step.action, f"{step.name}Action")
            compensation = (
                self._function(by_spec, step.compensation, f"{step.name}Compensation")
                if step.compensation is not None
                else None
            )
            self.functions[step.name] = SagaStepFunctions(action, compensation)

        self.approval_topic: Optional[sns.ITopic] = approval_topic(self, approval, removal_policy)

        self.log_group = create_log_group(
            self,
            "ExecutionLogs",
            retention=log_retention,
            removal_policy=removal_policy,
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
            alarm
            for fn in {id(f): f for f in by_spec.values()}.values()
            for alarm in fn.alarms
        ]
        if create_alarms:
            self.alarms.extend(self._create_alarms(alarm_topic))

        self.start_api: Optional[SagaStartApiResources] = add_start_api(
            self, start_api, self.alarms, state_machine=self.state_machine, alarm_topic=alarm_topic,
            create_alarms=create_alarms, log_retention=log_retention, removal_policy=removal_policy,
        )
        self.dashboard: Optional[cloudwatch.Dashboard] = (
            make_dashboard(self, "Dashboard", self.alarms, self.dashboard_graphs()) if dashboard else None
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
        functions: dict[str, ServerlessFunction] = {}
        for name, step in self.functions.items():
            functions.setdefault(step.action.node.id, step.action)
            if step.compensation is not None:
                functions.setdefault(step.compensation.node.id, step.compensation)
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
            *function_graphs(functions),
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

    def _function(self, by_spec: dict[int, ServerlessFunction], spec: FunctionSpec, fid: str) -> ServerlessFunction:
        if id(spec) not in by_spec:
            # Executions are not rate-limited: every step function reserves its share (concurrency.py).
            bound = saga_reserved_concurrency(spec, functions=saga_function_count(self.steps))
            by_spec[id(spec)] = ServerlessFunction(self, fid, bounded(spec, bound), **self._function_options)
        return by_spec[id(spec)]

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
                retry_attempts=self._retries,
                compensation_retry_attempts=self._compensation_retries,
                compensation_max_delay=self._compensation_max_delay,
                approval=self.approval,
                approval_topic=self.approval_topic,
                saga_name=self.node.path,
            ),
        )

    def _create_alarms(self, topic: Optional[sns.ITopic]) -> list[cloudwatch.Alarm]:
        return alarms_from_specs(
            self,
            [
                AlarmSpec(
                    "ExecutionsFailedAlarm",
                    metric=self.metric_failed(),
                    threshold=1,
                    description=f"{self.node.path}: an execution failed (a step failed and was compensated, "
                    "or a compensation failed and needs a redrive).",
                ),
                AlarmSpec(
                    "ExecutionsTimedOutAlarm",
                    metric=self.metric_timed_out(),
                    threshold=1,
                    description=f"{self.node.path}: an execution hit its timeout, possibly mid-compensation.",
                ),
                AlarmSpec(
                    "CompensationsIncompleteAlarm",
                    metric=self.metric_compensations_incomplete(),
                    threshold=1,
                    description=f"{self.node.path}: a compensation failed past its retries; the execution's "
                    "cause lists the steps left to undo (fix the cause, then run those compensations: "
                    "docs/patterns/saga.md).",
                ),
                AlarmSpec(
                    "ExecutionThrottledAlarm",
                    metric=self.metric_throttled(),
                    threshold=1,
                    description=f"{self.node.path}: state transitions were throttled; raise the quota or slow callers.",
                ),
            ],
            alarm_topic=topic,
        )
