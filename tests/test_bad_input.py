"""Every bad input of issue 31 is a PatternConfigError naming the field, the value, what is
allowed and the fix — raised before anything exists, never a jsii traceback — one test each.
Where AWS accepts the input (a burst of 0, OpenTelemetry with the runtime unset) it is accepted."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_lambda as lambda_

from cdk_serverless_patterns import (
    ApiAuth,
    ApiBackend,
    EncryptedTopic,
    EventProcessing,
    FunctionSpec,
    Idempotency,
    PatternConfigError,
    ServerlessFunction,
    StreamProcessing,
    Tracing,
)
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.errors import Problems
from tests.support import HANDLER_DIR, config_error


def spec(**changes: object) -> FunctionSpec:
    base = FunctionSpec(code=HANDLER_DIR, handler="app.handler", idempotency=Idempotency.natural("test"))
    return base.replace(**changes)


def function_error(spec_changes: dict[str, object] | None = None, **options: object) -> str:
    message = str(config_error(ServerlessFunction, "Fn", spec=spec(**(spec_changes or {})), **options))
    assert "V/Fn" in message and "allowed" in message and "Fix:" in message, message
    return message


@pytest.mark.parametrize("value", [True, math.inf, math.nan, 2.5])
def test_the_numeric_rule_refuses_bools_floats_and_non_finite_numbers(value: float) -> None:
    problems = Problems("P")
    assert not problems.check_int("n", value, low=0, allowed="an integer >= 0", fix="pass 3")
    assert f"n={value!r} is invalid" in problems.items[0]


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, False])
def test_the_numeric_rule_refuses_non_finite_numbers_where_floats_are_allowed(value: float) -> None:
    problems = Problems("P")
    assert not problems.check_int("rate", value, integer=False, allowed="a number", fix="pass 2.5")
    assert problems.check_int("rate", 2.5, integer=False, allowed="a number", fix="pass 2.5")


@pytest.mark.parametrize(
    "value, shown",
    [(Duration.hours(36), "'1 day 12 hours'"), (Duration.millis(1500), "'1.5 s'"), (Duration.days(91), "'91 days'"), (3, "3")],
)
def test_the_duration_rule_wants_whole_units_in_range(value: Any, shown: str) -> None:
    problems = Problems("P")
    kwargs: dict[str, Any] = dict(low_s=86400, high_s=90 * 86400, allowed="1-90 days", fix="pass days", unit_s=86400)
    assert problems.check_duration("retention", value, human=True, **kwargs) is None
    assert problems.items[0].startswith(f"retention={shown} is invalid: allowed ")
    assert problems.check_duration("retention", Duration.days(14), human=True, **kwargs) == 14 * 86400
    assert len(problems.items) == 1


def test_the_duration_rule_skips_deploy_time_tokens() -> None:
    problems = Problems("P")
    token = Duration.seconds(cdk.Token.as_number(cdk.Fn.ref("Age")))
    assert problems.check_duration("age", token, low_s=1, high_s=2, allowed="1-2 s", fix="pass 1 s") is None
    assert problems.items == []


def test_bool_reserved_concurrency() -> None:
    assert "spec.reserved_concurrency=True is invalid" in function_error({"reserved_concurrency": True})


@pytest.mark.parametrize("value", [math.inf, math.nan])
def test_non_finite_memory_never_reaches_jsii(value: float) -> None:
    assert f"spec.memory_size={value!r} is invalid" in function_error({"memory_size": value})
    # jsii is still alive: the next app synthesizes
    cdk.Stack(cdk.App(), "After")


def test_non_finite_throttling_rate() -> None:
    message = str(config_error(ApiBackend, "Api", routes={"GET /x": spec()}, throttling_rate_limit=math.nan))
    assert "throttling_rate_limit=nan is invalid" in message and "inf and NaN" in message


def test_throttling_burst_of_zero_is_accepted_as_api_gateway_does() -> None:
    stack = cdk.Stack(cdk.App(), "Burst")
    ApiBackend(stack, "Api", routes={"GET /x": spec()}, throttling_burst_limit=0)


@pytest.mark.parametrize(
    "option, value, allowed",
    [
        ("invocation", "async", "an Invocation: SYNC, ASYNC or EVENT_SOURCE"),
        ("create_alarms", "yes", "True or False"),
        ("alarm_topic", "arn:aws:sns:us-east-1:123456789012:a", "an sns.ITopic"),
        ("removal_policy", "destroy", "an aws_cdk.RemovalPolicy"),
        ("log_retention", 30, "an aws_logs.RetentionDays"),
    ],
)
def test_untyped_serverless_function_options(option: str, value: object, allowed: str) -> None:
    message = function_error(**{option: value})
    assert f"{option}={value!r} is invalid: allowed {allowed}" in message


def _every_constructor_with_alarms() -> dict[str, Callable[..., Any]]:
    from cdk_serverless_patterns import (
        Cqrs, DurableSaga, EdgeSite, FanOutFanIn, FunctionUrlEndpoint, Saga, SagaStep, ScheduledJob,
    )
    from cdk_serverless_patterns.building_blocks.queues import FailureQueue, WorkQueue

    return {
        "ServerlessFunction": lambda s, **o: ServerlessFunction(s, "X", spec(), **o),
        "ApiBackend": lambda s, **o: ApiBackend(s, "X", routes={"GET /a": spec()}, auth=ApiAuth.iam(), **o),
        "FunctionUrlEndpoint": lambda s, **o: FunctionUrlEndpoint(s, "X", handler=spec(), **o),
        "EventProcessing": lambda s, **o: EventProcessing(s, "X", processor=spec(), **o),
        "StreamProcessing": lambda s, **o: StreamProcessing(s, "X", processor=spec(), **o),
        "FanOutFanIn": lambda s, **o: FanOutFanIn(s, "X", workers={"w": spec()}, aggregator=spec(), **o),
        "Saga": lambda s, **o: Saga(s, "X", steps=[SagaStep("a", action=spec())], **o),
        "DurableSaga": lambda s, **o: DurableSaga(s, "X", steps=[SagaStep("a", action=spec())], **o),
        "Cqrs": lambda s, **o: Cqrs(s, "X", commands={"POST /o": spec()}, projections={"p": spec()}, auth=ApiAuth.iam(), **o),
        "ScheduledJob": lambda s, **o: ScheduledJob(s, "X", schedule="rate(1 hour)", job=spec(), **o),
        "EdgeSite": lambda s, **o: EdgeSite(s, "X", **o),
        "WorkQueue": lambda s, **o: WorkQueue(s, "X", consumer_timeout=Duration.seconds(10), purpose="jobs", **o),
        "FailureQueue": lambda s, **o: FailureQueue(s, "X", purpose="jobs", **o),
    }


@pytest.mark.parametrize("constructor", list(_every_constructor_with_alarms()))
def test_none_create_alarms_means_the_default_not_false(constructor: str) -> None:
    """Issue 31's audit: in every public constructor, not only in the function's own alarms
    (ApiBackend, FanOutFanIn, Saga, Cqrs, ScheduledJob and EdgeSite dropped their pattern-level ones)."""
    make = _every_constructor_with_alarms()[constructor]
    ids = []
    for options in ({}, {"create_alarms": None}):
        stack = cdk.Stack(cdk.App(), "Alarms", env=cdk.Environment(account="111111111111", region="us-east-1"))
        ids.append(sorted(alarm.node.path for alarm in make(stack, **options).alarms))
    assert ids[0] and ids[1] == ids[0]
    assert PatternOptions(create_alarms=None).create_alarms is True  # type: ignore[arg-type]


def test_removal_policy_snapshot_on_resources_cloudformation_cannot_snapshot() -> None:
    message = function_error(removal_policy=RemovalPolicy.SNAPSHOT)
    assert "removal_policy=<RemovalPolicy.SNAPSHOT" in message and "not SNAPSHOT" in message


def test_fractional_second_timeout() -> None:
    message = function_error({"timeout": Duration.millis(1500)})
    assert "spec.timeout='1.5 s' is invalid: allowed whole seconds" in message


def test_too_many_layers_once_the_librarys_own_are_counted() -> None:
    stack = cdk.Stack(cdk.App(), "V")
    layers = [
        lambda_.LayerVersion.from_layer_version_arn(stack, f"L{i}", f"arn:aws:lambda:us-east-1:123456789012:layer:l{i}:1")
        for i in range(4)
    ]
    with pytest.raises(PatternConfigError) as info:
        ServerlessFunction(stack, "Fn", spec(layers=layers, powertools=True))
    assert "spec.layers='4 layer(s)' is invalid: allowed at most 3" in str(info.value)
    assert "the runtime layer, Powertools" in str(info.value)


def test_unsupported_runtime() -> None:
    assert "spec.runtime='java21' is invalid: allowed a Python or Node.js runtime" in function_error(
        {"runtime": lambda_.Runtime.JAVA_21}
    )


def test_nul_byte_in_code_path() -> None:
    assert "allowed a path without NUL bytes" in function_error({"code": "handlers\0x"})


@pytest.mark.parametrize("handler", ["app.handler\n", "app." + "h" * 130])
def test_handler_with_newline_or_over_128_characters(handler: str) -> None:
    assert "at most 128 characters (Lambda), no whitespace" in function_error({"handler": handler})


def test_handler_function_missing_from_its_module_is_named_with_the_functions_found() -> None:
    message = function_error({"handler": "app.handlr"})
    assert "spec.handler='app.handlr' is invalid: allowed a function 'handlr' defined at the top level of" in message
    assert "app.py (functions found: handler)" in message and "Fix: use handler='app.handler'" in message


def test_handler_defined_by_assignment_or_import_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("from json import loads as handler\nif True:\n    other = handler\n")
    stack = cdk.Stack(cdk.App(), "Ok")
    ServerlessFunction(stack, "A", spec(code=str(tmp_path), handler="app.handler"))
    ServerlessFunction(stack, "B", spec(code=str(tmp_path), handler="app.other"))


def test_starting_position_at_timestamp_is_refused_with_the_way_out() -> None:
    message = str(
        config_error(StreamProcessing, "S", processor=spec(), starting_position=lambda_.StartingPosition.AT_TIMESTAMP)
    )
    assert "starting_position=<StartingPosition.AT_TIMESTAMP" in message and "Fix: pass TRIM_HORIZON" in message


def test_none_bisect_batch_on_error_means_the_default() -> None:
    stack = cdk.Stack(cdk.App(), "Bisect")
    StreamProcessing(stack, "S", processor=spec(), bisect_batch_on_error=None)  # type: ignore[arg-type]
    mapping = next(
        r for r in cdk.assertions.Template.from_stack(stack).to_json()["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
    )
    assert mapping["Properties"]["BisectBatchOnFunctionError"] is True


def test_max_receive_count_without_the_buffer_that_uses_it() -> None:
    message = str(config_error(EventProcessing, "E", processor=spec(), max_receive_count=3))
    assert "max_receive_count=3 is invalid: allowed only with buffer=True" in message


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"fifo": "yes"}, "fifo='yes' is invalid: allowed True or False"),
        ({"service_publishers": "cloudwatch.amazonaws.com"}, "(a single string is not a list)"),
        ({"content_based_deduplication": True}, "allowed True only on a FIFO topic"),
        ({"removal_policy": RemovalPolicy.SNAPSHOT}, "not SNAPSHOT"),
    ],
)
def test_encrypted_topic_options(options: dict[str, object], expected: str) -> None:
    assert expected in str(config_error(EncryptedTopic, "T", **options))


def test_opentelemetry_with_runtime_unset_picks_the_newest_runtime_adot_supports() -> None:
    stack = cdk.Stack(cdk.App(), "Otel", env=cdk.Environment(account="123456789012", region="us-east-1"))
    fn = ServerlessFunction(stack, "Fn", spec(tracing=Tracing.OPENTELEMETRY))
    assert fn.function.runtime.name == "python3.13"


def test_a_string_scope() -> None:
    with pytest.raises(PatternConfigError) as info:
        ServerlessFunction("stack", "Fn", spec())  # type: ignore[arg-type]
    assert "scope='stack' is invalid: allowed a construct" in str(info.value)


def test_a_reused_construct_id() -> None:
    stack = cdk.Stack(cdk.App(), "Reuse")
    ServerlessFunction(stack, "Fn", spec())
    with pytest.raises(PatternConfigError) as info:
        ServerlessFunction(stack, "Fn", spec())
    assert "construct_id='Fn' is invalid: allowed an id no other child of 'Reuse' uses" in str(info.value)
