"""Secrets and parameters by reference in LocalCloud: created when the template does not, read through the
grant, AccessDenied without it.

One plain stack (synthesized once): three functions with the same handler. ``Granted`` is given the
signing-key secret by name and a parameter by name; ``Ungranted`` has the same secret name in a plain
environment variable (no grant); ``OtherSecret`` is granted a different secret.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from cdk_serverless_patterns import FunctionSpec, ServerlessFunction
from cdk_serverless_patterns.local import LocalCloud, LocalInvocationError

HANDLERS = Path(__file__).parent.parent / "fixtures" / "local_handlers"
SECRET = "reports/signing-key"
PARAMETER = "/reports/limit"


class ReferencesStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        spec = FunctionSpec(code=str(HANDLERS), handler="secret_reader.handler")
        self.granted = ServerlessFunction(
            self, "Granted", spec.replace(secrets={"SIGNING_KEY": SECRET}, parameters={"LIMIT": PARAMETER})
        )
        self.ungranted = ServerlessFunction(self, "Ungranted", spec.replace(environment={"SIGNING_KEY": SECRET}))
        self.other = ServerlessFunction(
            self, "OtherSecret", spec.replace(secrets={"OTHER": "reports/other"}, environment={"SIGNING_KEY": SECRET})
        )


@pytest.fixture(scope="module")
def stack() -> ReferencesStack:
    return ReferencesStack(cdk.App(), "ReferencesStack")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_secret_and_parameter_named_but_not_created_exist_with_the_values_the_test_gives(stack: Any) -> None:
    with LocalCloud(stack, secrets={SECRET: "s3cret"}, parameters={PARAMETER: "25"}) as cloud:
        assert cloud.invoke(stack.granted, {"parameter": True}) == {"key_sha256": _sha("s3cret"), "limit": "25"}


@pytest.fixture(scope="module")
def cloud(stack: ReferencesStack) -> Any:
    with LocalCloud(stack) as local:
        yield local


def test_without_values_they_are_generated_and_the_arn_has_aws_random_suffix(cloud: Any, stack: Any) -> None:
    secret = cloud.client("secretsmanager").describe_secret(SecretId=SECRET)
    assert secret["ARN"].rsplit(":", 1)[-1][: -len("-XXXXXX")] == SECRET
    value = cloud.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"]
    assert len(value) == 32
    assert cloud.invoke(stack.granted)["key_sha256"] == _sha(value)
    assert cloud.client("ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"]


def test_reading_the_secret_without_the_grant_is_access_denied(cloud: Any, stack: Any) -> None:
    for function in (stack.ungranted, stack.other):  # no grant; a grant on another secret
        with pytest.raises(LocalInvocationError) as denied:
            cloud.invoke(function)
        assert denied.value.error_type == "ClientError"  # botocore's, as Lambda reports it
        assert "(AccessDeniedException)" in denied.value.error_message
        assert "secretsmanager:GetSecretValue" in denied.value.error_message
        assert SECRET in denied.value.error_message


def test_the_grant_is_exactly_the_read_of_that_secret_and_parameter(cloud: Any, stack: Any) -> None:
    cloud.invoke(stack.granted, {"parameter": True})
    unused = cloud.unused_grants(stack.granted)
    # DescribeSecret and GetParameters are granted for SDKs and Powertools that call them; nothing else is left
    leftover = [pair.split(" ")[0] for pairs in unused.values() for pair in pairs]
    assert sorted(leftover) == ["secretsmanager:DescribeSecret", "ssm:GetParameters"]
