"""DurableSaga options: its own settings, defaults resolved, and the names it owns.

The step, approval and retry declarations are ``Saga``'s
(:mod:`cdk_serverless_patterns.patterns.saga.options`): the same concepts, one definition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from aws_cdk import Duration

from cdk_serverless_patterns._cdk_modules import aws_lambda as lambda_
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.option_types import BOOL, COMMON
from cdk_serverless_patterns.errors import or_default

from ..saga.options import SagaRetries


#: The orchestrator's handler (``app.handler``): it runs ``runtime.durable_saga``.
ORCHESTRATOR_DIR = Path(__file__).parent / "orchestrator"
#: What the durable execution role needs to checkpoint and replay (the
#: AWSLambdaBasicDurableExecutionRolePolicy's durable actions, scoped here).
CHECKPOINT_ACTIONS = ("lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState")
CALLBACK_ACTIONS = (
    "lambda:SendDurableExecutionCallbackSuccess",
    "lambda:SendDurableExecutionCallbackFailure",
    "lambda:SendDurableExecutionCallbackHeartbeat",
)
#: Most retries of a step (each is a billed durable operation).
RETRY_MAX = 1000
#: Step names name durable operations and keys of ``results``.
STEP_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
#: Options of ``DurableSaga`` checked for their type only.
OPTION_TYPES = {**COMMON, "dashboard": BOOL}


@dataclass(frozen=True)
class DurableSagaSettings:
    """``DurableSaga``'s own options with their defaults resolved (internal).

    :param execution_timeout: Default one day (``defaults.DURABLE_SAGA_EXECUTION_TIMEOUT``).
    :param retention_period: Default 14 days (``defaults.DURABLE_SAGA_RETENTION``, Lambda's).
    :param retries: ``Saga``'s retry settings (defaults 4 and 5).
    :param orchestrator_memory_size: MB. Default 256 (``defaults.MEMORY_MB``).
    :param orchestrator_runtime: Default the newest Python runtime.
    """

    execution_timeout: Duration
    retention_period: Duration
    retries: SagaRetries
    orchestrator_memory_size: int
    orchestrator_runtime: lambda_.Runtime

    @classmethod
    def of(
        cls,
        *,
        execution_timeout: Optional[Duration],
        retention_period: Optional[Duration],
        retry_attempts: Optional[int],
        compensation_retry_attempts: Optional[int],
        orchestrator_memory_size: Optional[int],
        orchestrator_runtime: Optional[lambda_.Runtime],
    ) -> "DurableSagaSettings":
        """The settings of the keyword options (None: the default)."""
        return cls(
            execution_timeout=or_default(execution_timeout, defaults.DURABLE_SAGA_EXECUTION_TIMEOUT),
            retention_period=or_default(retention_period, defaults.DURABLE_SAGA_RETENTION),
            retries=SagaRetries.of(retry_attempts, compensation_retry_attempts),
            orchestrator_memory_size=or_default(orchestrator_memory_size, defaults.MEMORY_MB),
            orchestrator_runtime=or_default(orchestrator_runtime, defaults.newest_python_runtime()),
        )
