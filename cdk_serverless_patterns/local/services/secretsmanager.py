"""Secrets Manager: the stack's secrets created in moto, generated strings honoured.

``AWS::SecretsManager::Secret`` with ``SecretString``, or with
``GenerateSecretString`` as CloudFormation documents it: a random password
(``PasswordLength`` default 32, ``ExcludeCharacters``, ``ExcludeNumbers``,
``ExcludePunctuation``, ``ExcludeUppercase``, ``ExcludeLowercase``,
``IncludeSpace``, ``RequireEachIncludedType`` default true), alone or put under
``GenerateStringKey`` in the JSON object ``SecretStringTemplate``. The secret's
ARN in moto is the one the template resolves ``Ref`` to, so a handler reading
``os.environ["SECRET_ARN"]`` finds it; ``GetSecretValue`` is checked against
the caller's role like every other call.

A secret a function reads by name (``FunctionSpec(secrets={"ENV": "name"})``,
recorded in the function's ``cdk_serverless_patterns:references`` metadata)
that the template does not create exists too: with the value the test gave
(``LocalCloud(stack, secrets={"name": "value"})``), else a generated 32
character password; its ARN carries a random six-character suffix, as AWS's
does, so a grant on ``name`` alone (without ``-??????``) is denied here as there.
"""

from __future__ import annotations

import json
import secrets as random_source
import string
from typing import Any, Iterator

from ...template.metadata import REFERENCES
from ..service import Service
from ..template import Resource, StackTemplate

_GENERATE_OPTIONS = (
    "PasswordLength",
    "ExcludeCharacters",
    "ExcludeNumbers",
    "ExcludePunctuation",
    "ExcludeUppercase",
    "ExcludeLowercase",
    "IncludeSpace",
    "RequireEachIncludedType",
)


class SecretsManager(Service):
    handles = ("AWS::SecretsManager::Secret",)

    def provision(self) -> None:
        from moto.secretsmanager.models import secretsmanager_backends

        template = self.ctx.template
        client = self.ctx.client("secretsmanager")
        backend = secretsmanager_backends[template.account][template.region]
        for secret in template.of_type("AWS::SecretsManager::Secret"):
            client.create_secret(Name=secret.name, SecretString=self._secret_string(secret))
            # the ARN the template resolves Ref to (moto draws its own random suffix)
            backend.secrets[secret.name].arn = secret.arn
        given = self.ctx.given_values["secrets"]
        created = {s.name for s in template.of_type("AWS::SecretsManager::Secret")}
        for name in sorted(set(referenced_names(template, "secrets")) - created):
            value = given.get(name)
            if value is None:
                value = str(client.get_random_password(PasswordLength=32, ExcludePunctuation=True)["RandomPassword"])
            client.create_secret(Name=name, SecretString=value)
            suffix = "".join(random_source.choice(string.ascii_letters + string.digits) for _ in range(6))
            arn = f"arn:aws:secretsmanager:{template.region}:{template.account}:secret:{name}-{suffix}"
            backend.secrets[name].arn = arn
            self.ctx.iam.arns.created_secrets[name] = arn
        for name in sorted(set(given) & created):
            client.put_secret_value(SecretId=name, SecretString=given[name])

    def _secret_string(self, secret: Resource) -> str:
        props = self.ctx.template.resolve(secret.properties)
        if "SecretString" in props:
            return str(props["SecretString"])
        generate = props.get("GenerateSecretString")
        if generate is None:
            return ""
        options: dict[str, Any] = {k: generate[k] for k in _GENERATE_OPTIONS if k in generate}
        for key in options:
            if key == "PasswordLength":
                options[key] = int(options[key])
            elif key != "ExcludeCharacters":
                options[key] = str(options[key]).lower() == "true"
        password = str(self.ctx.client("secretsmanager").get_random_password(**options)["RandomPassword"])
        template_text, key = generate.get("SecretStringTemplate"), generate.get("GenerateStringKey")
        if template_text is None or key is None:
            return password
        document = json.loads(str(template_text))
        document[str(key)] = password
        return json.dumps(document)


def referenced_names(template: StackTemplate, kind: str) -> Iterator[str]:
    """The names (plain strings) of the ``kind`` (``"secrets"`` or ``"parameters"``) the template's
    functions read by reference."""
    for function in template.of_type("AWS::Lambda::Function"):
        references = function.metadata.get(REFERENCES) or {}
        for value in (references.get(kind) or {}).values():
            if isinstance(value, str) and not value.startswith("arn:"):
                yield value
