"""Saga options: the step and approval declarations, the workflow type and the retry settings.

Shared by both engines: :class:`~.workflow.Saga` (Step Functions) and
:class:`~cdk_serverless_patterns.patterns.durable.saga.DurableSaga` (a Lambda durable
function) take the same :class:`SagaStep`, :class:`SagaApproval` and
:class:`SagaRetries`, and expose the same :class:`SagaStepFunctions`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Optional

from aws_cdk import Duration

from cdk_serverless_patterns._cdk_modules import aws_sns as sns
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.function import FunctionSpec, ServerlessFunction
from cdk_serverless_patterns.building_blocks.option_types import BOOL, COMMON
from cdk_serverless_patterns.errors import or_default

from .graph import _COMPENSATE_PREFIX, _FAILED_SUFFIX


#: Step names become state names and JSON keys (``$.results.<name>``): letters,
#: digits and ``_``, starting with a letter. The library's own states all contain
#: a ``-``, so they can never collide with a step.
STEP_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: Longest step name whose derived state names still fit Step Functions' limit.
STEP_NAME_MAX = defaults.SFN_STATE_NAME_MAX - max(len(_COMPENSATE_PREFIX), len(_FAILED_SUFFIX))
#: States.Retry MaxAttempts ceiling (Amazon States Language).
MAX_ATTEMPTS_LIMIT = 99999999
#: Options of ``Saga`` checked for their type only.
OPTION_TYPES = {**COMMON, "include_execution_data": BOOL}


class WorkflowType(enum.Enum):
    """The Step Functions workflow type of a :class:`~.workflow.Saga` (contract).

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
    """One step of a :class:`~.workflow.Saga` (contract).

    :param name: the step's name; also its state name and its key in
        ``$.results``. Letters, digits and ``_``, starting with a letter, at most
        :data:`STEP_NAME_MAX` (69) characters, unique within the saga.
    :param action: the function that does the work. It receives the state (see
        the ``workflow`` module docstring) and returns what a compensation will need to undo
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
    """A human approval inside a :class:`~.workflow.Saga`, using a Step Functions task token.

    Before step ``before`` runs, the saga publishes to an SNS topic a message with
    the ``taskToken``, the execution id, the input and the results so far, and
    waits. The approver answers with ``SendTaskSuccess`` and output
    ``{"approved": true}`` to continue; ``{"approved": false}`` (or anything
    else), ``SendTaskFailure`` or the ``timeout`` compensate the completed steps
    and fail the execution with :data:`~.graph.APPROVAL_REJECTED_ERROR`
    (``Saga.ApprovalRejected``; the cause's ``failure.error`` says which). Grant approvers with
    ``saga.state_machine.grant_task_response(principal)``. ``DurableSaga`` waits
    on a durable callback instead of a task token.

    :param before: name of the step that needs the approval.
    :param timeout: how long to wait; then the approval counts as rejected.
        1 s - 1 year (Step Functions task token limit). Default 24 hours
        (``defaults.SAGA_APPROVAL_TIMEOUT``).
    :param topic: existing topic to publish to (typed as ``ITopic``). When it
        exposes its ``master_key`` the state machine is granted that key; for an
        imported topic encrypted with a customer key, grant the key yourself.
        Default: the saga creates an :class:`~cdk_serverless_patterns.EncryptedTopic`.
    """

    before: str
    timeout: Optional[Duration] = None
    topic: Optional[sns.ITopic] = None

    @property
    def wait(self) -> Duration:
        """``timeout``, or the default 24 hours when unset."""
        return or_default(self.timeout, defaults.SAGA_APPROVAL_TIMEOUT)


@dataclass(frozen=True)
class SagaRetries:
    """How a saga retries its functions, defaults resolved (both engines).

    :param attempts: retries of an action's transient errors, 2 s doubling to
        30 s with full jitter. Default 4 (``defaults.SAGA_RETRY_ATTEMPTS``).
    :param compensation_attempts: retries of any error of a compensation, 10 s
        doubling to ``compensation_max_delay`` with full jitter. Default 5
        (``defaults.SAGA_COMPENSATION_RETRY_ATTEMPTS``).
    :param compensation_max_delay: the longest wait between compensation retries.
        Default 5 minutes; 20 s for Express workflows, which end at 5 minutes.
    """

    attempts: int
    compensation_attempts: int
    compensation_max_delay: Duration

    @classmethod
    def of(
        cls, retry_attempts: Optional[int], compensation_retry_attempts: Optional[int], *, express: bool = False
    ) -> "SagaRetries":
        """The retry settings of the keyword options (None: the default)."""
        return cls(
            attempts=or_default(retry_attempts, defaults.SAGA_RETRY_ATTEMPTS),
            compensation_attempts=or_default(compensation_retry_attempts, defaults.SAGA_COMPENSATION_RETRY_ATTEMPTS),
            compensation_max_delay=(
                defaults.SAGA_EXPRESS_COMPENSATION_RETRY_MAX_DELAY if express else defaults.SAGA_COMPENSATION_RETRY_MAX_DELAY
            ),
        )


@dataclass(frozen=True)
class SagaStepFunctions:
    """The functions of one step: ``action`` and ``compensation`` (or None)."""

    action: ServerlessFunction
    compensation: Optional[ServerlessFunction]
