"""LocalCloud's own guarantees: the IAM check, the stack/handle look-ups, unsupported resources, time-outs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs

from cdk_serverless_patterns import FunctionSpec, ServerlessFunction
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.local import (
    LocalCloud,
    LocalCloudWarning,
    LocalInvocationError,
)

HANDLERS = Path(__file__).parent.parent / "fixtures" / "local_handlers"


class ReaderStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str, *, grant: bool) -> None:
        super().__init__(scope, construct_id)
        self.table = create_table(self, "Items", removal_policy=cdk.RemovalPolicy.DESTROY)
        self.reader = ServerlessFunction(
            self,
            "Reader",
            FunctionSpec(code=HANDLERS, handler="reader.handler"),
            environment={"TABLE_NAME": self.table.table_name},
        )
        if grant:
            self.table.grant_read_data(self.reader.role)
        # a hand-written resource LocalCloud does not run
        cdk.CfnResource(self, "Cluster", type="AWS::ECS::Cluster")
        self.queue = sqs.Queue(self, "Encrypted", encryption_master_key=kms.Key(self, "QueueKey", enable_key_rotation=True))


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    ReaderStack(app, "Denied", grant=False)
    ReaderStack(app, "Granted", grant=True)
    return app


def _stack(app: cdk.App, name: str) -> Any:
    return app.node.find_child(name)


def test_a_call_outside_the_role_is_access_denied_as_in_aws(app: cdk.App) -> None:
    stack = _stack(app, "Denied")
    with pytest.warns(LocalCloudWarning), LocalCloud(stack) as cloud:
        with pytest.raises(LocalInvocationError) as caught:
            cloud.invoke(stack.reader, {"pk": "a"})
    assert caught.value.error_type == "ClientError"
    message = caught.value.error_message
    assert "AccessDeniedException" in message and "dynamodb:GetItem" in message
    assert "assumed-role/Denied-ReaderRole" in message and ":table/Denied-Items" in message


def test_granting_the_read_fixes_it(app: cdk.App) -> None:
    stack = _stack(app, "Granted")
    with pytest.warns(LocalCloudWarning), LocalCloud(stack) as cloud:
        cloud.table(stack.table).put_item(Item={"pk": "a"})
        assert cloud.invoke(stack.reader, {"pk": "a"}) == {"found": True}
        assert cloud.invoke(stack.reader, {"pk": "b"}) == {"found": False}


def test_set_up_data_goes_on_a_queue_and_in_a_table(app: cdk.App) -> None:
    stack = _stack(app, "Granted")
    with pytest.warns(LocalCloudWarning), LocalCloud(stack) as cloud:
        cloud.send_message(stack.queue, {"order": 1}, {"kind": "set-up"})
        [message] = cloud.messages(stack.queue)
        assert message.json() == {"order": 1} and message["MessageAttributes"]["kind"]["StringValue"] == "set-up"
        cloud.table(stack.table).put_item(Item={"pk": "seeded"})
        assert cloud.invoke(stack.reader, {"pk": "seeded"}) == {"found": True}


def test_an_app_and_a_stack_name_work_too_and_a_wrong_name_is_listed(app: cdk.App) -> None:
    with pytest.warns(LocalCloudWarning), LocalCloud(app, stack_name="Granted") as cloud:
        assert cloud.template.stack_name == "Granted"
    with pytest.raises(ValueError, match=r"no stack named 'Nope'; its stacks: \['Denied', 'Granted'\]"):
        LocalCloud(app, stack_name="Nope")
    with pytest.raises(TypeError, match="takes a cdk.Stack"):
        LocalCloud("Granted")


def test_unsupported_resources_are_listed_once(app: cdk.App) -> None:
    with pytest.warns(LocalCloudWarning) as caught, LocalCloud(_stack(app, "Granted")):
        pass
    listed = [str(w.message) for w in caught if "does not run these resources" in str(w.message)]
    assert listed == ["LocalCloud does not run these resources of Granted: AWS::ECS::Cluster (Cluster)"]


def test_a_handler_past_its_timeout_is_reported_as_a_timeout(app: cdk.App, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = _stack(app, "Granted")
    with pytest.warns(LocalCloudWarning), LocalCloud(stack) as cloud:
        local = cloud._function(stack.reader)  # noqa: SLF001 - white-box: a short timeout, a slow handler
        cloud.invoke(stack.reader, {"pk": "warm-up"})  # imports done, as on a warm Lambda
        monkeypatch.setattr(local, "timeout", 0.2)
        real_entry = local._load_entry  # noqa: SLF001

        def slow_entry() -> Any:
            entry = real_entry()
            return lambda event, context: (time.sleep(0.3), entry(event, context))[1]

        monkeypatch.setattr(local, "_load_entry", slow_entry)
        with pytest.raises(LocalInvocationError, match="Task timed out after 0.20 seconds"):
            cloud.invoke(stack.reader, {"pk": "a"})


def test_lookups_name_what_they_accept(app: cdk.App) -> None:
    stack = _stack(app, "Granted")
    with pytest.warns(LocalCloudWarning), LocalCloud(stack) as cloud:
        with pytest.raises(TypeError, match=r"is not a REST or HTTP API; pass a construct with \.api"):
            cloud.api(stack.reader)
        with pytest.raises(LookupError, match="no table named 'Missing'"):
            cloud.table("Missing")


def test_the_key_of_an_encrypted_queue_is_part_of_the_check(app: cdk.App) -> None:
    from cdk_serverless_patterns.local.iam import Arns, required_permissions

    stack = _stack(app, "Granted")
    with pytest.warns(LocalCloudWarning), LocalCloud(stack) as cloud:
        queue = cloud._queue(stack.queue)  # noqa: SLF001
        key = next(r for r in cloud.template.of_type("AWS::KMS::Key"))
        needed = required_permissions(
            "sqs", "SendMessage", {"QueueUrl": queue.ref}, Arns("us-east-1", "123456789012", cloud._kms_key_of)  # noqa: SLF001
        )
        assert [(p.action, p.resource) for p in needed] == [
            ("sqs:SendMessage", queue.arn),
            ("kms:GenerateDataKey", key.arn),
            ("kms:Decrypt", key.arn),
        ]


class HttpStack(cdk.Stack):
    """A hand-written HTTP API next to a library function: LocalCloud reads the template, not the constructs."""

    def __init__(self, scope: Any, construct_id: str) -> None:
        from aws_cdk import aws_apigatewayv2 as apigwv2
        from aws_cdk import aws_apigatewayv2_authorizers as authorizers
        from aws_cdk import aws_apigatewayv2_integrations as integrations

        super().__init__(scope, construct_id)
        self.table = create_table(self, "Items", removal_policy=cdk.RemovalPolicy.DESTROY)
        self.reader = ServerlessFunction(
            self, "Reader", FunctionSpec(code=HANDLERS, handler="reader.handler"), environment={"TABLE_NAME": self.table.table_name}
        )
        self.table.grant_read_data(self.reader.role)
        self.api = apigwv2.HttpApi(
            self,
            "Http",
            cors_preflight=apigwv2.CorsPreflightOptions(
                allow_origins=["https://app.example.com"], allow_methods=[apigwv2.CorsHttpMethod.GET]
            ),
        )
        integration = integrations.HttpLambdaIntegration("Reader", self.reader.alias)
        self.api.add_routes(path="/items/{pk}", methods=[apigwv2.HttpMethod.GET], integration=integration)
        jwt = authorizers.HttpJwtAuthorizer("Jwt", "https://issuer.example.com", jwt_audience=["app"])
        self.api.add_routes(path="/secure/{pk}", methods=[apigwv2.HttpMethod.GET], integration=integration, authorizer=jwt)


def test_an_http_api_routes_authorizes_and_answers_cors(tmp_path: Path) -> None:
    from cdk_serverless_patterns.local import LocalHttpApi

    app = cdk.App(outdir=str(tmp_path))
    stack = HttpStack(app, "Http")
    with LocalCloud(stack) as cloud:
        api = cloud.api(stack.api)
        assert isinstance(api, LocalHttpApi)
        ok = api.request("GET", "/items/a", headers={"Origin": "https://app.example.com"})
        assert ok.status == 200 and ok.json() == {"found": False}  # a plain dict becomes a 200 JSON body
        assert ok.headers["access-control-allow-origin"] == "https://app.example.com"
        [(event, _)] = cloud.invocations(stack.reader)
        assert event["version"] == "2.0" and event["routeKey"] == "GET /items/{pk}" and event["pathParameters"] == {"pk": "a"}
        assert api.request("GET", "/nowhere").status == 404
        assert api.request("GET", "/secure/a").status == 401
        assert api.request("GET", "/secure/a", claims={"sub": "u"}).status == 200
        assert cloud.invocations(stack.reader)[-1][0]["requestContext"]["authorizer"]["jwt"]["claims"] == {"sub": "u"}
        preflight = api.request(
            "OPTIONS", "/items/a", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
        )
        assert preflight.status == 204 and preflight.headers["access-control-allow-methods"] == "GET"
