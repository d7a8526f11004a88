"""SSM Parameter Store: the stack's parameters created in moto, and the template parameters read from it.

``AWS::SSM::Parameter`` (``String``, ``StringList``) exists under its name;
``GetParameter`` is checked against the caller's role. A template parameter of
type ``AWS::SSM::Parameter::Value<...>`` (what ``StringParameter.value_for_string_parameter``
synthesizes) resolves to the parameter's value, as CloudFormation resolves it
at deploy; one naming a parameter this stack does not create keeps the name
as its value and is named once at open (``put_parameter`` it in the test and
open a new cloud, or pass the value another way).

A parameter a function reads by name (``FunctionSpec(parameters={"ENV": "/name"})``)
that the template does not create exists too (a ``String``): with the value
the test gave (``LocalCloud(stack, parameters={"/name": "value"})``), else a
generated one (a random 16-character string: give the value when the handler
parses it).
"""

from __future__ import annotations

import json
import secrets as random_source

from ..service import Service
from .secretsmanager import referenced_names

_SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value<"
_CDK_BOOTSTRAP_PARAMETER = "BootstrapVersion"


class Ssm(Service):
    handles = ("AWS::SSM::Parameter",)

    def provision(self) -> None:
        template = self.ctx.template
        client = self.ctx.client("ssm")
        for parameter in template.of_type("AWS::SSM::Parameter"):
            props = template.resolve(parameter.properties)
            kwargs = {"Name": parameter.name, "Value": str(props.get("Value", "")), "Type": str(props.get("Type", "String"))}
            if props.get("Description"):
                kwargs["Description"] = str(props["Description"])
            client.put_parameter(**kwargs)
            parameter.attributes["Value"] = kwargs["Value"]
        given = self.ctx.given_values["parameters"]
        created = {p.name for p in template.of_type("AWS::SSM::Parameter")}
        for name in sorted(set(referenced_names(template, "parameters")) - created):
            value = given.get(name, random_source.token_urlsafe(12))
            client.put_parameter(Name=name, Value=value, Type="String")
        for name in sorted(set(given) & created):
            client.put_parameter(Name=name, Value=given[name], Type="String", Overwrite=True)
        self._resolve_template_parameters()

    def _resolve_template_parameters(self) -> None:
        template = self.ctx.template
        resources_text = json.dumps(template.raw.get("Resources") or {})
        for name, spec in (template.raw.get("Parameters") or {}).items():
            if not str(spec.get("Type", "")).startswith(_SSM_PARAMETER_TYPE) or name == _CDK_BOOTSTRAP_PARAMETER:
                continue
            parameter_name = str(template.parameters.get(name, ""))
            try:
                value = self.ctx.client("ssm").get_parameter(Name=parameter_name)["Parameter"]["Value"]
            except self.ctx.client("ssm").exceptions.ParameterNotFound:
                if json.dumps({"Ref": name}) in resources_text:
                    self.ctx.warn_once(
                        f"ssm-parameter:{name}",
                        f"template parameter {name} reads SSM parameter {parameter_name!r}, which this stack does not "
                        "create: its value locally is the parameter's name (create the parameter in the stack, or "
                        "pass the value another way)",
                    )
                continue
            template.parameters[name] = value
