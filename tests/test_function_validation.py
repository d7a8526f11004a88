"""One test per FunctionSpec / ServerlessFunction validation rule.

Each asserts PatternConfigError, the field and value in the message, and that
nothing was created.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_

from cdk_serverless_patterns import (
    FunctionSpec,
    Invocation,
    PatternConfigError,
    ServerlessFunction,
)
from tests.support import HANDLER_DIR


def _build(spec: FunctionSpec, **options) -> cdk.Stack:
    stack = cdk.Stack(cdk.App(), "V")
    ServerlessFunction(stack, "Fn", spec, **options)
    return stack


def _error(spec: FunctionSpec, **options) -> str:
    stack = cdk.Stack(cdk.App(), "V")
    with pytest.raises(PatternConfigError) as info:
        ServerlessFunction(stack, "Fn", spec, **options)
    assert stack.node.try_find_child("Fn") is None, "invalid input must create no resources"
    message = str(info.value)
    assert "V/Fn" in message, message
    assert "Fix:" in message, message
    return message


def spec(**changes) -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler").replace(**changes)


def test_error_is_a_value_error():
    assert issubclass(PatternConfigError, ValueError)


@pytest.mark.parametrize("memory", [127, 10241, 0])
def test_memory_outside_128_to_10240(memory):
    message = _error(spec(memory_size=memory))
    assert f"spec.memory_size={memory}" in message and "128-10240 MB" in message


@pytest.mark.parametrize("memory", [128, 10240])
def test_memory_bounds_are_allowed(memory):
    _build(spec(memory_size=memory))


def test_timeout_above_15_minutes():
    message = _error(spec(timeout=Duration.minutes(16)))
    assert "spec.timeout='960 s'" in message and "1-900 s" in message


def test_timeout_below_1_second():
    message = _error(spec(timeout=Duration.millis(500)))
    assert "spec.timeout='0.5 s'" in message


def test_timeout_must_be_a_duration():
    assert "an aws_cdk.Duration" in _error(spec(timeout=10))


def test_integration_limit_tightens_timeout():
    message = _error(spec(timeout=Duration.seconds(30)), max_timeout=(29, "API Gateway REST integration timeout"))
    assert "at most 29 s (API Gateway REST integration timeout)" in message


@pytest.mark.parametrize("handler", ["handler", "app-handler", "app.", ".handler", "app.handler()"])
def test_handler_must_be_module_dot_function(handler):
    message = _error(spec(handler=handler))
    assert f"spec.handler={handler!r}" in message and "'module.function'" in message


def test_handler_module_must_exist_in_code_directory():
    message = _error(spec(handler="missing.handler"))
    assert "spec.handler='missing.handler'" in message and "add missing.py" in message


def test_dotted_handler_module_resolves_to_package_path(tmp_path):
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "api.py").write_text("def handler(e, c):\n    return e\n")
    _build(FunctionSpec(code=tmp_path, handler="orders.api.handler"))


def test_code_directory_must_exist(tmp_path):
    message = _error(spec(code=tmp_path / "nope"))
    assert "spec.code=" in message and "an existing directory" in message


def test_code_object_skips_file_checks():
    _build(spec(code=lambda_.Code.from_inline("def handler(e, c):\n    return e\n"), handler="index.handler"))


def test_reserved_concurrency_negative():
    assert "spec.reserved_concurrency=-1" in _error(spec(reserved_concurrency=-1))


def test_provisioned_concurrency_below_one():
    assert "spec.provisioned_concurrency=0" in _error(spec(provisioned_concurrency=0))


def test_provisioned_above_reserved():
    message = _error(spec(reserved_concurrency=2, provisioned_concurrency=3))
    assert "spec.provisioned_concurrency=3" in message and "<= reserved_concurrency (2)" in message


def test_snap_start_with_provisioned_concurrency():
    assert "spec.snap_start=True" in _error(spec(snap_start=True, provisioned_concurrency=1))


@pytest.mark.parametrize("key", ["AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER", "AWS_ACCESS_KEY_ID"])
def test_reserved_environment_keys(key):
    message = _error(spec(environment={key: "x"}))
    assert f"spec.environment[{key!r}]" in message and "not reserved by Lambda" in message


@pytest.mark.parametrize("key", ["1ST", "A", "has-dash", "with space"])
def test_invalid_environment_key_names(key):
    assert f"spec.environment[{key!r}]" in _error(spec(environment={key: "x"}))


def test_environment_values_must_be_strings():
    assert "a string value" in _error(spec(environment={"PORT": 8080}))


def test_environment_total_above_4kb():
    message = _error(spec(environment={"BIG": "x" * 4094}))
    assert "spec.environment='4097 bytes'" in message and "at most 4096 bytes" in message


def test_pattern_environment_counts_toward_the_limit():
    message = _error(spec(environment={"A1": "x" * 3000}), environment={"B1": "y" * 1100})
    assert "at most 4096 bytes" in message


def test_async_retry_attempts_range():
    assert "async_retry_attempts=3" in _error(spec(), invocation=Invocation.ASYNC, async_retry_attempts=3)


def test_async_max_event_age_range():
    message = _error(spec(), invocation=Invocation.ASYNC, async_max_event_age=Duration.hours(7))
    assert "async_max_event_age='25200 s'" in message


def test_not_a_spec():
    assert "a FunctionSpec" in _error({"code": "x"})


def test_all_problems_reported_at_once():
    error = None
    try:
        _build(spec(memory_size=1, timeout=Duration.minutes(20), handler="bad"))
    except PatternConfigError as exc:
        error = exc
    assert error is not None and len(error.problems) == 3


# --- wrong types and values that used to escape as raw errors (issue 15 item 10) ---


def test_timeout_in_fractional_seconds():
    message = _error(spec(timeout=Duration.millis(1500)))
    assert "spec.timeout='1.5 s'" in message and "whole seconds" in message
    assert "Duration.seconds(1)" in message


def test_timeout_given_as_a_number():
    message = _error(spec(timeout=30))
    assert "spec.timeout=30" in message and "an aws_cdk.Duration" in message


def test_description_longer_than_256_characters():
    message = _error(spec(description="x" * 257))
    assert "spec.description='xxxx" in message and "at most 256 characters" in message and "got 257" in message
    assert " ... " in message, "a long value is shortened in the message"


def test_description_of_256_characters_is_allowed():
    _build(spec(description="x" * 256))


def test_description_that_is_not_a_string():
    assert "spec.description=42" in _error(spec(description=42))


def test_environment_that_is_a_list():
    message = _error(spec(environment=["A=b"]))
    assert "spec.environment=['A=b']" in message and "a mapping" in message


def test_environment_key_that_is_not_a_string():
    message = _error(spec(environment={1: "x"}))
    assert "spec.environment key=1" in message and "a string name" in message


def test_environment_value_that_is_not_a_string():
    message = _error(spec(environment={"PAGE_SIZE": 200}))
    assert "spec.environment['PAGE_SIZE']=200" in message and "pass str(200)" in message


@pytest.mark.parametrize(
    "key", ["AWS_LAMBDA_EXEC_WRAPPER", "AWS_XRAY_CONTEXT_MISSING", "AWS_LAMBDA_DOTNET_PREJIT", "TZ", "LANG"]
)
def test_environment_keys_aws_documents_as_settable_are_allowed(key):
    _build(spec(environment={key: "x"}))


def test_runtime_given_as_a_string():
    message = _error(spec(runtime="python3.13"))
    assert "spec.runtime='python3.13'" in message and "an aws_lambda.Runtime" in message


def test_architecture_given_as_a_string():
    message = _error(spec(architecture="arm64"))
    assert "spec.architecture='arm64'" in message and "Architecture.ARM_64 or X86_64" in message


def test_snap_start_that_is_not_a_bool():
    assert "spec.snap_start='yes'" in _error(spec(snap_start="yes"))


def test_layers_that_are_not_layer_versions():
    message = _error(spec(layers=["arn:aws:lambda:eu-west-1:1:layer:x:1"]))
    assert "spec.layers=['arn:aws:lambda:eu-west-1:1:layer:x:1']" in message and "ILayerVersion" in message


def test_memory_given_as_a_bool():
    assert "spec.memory_size=True" in _error(spec(memory_size=True))


def test_async_max_event_age_in_fractional_seconds():
    message = _error(spec(), invocation=Invocation.ASYNC, async_max_event_age=Duration.millis(90500))
    assert "async_max_event_age='90.5 s'" in message and "whole seconds" in message


def test_async_max_event_age_given_as_a_number():
    message = _error(spec(), invocation=Invocation.ASYNC, async_max_event_age=3600)
    assert "async_max_event_age=3600" in message and "an aws_cdk.Duration" in message


def test_async_retry_attempts_given_as_a_string():
    message = _error(spec(), invocation=Invocation.ASYNC, async_retry_attempts="2")
    assert "async_retry_attempts='2'" in message and "an integer 0-2" in message


def test_a_spec_that_is_not_a_function_spec_shows_the_value():
    stack = cdk.Stack(cdk.App(), "V")
    with pytest.raises(PatternConfigError) as info:
        ServerlessFunction(stack, "Fn", {"code": "handlers"})
    assert "spec={'code': 'handlers'} is invalid: allowed a FunctionSpec" in str(info.value)
