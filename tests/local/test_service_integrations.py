"""API Gateway service integrations on LocalCloud: REST ``AWS`` integrations with mapping templates, HTTP API subtypes.

One hand-written stack of plain CDK constructs per integration family,
synthesized once; each test opens a fresh cloud and drives the API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn

from cdk_serverless_patterns.local import LocalCloud, LocalCloudWarning

HANDLERS = Path(__file__).parent.parent / "fixtures" / "local_handlers"
JSON = "application/json"


def _ok(template: str = "") -> apigw.IntegrationResponse:
    return apigw.IntegrationResponse(status_code="200", response_templates={JSON: template} if template else None)


def _client_error() -> apigw.IntegrationResponse:
    return apigw.IntegrationResponse(status_code="400", selection_pattern=r"4\d{2}")


def _responses(*codes: str) -> list[apigw.MethodResponse]:
    return [apigw.MethodResponse(status_code=c) for c in codes or ("200", "400")]


class RestStack(cdk.Stack):
    """A REST API whose methods call Step Functions, SQS, SNS, DynamoDB, EventBridge and Kinesis directly."""

    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        role = iam.Role(self, "ApiRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"))
        self.api = apigw.RestApi(self, "Api", cloud_watch_role=False)
        root = self.api.root

        def aws(service: str, template: str, responses: list[apigw.IntegrationResponse], *, action: str = "",
                path: str = "", never: bool = False, **options: Any) -> apigw.AwsIntegration:
            return apigw.AwsIntegration(
                service=service, action=action or None, path=path or None, integration_http_method="POST",
                options=apigw.IntegrationOptions(
                    credentials_role=role, request_templates={JSON: template} if template else None,
                    integration_responses=responses,
                    passthrough_behavior=apigw.PassthroughBehavior.NEVER if never else None, **options),
            )

        # Step Functions: a standard and an express machine.
        greet = sfn.Pass(self, "Greet", parameters={"greeting.$": "States.Format('hello {}', $.name)"})
        self.machine = sfn.StateMachine(self, "Machine", definition_body=sfn.DefinitionBody.from_chainable(greet))
        self.machine.grant_start_execution(role)
        express_greet = sfn.Pass(self, "GreetNow", parameters={"greeting.$": "States.Format('hi {}', $.name)"})
        self.express = sfn.StateMachine(self, "Express", state_machine_type=sfn.StateMachineType.EXPRESS,
                                        definition_body=sfn.DefinitionBody.from_chainable(express_greet))
        self.express.grant(role, "states:StartSyncExecution")
        start = ('{"stateMachineArn": "%s", "input": "$util.escapeJavaScript($input.json(\'$\')).replaceAll("\\\\\'","\'")"}')
        root.add_resource("start").add_method("POST", aws(
            "states", start % self.machine.state_machine_arn,
            [_ok('{"id": "$input.path(\'$.executionArn\')", "stage": "$context.stage", "method": "$context.httpMethod"}'),
             apigw.IntegrationResponse(status_code="400", selection_pattern=r"4\d{2}",
                                       response_templates={JSON: '{"error": "$input.path(\'$.__type\')"}'})],
            action="StartExecution", never=True), method_responses=_responses())
        root.add_resource("now").add_method("POST", aws(
            "states", start % self.express.state_machine_arn, [_ok("$input.path('$.output')")],
            action="StartSyncExecution"), method_responses=_responses("200"))

        # SQS, path form with a form-encoded template, consumed by a function.
        self.queue = sqs.Queue(self, "Orders")
        self.queue.grant_send_messages(role)
        self.consumer = lambda_.Function(self, "Consumer", runtime=lambda_.Runtime.PYTHON_3_11,
                                         code=lambda_.Code.from_asset(str(HANDLERS)), handler="consumer.handler")
        self.consumer.add_event_source(sources.SqsEventSource(self.queue))
        root.add_resource("orders").add_method("POST", aws(
            "sqs", "Action=SendMessage&MessageBody=$util.urlEncode($input.body)",
            [_ok('{"messageId": "$input.path(\'$.SendMessageResponse.SendMessageResult.MessageId\')"}'), _client_error()],
            path=f"{self.account}/{self.queue.queue_name}", never=True,
            request_parameters={"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"}),
            method_responses=_responses())
        # SQS, action form from query-string parameters, to a queue the role may not send to.
        self.closed = sqs.Queue(self, "Closed")
        root.add_resource("closed").add_method("POST", aws(
            "sqs", "", [_ok(), apigw.IntegrationResponse(status_code="403", selection_pattern="403")],
            action="SendMessage",
            request_parameters={"integration.request.querystring.QueueUrl": f"'{self.closed.queue_url}'",
                                "integration.request.querystring.MessageBody": "method.request.querystring.text"}),
            request_parameters={"method.request.querystring.text": True}, method_responses=_responses("200", "403"))

        # SNS Publish to a topic with a raw SQS subscription.
        self.topic = sns.Topic(self, "News")
        self.topic.grant_publish(role)
        self.subscriber = sqs.Queue(self, "Subscriber")
        self.topic.add_subscription(subscriptions.SqsSubscription(self.subscriber, raw_message_delivery=True))
        root.add_resource("news").add_method("POST", aws(
            "sns", "Action=Publish&TopicArn=$util.urlEncode('%s')&Message=$util.urlEncode($input.body)" % self.topic.topic_arn,
            [_ok()], action="Publish"), method_responses=_responses("200"))

        # DynamoDB: put, get, query, update.
        self.table = dynamodb.Table(self, "Items", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
                                    removal_policy=cdk.RemovalPolicy.DESTROY)
        self.table.grant_read_write_data(role)
        name = self.table.table_name
        items = root.add_resource("items")
        item = items.add_resource("{id}")
        key = '"Key": {"pk": {"S": "$input.params(\'id\')"}}'
        item.add_method("PUT", aws("dynamodb", '{"TableName": "%s", "Item": {"pk": {"S": "$input.params(\'id\')"}, '
                                   '"name": {"S": "$util.escapeJavaScript($input.path(\'$.name\'))"}}}' % name,
                                   [_ok('{"saved": "$input.params(\'id\')"}')], action="PutItem"),
                        method_responses=_responses("200"))
        item.add_method("GET", aws("dynamodb", '{"TableName": "%s", %s}' % (name, key), [_ok(
            "#set($item = $input.path('$.Item'))#if($item == \"\")#set($context.responseOverride.status = 404){}"
            '#else{"id": "$item.pk.S", "name": "$util.escapeJavaScript($item.name.S)"}#end')], action="GetItem"),
            method_responses=_responses("200", "404"))
        item.add_method("PATCH", aws("dynamodb", '{"TableName": "%s", %s, "UpdateExpression": "SET #n = :n", '
                                     '"ExpressionAttributeNames": {"#n": "name"}, '
                                     '"ExpressionAttributeValues": {":n": {"S": "$input.path(\'$.name\')"}}, '
                                     '"ReturnValues": "ALL_NEW"}' % (name, key),
                                     [_ok('{"name": "$input.path(\'$.Attributes.name.S\')"}')], action="UpdateItem"),
                         method_responses=_responses("200"))
        items.add_method("GET", aws("dynamodb", '{"TableName": "%s", "KeyConditionExpression": "pk = :pk", '
                                    '"ExpressionAttributeValues": {":pk": {"S": "$input.params(\'pk\')"}}}' % name,
                                    [_ok('[#foreach($i in $input.path(\'$.Items\'))"$util.escapeJavaScript($i.name.S)"#if($foreach.hasNext),#end#end]')],
                                    action="Query"), method_responses=_responses("200"))

        # EventBridge PutEvents to a bus whose rule feeds a queue.
        self.bus = events.EventBus(self, "Bus")
        self.bus.grant_put_events_to(role)
        self.audit = sqs.Queue(self, "Audit")
        events.Rule(self, "Placed", event_bus=self.bus, event_pattern=events.EventPattern(source=["shop"]),
                    targets=[targets.SqsQueue(self.audit)])
        root.add_resource("events").add_method("POST", aws(
            "events", '{"Entries": [{"Source": "shop", "DetailType": "OrderPlaced", "EventBusName": "%s", '
            '"Detail": "$util.escapeJavaScript($input.json(\'$\'))"}]}' % self.bus.event_bus_name,
            [_ok('{"failed": $input.path(\'$.FailedEntryCount\')}')], action="PutEvents"), method_responses=_responses("200"))

        # Kinesis PutRecord.
        self.stream = kinesis.Stream(self, "Clicks", shard_count=1)
        self.stream.grant_write(role)
        root.add_resource("clicks").add_method("POST", aws(
            "kinesis", '{"StreamName": "%s", "Data": "$util.base64Encode($input.body)", "PartitionKey": "$context.requestId"}'
            % self.stream.stream_name, [_ok()], action="PutRecord"), method_responses=_responses("200"))


class UnsupportedStack(cdk.Stack):
    """An integration LocalCloud cannot run (S3 through API Gateway)."""

    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        role = iam.Role(self, "ApiRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"))
        api = apigw.RestApi(self, "Api", cloud_watch_role=False)
        api.root.add_resource("files").add_method("GET", apigw.AwsIntegration(
            service="s3", path="bucket/key", integration_http_method="GET",
            options=apigw.IntegrationOptions(credentials_role=role)))


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    RestStack(app, "Rest")
    UnsupportedStack(app, "Unsupported")
    HttpStack(app, "Http")
    return app


@pytest.fixture()
def rest(app: cdk.App) -> Any:
    return app.node.find_child("Rest")


def test_start_execution_maps_the_body_and_the_execution_runs(rest: Any) -> None:
    with LocalCloud(rest) as cloud:
        response = cloud.api(rest.api).request("POST", "/start", json={"name": "Ada O'Hara"})
        assert response.status == 200, response.body
        answer = response.json()
        assert answer["stage"] == "prod" and answer["method"] == "POST"
        described = cloud.client("stepfunctions").describe_execution(executionArn=answer["id"])
        assert described["status"] == "SUCCEEDED"  # run before request() returned (auto-drain)
        assert json.loads(described["output"]) == {"greeting": "hello Ada O'Hara"}


def test_start_execution_passthrough_never_refuses_other_media_types(rest: Any) -> None:
    with LocalCloud(rest) as cloud:
        response = cloud.api(rest.api).request("POST", "/start", body="name=x", headers={"Content-Type": "text/plain"})
        assert response.status == 415 and response.json() == {"message": "Unsupported Media Type"}


def test_start_sync_execution_answers_the_output(rest: Any) -> None:
    with LocalCloud(rest) as cloud:
        response = cloud.api(rest.api).request("POST", "/now", json={"name": "Bo"})
        assert response.status == 200 and response.json() == {"greeting": "hi Bo"}


def test_sqs_send_message_reaches_the_consumer(rest: Any) -> None:
    with LocalCloud(rest) as cloud:
        response = cloud.api(rest.api).request("POST", "/orders", json={"order": 1, "note": "a&b=c"})
        assert response.status == 200 and response.json()["messageId"]
        [(event, _)] = cloud.invocations(rest.consumer)
        assert json.loads(event["Records"][0]["body"]) == {"order": 1, "note": "a&b=c"}


def test_the_integration_role_is_checked_like_a_handler_role(rest: Any) -> None:
    with LocalCloud(rest) as cloud:
        response = cloud.api(rest.api).request("POST", "/closed", query={"text": "hi"})
        assert response.status == 403
        assert "is not authorized to perform: sqs:SendMessage" in response.json()["Error"]["Message"]
        assert cloud.messages(rest.closed) == []


def test_sns_publish_fans_out_to_subscriptions(rest: Any) -> None:
    with LocalCloud(rest) as cloud:
        assert cloud.api(rest.api).request("POST", "/news", json={"headline": "x"}).status == 200
        [message] = cloud.messages(rest.subscriber)
        assert message.json() == {"headline": "x"}


def test_dynamodb_put_get_query_update(rest: Any) -> None:
    with LocalCloud(rest) as cloud:
        api = cloud.api(rest.api)
        assert api.request("PUT", "/items/a", json={"name": 'say "hi"'}).json() == {"saved": "a"}
        assert api.request("GET", "/items/a").json() == {"id": "a", "name": 'say "hi"'}
        assert api.request("GET", "/items", query={"pk": "a"}).json() == ['say "hi"']
        assert api.request("PATCH", "/items/a", json={"name": "b"}).json() == {"name": "b"}
        missing = api.request("GET", "/items/zz")
        assert missing.status == 404 and missing.json() == {}


def test_eventbridge_put_events_reach_the_rules(rest: Any) -> None:
    with LocalCloud(rest) as cloud:
        assert cloud.api(rest.api).request("POST", "/events", json={"order": 7}).json() == {"failed": 0}
        [message] = cloud.messages(rest.audit)
        assert message.json()["detail"] == {"order": 7} and message.json()["detail-type"] == "OrderPlaced"


def test_kinesis_put_record(rest: Any) -> None:
    with LocalCloud(rest) as cloud:
        response = cloud.api(rest.api).request("POST", "/clicks", json={"page": "/"})
        assert response.status == 200 and response.json()["ShardId"]
        kinesis_client = cloud.client("kinesis")
        name = cloud.template.resources[next(r.logical_id for r in cloud.template.of_type("AWS::Kinesis::Stream"))].name
        iterator = kinesis_client.get_shard_iterator(StreamName=name, ShardId=response.json()["ShardId"],
                                                     ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        [record] = kinesis_client.get_records(ShardIterator=iterator)["Records"]
        assert json.loads(record["Data"]) == {"page": "/"}


def test_an_integration_it_cannot_run_is_named_once_at_open(app: cdk.App) -> None:
    stack = app.node.find_child("Unsupported")
    with pytest.warns(LocalCloudWarning, match=r"AWS::ApiGateway::Method ApifilesGET\w+: the path form of a s3 integration"):
        with LocalCloud(stack) as cloud:
            api = cloud.api(stack.node.find_child("Api"))
            assert api.request("GET", "/files").status == 500


# -- HTTP APIs ---------------------------------------------------------------------------


class HttpStack(cdk.Stack):
    """An HTTP API with first-class SQS, Step Functions, EventBridge and Kinesis integrations."""

    def __init__(self, scope: Any, construct_id: str) -> None:
        from aws_cdk import aws_apigatewayv2 as apigwv2
        from aws_cdk import aws_apigatewayv2_integrations as integrations

        super().__init__(scope, construct_id)
        self.api = apigwv2.HttpApi(self, "Api")
        post = [apigwv2.HttpMethod.POST]
        self.queue = sqs.Queue(self, "Inbox")
        self.api.add_routes(path="/inbox", methods=post, integration=integrations.HttpSqsIntegration(
            "Sqs", queue=self.queue, parameter_mapping=apigwv2.ParameterMapping()
            .custom("QueueUrl", self.queue.queue_url).custom("MessageBody", "$request.body.message")
            .custom("MessageAttributes", '{"from": {"DataType": "String", "StringValue": "${request.header.x-from}"}}')))
        pass_state = sfn.Pass(self, "Echo")
        self.machine = sfn.StateMachine(self, "Machine", definition_body=sfn.DefinitionBody.from_chainable(pass_state))
        self.api.add_routes(path="/start", methods=post, integration=integrations.HttpStepFunctionsIntegration(
            "Start", state_machine=self.machine, parameter_mapping=apigwv2.ParameterMapping()
            .custom("StateMachineArn", self.machine.state_machine_arn).custom("Input", "$request.body")
            .custom("Name", "$request.querystring.name")))
        express_state = sfn.Pass(self, "EchoNow")
        self.express = sfn.StateMachine(self, "Express", state_machine_type=sfn.StateMachineType.EXPRESS,
                                        definition_body=sfn.DefinitionBody.from_chainable(express_state))
        self.api.add_routes(path="/now", methods=post, integration=integrations.HttpStepFunctionsIntegration(
            "Now", state_machine=self.express, subtype=apigwv2.HttpIntegrationSubtype.STEPFUNCTIONS_START_SYNC_EXECUTION,
            parameter_mapping=apigwv2.ParameterMapping()
            .custom("StateMachineArn", self.express.state_machine_arn).custom("Input", "$request.body")))
        self.bus = events.EventBus(self, "Bus")
        self.audit = sqs.Queue(self, "Audit")
        events.Rule(self, "All", event_bus=self.bus, event_pattern=events.EventPattern(source=["web"]),
                    targets=[targets.SqsQueue(self.audit)])
        self.api.add_routes(path="/events", methods=post, integration=integrations.HttpEventBridgeIntegration(
            "Events", event_bus_ref=self.bus.event_bus_ref))
        self.stream = kinesis.Stream(self, "Clicks", shard_count=1)
        role = iam.Role(self, "KinesisRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"))
        self.stream.grant_write(role)
        kinesis_integration = apigwv2.CfnIntegration(
            self, "Kinesis", api_id=self.api.api_id, integration_type="AWS_PROXY", integration_subtype="Kinesis-PutRecord",
            payload_format_version="1.0", credentials_arn=role.role_arn,
            request_parameters={"StreamName": self.stream.stream_name, "Data": "$request.body",
                                "PartitionKey": "$context.requestId"})
        apigwv2.CfnRoute(self, "KinesisRoute", api_id=self.api.api_id, route_key="POST /clicks",
                         target=f"integrations/{kinesis_integration.ref}")


@pytest.fixture()
def http(app: cdk.App) -> Any:
    return app.node.find_child("Http")


def test_http_sqs_send_message_maps_body_and_headers(http: Any) -> None:
    with LocalCloud(http) as cloud:
        response = cloud.api(http.api).request("POST", "/inbox", json={"message": "hello"}, headers={"X-From": "ada"})
        assert response.status == 200, response.body
        assert response.json()["SendMessageResponse"]["SendMessageResult"]["MessageId"]
        [message] = cloud.messages(http.queue)
        assert message.body == "hello" and message.attributes["from"]["StringValue"] == "ada"


def test_http_step_functions_start_and_sync(http: Any) -> None:
    with LocalCloud(http) as cloud:
        api = cloud.api(http.api)
        started = api.request("POST", "/start", json={"n": 1}, query={"name": "run-1"})
        assert started.status == 200 and started.json()["executionArn"].endswith(":run-1")
        described = cloud.client("stepfunctions").describe_execution(executionArn=started.json()["executionArn"])
        assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"n": 1}
        again = api.request("POST", "/start", json={"n": 2}, query={"name": "run-1"})
        assert again.status == 400 and again.json()["__type"] == "ExecutionAlreadyExists"
        now = api.request("POST", "/now", json={"n": 3})
        assert now.status == 200 and now.json()["status"] == "SUCCEEDED" and json.loads(now.json()["output"]) == {"n": 3}


def test_http_eventbridge_put_events_and_kinesis_put_record(http: Any) -> None:
    with LocalCloud(http) as cloud:
        api = cloud.api(http.api)
        event = {"Source": "web", "DetailType": "Click", "Detail": json.dumps({"page": "/"})}
        assert api.request("POST", "/events", json=event).json()["FailedEntryCount"] == 0
        [message] = cloud.messages(http.audit)
        assert message.json()["detail"] == {"page": "/"}
        record = api.request("POST", "/clicks", json={"page": "/docs"})
        assert record.status == 200 and record.json()["ShardId"]

