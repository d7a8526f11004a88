"""How many CloudFormation resources an ``ApiBackend`` will add, checked before it
adds any: a stack holds at most 500 (CloudFormation quota), and CDK otherwise
fails only at synth, with ``TooManyResourcesInStack`` and no hint of a way out.

The plan counts what the construct creates, per function, per route and per
API; ``tests/test_api_scale.py`` holds it equal to synthesized templates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Union

from aws_cdk import CfnResource, Stack
from constructs import Construct

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.errors import Problems

from cdk_serverless_patterns.building_blocks.function import TRACING_POLICY_ID
from cdk_serverless_patterns.building_blocks.hardening import STACK_RESOURCES_ID
from cdk_serverless_patterns.building_blocks.runtime_layer import RUNTIME_LAYER_ID

from .api_type import ApiType
from .auth import ApiAuth, AuthKind
from .routes import Route, routes_by_value

#: ServerlessFunction: log group, role, policy, function, version, alias (the X-Ray
#: policy is one per stack, counted with the runtime layer).
FUNCTION_RESOURCES = 6
#: ServerlessFunction alarms: errors (count, quiet periods), error rate, throttles, p95 duration
#: (the cost-anomaly and cold-start alarms are opt-in).
FUNCTION_ALARMS = 4


@dataclass(frozen=True)
class ResourcePlan:
    """What an ApiBackend is about to create, enough to count its resources."""

    api_type: ApiType
    parsed: Mapping[Route, Any]
    auth: ApiAuth
    table: Any
    cors: bool
    cors_single_origin: bool
    waf: Union[bool, str]
    request_schemas: int
    api_key_required: bool
    create_alarms: bool
    per_function_alarms: bool
    dashboard: bool
    waf_logging: bool = True
    hardened: bool = False

    @property
    def functions(self) -> int:
        return len(routes_by_value(self.parsed)) + (1 if self.auth.kind is AuthKind.LAMBDA else 0)

    def count(self) -> int:
        """CloudFormation resources the ApiBackend will add to its stack."""
        functions = self.functions
        per_function = FUNCTION_RESOURCES + (FUNCTION_ALARMS if self.create_alarms and self.per_function_alarms else 0)
        total = functions * per_function
        total += 1  # access log group
        total += 1 if self.table is True else 0
        total += _auth_resources(self.auth, self.api_type)
        routes = len(self.parsed)
        if self.api_type is ApiType.HTTP:
            # api, stage; per route: route + invoke permission; per function: integration
            total += 2 + 2 * routes + len(routes_by_value(self.parsed))
        else:
            paths = {"/".join(r.segments[: i + 1]) for r in self.parsed for i in range(len(r.segments))}
            # api, deployment, stage, request validator; per route: method + permission;
            # one resource per path part
            total += 4 + 2 * routes + len(paths)
            if self.cors:
                total += len(paths) + 1  # OPTIONS per resource and on the root
                total += 2 if self.cors_single_origin else 0  # CORS gateway responses 4XX/5XX
            total += self.request_schemas  # one model each
            total += 3 if self.api_key_required else 0  # usage plan, key, plan-key
            total += 2 if self.waf is True else (1 if isinstance(self.waf, str) else 0)
            total += 2 if self.waf is True and self.waf_logging else 0  # WAF log group + logging configuration
        if self.create_alarms:
            total += 3  # 5XX, 4XX, latency
            if not self.per_function_alarms:
                total += 2 * math.ceil(functions / defaults.ALARM_MAX_METRICS)
        total += 1 if self.dashboard else 0
        return total


def _auth_resources(auth: ApiAuth, api_type: ApiType) -> int:
    if auth.kind is AuthKind.COGNITO:
        created = 2 if auth.user_pool is None else (0 if api_type is ApiType.REST else 1)  # pool + client
        return created + 1  # authorizer
    if auth.kind is AuthKind.LAMBDA:
        return 2  # authorizer + invoke permission
    if auth.kind is AuthKind.JWT:
        return 1
    return 0


def _per_stack_resources(stack: Stack) -> int:
    """What the first function of a stack adds once: the runtime layer and the X-Ray policy."""
    return sum(1 for child in (RUNTIME_LAYER_ID, TRACING_POLICY_ID) if stack.node.try_find_child(child) is None)


def _hardening_resources(stack: Stack, plan: ResourcePlan) -> int:
    """What enable_hardening adds to the stack the first time (at most): logs key;
    with a new table, data key, backup vault, plan, role and selection."""
    if not plan.hardened or stack.node.try_find_child(STACK_RESOURCES_ID) is not None:
        return 0
    return 1 + (5 if plan.table is True else 0)


def resources_in(stack: Stack) -> int:
    """CloudFormation resources already defined in ``stack``."""
    return sum(1 for c in stack.node.find_all() if isinstance(c, CfnResource))


def check_stack_capacity(path: str, scope: Construct, plan: ResourcePlan) -> None:
    """``PatternConfigError`` naming the ways out when the stack would pass 500 resources."""
    stack = Stack.of(scope)
    existing = resources_in(stack)
    adding = plan.count() + _per_stack_resources(stack) + _hardening_resources(stack, plan)
    limit = defaults.STACK_MAX_RESOURCES
    if existing + adding <= limit:
        return
    functions = plan.functions
    ways = [
        "give routes that belong together the same FunctionSpec object (one 'lambdalith' function "
        f"serves them: ~{FUNCTION_RESOURCES + FUNCTION_ALARMS} resources fewer per merged function)",
    ]
    if plan.create_alarms and plan.per_function_alarms:
        saved = functions * FUNCTION_ALARMS - 2 * math.ceil(functions / defaults.ALARM_MAX_METRICS)
        ways.append(
            f"per_function_alarms=False (aggregate errors/throttles alarms per {defaults.ALARM_MAX_METRICS} "
            f"functions instead of {FUNCTION_ALARMS} alarms per function: {saved} resources fewer)"
        )
    ways.append("split the routes over several ApiBackends in separate stacks (e.g. one per resource family)")
    problems = Problems(path)
    problems.add(
        "routes",
        f"{len(plan.parsed)} routes, {functions} functions",
        f"at most {limit} CloudFormation resources per stack: the stack has {existing} and this "
        f"ApiBackend would add {adding} ({existing + adding} in all)",
        "; or ".join(ways),
    )
    problems.raise_if_any()
