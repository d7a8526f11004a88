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
"""

from __future__ import annotations

import json
from typing import Any

from ..service import Service
from ..template import Resource

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
