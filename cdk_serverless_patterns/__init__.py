"""cdk-serverless-patterns: production-grade serverless L3 constructs for AWS CDK v2.

Public API (contract): ``FunctionSpec``, ``ServerlessFunction``,
``PatternConfigError``, ``enable_checks``, ``ServerlessPatternsChecks`` and one
construct per pattern.

The package is laid out as the architecture is:

* ``patterns/`` — one module or sub-package per pattern (``api/``, ``events``,
  ``streams``, ``fan_out``, ``saga/``, ``cqrs``, ``schedule/``, ``edge/``);
* ``building_blocks/`` — what every pattern is made of (``function``,
  ``queues``, ``topics``, ``tables``, ``alarms``, ``logs``, ...);
* ``checks/`` — the ServerlessPatterns rule pack and ``enable_checks``;
* ``runtime/`` — handler-side helpers (no aws_cdk import);
* ``tooling/`` — reads a synthesized ``cdk.out``: ``python -m cdk_serverless_patterns
  findings|cost|diagram`` (no aws_cdk import either);
* ``testing`` — ``findings(app)`` / ``assert_no_findings(app)`` for users' tests.

Exports are resolved lazily (PEP 562): Lambda handlers import
``cdk_serverless_patterns.runtime``, which imports this package first, and
must not pay for aws_cdk/jsii at cold start. Type checkers read the explicit
re-exports under ``TYPE_CHECKING`` below; a test keeps them and ``_EXPORTS``
in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from ._first_use import exported_from, module_getattr

__version__ = "0.2.0"

_EXPORTS: dict[str, str] = {
    # foundation
    "EdgeFunction": ".building_blocks.function",
    "FunctionAlarms": ".building_blocks.function",
    "FunctionSpec": ".building_blocks.function",
    "Idempotency": ".building_blocks.idempotency",
    "IdempotencyKind": ".building_blocks.idempotency",
    "Invocation": ".building_blocks.function",
    "ServerlessFunction": ".building_blocks.function",
    "Powertools": ".building_blocks.lambda_layers",
    "Tracing": ".building_blocks.lambda_layers",
    "EncryptedTopic": ".building_blocks.topics",
    "PatternConfigError": ".errors",
    "ServerlessPatternsChecks": ".checks",
    "enable_checks": ".checks",
    "enable_hardening": ".building_blocks.hardening",
    "set_default_alarm_topic": ".building_blocks.alarms",
    "TableAccess": ".building_blocks.table_access",
    "ServiceEndpoints": ".building_blocks.endpoints",
    # 2026 compute options
    "ManagedInstances": ".building_blocks.function.compute",
    "ProvisionedPollers": ".building_blocks.sqs_consumers",
    "TenantIsolation": ".building_blocks.function.compute",
    # patterns
    "ApiBackend": ".patterns.api.backend",
    "ApiAuth": ".patterns.api.auth",
    "ApiCache": ".patterns.api.stage",
    "ApiType": ".patterns.api.api_type",
    "FunctionUrlAuth": ".patterns.api.function_url",
    "FunctionUrlEndpoint": ".patterns.api.function_url",
    "FunctionUrlOptions": ".patterns.api.function_url",
    "Route": ".patterns.api.routes",
    "parse_route": ".patterns.api.routes",
    "EventProcessing": ".patterns.events",
    "StreamProcessing": ".patterns.streams",
    "FanOutFanIn": ".patterns.fan_out",
    "Saga": ".patterns.saga.workflow",
    "SagaStep": ".patterns.saga.workflow",
    "SagaApproval": ".patterns.saga.workflow",
    "SagaStartApi": ".patterns.saga.start_api",
    "WorkflowType": ".patterns.saga.workflow",
    "DurableSaga": ".patterns.durable.saga",
    "Cqrs": ".patterns.cqrs",
    "CqrsProjection": ".patterns.cqrs",
    "ScheduledJob": ".patterns.schedule.job",
    "EdgeSite": ".patterns.edge.site",
}

__all__ = [
    "ApiAuth",
    "ApiBackend",
    "ApiCache",
    "ApiType",
    "Cqrs",
    "CqrsProjection",
    "DurableSaga",
    "EdgeFunction",
    "EdgeSite",
    "EncryptedTopic",
    "EventProcessing",
    "FanOutFanIn",
    "FunctionAlarms",
    "FunctionSpec",
    "FunctionUrlAuth",
    "FunctionUrlEndpoint",
    "FunctionUrlOptions",
    "Idempotency",
    "IdempotencyKind",
    "Invocation",
    "ManagedInstances",
    "PatternConfigError",
    "Powertools",
    "ProvisionedPollers",
    "Route",
    "Saga",
    "SagaApproval",
    "SagaStartApi",
    "SagaStep",
    "ScheduledJob",
    "ServerlessFunction",
    "ServerlessPatternsChecks",
    "ServiceEndpoints",
    "StreamProcessing",
    "TableAccess",
    "TenantIsolation",
    "Tracing",
    "WorkflowType",
    "__version__",
    "enable_checks",
    "enable_hardening",
    "parse_route",
    "set_default_alarm_topic",
]


if not TYPE_CHECKING:  # type checkers see the re-exports above; an unknown name stays an error
    __getattr__ = module_getattr(globals(), exported_from(__name__, _EXPORTS))


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .building_blocks.alarms import set_default_alarm_topic as set_default_alarm_topic
    from .building_blocks.endpoints import ServiceEndpoints as ServiceEndpoints
    from .building_blocks.function import EdgeFunction as EdgeFunction
    from .building_blocks.function import FunctionAlarms as FunctionAlarms
    from .building_blocks.function import FunctionSpec as FunctionSpec
    from .building_blocks.function import Invocation as Invocation
    from .building_blocks.function.compute import ManagedInstances as ManagedInstances
    from .building_blocks.function.compute import TenantIsolation as TenantIsolation
    from .building_blocks.sqs_consumers import ProvisionedPollers as ProvisionedPollers
    from .building_blocks.function import ServerlessFunction as ServerlessFunction
    from .building_blocks.hardening import enable_hardening as enable_hardening
    from .building_blocks.idempotency import Idempotency as Idempotency
    from .building_blocks.idempotency import IdempotencyKind as IdempotencyKind
    from .building_blocks.lambda_layers import Powertools as Powertools
    from .building_blocks.lambda_layers import Tracing as Tracing
    from .building_blocks.table_access import TableAccess as TableAccess
    from .building_blocks.topics import EncryptedTopic as EncryptedTopic
    from .checks import ServerlessPatternsChecks as ServerlessPatternsChecks
    from .checks import enable_checks as enable_checks
    from .errors import PatternConfigError as PatternConfigError
    from .patterns.api.api_type import ApiType as ApiType
    from .patterns.api.auth import ApiAuth as ApiAuth
    from .patterns.api.backend import ApiBackend as ApiBackend
    from .patterns.api.function_url import FunctionUrlAuth as FunctionUrlAuth
    from .patterns.api.function_url import FunctionUrlEndpoint as FunctionUrlEndpoint
    from .patterns.api.function_url import FunctionUrlOptions as FunctionUrlOptions
    from .patterns.api.routes import Route as Route
    from .patterns.api.routes import parse_route as parse_route
    from .patterns.api.stage import ApiCache as ApiCache
    from .patterns.cqrs import Cqrs as Cqrs
    from .patterns.cqrs import CqrsProjection as CqrsProjection
    from .patterns.edge.site import EdgeSite as EdgeSite
    from .patterns.events import EventProcessing as EventProcessing
    from .patterns.fan_out import FanOutFanIn as FanOutFanIn
    from .patterns.durable.saga import DurableSaga as DurableSaga
    from .patterns.saga.start_api import SagaStartApi as SagaStartApi
    from .patterns.saga.workflow import Saga as Saga
    from .patterns.saga.workflow import SagaApproval as SagaApproval
    from .patterns.saga.workflow import SagaStep as SagaStep
    from .patterns.saga.workflow import WorkflowType as WorkflowType
    from .patterns.schedule.job import ScheduledJob as ScheduledJob
    from .patterns.streams import StreamProcessing as StreamProcessing
