"""``EdgeFunction``: a Lambda@Edge function, a construct of its own.

Modelled on aws-cdk-lib's ``aws-cloudfront/lib/experimental/edge-function.ts``,
which it wraps: it refuses what Lambda@Edge cannot do
(:data:`~.validation.EDGE_RULES`), puts the function, its role and log group in
us-east-1 (a companion stack when the parent stack is elsewhere) and publishes
a version for CloudFront to associate. Lambda@Edge has no aliases, no X-Ray, no
DLQ and no layers, so this construct has none of them either.
"""

from __future__ import annotations

from typing import Optional, cast

import jsii
from aws_cdk import Environment, Names, RemovalPolicy, Stack, Stage
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_cloudfront as cloudfront,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_logs as logs,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.checks.acknowledge import in_one_batch
from cdk_serverless_patterns.errors import Problems, child_path

from .findings import acknowledge_edge_findings
from .logging import function_log_group, json_logging
from .role import allow_logging_in_every_region, default_policy, depend_only_on_policies, execution_role
from .spec import FunctionSpec, code_asset, record_idempotency
from .validation import validate_edge_function


@jsii.implements(iam.IGrantable)
class EdgeFunction(Construct):
    """A Lambda@Edge function with the library's role and log discipline.

    It is an ``iam.IGrantable`` (grants go to its own role). Its ``version`` is
    what a cache behavior associates (``cloudfront.EdgeLambda(function_version=fn.version)``).

    :param spec: the :class:`FunctionSpec`. It must fit Lambda@Edge: x86_64
        (the default when ``architecture`` is unset), no environment variables,
        layers, Powertools or OpenTelemetry, no provisioned or reserved
        concurrency, no SnapStart; a Node.js or Python runtime. Per-event quotas
        (viewer events 128 MB and 5 s, origin events 30 s) are the caller's
        (``EdgeSite`` checks them). The stack needs a concrete Region.
    :param log_retention: of the us-east-1 log group. Default one month.
        Replicas log to a log group of the same name in every Region they run
        in, created there on first use (no retention is set on those).
    :param removal_policy: of the log group. Default: RETAIN.

    Attributes: ``function`` (in us-east-1, in a companion stack when the parent
    stack is elsewhere), ``version`` (the published version), ``role``,
    ``grant_principal`` (the role), ``log_group``, ``spec``. No alias (Lambda@Edge
    takes none), no tracing, no DLQ and no alarms: replicas report metrics in the
    Region where they run, so alarm on the distribution instead (``EdgeSite`` does).
    """

    @in_one_batch
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        spec: FunctionSpec,
        *,
        log_retention: Optional[logs.RetentionDays] = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        problems = Problems(child_path(scope, construct_id))
        validate_edge_function(problems, scope, spec)
        problems.raise_if_any()
        super().__init__(scope, construct_id)
        self.spec = spec

        parent = Stack.of(self)
        if parent.region == defaults.EDGE_REGION:
            home: Construct = self
            function_id, stack_id = "Function", None
        else:
            # cloudfront.experimental.EdgeFunction puts the function straight into a
            # companion us-east-1 stack. Its role and log group must live there too
            # (CloudFormation has no cross-Region references), so create that stack
            # first, under the id EdgeFunction is then given, and put them in it.
            stack_id = f"{parent.artifact_id}EdgeFunctions"
            stage = Stage.of(parent)
            assert stage is not None, "every stack is in a Stage (the App is one)"
            edge_stack = cast(Optional[Stack], stage.node.try_find_child(stack_id)) or Stack(
                stage,
                stack_id,
                env=Environment(account=parent.account, region=defaults.EDGE_REGION),
                tags=parent.tags.tag_values(),
            )
            function_id = Names.unique_id(self)
            home = Construct(edge_stack, f"{function_id}Execution")

        self.log_group = function_log_group(home, retention=log_retention, removal_policy=removal_policy)
        self.role = execution_role(
            home,
            description=f"Execution role of Lambda@Edge {self.node.path} (least privilege, no managed policies)",
        )
        allow_logging_in_every_region(self.role, self.log_group)
        # cloudfront.experimental.EdgeFunction adds edgelambda.amazonaws.com to the role's
        # trust policy, publishes a version and, across Regions, hands its ARN back via SSM.
        self.version = cloudfront.experimental.EdgeFunction(
            self,
            function_id,
            stack_id=stack_id,
            code=code_asset(spec.code),
            handler=spec.handler,
            runtime=spec.resolved_runtime,
            architecture=spec.resolved_architecture(lambda_edge=True),
            memory_size=spec.memory_size,
            timeout=spec.timeout,
            description=spec.description,
            role=self.role,
            log_group=self.log_group,
            **json_logging(),
        )
        # .lambda_ is the aws_lambda.Function it created (here or in the companion stack)
        self.function = cast(lambda_.Function, self.version.lambda_)
        policy = default_policy(self.role)
        depend_only_on_policies(self.function, [policy])
        record_idempotency(cast(lambda_.CfnFunction, self.function.node.default_child), spec.idempotency)
        acknowledge_edge_findings(self.function, self.role, policy, self.log_group)

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The function's own execution role (``iam.IGrantable``)."""
        return self.role
