"""Every wrong option *type* is a PatternConfigError naming the option, the value and what
is allowed, raised before any child exists (issue 15 item 10) — one case per rule.

Before, these escaped as jsii ``RuntimeError``/``TypeError``, ``AttributeError`` from deep
inside a pattern (after children were added), or were accepted silently.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import Duration

from cdk_serverless_patterns import (
    ApiBackend,
    Cqrs,
    EdgeSite,
    EventProcessing,
    FanOutFanIn,
    FunctionSpec,
    Idempotency,
    Saga,
    SagaApproval,
    SagaStep,
    ScheduledJob,
    StreamProcessing,
)
from cdk_serverless_patterns.errors import shown
from tests.support import HANDLER_DIR, config_error

US_EAST_1 = cdk.Environment(account="123456789012", region="us-east-1")


def fn() -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler", idempotency=Idempotency.natural("test"))


REQUIRED = {
    ApiBackend: lambda: dict(routes={"GET /items": fn()}),
    EventProcessing: lambda: dict(processor=fn()),
    StreamProcessing: lambda: dict(processor=fn()),
    FanOutFanIn: lambda: dict(workers={"resize": fn()}, aggregator=fn()),
    Saga: lambda: dict(steps=[SagaStep("a", action=fn())]),
    Cqrs: lambda: dict(commands={"POST /orders": fn()}, queries={"GET /orders": fn()}, projections={"p": fn()}),
    ScheduledJob: lambda: dict(schedule="rate(1 hour)", job=fn()),
    EdgeSite: lambda: dict(),
}
ALL = list(REQUIRED)

#: (pattern, option, wrong value, what the message must say is allowed)
COMMON_CASES = [
    (pattern, option, value, allowed)
    for pattern in ALL
    for option, value, allowed in [
        ("alarm_topic", "arn:aws:sns:us-east-1:123456789012:alarms", "an sns.ITopic"),
        ("create_alarms", "no", "True or False"),
        ("removal_policy", "destroy", "an aws_cdk.RemovalPolicy"),
    ]
] + [(pattern, "log_retention", 30, "an aws_logs.RetentionDays") for pattern in ALL if pattern is not Cqrs] + [(pattern, "dashboard", "yes", "True or False") for pattern in (ApiBackend, EventProcessing, StreamProcessing, FanOutFanIn, Cqrs)]

SPECIFIC_CASES = [
    (ApiBackend, "stage_name", 1, "a string"),
    (ApiBackend, "api_key_required", "true", "True or False"),
    (ApiBackend, "detailed_metrics", 1.5, "True or False"),
    (ApiBackend, "cors_allow_origins", 1.5, "a list of origins"),
    (EventProcessing, "prefix", ["uploads/"], "a string"),
    (EventProcessing, "suffix", 5, "a string"),
    (EventProcessing, "buffer", "yes", "True or False"),
    (EventProcessing, "max_receive_count", "5", "an integer"),
    (StreamProcessing, "bisect_batch_on_error", "no", "True or False"),
    (StreamProcessing, "starting_position", "LATEST", "aws_lambda.StartingPosition.TRIM_HORIZON or LATEST"),
    (FanOutFanIn, "topic", "arn:aws:sns:us-east-1:123456789012:jobs", "an sns.ITopic"),
    (FanOutFanIn, "state_table", "fan-in", "a dynamodb.ITable"),
    (FanOutFanIn, "filter_policies", ["resize"], "a mapping"),
    (FanOutFanIn, "max_receive_count", "5", "an integer"),
    (Saga, "include_execution_data", "no", "True or False"),
    (Cqrs, "event_store", "events", "a dynamodb.ITable"),
    (Cqrs, "read_model", "views", "a dynamodb.ITable"),
    (Cqrs, "event_bus", "orders-bus", "an events.IEventBus"),
    (Cqrs, "event_source", 5, "a string"),
    (Cqrs, "environment", ["A=b"], "a mapping"),
    (Cqrs, "api_options", ["stage_name"], "a mapping"),
    (ScheduledJob, "allow_overlap", "no", "True or False"),
    (ScheduledJob, "enabled", "yes", "True or False"),
    (ScheduledJob, "payload", ["report"], "a mapping"),
    (ScheduledJob, "description", 5, "a string"),
    (ScheduledJob, "environment", "A=b", "a mapping"),
    (EdgeSite, "bucket", "my-site", "an s3.IBucket"),
    (EdgeSite, "edge_functions", [fn()], "a mapping"),
    (EdgeSite, "cloudfront_functions", "headers.js", "a mapping"),
    (EdgeSite, "certificate", "arn:aws:acm:us-east-1:123456789012:certificate/x", "an acm.ICertificate"),
    (EdgeSite, "web_acl_arn", ["arn"], "a string"),
    (EdgeSite, "geo_restriction", ["DE"], "a cloudfront.GeoRestriction"),
    (EdgeSite, "price_class", "PriceClass_100", "a cloudfront.PriceClass"),
    (EdgeSite, "default_root_object", 5, "a string"),
    (EdgeSite, "error_responses", [{"http_status": 404}], "a list of cloudfront.ErrorResponse"),
    (EdgeSite, "static_cache_policy", "Managed-CachingOptimized", "a cloudfront.ICachePolicy"),
]


@pytest.mark.parametrize(
    "pattern, option, value, allowed",
    COMMON_CASES + SPECIFIC_CASES,
    ids=[f"{c[0].__name__}-{c[1]}" for c in COMMON_CASES + SPECIFIC_CASES],
)
def test_wrong_type(pattern, option, value, allowed):
    options = {**REQUIRED[pattern](), option: value}
    error = config_error(pattern, "P", env=US_EAST_1, **options)
    message = str(error)
    assert f"{option}={shown(value)} is invalid: allowed {allowed}" in message, message
    assert "Fix:" in message


def test_type_problems_and_value_problems_come_in_one_error():
    error = config_error(
        ScheduledJob, "P", schedule="rate(0 minutes)", job=fn(), create_alarms="no", removal_policy="destroy"
    )
    fields = [p.split("=", 1)[0] for p in error.problems]
    assert {"schedule", "create_alarms", "removal_policy"} <= set(fields), error.problems


def test_cqrs_api_options_with_an_unknown_key_creates_nothing():
    error = config_error(Cqrs, "P", **REQUIRED[Cqrs](), api_options={"stage": "v1"})
    assert "api_options=['stage'] is invalid: allowed keyword options of ApiBackend" in str(error)
    assert "stage_name" in str(error)


@pytest.mark.parametrize("field", ["timeout", "approval"])
def test_saga_durations_in_fractional_seconds(field):
    options = {**REQUIRED[Saga]()}
    if field == "timeout":
        options["timeout"] = Duration.millis(90500)
        shown = "timeout='90.5 s'"
    else:
        options["approval"] = SagaApproval(before="a", timeout=Duration.millis(1500))
        shown = "approval.timeout='1.5 s'"
    message = str(config_error(Saga, "P", **options))
    assert shown in message and "whole seconds" in message


def test_saga_approval_topic_that_is_not_a_topic():
    message = str(config_error(Saga, "P", steps=[SagaStep("a", action=fn())],
                               approval=SagaApproval(before="a", topic="arn:aws:sns:us-east-1:1:t")))
    assert "approval.topic='arn:aws:sns:us-east-1:1:t' is invalid: allowed an sns.ITopic" in message


# --- fields of the option objects (ApiCache, ApiAuth, CqrsProjection, SagaStep) ---


def test_cache_routes_that_are_not_a_list():
    from cdk_serverless_patterns import ApiCache

    message = str(config_error(ApiBackend, "P", routes={"GET /items": fn()}, cache=ApiCache(routes=1.5)))
    assert "cache.routes=1.5 is invalid: allowed a list of strings" in message


def test_cache_query_parameters_given_as_a_string():
    from cdk_serverless_patterns import ApiCache

    message = str(config_error(ApiBackend, "P", routes={"GET /items": fn()},
                               cache=ApiCache(routes=["GET /items"], query_parameters="page")))
    assert "cache.query_parameters='page' is invalid: allowed a list of strings" in message


def test_cache_ttl_in_fractional_seconds():
    from cdk_serverless_patterns import ApiCache

    message = str(config_error(ApiBackend, "P", routes={"GET /items": fn()},
                               cache=ApiCache(routes=["GET /items"], ttl=Duration.millis(1500))))
    assert "cache.ttl='1.5 s'" in message and "whole seconds" in message


def test_cognito_scopes_that_are_not_a_list():
    from cdk_serverless_patterns import ApiAuth

    message = str(config_error(ApiBackend, "P", routes={"GET /items": fn()}, auth=ApiAuth.cognito(scopes=1.5)))
    assert "auth.scopes=1.5 is invalid: allowed a list of strings" in message


def test_cognito_mfa_required_that_is_not_a_bool():
    from cdk_serverless_patterns import ApiAuth

    message = str(config_error(ApiBackend, "P", routes={"GET /items": fn()}, auth=ApiAuth.cognito(mfa_required="no")))
    assert "auth.mfa_required='no' is invalid: allowed True or False" in message


def test_projection_event_types_given_as_a_number():
    from cdk_serverless_patterns import CqrsProjection

    message = str(config_error(Cqrs, "P", commands={"POST /orders": fn()},
                               projections={"p": CqrsProjection(fn(), event_types=1.5)}))
    assert "projections['p'].event_types=1.5 is invalid" in message


def test_saga_step_compensate_on_own_failure_that_is_not_a_bool():
    message = str(config_error(Saga, "P", steps=[SagaStep("a", action=fn(), compensation=fn(),
                                                          compensate_on_own_failure="yes")]))
    assert "steps[0].compensate_on_own_failure='yes' is invalid: allowed True or False" in message
