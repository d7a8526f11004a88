"""Tenant isolation in LocalCloud: the REST route maps the tenant id into the invoke, the handler
reads ``context.tenant_id``, and each tenant's invocations run in sandboxes of their own."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from botocore.exceptions import ClientError

from cdk_serverless_patterns import ApiAuth, ApiBackend, FunctionSpec, ServerlessFunction, TenantIsolation
from cdk_serverless_patterns.local import LocalCloud, LocalCloudWarning, LocalInvocationError
from tests.support import synthesized_stack

FIXTURES = Path(__file__).parent.parent / "fixtures"


class TenantStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        spec = FunctionSpec(code=FIXTURES / "tenants", handler="app.handler")
        self.api = ApiBackend(
            self, "Reports", routes={"GET /reports": spec.replace(tenant_isolation=TenantIsolation.header("X-Tenant-Id"))},
            auth=ApiAuth.none("a test API: tenant isolation, not authorization, is what it checks"),
        )
        self.plain = ServerlessFunction(self, "Plain", FunctionSpec(code=FIXTURES / "tenants", handler="app.handler"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> TenantStack:
    return synthesized_stack(TenantStack, "Tenants", tmp_path_factory.mktemp("tenants"))


@pytest.fixture
def cloud(stack: TenantStack) -> Any:
    warnings.simplefilter("ignore", LocalCloudWarning)
    with LocalCloud(stack) as local:
        yield local


def test_each_tenant_gets_its_own_sandbox_and_context_tenant_id(cloud: Any, stack: TenantStack) -> None:
    api = cloud.api(stack.api)

    def get(tenant: str) -> dict[str, Any]:
        response = api.request("GET", "/reports", headers={"X-Tenant-Id": tenant})
        assert response.status_code == 200, response.body
        return dict(json.loads(response.body))

    assert get("blue") == {"tenant": "blue", "served": ["blue"]}
    assert get("green") == {"tenant": "green", "served": ["green"]}  # not blue's module state
    assert get("blue") == {"tenant": "blue", "served": ["blue", "blue"]}  # blue's sandbox stays warm
    # the method request requires the header: API Gateway's validator refuses the request
    assert api.request("GET", "/reports").status_code == 400


def test_lambda_refuses_a_tenant_id_where_isolation_is_not_as_asked(cloud: Any, stack: TenantStack) -> None:
    isolated = cloud.functions[stack.resolve(stack.api.functions["GET /reports"].function.node.default_child.logical_id)]
    client = cloud.client("lambda")
    answer = client.invoke(FunctionName=isolated.name, TenantId="red")
    assert json.loads(json.loads(answer["Payload"].read())["body"]) == {"tenant": "red", "served": ["red"]}
    with pytest.raises(ClientError, match="InvalidParameterValueException"):
        client.invoke(FunctionName=isolated.name)
    with pytest.raises(ClientError, match="InvalidParameterValueException"):
        client.invoke(FunctionName=cloud.functions[stack.resolve(stack.plain.function.node.default_child.logical_id)].name,
                      TenantId="red")
    assert json.loads(cloud.invoke(stack.plain, {})["body"]) == {"tenant": None, "served": [None]}
    with pytest.raises(LocalInvocationError, match="tenant isolation"):
        cloud.invoke(isolated.logical_id, {})
    assert json.loads(cloud.invoke(isolated.logical_id, {}, tenant_id="red")["body"])["served"] == ["red", "red"]
