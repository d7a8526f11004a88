"""FunctionSpec secrets, parameters, VPC and environment encryption; ServiceEndpoints.

Template tests read one stack synthesized once (module fixture); bad-input tests build nothing
but the construct that must refuse (one per rule).
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from aws_cdk.assertions import Match, Template

from cdk_serverless_patterns import FunctionSpec, PatternConfigError, ServerlessFunction, enable_hardening
from cdk_serverless_patterns.building_blocks.endpoints import ServiceEndpoints
from cdk_serverless_patterns.building_blocks.function import EdgeFunction
from cdk_serverless_patterns.building_blocks.function.access import (
    ENI_DESCRIBE_ACTIONS,
    ENI_MANAGE_ACTIONS,
    PARAMETER_READ_ACTIONS,
    SECRET_READ_ACTIONS,
)
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.template.metadata import REFERENCES
from tests.support import HANDLER_DIR

BASE = FunctionSpec(code=HANDLER_DIR, handler="app.handler")


def isolated_vpc(scope: Any, construct_id: str = "Vpc") -> ec2.Vpc:
    return ec2.Vpc(scope, construct_id, max_azs=2, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    ])


class AccessStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.secret_key = kms.Key(self, "SecretKey", enable_key_rotation=True)
        self.secret = secretsmanager.Secret(self, "Db", encryption_key=self.secret_key)
        self.limit = ssm.StringParameter(self, "Limit", parameter_name="/app/limit", string_value="10")
        secure = ssm.StringParameter.from_secure_string_parameter_attributes(self, "Token", parameter_name="/app/token")
        self.references = ServerlessFunction(self, "References", BASE.replace(
            secrets={"SIGNING_KEY": "app/signing-key", "DB_SECRET": self.secret},
            parameters={"LIMIT": self.limit, "TOKEN": secure, "MODE": "app-mode"},
        ))
        self.vpc = isolated_vpc(self)
        self.in_vpc = ServerlessFunction(self, "InVpc", BASE.replace(vpc=self.vpc, secrets={"SERVICE_KEY": "app/s"}))
        create_table(self, "Data", partition_key="pk").grant_read_data(self.in_vpc)
        self.endpoints = ServiceEndpoints(self, "Endpoints", vpc=self.vpc, functions=[self.in_vpc])
        self.own_key = ServerlessFunction(self, "OwnKey", BASE.replace(environment_encryption=True))


class HardenedStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        enable_hardening(self)
        self.regular = ServerlessFunction(self, "Regular", BASE)
        self.opted_out = ServerlessFunction(self, "OptedOut", BASE.replace(environment_encryption=False))


@pytest.fixture(scope="module")
def stacks() -> tuple[AccessStack, HardenedStack]:
    app = cdk.App()
    return AccessStack(app, "Access"), HardenedStack(app, "Hardened")


@pytest.fixture(scope="module")
def template(stacks: Any) -> dict[str, Any]:
    return Template.from_stack(stacks[0]).to_json()


def _function(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    return next(r for lid, r in template["Resources"].items()
                if r["Type"] == "AWS::Lambda::Function" and lid.startswith(prefix))


def _statements(template: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [s for lid, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Policy" and lid.startswith(prefix)
            for s in r["Properties"]["PolicyDocument"]["Statement"]]


def _rendered(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# --- secrets and parameters ------------------------------------------------------------------
def test_a_named_secret_is_granted_read_only_with_aws_random_suffix(template: dict[str, Any]) -> None:
    [statement] = [s for s in _statements(template, "ReferencesRole") if "app/signing-key" in _rendered(s["Resource"])]
    assert statement["Action"] == list(SECRET_READ_ACTIONS)
    assert _rendered(statement["Resource"]).endswith(':secret:app/signing-key-??????"]]}')


def test_a_secret_construct_is_granted_on_its_arn_and_its_key_only_through_secrets_manager(stacks: Any, template: dict[str, Any]) -> None:
    stack = stacks[0]
    statements = _statements(template, "ReferencesRole")
    secret_ref = stack.resolve(stack.secret.secret_arn)
    assert {"Action": list(SECRET_READ_ACTIONS), "Effect": "Allow", "Resource": secret_ref} in statements
    [decrypt] = [s for s in statements if s["Resource"] == stack.resolve(stack.secret_key.key_arn)]
    assert decrypt["Action"] == "kms:Decrypt"
    assert _rendered(decrypt["Condition"]).count("secretsmanager.") == 1


def test_parameters_are_granted_get_parameter_on_their_arn(stacks: Any, template: dict[str, Any]) -> None:
    stack = stacks[0]
    statements = _statements(template, "ReferencesRole")
    reads = [_rendered(s["Resource"]) for s in statements if s["Action"] == list(PARAMETER_READ_ACTIONS)]
    assert len(reads) == 3
    assert [r for r in reads if _rendered(stack.resolve(stack.limit.parameter_name)) in r]
    assert [r for r in reads if ':parameter/app-mode"' in r] and [r for r in reads if ':parameter/app/token"' in r]


def test_the_environment_holds_references_never_values(stacks: Any, template: dict[str, Any]) -> None:
    stack = stacks[0]
    function = _function(template, "ReferencesFunction")
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["SIGNING_KEY"] == "app/signing-key"
    assert variables["DB_SECRET"] == stack.resolve(stack.secret.secret_arn)
    assert variables["LIMIT"] == stack.resolve(stack.limit.parameter_name)
    assert variables["TOKEN"] == "/app/token"
    assert variables["MODE"] == "app-mode"
    assert "10" not in json.dumps(variables)
    assert function["Metadata"][REFERENCES]["secrets"]["SIGNING_KEY"] == "app/signing-key"
    assert function["Metadata"][REFERENCES]["parameters"]["MODE"] == "app-mode"


# --- VPC ---------------------------------------------------------------------------------------
def test_a_vpc_function_runs_in_the_private_subnets_with_its_own_security_group(stacks: Any, template: dict[str, Any]) -> None:
    stack = stacks[0]
    config = _function(template, "InVpcFunction")["Properties"]["VpcConfig"]
    assert config["SubnetIds"] == [stack.resolve(s.subnet_id) for s in stack.vpc.isolated_subnets]
    assert len(config["SecurityGroupIds"]) == 1
    assert stack.in_vpc.connections is not None and stack.references.connections is None


def test_the_network_interface_actions_sit_in_the_functions_own_policy_not_a_managed_one(template: dict[str, Any]) -> None:
    statements = _statements(template, "InVpcNetworkInterfacesPolicy")
    assert statements[0] == {"Action": list(ENI_DESCRIBE_ACTIONS), "Effect": "Allow", "Resource": "*"}
    assert statements[1]["Action"] == list(ENI_MANAGE_ACTIONS)
    assert [_rendered(r).rsplit(":", 1)[-1] for r in statements[1]["Resource"]] == [
        'network-interface/*"]]}', 'subnet/*"]]}', 'security-group/*"]]}'
    ]
    role = next(r for lid, r in template["Resources"].items() if lid.startswith("InVpcRole") and r["Type"] == "AWS::IAM::Role")
    assert "ManagedPolicyArns" not in role["Properties"]
    depends = _function(template, "InVpcFunction")["DependsOn"]
    assert any(d.startswith("InVpcNetworkInterfacesPolicy") for d in depends)


def test_service_endpoints_cover_exactly_the_services_the_grants_name(stacks: Any) -> None:
    endpoints = stacks[0].endpoints
    assert endpoints.services == ["dynamodb", "secretsmanager"]  # not logs, ec2 or xray
    assert list(endpoints.gateway_endpoints) == ["dynamodb"]
    assert list(endpoints.interface_endpoints) == ["secretsmanager"]
    template = Template.from_stack(stacks[0])
    template.has_resource_properties("AWS::EC2::VPCEndpoint", {
        "VpcEndpointType": "Interface", "PrivateDnsEnabled": True,
        "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".secretsmanager"]]},
    })
    template.has_resource_properties("AWS::EC2::SecurityGroupIngress", {
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "SourceSecurityGroupId": {"Fn::GetAtt": [Match.string_like_regexp("^InVpcFunctionSecurityGroup"), "GroupId"]},
    })


# --- environment encryption --------------------------------------------------------------------
def test_environment_encryption_true_creates_a_key_usable_only_through_lambda(template: dict[str, Any]) -> None:
    function = _function(template, "OwnKeyFunction")
    key_id = function["Properties"]["KmsKeyArn"]["Fn::GetAtt"][0]
    assert key_id.startswith("OwnKeyEnvironmentKey")
    key = template["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    admin, use = key["KeyPolicy"]["Statement"]
    assert "kms:Decrypt" not in admin["Action"] and "kms:*" not in admin["Action"]
    assert sorted(use["Action"]) == ["kms:CreateGrant", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"]
    assert '"lambda."' in _rendered(use["Condition"]["StringEquals"]["kms:ViaService"])
    [decrypt] = [s for s in _statements(template, "OwnKeyRole") if s["Action"] == "kms:Decrypt"]
    assert decrypt["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_hardening_encrypts_environments_with_the_stack_key_unless_a_function_opts_out(stacks: Any) -> None:
    template = Template.from_stack(stacks[1]).to_json()
    default = _function(template, "RegularFunction")["Properties"]
    assert default["KmsKeyArn"]["Fn::GetAtt"][0].startswith("ServerlessPatternsHardeningEnvironmentKey")
    assert "KmsKeyArn" not in _function(template, "OptedOutFunction")["Properties"]
    assert "KmsKeyArn" not in _function(Template.from_stack(stacks[0]).to_json(), "ReferencesFunction")["Properties"]


# --- bad input: one test per rule ------------------------------------------------------------------
def _error(build: Any) -> str:
    stack = cdk.Stack(cdk.App(), "V")
    with pytest.raises(PatternConfigError) as info:
        build(stack)
    assert stack.node.try_find_child("Fn") is None, "invalid input must create no function"
    message = str(info.value)
    assert "Fix:" in message, message
    return message


def _fn(**changes: Any) -> Any:
    return lambda stack: ServerlessFunction(stack, "Fn", BASE.replace(**changes))


def test_a_vpc_with_no_private_subnets_is_refused_naming_field_value_allowed_and_fix() -> None:
    def build(stack: Any) -> None:
        public_only = ec2.Vpc(stack, "Public", max_azs=1, nat_gateways=0, subnet_configuration=[
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)
        ])
        ServerlessFunction(stack, "Fn", BASE.replace(vpc=public_only))
    message = _error(build)
    assert "spec.vpc=" in message and "V/Public (1 public subnet(s), no private ones)" in message
    assert "PRIVATE_WITH_EGRESS or PRIVATE_ISOLATED" in message and "add private subnets" in message


def test_public_subnets_selected_in_a_mixed_vpc_are_refused() -> None:
    def build(stack: Any) -> None:
        mixed = ec2.Vpc(stack, "Mixed", max_azs=1, nat_gateways=0)
        ServerlessFunction(stack, "Fn", BASE.replace(
            vpc=mixed, vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)))
    message = _error(build)
    assert "spec.vpc_subnets='PUBLIC'" in message and "private subnets only" in message


@pytest.mark.parametrize("field, value", [
    ("vpc_subnets", ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)),
    ("security_groups", ["sg"]),
])
def test_subnets_or_security_groups_without_a_vpc_are_refused(field: str, value: Any) -> None:
    assert f"spec.{field}=" in _error(_fn(**{field: value})) and "only with vpc" in _error(_fn(**{field: value}))


def test_an_empty_security_group_list_without_a_vpc_is_fine() -> None:
    ServerlessFunction(cdk.Stack(cdk.App(), "V"), "Fn", BASE.replace(security_groups=[]))


def test_a_vpc_that_is_not_an_ivpc_is_refused() -> None:
    assert "spec.vpc='vpc-123' is invalid: allowed an aws_ec2.IVpc" in _error(_fn(vpc="vpc-123"))


@pytest.mark.parametrize("secrets, expected", [
    ("app/key", "spec.secrets='app/key' is invalid: allowed a mapping"),
    ({"KEY": 42}, "allowed an aws_secretsmanager.ISecret or a secret name"),
    ({"KEY": "arn:aws:secretsmanager:eu-west-1:1:secret:x-AbCdEf"}, "not an ARN string"),
    ({"KEY": "bad name!"}, "1-512 characters of letters, digits and /_+=.@-"),
    ({"1KEY": "app/key"}, "spec.secrets['1KEY']='1KEY' is invalid: allowed an environment variable name"),
])
def test_bad_secret_references_are_refused(secrets: Any, expected: str) -> None:
    assert expected in _error(_fn(secrets=secrets))


@pytest.mark.parametrize("parameters, expected", [
    ({"LIMIT": "aws-reserved"}, "not starting with 'aws' or 'ssm'"),
    ({"LIMIT": "/app//limit"}, "'/'-separated levels"),
    ({"LIMIT": 3}, "allowed an aws_ssm.IParameter or a parameter name"),
])
def test_bad_parameter_references_are_refused(parameters: Any, expected: str) -> None:
    assert expected in _error(_fn(parameters=parameters))


def test_one_variable_for_two_references_or_a_reference_and_a_value_is_refused() -> None:
    assert "allowed a variable name not also used in secrets" in _error(
        _fn(secrets={"X_REF": "a"}, parameters={"X_REF": "b"}))
    assert "not also set in environment" in _error(_fn(secrets={"X_REF": "a"}, environment={"X_REF": "v"}))


def test_environment_encryption_of_the_wrong_type_is_refused() -> None:
    assert "spec.environment_encryption='yes' is invalid: allowed an aws_kms.IKey, True" in _error(
        _fn(environment_encryption="yes"))


def test_an_edge_function_refuses_references_vpc_and_environment_key() -> None:
    def build(stack: Any) -> None:
        edge_stack = cdk.Stack(stack.node.root, "E", env=cdk.Environment(region="us-east-1"))
        vpc = isolated_vpc(edge_stack)
        EdgeFunction(edge_stack, "Fn", BASE.replace(secrets={"K": "a"}, vpc=vpc, environment_encryption=True))
    message = _error(build)
    for field in ("spec.secrets", "spec.vpc", "spec.environment_encryption"):
        assert field in message


def test_a_managed_instances_function_takes_its_network_from_the_capacity_provider() -> None:
    from aws_cdk import aws_lambda as lambda_

    from cdk_serverless_patterns.building_blocks.function.compute import ManagedInstances

    def build(stack: Any) -> None:
        provider = lambda_.CapacityProvider.from_capacity_provider_arn(
            stack, "Provider", "arn:aws:lambda:us-east-1:111111111111:capacity-provider:steady")
        ServerlessFunction(stack, "Fn", BASE.replace(
            memory_size=2048, vpc=isolated_vpc(stack), managed_instances=ManagedInstances(provider)))
    assert "no vpc on a Managed Instances function" in _error(build)


def test_service_endpoints_refuse_a_vpc_without_private_subnets() -> None:
    def build(stack: Any) -> None:
        public_only = ec2.Vpc(stack, "Public", max_azs=1, nat_gateways=0, subnet_configuration=[
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)
        ])
        ServiceEndpoints(stack, "Fn", vpc=public_only)
    assert "- vpc='VPC V/Public (1 public subnet(s), no private ones)' is invalid" in _error(build)


def test_service_endpoints_refuse_a_function_outside_the_vpc() -> None:
    def build(stack: Any) -> None:
        outside = ServerlessFunction(stack, "Outside", BASE)
        ServiceEndpoints(stack, "Fn", vpc=isolated_vpc(stack), functions=[outside])
    assert "functions[0]='V/Outside' is invalid: allowed a ServerlessFunction in this VPC" in _error(build)
