"""runtime.secrets: the reference from the environment, one call per max_age, Powertools when asked for."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from cdk_serverless_patterns.runtime import clients
from cdk_serverless_patterns.runtime import secrets


class CountingSecrets:
    def __init__(self, value: str) -> None:
        self.value = value
        self.calls: list[str] = []

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        self.calls.append(SecretId)
        return {"SecretString": self.value}


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME", raising=False)
    secrets.clear_cache()
    yield
    secrets.clear_cache()
    for service in ("secretsmanager", "ssm"):
        clients.set_client(service, None)


def test_a_warm_call_within_max_age_makes_no_request_and_a_stale_one_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_SECRET", "prod/db")
    fake = CountingSecrets('{"user": "app"}')
    clients.set_client("secretsmanager", fake)
    assert secrets.get_secret("DB_SECRET", transform="json") == {"user": "app"}
    assert secrets.get_secret("DB_SECRET") == '{"user": "app"}'
    assert fake.calls == ["prod/db"]
    fake.value = "rotated"
    assert secrets.get_secret("DB_SECRET", max_age=0) == "rotated"
    assert secrets.get_secret("DB_SECRET", force_fetch=True) == "rotated"
    assert fake.calls == ["prod/db"] * 3


def test_a_variable_that_is_not_set_names_itself() -> None:
    with pytest.raises(RuntimeError, match="environment variable NOT_GIVEN is not set"):
        secrets.get_secret("NOT_GIVEN")


def test_an_unknown_transform_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIMIT", "/app/limit")
    with pytest.raises(ValueError, match="transform='yaml' is invalid"):
        secrets.get_parameter("LIMIT", transform="yaml")


@mock_aws
def test_reads_secrets_and_secure_string_parameters_with_boto3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    boto3.client("secretsmanager", region_name="eu-west-1").create_secret(Name="prod/db", SecretString="pw")
    boto3.client("ssm", region_name="eu-west-1").put_parameter(Name="/app/limit", Value='{"n": 3}', Type="SecureString")
    monkeypatch.setenv("DB_SECRET", "prod/db")
    monkeypatch.setenv("LIMIT", "/app/limit")
    assert secrets.get_secret("DB_SECRET") == "pw"
    assert secrets.get_parameter("LIMIT", transform="json") == {"n": 3}


@mock_aws
def test_with_powertools_on_the_function_the_values_come_from_powertools(monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_lambda_powertools.utilities import parameters

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "reports")
    boto3.client("secretsmanager", region_name="eu-west-1").create_secret(Name="prod/db", SecretString="pw")
    seen: list[str] = []
    real = parameters.get_secret
    monkeypatch.setattr(parameters, "get_secret", lambda name, **kw: seen.append(name) or real(name, **kw))
    monkeypatch.setenv("DB_SECRET", "prod/db")
    assert secrets.get_secret("DB_SECRET") == "pw"
    assert secrets.get_secret("DB_SECRET") == "pw"  # this module's cache in front of Powertools'
    assert seen == ["prod/db"]
