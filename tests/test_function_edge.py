"""EdgeFunction, and the deprecated ServerlessFunction(lambda_edge=True) that now returns one."""

from __future__ import annotations

import warnings

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

import cdk_serverless_patterns
from cdk_serverless_patterns import EdgeFunction, FunctionSpec, PatternConfigError, ServerlessFunction
from cdk_serverless_patterns.building_blocks import function as function_package
from tests.support import HANDLER_DIR

US_EAST_1 = cdk.Environment(account="123456789012", region="us-east-1")


def edge_spec(**changes: object) -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler", memory_size=128, timeout=Duration.seconds(5)).replace(
        **changes
    )


@pytest.fixture(scope="module")
def built():
    app = cdk.App()
    direct = cdk.Stack(app, "Direct", env=US_EAST_1)
    edge = EdgeFunction(direct, "Fn", edge_spec())
    shimmed = cdk.Stack(app, "Shim", env=US_EAST_1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        legacy = ServerlessFunction(shimmed, "Fn", edge_spec(), lambda_edge=True)
    return {
        "edge": edge,
        "legacy": legacy,
        "caught": caught,
        "t_direct": Template.from_stack(direct),
        "t_shim": Template.from_stack(shimmed),
    }


def test_edge_function_has_a_version_and_no_alias(built):
    edge = built["edge"]
    assert not isinstance(edge, ServerlessFunction)
    assert not hasattr(edge, "alias")
    assert isinstance(edge.version, cloudfront.experimental.EdgeFunction)
    assert edge.grant_principal is edge.role
    built["t_direct"].has_resource_properties("AWS::Lambda::Function", {"Architectures": ["x86_64"]})
    built["t_direct"].resource_count_is("AWS::Lambda::Alias", 0)
    built["t_direct"].resource_count_is("AWS::Lambda::Version", 1)


def test_edge_function_refuses_arm64_and_environment_at_once_and_builds_nothing():
    stack = cdk.Stack(cdk.App(), "V", env=US_EAST_1)
    spec = edge_spec(architecture=lambda_.Architecture.ARM_64, environment={"STAGE": "prod"})
    with pytest.raises(PatternConfigError) as info:
        EdgeFunction(stack, "Fn", spec)
    message = str(info.value)
    assert "spec.architecture='arm64' is invalid: allowed X86_64 or unset" in message
    assert "spec.environment=['STAGE'] is invalid: allowed no environment variables" in message
    assert stack.node.try_find_child("Fn") is None


def test_lambda_edge_flag_warns_once_pointing_at_the_caller(built):
    (warning,) = [w for w in built["caught"] if issubclass(w.category, DeprecationWarning)]
    assert "use EdgeFunction(scope, id, spec)" in str(warning.message)
    assert warning.filename == __file__


def test_lambda_edge_flag_returns_an_edge_function_with_the_old_attributes(built):
    legacy = built["legacy"]
    assert isinstance(legacy, EdgeFunction) and isinstance(legacy, ServerlessFunction)
    assert legacy.alias is None and legacy.dead_letter_queue is None and legacy.tracing_policy is None
    assert legacy.alarms == [] and legacy.powertools_layer is None


def test_lambda_edge_flag_builds_what_edge_function_builds(built):
    edge, legacy = built["edge"], built["legacy"]
    assert [c.node.id for c in legacy.node.children] == [c.node.id for c in edge.node.children]
    direct, shim = built["t_direct"].to_json()["Resources"], built["t_shim"].to_json()["Resources"]
    assert {k: v["Type"] for k, v in shim.items()} == {k: v["Type"] for k, v in direct.items()}


def test_lambda_edge_flag_still_refuses_environment_from_the_pattern():
    stack = cdk.Stack(cdk.App(), "V", env=US_EAST_1)
    with pytest.raises(PatternConfigError) as info, pytest.deprecated_call():
        ServerlessFunction(stack, "Fn", edge_spec(), lambda_edge=True, environment={"TABLE": "t"})
    assert "spec.environment=['TABLE']" in str(info.value)
    assert stack.node.try_find_child("Fn") is None


OLD_MODULE_NAMES = (
    # every public name building_blocks/function.py defined or imported for others before it became a package
    "FunctionOptions", "FunctionSpec", "Idempotency", "Invocation", "Powertools", "ServerlessFunction",
    "TRACING_POLICY_ID", "Tracing", "XRAY_WRITE_ACTIONS", "tracing_policy", "validate_lambda_edge_spec",
    "validate_spec",
)


def test_names_stay_importable_from_the_old_paths():
    for name in OLD_MODULE_NAMES:
        assert hasattr(function_package, name), name
    for name in ("EdgeFunction", "FunctionSpec", "Invocation", "ServerlessFunction"):
        assert getattr(cdk_serverless_patterns, name) is getattr(function_package, name)
