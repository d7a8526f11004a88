"""The same four workloads, written with this library and with AWS Solutions Constructs.

Each ``build_*`` adds one stack to ``app``. Imports happen inside the
functions so each side only loads its own library (that load is part of what
a user pays for and is measured).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import aws_cdk as cdk

HANDLER = str(Path(__file__).parent / "handler")
WORKLOADS = ("api_table", "sns_sqs_worker", "hourly_job", "cdn_api")


# --- this library ---------------------------------------------------------------


def ours_api_table(stack: cdk.Stack) -> None:
    from cdk_serverless_patterns import ApiBackend, FunctionSpec

    spec = FunctionSpec(code=HANDLER, handler="app.handler")
    ApiBackend(stack, "Api", routes={"GET /items/{id}": spec, "POST /items": spec}, table=True)


def ours_sns_sqs_worker(stack: cdk.Stack) -> None:
    from cdk_serverless_patterns import FanOutFanIn, FunctionSpec

    FanOutFanIn(
        stack,
        "Jobs",
        workers={"worker": FunctionSpec(code=HANDLER, handler="app.handler")},
        aggregator=FunctionSpec(code=HANDLER, handler="app.handler"),
    )


def ours_hourly_job(stack: cdk.Stack) -> None:
    from cdk_serverless_patterns import FunctionSpec, ScheduledJob

    ScheduledJob(stack, "Job", schedule="rate(1 hour)", job=FunctionSpec(code=HANDLER, handler="app.handler"))


def ours_cdn_api(stack: cdk.Stack) -> None:
    from cdk_serverless_patterns import ApiBackend, EdgeSite, FunctionSpec

    api = ApiBackend(stack, "Api", routes={"GET /api/hello": FunctionSpec(code=HANDLER, handler="app.handler")})
    EdgeSite(stack, "Site", api=api)


# --- AWS Solutions Constructs (the anchor) -----------------------------------------


def _anchor_function_props():
    from aws_cdk import aws_lambda as lambda_

    return lambda_.FunctionProps(
        code=lambda_.Code.from_asset(HANDLER), handler="app.handler", runtime=lambda_.Runtime.PYTHON_3_13
    )


def anchor_api_table(stack: cdk.Stack) -> None:
    from aws_solutions_constructs.aws_apigateway_lambda import ApiGatewayToLambda
    from aws_solutions_constructs.aws_lambda_dynamodb import LambdaToDynamoDB

    api = ApiGatewayToLambda(stack, "Api", lambda_function_props=_anchor_function_props())
    LambdaToDynamoDB(stack, "Table", existing_lambda_obj=api.lambda_function)


def anchor_sns_sqs_worker(stack: cdk.Stack) -> None:
    from aws_solutions_constructs.aws_sns_sqs import SnsToSqs
    from aws_solutions_constructs.aws_sqs_lambda import SqsToLambda

    fan_out = SnsToSqs(stack, "Topic")
    SqsToLambda(stack, "Worker", existing_queue_obj=fan_out.sqs_queue, lambda_function_props=_anchor_function_props())


def anchor_hourly_job(stack: cdk.Stack) -> None:
    from aws_cdk import Duration
    from aws_cdk import aws_events as events
    from aws_solutions_constructs.aws_eventbridge_lambda import EventbridgeToLambda

    EventbridgeToLambda(
        stack,
        "Job",
        lambda_function_props=_anchor_function_props(),
        event_rule_props=events.RuleProps(schedule=events.Schedule.rate(Duration.hours(1))),
    )


def anchor_cdn_api(stack: cdk.Stack) -> None:
    from aws_cdk import aws_apigateway as apigateway
    from aws_solutions_constructs.aws_cloudfront_apigateway_lambda import CloudFrontToApiGatewayToLambda

    # The anchor requires an explicit authorization type and rejects IAM behind CloudFront.
    CloudFrontToApiGatewayToLambda(
        stack,
        "Site",
        lambda_function_props=_anchor_function_props(),
        api_gateway_props={"defaultMethodOptions": {"authorizationType": apigateway.AuthorizationType.NONE}},
    )


# --- the floor ------------------------------------------------------------------------


def floor_stack(stack: cdk.Stack) -> None:
    """One resource and no library: what every app pays whatever it builds.

    Python and jsii start-up, ``import aws_cdk``, loading cdk-nag, and aws-cdk-lib's
    own template validation (since 2.2xx it runs on every synth unless
    ``CDK_VALIDATION=false``; initialising its engine is a fixed ~3 s per process).
    """
    cdk.CfnWaitConditionHandle(stack, "Floor")


def templates_stack(name: str) -> Callable[[cdk.Stack], None]:
    """This library's own synthesized template for ``name``, loaded as L1s by ``CfnInclude``.

    The lower bound of any CDK code that produces what this library produces: the
    same resources, built and validated by aws-cdk-lib, with no construction logic
    at all (``BENCH_TEMPLATES`` names the folder ``benchmarks.run --lower-bound`` wrote).
    """

    def build(stack: cdk.Stack) -> None:
        from aws_cdk import cloudformation_include as cfn_include

        folder = Path(os.environ["BENCH_TEMPLATES"])
        cfn_include.CfnInclude(stack, "Templates", template_file=str(folder / f"ours-{name.replace('_', '-')}.template.json"))

    return build


BUILDERS: dict[str, dict[str, Callable[[cdk.Stack], None]]] = {
    "ours": {name: globals()[f"ours_{name}"] for name in WORKLOADS},
    "anchor": {name: globals()[f"anchor_{name}"] for name in WORKLOADS},
    "floor": {name: floor_stack for name in WORKLOADS},
    "templates": {name: templates_stack(name) for name in WORKLOADS},
}
