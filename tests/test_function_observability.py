"""FunctionSpec(powertools=..., tracing=...) and ServerlessFunction as IGrantable."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from cdk_serverless_patterns import FunctionSpec, PatternConfigError, Powertools, ServerlessFunction, Tracing
from cdk_serverless_patterns.defaults import POWERTOOLS_LAYER_VERSION, newest_python_runtime
from tests.support import HANDLER_DIR

ARM, X86 = lambda_.Architecture.ARM_64, lambda_.Architecture.X86_64


def spec(**options) -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler", **options)


@pytest.fixture(scope="module")
def regional():
    """Two concrete Regions, both architectures, one Region-agnostic stack."""
    app = cdk.App()
    out = {}
    for region in ("eu-west-1", "us-east-2"):
        stack = cdk.Stack(app, f"Pt{region.replace('-', '')}", env=cdk.Environment(account="111111111111", region=region))
        arm = ServerlessFunction(stack, "Arm", spec(powertools=True))
        x86 = ServerlessFunction(stack, "X86", spec(powertools=True, architecture=X86))
        out[region] = [stack, None, arm, x86]
    agnostic = cdk.Stack(app, "PtAgnostic")
    fn = ServerlessFunction(agnostic, "Fn", spec(powertools=Powertools(service_name="orders", metrics_namespace="Shop")))
    ssm = ServerlessFunction(agnostic, "FromSsm", spec(powertools=Powertools(ssm_version="latest")))
    plain = ServerlessFunction(agnostic, "Plain", spec())
    otel = ServerlessFunction(agnostic, "Otel", spec(tracing=Tracing.OPENTELEMETRY, runtime=lambda_.Runtime.PYTHON_3_13))
    otel_default = ServerlessFunction(agnostic, "OtelDefault", spec(tracing=Tracing.OPENTELEMETRY))
    out["agnostic"] = [agnostic, None, fn, ssm, plain, otel]
    for built in out.values():  # synthesize once, after the whole tree exists
        built[1] = Template.from_stack(built[0])
    out["otel_default"] = [agnostic, out["agnostic"][1], otel_default]
    return out


def _props(stack, template, fn):
    return template.to_json()["Resources"][stack.get_logical_id(fn.function.node.default_child)]["Properties"]


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-2"])
def test_powertools_layer_arn_per_region_and_architecture(regional, region):
    stack, template, arm, x86 = regional[region]
    py = newest_python_runtime().name.replace(".", "")
    for fn, arch in ((arm, "arm64"), (x86, "x86_64")):
        layers = stack.resolve(_props(stack, template, fn)["Layers"])
        expected = (
            f"arn:{{'Ref': 'AWS::Partition'}}:lambda:{region}:017000801446:layer:"
            f"AWSLambdaPowertoolsPythonV3-{py}-{arch}:{POWERTOOLS_LAYER_VERSION}"
        )
        joined = ["".join(str(p) for p in l["Fn::Join"][1]) if isinstance(l, dict) and "Fn::Join" in l else l for l in layers]
        assert expected in joined, joined


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-2"])
def test_powertools_environment_from_construct_path_and_stack(regional, region):
    stack, template, arm, _ = regional[region]
    variables = _props(stack, template, arm)["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "Arm"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == stack.stack_name


def test_region_agnostic_stack_joins_on_aws_region(regional):
    stack, template, fn, *_ = regional["agnostic"]
    layers = _props(stack, template, fn)["Layers"]
    joined = [l["Fn::Join"][1] for l in layers if isinstance(l, dict) and "Fn::Join" in l]
    assert any({"Ref": "AWS::Region"} in parts and any("AWSLambdaPowertoolsPythonV3-" in str(p) for p in parts) for parts in joined)
    variables = _props(stack, template, fn)["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "orders"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Shop"


def test_ssm_resolution_is_a_dynamic_reference(regional):
    stack, template, _, ssm, *_ = regional["agnostic"]
    py = newest_python_runtime().name
    assert f"{{{{resolve:ssm:/aws/service/powertools/python/arm64/{py}/latest}}}}" in _props(stack, template, ssm)["Layers"]


def test_without_powertools_nothing_is_added(regional):
    stack, template, _, _, plain, _ = regional["agnostic"]
    props = _props(stack, template, plain)
    assert len(props["Layers"]) == 1  # the library's runtime layer only
    assert "POWERTOOLS_SERVICE_NAME" not in props.get("Environment", {}).get("Variables", {})
    assert plain.powertools_layer is None


def test_opentelemetry_adds_the_pinned_adot_layer_and_wrapper(regional):
    stack, template, *_, otel = regional["agnostic"]
    props = _props(stack, template, otel)
    assert props["Environment"]["Variables"]["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/otel-instrument"
    assert props["TracingConfig"] == {"Mode": "Active"}
    # the layer of the function's architecture (arm64 here; amd64 for x86_64)
    assert "aws-otel-python-arm64-ver-1-29-0" in str(props["Layers"])


def test_opentelemetry_leaves_no_open_finding_and_says_why_its_runtime_is_older(regional):
    """Issue 31: OpenTelemetry left AwsSolutions-IAM5 (CDK's X-Ray '*' in the default policy),
    AwsSolutions-L1 and Serverless-LambdaLatestVersion open."""
    stack, template, otel_default = regional["otel_default"]
    *_, explicit = regional["agnostic"]
    resources = template.to_json()["Resources"]
    for fn in (otel_default, explicit):
        policy = resources[stack.get_logical_id(fn.role.node.find_child("DefaultPolicy").node.default_child)]
        assert "*" not in [s["Resource"] for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    def suppressed(fn):
        metadata = resources[stack.get_logical_id(fn.function.node.default_child)].get("Metadata", {})
        return {r["id"]: r["reason"] for r in metadata.get("cdk_nag", {}).get("rules_to_suppress", [])}
    assert "ADOT Lambda layer" in suppressed(otel_default)["AwsSolutions-L1"]
    assert "ADOT Lambda layer" in suppressed(otel_default)["Serverless-LambdaLatestVersion"]
    assert "AwsSolutions-L1" not in suppressed(explicit)  # a runtime the user chose is the user's finding


def test_xray_is_the_default_tracing():
    assert spec().tracing is Tracing.XRAY


def test_serverless_function_is_grantable():
    stack = cdk.Stack(cdk.App(), "G")
    fn = ServerlessFunction(stack, "Fn", spec())
    table = dynamodb.Table(stack, "T", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
    assert iam.IGrantable in type(fn).__jsii_ifaces__
    assert fn.grant_principal is fn.role
    table.grant_read_data(fn)
    statements = Template.from_stack(stack).to_json()["Resources"]
    policy = next(r for k, r in statements.items() if r["Type"] == "AWS::IAM::Policy" and k.startswith("FnRoleDefaultPolicy"))
    actions = [a for s in policy["Properties"]["PolicyDocument"]["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert "dynamodb:GetItem" in actions


def test_metric_methods_are_what_the_alarms_watch():
    stack = cdk.Stack(cdk.App(), "M")
    fn = ServerlessFunction(stack, "Fn", spec())
    alarms = {a.node.id: a for a in fn.alarms}
    for method, alarm in (("metric_throttles", "ThrottlesAlarm"), ("metric_duration", "DurationAlarm")):
        metric = getattr(fn, method)()
        cfn = alarms[alarm].node.default_child
        assert stack.resolve(cfn.metric_name) == metric.metric_name
        assert stack.resolve(cfn.namespace) == metric.namespace
        assert stack.resolve(cfn.dimensions) == stack.resolve(
            [{"name": k, "value": v} for k, v in metric.dimensions.items()]
        )
        assert cfn.period == metric.period.to_seconds()


# --- validation: one test per rule ----------------------------------------------
def _error(stack_env=None, **options) -> str:
    stack = cdk.Stack(cdk.App(), "V", env=stack_env)
    with pytest.raises(PatternConfigError) as err:
        ServerlessFunction(stack, "Fn", spec(**options))
    assert stack.node.try_find_child("Fn") is None
    return str(err.value)


def test_powertools_must_be_bool_or_options():
    assert "spec.powertools='str' is invalid: allowed True, False or a Powertools(...)" in _error(powertools="yes")


def test_powertools_needs_python():
    message = _error(powertools=True, runtime=lambda_.Runtime.PYTHON_3_13.__class__("nodejs22.x", lambda_.RuntimeFamily.NODEJS))
    assert "spec.powertools" in message and "a Python runtime" in message


def test_powertools_layer_version_positive():
    assert "spec.powertools.layer_version=0 is invalid" in _error(powertools=Powertools(layer_version=0))


def test_powertools_ssm_version_format():
    assert "spec.powertools.ssm_version='newest' is invalid" in _error(powertools=Powertools(ssm_version="newest"))


def test_powertools_names_length():
    assert "spec.powertools.service_name='' is invalid" in _error(powertools=Powertools(service_name=""))


def test_powertools_pinned_layer_unknown_in_govcloud():
    message = _error(cdk.Environment(account="111111111111", region="us-gov-west-1"), powertools=True)
    assert "stack region us-gov-west-1" in message and "ssm_version='latest'" in message


def test_tracing_must_be_a_tracing_member():
    assert "spec.tracing='otel' is invalid" in _error(tracing="otel")


def test_opentelemetry_needs_an_adot_supported_runtime():
    message = _error(tracing=Tracing.OPENTELEMETRY, runtime=lambda_.Runtime.PYTHON_3_14)
    assert "spec.tracing='OPENTELEMETRY on python3.14' is invalid" in message and "PYTHON_3_13" in message


def test_lambda_edge_rejects_powertools():
    from cdk_serverless_patterns.building_blocks.function import validate_lambda_edge_spec
    from cdk_serverless_patterns.errors import Problems

    problems = Problems("Site/Edge")
    validate_lambda_edge_spec(problems, spec(architecture=X86, powertools=True))
    assert any("no Powertools layer and no OpenTelemetry" in p for p in problems.items)
