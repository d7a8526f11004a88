"""What a function may reach beyond its triggers: secrets and parameters by reference, a VPC, and the
key that encrypts its environment.

One module for the four :class:`~.spec.FunctionSpec` options ``secrets``,
``parameters``, ``vpc`` (with ``vpc_subnets`` and ``security_groups``) and
``environment_encryption``: their rules (:func:`validate_access`, run by
``validate_spec``) and their wiring (:class:`FunctionAccess`, run by
``ServerlessFunction``):

* a secret or parameter is granted read-only on exactly its ARN — a secret
  named but not imported as ``<name>-??????`` (Secrets Manager appends six
  random characters to every secret's ARN) — with ``kms:Decrypt`` on its key
  only through that service (``kms:ViaService``); the environment gets its
  ARN or name, never its value;
* a VPC function gets the EC2 actions Lambda needs to manage its network
  interfaces in a policy of its own (the actions of AWS's
  ``AWSLambdaVPCAccessExecutionRole``, without its logs grant, which the role
  already has for its own log group only);
* environment encryption uses a customer managed key whose policy lets the
  account use it only through Lambda; the function's role may decrypt with it
  only through Lambda.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Union

from aws_cdk import Aws, Token
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_ec2 as ec2,
    aws_iam as iam,
    aws_kms as kms,
    aws_secretsmanager as secretsmanager,
    aws_ssm as ssm,
)
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge, acknowledge_inline_policies
from cdk_serverless_patterns.checks.nag_ids import resource_finding
from cdk_serverless_patterns.errors import Problems, stack_of
from cdk_serverless_patterns.template.metadata import REFERENCES

from ..hardening import StackHardening, environment_key

if TYPE_CHECKING:
    from .spec import FunctionSpec


#: A secret by reference: an imported or created ``ISecret``, or the secret's name.
SecretReference = Union["secretsmanager.ISecret", str]
#: A parameter by reference: an ``IParameter`` (``StringParameter``...), or its name.
ParameterReference = Union["ssm.IParameter", str]
#: ``FunctionSpec.environment_encryption``: a key, True (create one), False (AWS owned key), None (default).
EnvironmentEncryption = Union["kms.IKey", bool, None]

#: What reading a secret needs (Secrets Manager's "GetSecretValue" and the metadata SDKs and
#: Powertools ask for first); nothing that lists, writes or rotates.
SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
#: What reading one parameter needs (GetParameters reads it in a batch call); no path reads.
PARAMETER_READ_ACTIONS = ("ssm:GetParameter", "ssm:GetParameters")
#: The EC2 actions of AWSLambdaVPCAccessExecutionRole (v3, 2024-01-05) that take no resource:
#: Describe* actions support only ``"Resource": "*"`` (Lambda developer guide, "Giving Lambda
#: functions access to resources in an Amazon VPC": DescribeNetworkInterfaces "only works if it's
#: allowed on all resources").
ENI_DESCRIBE_ACTIONS = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")
#: The EC2 actions of that policy that act on resources; Lambda calls them with the function's role
#: on network interfaces, subnets and security groups it picks, so they are scoped to those resource
#: types (:data:`ENI_RESOURCE_TYPES`) in this account and Region.
ENI_MANAGE_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)

#: The resource types the EC2 actions above take (Service Authorization Reference, Amazon EC2:
#: CreateNetworkInterface takes network-interface, subnet and security-group; the others network-interface).
ENI_RESOURCE_TYPES = ("network-interface", "subnet", "security-group")

#: Secrets Manager: a secret name is 1-512 characters of letters, digits and /_+=.@-.
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
#: SSM: a parameter name is letters, digits and _.-/ (a leading / for a hierarchy), at most 1011
#: characters here (2048 for the full ARN), not starting with aws or ssm (reserved).
_PARAMETER_NAME = re.compile(r"^/?[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")
_PARAMETER_MAX = 1011
_RESERVED_PARAMETER_PREFIX = re.compile(r"^/?(aws|ssm)", re.IGNORECASE)
_ENV_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")


def _is_secret(value: object) -> bool:
    return hasattr(value, "secret_arn") and hasattr(value, "grant_read")


def _is_parameter(value: object) -> bool:
    return hasattr(value, "parameter_arn") and hasattr(value, "parameter_name")


# == rules ==========================================================================================
def validate_access(problems: Problems, spec: "FunctionSpec", p: str) -> None:
    """Every problem with ``spec``'s secrets, parameters, VPC and environment encryption."""
    _validate_references(problems, spec.secrets, f"{p}.secrets", "secret")
    _validate_references(problems, spec.parameters, f"{p}.parameters", "parameter")
    if isinstance(spec.secrets, Mapping) and isinstance(spec.parameters, Mapping):
        environment = spec.environment if isinstance(spec.environment, Mapping) else {}
        for name in sorted(set(spec.secrets) & set(spec.parameters)):
            problems.add(f"{p}.parameters[{name!r}]", name, "a variable name not also used in secrets",
                         "give the secret and the parameter different variable names")
        for field_name, refs in (("secrets", spec.secrets), ("parameters", spec.parameters)):
            for name in sorted(set(refs) & set(environment)):
                problems.add(f"{p}.{field_name}[{name!r}]", name,
                             "a variable name not also set in environment (the reference would replace it)",
                             f"drop {name!r} from environment or rename one of them")
    _validate_vpc(problems, spec, p)
    encryption = spec.environment_encryption
    problems.check(
        encryption is None or isinstance(encryption, bool) or hasattr(encryption, "key_arn"),
        f"{p}.environment_encryption",
        encryption,
        "an aws_kms.IKey, True (create a key for this function), False (Lambda's AWS owned key) or None "
        "(the default: the stack's environment key under enable_hardening, else the AWS owned key)",
        "pass environment_encryption=True or a kms.Key",
    )


def _validate_references(problems: Problems, refs: object, field_name: str, kind: str) -> None:
    if not isinstance(refs, Mapping):
        problems.add(field_name, refs, f"a mapping of environment variable names to {kind}s",
                     f"pass {field_name.rsplit('.', 1)[-1]}={{'DB_{kind.upper()}': ...}}")
        return
    for env_name, ref in refs.items():
        where = f"{field_name}[{env_name!r}]"
        problems.check(
            isinstance(env_name, str) and bool(_ENV_NAME.match(env_name)),
            where, env_name,
            "an environment variable name: letters, digits and '_', starting with a letter, at least 2 characters",
            "name the variable the handler reads, e.g. 'DB_SECRET'",
        )
        _validate_reference(problems, ref, where, _KINDS[kind])


@dataclass(frozen=True)
class _Kind:
    """How a reference of one kind is recognised and what a bad one is told."""

    is_resource: Callable[[object], bool]
    allowed: str
    fix: str
    name_ok: Callable[[str], bool]
    name_allowed: str
    name_fix: str
    arn_fix: Optional[str] = None  # an ARN string is refused, with this fix (secrets: the suffix)


_KINDS = {
    "secret": _Kind(
        _is_secret,
        "an aws_secretsmanager.ISecret or a secret name",
        "pass Secret.from_secret_name_v2(scope, 'Db', 'prod/db') or the name 'prod/db'",
        lambda name: bool(_SECRET_NAME.match(name)),
        "a secret name: 1-512 characters of letters, digits and /_+=.@- (Secrets Manager)",
        "pass the name as the secret shows it, e.g. 'prod/reporting/db'",
        arn_fix="pass Secret.from_secret_complete_arn(scope, 'Db', arn), or the name",
    ),
    "parameter": _Kind(
        _is_parameter,
        "an aws_ssm.IParameter or a parameter name",
        "pass StringParameter.from_string_parameter_name(scope, 'Limit', '/app/limit') or '/app/limit'",
        lambda name: bool(_PARAMETER_NAME.match(name)) and len(name) <= _PARAMETER_MAX
        and not _RESERVED_PARAMETER_PREFIX.match(name),
        f"a parameter name: letters, digits and _.-, '/'-separated levels (a leading '/' for a hierarchy), at "
        f"most {_PARAMETER_MAX} characters, not starting with 'aws' or 'ssm' (SSM reserves them)",
        "pass the name as Parameter Store shows it, e.g. '/reporting/max-deletes'",
    ),
}


def _validate_reference(problems: Problems, ref: object, where: str, kind: _Kind) -> None:
    if kind.is_resource(ref):
        return
    if not isinstance(ref, str):
        problems.add(where, ref, kind.allowed, kind.fix)
        return
    if not is_plain(ref):
        return  # a token: known at deploy time only
    if kind.arn_fix is not None and ref.startswith("arn:"):
        problems.add(where, ref, "a secret name or an ISecret, not an ARN string (its random suffix is part of it)",
                     kind.arn_fix)
        return
    problems.check(kind.name_ok(ref), where, ref, kind.name_allowed, kind.name_fix)


def reference_environment(spec: "FunctionSpec") -> dict[str, str]:
    """The variables the references add, as far as known before synthesis (for the 4 KB check):
    a name as itself, an imported or created resource as an empty value (its ARN is a token)."""
    env: dict[str, str] = {}
    for refs in (spec.secrets, spec.parameters):
        if isinstance(refs, Mapping):
            env.update({k: v if isinstance(v, str) else "" for k, v in refs.items()
                        if isinstance(k, str) and _ENV_NAME.match(k)})
    return env


def is_plain(value: str) -> bool:
    """A string known now (not a token resolved at deploy time)."""
    return not Token.is_unresolved(value)


def _validate_vpc(problems: Problems, spec: "FunctionSpec", p: str) -> None:
    vpc = spec.vpc
    if vpc is None:
        for field_name, value in (("vpc_subnets", spec.vpc_subnets), ("security_groups", spec.security_groups)):
            problems.check(
                not value,  # None, or no security groups
                f"{p}.{field_name}", value, "only with vpc (it places the function's network interfaces)",
                f"pass vpc=... as well, or drop {field_name}",
            )
        return
    problems.check(
        getattr(spec, "managed_instances", None) is None,
        f"{p}.vpc", getattr(getattr(vpc, "node", None), "path", vpc),
        "no vpc on a Managed Instances function (its capacity provider's VPC configuration places it: "
        "Lambda developer guide, 'Capacity providers')",
        "give the capacity provider (ManagedInstances.capacity_provider) the subnets and security groups, and drop vpc",
    )
    if not hasattr(vpc, "vpc_id") or not hasattr(vpc, "select_subnets"):
        problems.add(f"{p}.vpc", vpc, "an aws_ec2.IVpc", "pass vpc=ec2.Vpc(...) or ec2.Vpc.from_lookup(...)")
        return
    groups = spec.security_groups
    problems.check(
        isinstance(groups, (list, tuple)) and all(hasattr(g, "security_group_id") for g in groups)
        and len(groups) <= 5,
        f"{p}.security_groups", groups,
        "a list of at most 5 aws_ec2.ISecurityGroup (Lambda's limit), or empty for one new group",
        "pass security_groups=[ec2.SecurityGroup(...)] or leave it out",
    )
    selected = private_subnets_of(problems, vpc, spec.vpc_subnets, f"{p}.")
    problems.check(
        selected is None or len(selected) > 0,
        f"{p}.vpc_subnets", spec.vpc_subnets,
        "a selection that matches at least one private subnet",
        "select subnets the VPC has, e.g. ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)",
    )


_PRIVATE = ("PRIVATE_WITH_EGRESS", "PRIVATE_ISOLATED")


def default_subnet_selection(vpc: ec2.IVpc) -> Optional[ec2.SubnetSelection]:
    """The VPC's private subnets with egress, else its isolated ones; None when it has neither."""
    if vpc.private_subnets:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    if vpc.isolated_subnets:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    return None


def _select(vpc: ec2.IVpc, selection: Optional[ec2.SubnetSelection]) -> list[ec2.ISubnet]:
    """``vpc.select_subnets(selection)`` (jsii spells the struct out as keyword arguments)."""
    if selection is None:
        return list(vpc.select_subnets().subnets)
    return list(vpc.select_subnets(
        availability_zones=selection.availability_zones, one_per_az=selection.one_per_az,
        subnet_filters=selection.subnet_filters, subnet_group_name=selection.subnet_group_name,
        subnets=selection.subnets, subnet_type=selection.subnet_type,
    ).subnets)


def private_subnets_of(problems: Problems, vpc: ec2.IVpc, selection: Optional[ec2.SubnetSelection],
                       p: str) -> Optional[list[ec2.ISubnet]]:
    """The subnets ``selection`` picks in ``vpc``, after checking they are all private; None when it cannot.

    ``p`` prefixes the field names (``"spec."`` for a spec's fields, ``""`` for a construct's own options).
    """
    private_ids = {s.subnet_id for s in [*vpc.private_subnets, *vpc.isolated_subnets]}
    if not private_ids:
        problems.add(
            f"{p}vpc", f"VPC {vpc.node.path} ({len(vpc.public_subnets)} public subnet(s), no private ones)",
            "a VPC with private subnets (PRIVATE_WITH_EGRESS or PRIVATE_ISOLATED): Lambda's network interfaces "
            "never get a public IP, so a function in a public subnet reaches nothing outside the VPC",
            "add private subnets to the VPC (ec2.Vpc(subnet_configuration=[..., ec2.SubnetConfiguration("
            "name='private', subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])) or pass another VPC",
        )
        return None
    if selection is not None and not isinstance(selection, ec2.SubnetSelection):
        problems.add(f"{p}vpc_subnets", selection, "an aws_ec2.SubnetSelection",
                     "pass vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)")
        return None
    try:
        chosen = _select(vpc, selection or default_subnet_selection(vpc))
    except Exception as error:  # jsii raises a plain Error for a selection the VPC has no subnets for
        problems.add(f"{p}vpc_subnets", getattr(selection, "subnet_type", selection),
                     f"a selection of subnets the VPC has ({str(error).splitlines()[0]})",
                     "select the VPC's private subnets, or leave vpc_subnets out")
        return None
    public = [s.subnet_id for s in chosen if s.subnet_id not in private_ids]
    shown: object = selection.subnet_type.name if selection is not None and selection.subnet_type is not None else public
    problems.check(
        not public,
        f"{p}vpc_subnets", shown,
        f"private subnets only ({', '.join(_PRIVATE)}): Lambda's network interfaces never get a public IP, "
        "so a public subnet gives the function no internet access",
        "select ec2.SubnetType.PRIVATE_WITH_EGRESS (a NAT gateway) or PRIVATE_ISOLATED (VPC endpoints)",
    )
    return list(chosen)


# == wiring =========================================================================================
@dataclass
class FunctionAccess:
    """The access a spec asks for, before and after its ``aws_lambda.Function`` exists.

    Build it in the function's scope before the function (:meth:`function_props`
    are the ``aws_lambda.Function`` keyword arguments it adds), then call
    :meth:`grant` with the role once the function exists.
    """

    scope: Construct
    spec: "FunctionSpec"
    hardened: bool

    def __post_init__(self) -> None:
        self.secrets: dict[str, secretsmanager.ISecret] = {}
        self.parameters: dict[str, ssm.IParameter] = {}
        for env_name, secret in self.spec.secrets.items():
            self.secrets[env_name] = (
                secretsmanager.Secret.from_secret_name_v2(self.scope, f"Secret{env_name}", secret)
                if isinstance(secret, str) else secret
            )
        for env_name, parameter in self.spec.parameters.items():
            self.parameters[env_name] = (
                ssm.StringParameter.from_string_parameter_name(self.scope, f"Parameter{env_name}", parameter)
                if isinstance(parameter, str) else parameter
            )
        self.environment_key: Optional[kms.IKey] = self._environment_key()
        self.network_policy: Optional[iam.Policy] = None

    # -- before the function -----------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """Variable name -> the secret's full ARN (else its name) or the parameter's name."""
        env = {}
        for env_name, secret in self.secrets.items():
            env[env_name] = secret.secret_full_arn or secret.secret_name
        for env_name, parameter in self.parameters.items():
            env[env_name] = parameter.parameter_name
        return env

    def function_props(self) -> dict[str, Any]:
        """``vpc``, ``vpc_subnets``, ``security_groups`` and ``environment_encryption`` for ``aws_lambda.Function``."""
        props: dict[str, Any] = {}
        if self.spec.vpc is not None:
            props["vpc"] = self.spec.vpc
            props["vpc_subnets"] = self.spec.vpc_subnets or default_subnet_selection(self.spec.vpc)
            if self.spec.security_groups:
                props["security_groups"] = list(self.spec.security_groups)
        if self.environment_key is not None:
            props["environment_encryption"] = self.environment_key
        return props

    def _environment_key(self) -> Optional[kms.IKey]:
        choice = self.spec.environment_encryption
        if choice is False:
            return None
        if choice is True:
            return environment_key(self.scope, "EnvironmentKey",
                                   f"Encrypts the environment variables of function {self.scope.node.path}")
        if choice is not None:
            return choice
        if self.hardened:
            return StackHardening.of(self.scope).environment_key
        return None

    # -- after the function ------------------------------------------------------------------
    def grant(self, role: iam.Role, cfn_function: Any) -> list[iam.Policy]:
        """Read grants for the secrets and parameters, decrypt for the environment key, and the network
        interface policy of a VPC function; records the references in ``cfn_function``'s metadata
        (:data:`~cdk_serverless_patterns.template.metadata.REFERENCES`, which LocalCloud reads).
        Returns the policies the function must depend on."""
        stack = stack_of(self.scope)
        for secret in self.secrets.values():
            resource = secret.secret_full_arn or f"{secret.secret_arn}-??????"
            role.add_to_principal_policy(iam.PolicyStatement(actions=list(SECRET_READ_ACTIONS), resources=[resource]))
            if secret.secret_full_arn is None:
                acknowledge(
                    role,
                    f"{AWS_SOLUTIONS}IAM5[{resource_finding(role, resource)}]",
                    "The secret is named, not imported with its complete ARN: '-??????' matches exactly the six "
                    "random characters Secrets Manager appends to every secret's ARN, so the grant covers this "
                    "secret (and a secret recreated under the same name), nothing else.",
                )
            if secret.encryption_key is not None:
                self._decrypt_via(role, secret.encryption_key, "secretsmanager")
        for parameter in self.parameters.values():
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=list(PARAMETER_READ_ACTIONS), resources=[parameter.parameter_arn])
            )
            key = getattr(parameter, "encryption_key", None)
            if key is not None:
                self._decrypt_via(role, key, "ssm")
        if self.environment_key is not None:
            self._decrypt_via(role, self.environment_key, "lambda")
        policies: list[iam.Policy] = []
        if self.spec.vpc is not None:
            self.network_policy = network_interface_policy(self.scope, role)
            policies.append(self.network_policy)
        if self.secrets or self.parameters:
            env = self.environment()
            cfn_function.add_metadata(REFERENCES, {
                "secrets": {k: stack.resolve(env[k]) for k in self.secrets},
                "parameters": {k: stack.resolve(env[k]) for k in self.parameters},
            })
        return policies

    @staticmethod
    def _decrypt_via(role: iam.Role, key: kms.IKey, service: str) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"{service}.{Aws.REGION}.amazonaws.com"}},
            )
        )


def network_interface_policy(scope: Construct, role: iam.Role) -> iam.Policy:
    """The EC2 actions Lambda takes with the function's role to attach it to its VPC, in a policy of its own."""
    stack = stack_of(scope)
    ec2_resources = [stack.format_arn(service="ec2", resource=kind, resource_name="*") for kind in ENI_RESOURCE_TYPES]
    policy = iam.Policy(
        scope,
        "NetworkInterfacesPolicy",
        statements=[
            iam.PolicyStatement(actions=list(ENI_DESCRIBE_ACTIONS), resources=["*"]),
            iam.PolicyStatement(actions=list(ENI_MANAGE_ACTIONS), resources=ec2_resources),
        ],
    )
    policy.attach_to_role(role)
    acknowledge_inline_policies(role, policy)
    acknowledge(
        policy,
        f"{AWS_SOLUTIONS}IAM5[Resource::*]",
        "ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets support no resource-level permissions (the "
        "Lambda developer guide: DescribeNetworkInterfaces only works when allowed on all resources); Lambda "
        "calls them with this role to attach the function to its VPC. They read network metadata only.",
    )
    for resource in ec2_resources:
        acknowledge(
            policy,
            f"{AWS_SOLUTIONS}IAM5[{resource_finding(policy, resource)}]",
            "Lambda creates, re-addresses and deletes the function's network interfaces with this role, in "
            "subnets and with security groups it picks per execution environment, under ids unknown before "
            "deployment: the grant names the three resource types those actions take, in this account and "
            "Region only.",
        )
    return policy


def edge_access_problems(problems: Problems, spec: "FunctionSpec", p: str) -> None:
    """What Lambda@Edge rejects among the access options."""
    for field_name, is_set, allowed in (
        ("secrets", bool(spec.secrets), "none (Lambda@Edge has no environment variables to carry a reference)"),
        ("parameters", bool(spec.parameters), "none (Lambda@Edge has no environment variables to carry a reference)"),
        ("vpc", spec.vpc is not None, "None (Lambda@Edge does not support VPC configuration)"),
        ("environment_encryption", spec.environment_encryption not in (None, False),
         "None or False (Lambda@Edge has no environment variables to encrypt)"),
    ):
        problems.check(not is_set, f"{p}.{field_name}", getattr(spec, field_name), allowed,
                       "bundle configuration into the code package; read secrets in an origin's API instead")
