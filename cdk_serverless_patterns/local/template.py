"""The synthesized stack as LocalCloud sees it: resources, local names and ARNs, intrinsics.

LocalCloud reads the template ``cdk synth`` wrote (the one truth that
``cdk deploy`` and a local run share) and gives every resource a deterministic
*physical* identity — a name and an ARN in account ``123456789012`` — so that
``Ref``/``Fn::GetAtt``/``Fn::Join``/``Fn::Sub`` in environment variables, IAM
policies, rule targets and state machine definitions resolve to the names the
local services use.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
PARTITION = "aws"

NO_VALUE = object()  # AWS::NoValue: the property disappears


class UnresolvableError(ValueError):
    """An intrinsic LocalCloud cannot evaluate (e.g. ``Fn::ImportValue``)."""


@dataclass
class Resource:
    """One template resource with the identity LocalCloud gave it."""

    logical_id: str
    type: str
    properties: dict[str, Any]
    metadata: dict[str, Any]
    name: str = ""
    arn: str = ""
    ref: str = ""
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The construct path (``aws:cdk:path`` metadata), or the logical id."""
        return str(self.metadata.get("aws:cdk:path", self.logical_id))


def _short(logical_id: str, limit: int = 48) -> str:
    return logical_id[:limit]


@dataclass(frozen=True)
class _Identity:
    """How CloudFormation names a resource of one type: the name from ``name_property`` (else
    ``<stack>-<id>``), the ARN ``arn:aws:<service>:<region>:<account>:<resource>`` (``{name}`` is the
    name), ``Ref`` the name (or the ARN) and ``Fn::GetAtt`` ``arn_attribute`` (and ``Name``)."""

    name_property: str
    service: str
    resource: str
    ref_is_arn: bool = False
    arn_attribute: str = "Arn"
    name_attribute: bool = False


#: The resource types whose identity is the plain rule of :class:`_Identity`; the others have a branch of their own.
_IDENTITIES: dict[str, _Identity] = {
    "AWS::DynamoDB::Table": _Identity("TableName", "dynamodb", "table/{name}"),
    "AWS::DynamoDB::GlobalTable": _Identity("TableName", "dynamodb", "table/{name}"),
    "AWS::Kinesis::Stream": _Identity("Name", "kinesis", "stream/{name}"),
    "AWS::Events::EventBus": _Identity("Name", "events", "event-bus/{name}", name_attribute=True),
    "AWS::Events::Archive": _Identity("ArchiveName", "events", "archive/{name}"),
    "AWS::Lambda::Function": _Identity("FunctionName", "lambda", "function:{name}"),
    "AWS::Lambda::LayerVersion": _Identity(
        "LayerName", "lambda", "layer:{name}:1", ref_is_arn=True, arn_attribute="LayerVersionArn"
    ),
    "AWS::StepFunctions::StateMachine": _Identity(
        "StateMachineName", "states", "stateMachine:{name}", ref_is_arn=True, name_attribute=True
    ),
    "AWS::Pipes::Pipe": _Identity("Name", "pipes", "pipe/{name}"),
    "AWS::Scheduler::ScheduleGroup": _Identity("Name", "scheduler", "schedule-group/{name}"),
}


class StackTemplate:
    """A synthesized stack: its resources, their local identities and an intrinsic resolver."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        stack_name: str,
        assembly_dir: Path,
        region: Optional[str] = None,
        assets: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.raw = template
        self.stack_name = stack_name
        self.assembly_dir = assembly_dir
        self.region = region or DEFAULT_REGION
        self.account = ACCOUNT
        self.assets: dict[str, str] = dict(assets or {})
        self.resources: dict[str, Resource] = {
            logical_id: Resource(
                logical_id,
                body["Type"],
                dict(body.get("Properties") or {}),
                dict(body.get("Metadata") or {}),
            )
            for logical_id, body in (template.get("Resources") or {}).items()
        }
        self.parameters: dict[str, Any] = {
            name: spec.get("Default", "") for name, spec in (template.get("Parameters") or {}).items()
        }
        self.mappings: dict[str, Any] = dict(template.get("Mappings") or {})
        self._conditions_raw: dict[str, Any] = dict(template.get("Conditions") or {})
        self._conditions: dict[str, bool] = {}
        dependents = ("AWS::Lambda::Alias", "AWS::Lambda::Version", "AWS::Events::Rule")
        for resource in sorted(self.resources.values(), key=lambda r: r.type in dependents):
            self._identify(resource)

    # -- identities ---------------------------------------------------------------------
    def _arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return f"arn:{PARTITION}:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"

    def _given_name(self, resource: Resource, key: str) -> Optional[str]:
        value = resource.properties.get(key)
        if value is None:
            return None
        resolved = self.resolve(value)
        return str(resolved) if resolved is not NO_VALUE else None

    def _identify(self, r: Resource) -> None:  # noqa: C901 - one branch per resource type, flat
        lid = r.logical_id
        default_name = f"{self.stack_name}-{_short(lid)}"
        t = r.type
        identity = _IDENTITIES.get(t)
        if identity is not None:
            r.name = self._given_name(r, identity.name_property) or default_name
            r.arn = self._arn(identity.service, identity.resource.format(name=r.name))
            r.ref = r.arn if identity.ref_is_arn else r.name
            r.attributes[identity.arn_attribute] = r.arn
            if identity.name_attribute:
                r.attributes["Name"] = r.name
        elif t == "AWS::SQS::Queue":
            fifo = str(self.resolve(r.properties.get("FifoQueue", False))).lower() == "true"
            r.name = self._given_name(r, "QueueName") or (default_name + (".fifo" if fifo else ""))
            r.arn = self._arn("sqs", r.name)
            r.ref = f"https://sqs.{self.region}.amazonaws.com/{self.account}/{r.name}"
            r.attributes.update(Arn=r.arn, QueueName=r.name, QueueUrl=r.ref)
        elif t == "AWS::SNS::Topic":
            fifo = str(self.resolve(r.properties.get("FifoTopic", False))).lower() == "true"
            r.name = self._given_name(r, "TopicName") or (default_name + (".fifo" if fifo else ""))
            r.arn = self._arn("sns", r.name)
            r.ref = r.arn
            r.attributes.update(TopicArn=r.arn, TopicName=r.name)
        elif t == "AWS::S3::Bucket":
            r.name = self._given_name(r, "BucketName") or default_name.lower().replace("_", "-")[:63]
            r.arn = f"arn:{PARTITION}:s3:::{r.name}"
            r.ref = r.name
            r.attributes.update(
                Arn=r.arn,
                DomainName=f"{r.name}.s3.amazonaws.com",
                RegionalDomainName=f"{r.name}.s3.{self.region}.amazonaws.com",
                WebsiteURL=f"http://{r.name}.s3-website-{self.region}.amazonaws.com",
            )
        elif t == "AWS::Events::Rule":
            r.name = self._given_name(r, "Name") or default_name
            bus = r.properties.get("EventBusName")
            bus_name = str(self.resolve(bus)) if bus is not None else "default"
            bus_name = bus_name.rsplit("/", 1)[-1]
            prefix = "" if bus_name == "default" else f"{bus_name}/"
            r.arn = self._arn("events", f"rule/{prefix}{r.name}")
            r.ref = r.name if not prefix else f"{bus_name}|{r.name}"
            r.attributes["Arn"] = r.arn
        elif t == "AWS::Lambda::Version":
            fn = self._function_name(r.properties.get("FunctionName"))
            r.name = fn
            r.arn = self._arn("lambda", f"function:{fn}:1")
            r.ref = r.arn
            r.attributes.update(Version="1", FunctionArn=r.arn)
        elif t == "AWS::Lambda::Alias":
            fn = self._function_name(r.properties.get("FunctionName"))
            alias = str(self.resolve(r.properties.get("Name", "live")))
            r.name = fn
            r.arn = self._arn("lambda", f"function:{fn}:{alias}")
            r.ref = r.arn
            r.attributes["AliasArn"] = r.arn
        elif t == "AWS::IAM::Role":
            r.name = self._given_name(r, "RoleName") or default_name[:64]
            r.arn = f"arn:{PARTITION}:iam::{self.account}:role/{r.name}"
            r.ref = r.name
            r.attributes.update(Arn=r.arn, RoleId=f"AROA{lid[:16].upper()}")
        elif t == "AWS::IAM::ManagedPolicy":
            r.name = self._given_name(r, "ManagedPolicyName") or default_name
            r.arn = f"arn:{PARTITION}:iam::{self.account}:policy/{r.name}"
            r.ref = r.arn
        elif t == "AWS::KMS::Key":
            r.name = f"00000000-0000-4000-8000-{_stable_digits(lid)}"
            r.arn = self._arn("kms", f"key/{r.name}")
            r.ref = r.name
            r.attributes.update(Arn=r.arn, KeyId=r.name)
        elif t == "AWS::Logs::LogGroup":
            r.name = self._given_name(r, "LogGroupName") or f"/local/{default_name}"
            r.arn = self._arn("logs", f"log-group:{r.name}:*")
            r.ref = r.name
            r.attributes["Arn"] = r.arn
        elif t == "AWS::Cognito::UserPool":
            r.name = f"{self.region}_{lid[:9]}"
            r.arn = self._arn("cognito-idp", f"userpool/{r.name}")
            r.ref = r.name
            r.attributes.update(
                Arn=r.arn, ProviderName=f"cognito-idp.{self.region}.amazonaws.com/{r.name}", UserPoolId=r.name,
                ProviderURL=f"https://cognito-idp.{self.region}.amazonaws.com/{r.name}",
            )
        elif t == "AWS::Cognito::UserPoolClient":
            r.name = r.ref = lid
            r.arn = self._arn("cognito-idp", f"userpoolclient/{lid}")
            r.attributes.update(ClientId=lid, Name=str(self._given_name(r, "ClientName") or lid))
        elif t in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
            # a stage's Ref is its name (method ARNs, execute-api URLs are built with it)
            r.name = r.ref = str(self._given_name(r, "StageName") or lid)
            r.arn = self._arn("apigateway", f"stage/{lid}")
        elif t in ("AWS::ApiGateway::Authorizer", "AWS::ApiGatewayV2::Authorizer"):
            # routes name their authorizer by Ref or by Fn::GetAtt [id, AuthorizerId]: both are the id
            r.name = r.ref = lid
            r.arn = self._arn("apigateway", f"authorizer/{lid}")
            r.attributes["AuthorizerId"] = lid
        elif t == "AWS::ApiGateway::RestApi":
            r.name = lid.lower()[:10]
            r.ref = r.name
            r.arn = f"arn:{PARTITION}:apigateway:{self.region}::/restapis/{r.name}"
            r.attributes["RootResourceId"] = f"{r.name}-root"
        elif t == "AWS::Scheduler::Schedule":
            r.name = self._given_name(r, "Name") or default_name
            group = self._given_name(r, "GroupName") or "default"
            r.arn = self._arn("scheduler", f"schedule/{group}/{r.name}")
            r.ref = r.name
            r.attributes["Arn"] = r.arn
        elif t == "AWS::SecretsManager::Secret":
            # CloudFormation names an unnamed secret "<logical id>-<random>"; its ARN adds "-" + 6 random letters.
            r.name = self._given_name(r, "Name") or f"{_short(lid)}-{_stable_letters(lid + '/name', 12)}"
            r.arn = self._arn("secretsmanager", f"secret:{r.name}-{_stable_letters(lid, 6)}")
            r.ref = r.arn
            r.attributes["Id"] = r.arn
        elif t == "AWS::SSM::Parameter":
            r.name = self._given_name(r, "Name") or f"CFN-{_short(lid)}-{_stable_letters(lid, 12)}"
            r.arn = self._arn("ssm", f"parameter/{r.name.lstrip('/')}")
            r.ref = r.name
            r.attributes["Type"] = str(self.resolve(r.properties.get("Type", "String")))
        else:
            r.name = lid
            r.ref = lid
            service = t.split("::")[1].lower() if t.count("::") == 2 else "custom"
            r.arn = self._arn(service, f"{t.split('::')[-1].lower()}/{lid}")
            r.attributes["Arn"] = r.arn

    def _function_name(self, value: Any) -> str:
        resolved = str(self.resolve(value))
        if resolved.startswith("arn:"):
            return resolved.split(":")[6]
        return resolved

    # -- intrinsics -----------------------------------------------------------------------
    def pseudo(self, name: str) -> Any:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self._arn("cloudformation", f"stack/{self.stack_name}/local"),
            "AWS::NoValue": NO_VALUE,
            "AWS::NotificationARNs": [],
        }[name]

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        resource = self.resources.get(name)
        if resource is None:
            raise UnresolvableError(f"Ref to unknown {name!r}")
        return resource.ref

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.resources.get(logical_id)
        if resource is None:
            raise UnresolvableError(f"Fn::GetAtt on unknown {logical_id!r}")
        if attribute in resource.attributes:
            return resource.attributes[attribute]
        return f"{resource.arn}/{attribute}"

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self._conditions_raw[name]))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:  # noqa: C901 - a dispatcher over intrinsic names
        """``value`` with every intrinsic function evaluated against the local identities."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical_id, attribute)
            if key == "Fn::Join":
                sep, parts = arg
                return str(sep).join(str(p) for p in self.resolve(parts))
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
            if key == "Fn::If":
                name, yes, no = arg
                return self.resolve(yes if self.condition(name) else no)
            if key == "Fn::Equals":
                a, b = self.resolve(arg)
                return a == b
            if key == "Fn::Not":
                return not self.resolve(arg)[0]
            if key == "Fn::And":
                return all(self.resolve(arg))
            if key == "Fn::Or":
                return any(self.resolve(arg))
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::FindInMap":
                m, k1, k2 = (self.resolve(a) for a in arg)
                return self.mappings[m][k1][k2]
            if key == "Fn::Base64":
                return base64.b64encode(str(self.resolve(arg)).encode()).decode()
            if key == "Fn::GetAZs":
                return [f"{self.region}{z}" for z in "abc"]
            if key == "Fn::ToJsonString":
                return json.dumps(self.resolve(arg))
            if key == "Fn::ImportValue":
                raise UnresolvableError("Fn::ImportValue (cross-stack references) cannot be resolved locally")
        return {k: r for k, v in value.items() if (r := self.resolve(v)) is not NO_VALUE}

    _SUB = re.compile(r"\$\{([^}!][^}]*)\}")

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = {k: self.resolve(v) for k, v in variables.items()}

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(local[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(name))

        return self._SUB.sub(one, text).replace("${!", "${")

    # -- look-ups -------------------------------------------------------------------------
    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.type in types]

    def by_arn(self, arn: str) -> Optional[Resource]:
        for r in self.resources.values():
            if r.arn == arn or r.ref == arn:
                return r
        return None

    def asset_dir(self, code: Mapping[str, Any], metadata: Mapping[str, Any]) -> Optional[Path]:
        """The directory of a function's or layer's code asset in the cloud assembly."""
        path = metadata.get("aws:asset:path")
        if path:
            return self.assembly_dir / str(path)
        key = code.get("S3Key")
        if isinstance(key, str):
            asset_hash = key.rsplit("/", 1)[-1].split(".", 1)[0]
            source = self.assets.get(asset_hash)
            if source:
                return self.assembly_dir / source
        return None


def _stable_digits(text: str) -> str:
    value = 0
    for ch in text:
        value = (value * 131 + ord(ch)) % 10**12
    return f"{value:012d}"


def _stable_letters(text: str, length: int) -> str:
    """``length`` letters derived from ``text``: stands for the random suffix CloudFormation adds to a name."""
    digits = _stable_digits(text + "#suffix")
    return "".join("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[int(digits[i % 12]) * 5 + i % 5] for i in range(length))


def load_assets(assets_file: Path) -> dict[str, str]:
    """``{asset hash: source path}`` from a stack's ``*.assets.json``."""
    if not assets_file.exists():
        return {}
    manifest = json.loads(assets_file.read_text())
    return {
        asset_hash: spec["source"]["path"]
        for asset_hash, spec in (manifest.get("files") or {}).items()
        if "path" in spec.get("source", {})
    }
