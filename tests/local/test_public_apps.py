"""Public CDK Python serverless apps, run on LocalCloud through their README flows.

Each app lives under ``tests/local/public_apps/<name>/`` with a SOURCE.md
naming the public repository, path and commit it comes from. All stacks are
synthesized once (one module-scoped app); each test opens a fresh cloud on its
app and does what the app's README says to do, asserting what it says comes back.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import aws_cdk as cdk
import pytest

from cdk_serverless_patterns.local import LocalCloud

from .public_apps.http_api_eventbridge.stack import HttpApiEventBridgeStack
from .public_apps.http_api_sqs_lambda.stack import HttpApiSqsLambdaStack
from .public_apps.kinesis_esm_filters.stack import KinesisEsmFiltersStack
from .public_apps.lambda_sns_sms.stack import LambdaSnsSmsStack
from .public_apps.pipes_sqs_to_stepfunctions.stack import PipesSqsToStepFunctionsStack
from .public_apps.rest_api_eventbridge.stack import RestApiEventBridgeStack
from .public_apps.s3_lambda_sns.stack import S3LambdaSnsStack
from .public_apps.schedule_to_eventbridge.stack import PAYLOAD, ScheduleToEventBridgeStack


@pytest.fixture(scope="module")
def apps() -> dict[str, Any]:
    app = cdk.App()
    stacks = {
        "http_api_eventbridge": HttpApiEventBridgeStack(app, "HttpApiEventBridge"),
        "rest_api_eventbridge": RestApiEventBridgeStack(app, "RestApiEventBridge"),
        "http_api_sqs_lambda": HttpApiSqsLambdaStack(app, "HttpApiSqsLambda"),
        "schedule_to_eventbridge": ScheduleToEventBridgeStack(app, "ScheduleToEventBridge"),
        "pipes_sqs_to_stepfunctions": PipesSqsToStepFunctionsStack(app, "PipesSqsToStepFunctions"),
        "s3_lambda_sns": S3LambdaSnsStack(app, "S3LambdaSns"),
        "kinesis_esm_filters": KinesisEsmFiltersStack(app, "KinesisEsmFilters"),
        "lambda_sns_sms": LambdaSnsSmsStack(app, "LambdaSnsSms"),
    }
    app.synth()
    return stacks


def _post(cloud: LocalCloud, api: Any, path: str, body: Any) -> str:
    """POST ``body`` as JSON to ``path`` of ``api``; asserts a 200 and returns the response text."""
    response = cloud.api(api).request("POST", path, json=body)
    assert response.status == 200, response.body
    return response.body.decode() if isinstance(response.body, bytes) else str(response.body)


def test_http_api_eventbridge_put_events_answers_the_entries(apps: dict[str, Any]) -> None:
    stack = apps["http_api_eventbridge"]
    with LocalCloud(stack) as cloud:
        answer = json.loads(_post(cloud, stack.api, "/", {"Detail": {"message": "This is my test"}}))
        assert answer["FailedEntryCount"] == 0 and answer["Entries"][0]["EventId"]


def test_rest_api_eventbridge_put_events_succeeds(apps: dict[str, Any]) -> None:
    stack = apps["rest_api_eventbridge"]
    with LocalCloud(stack) as cloud:
        text = _post(cloud, stack.api, "/", {"HelloWorld": "Hello World"})
        # The response template wraps the escaped PutEvents answer in braces, as the app writes it.
        assert '\\"FailedEntryCount\\":0' in text.replace(" ", "") and "EventId" in text


def test_http_api_sqs_send_message_reaches_the_function(apps: dict[str, Any]) -> None:
    stack = apps["http_api_sqs_lambda"]
    with LocalCloud(stack) as cloud:
        assert "MessageId" in _post(cloud, stack.api, "/send", {"MessageBody": "hello"})
        bodies = [record["body"] for event, _ in cloud.invocations(stack.handler) for record in event["Records"]]
        assert bodies == ["hello"]


def test_schedule_puts_the_event_on_the_bus_and_the_rule_invokes_the_function(apps: dict[str, Any]) -> None:
    stack = apps["schedule_to_eventbridge"]
    with LocalCloud(stack) as cloud:
        cloud.run_schedule(stack.schedule)
        events = [event for event, _ in cloud.invocations(stack.function)]
        assert len(events) == 1
        assert events[0]["detail-type"] == "ScheduleTriggered" and events[0]["source"] == "scheduled.events"
        assert events[0]["detail"] == PAYLOAD


def test_pipe_starts_the_state_machine_with_the_templated_input(apps: dict[str, Any]) -> None:
    stack = apps["pipes_sqs_to_stepfunctions"]
    with LocalCloud(stack) as cloud:
        sqs = cloud.client("sqs")
        (url,) = sqs.list_queues()["QueueUrls"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"orderId": "o-1", "customerId": "c-7"}))
        cloud.drain()
        sfn = cloud.client("stepfunctions")
        (machine,) = sfn.list_state_machines()["stateMachines"]
        executions = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
        assert len(executions) == 1
        described = sfn.describe_execution(executionArn=executions[0]["executionArn"])
        assert described["status"] == "SUCCEEDED"
        # Pipes hands Step Functions the batch as a JSON array, even for a batch of one.
        assert json.loads(described["output"]) == [{"orderId": "o-1", "customerId": "c-7"}]


def test_s3_upload_notifies_the_function_which_publishes_to_the_topic(apps: dict[str, Any]) -> None:
    stack = apps["s3_lambda_sns"]
    with LocalCloud(stack) as cloud:
        cloud.put_object(stack.bucket, "reports/q1.csv", "a,b,c")
        published = cloud.published(stack.topic)
        assert len(published) == 1
        assert published[0]["Subject"] == "S3 Put Event"
        assert published[0]["Message"].startswith("File uploaded to bucket ")
        assert published[0]["Message"].endswith(" with key reports/q1.csv")


def test_kinesis_filters_select_records_by_their_data(apps: dict[str, Any]) -> None:
    stack = apps["kinesis_esm_filters"]
    records = [
        {"EVENT_TIME": "2023-12-21T16:43:09.730234", "SENSOR_ID": "s-1", "VALUE": 65.9, "STATUS": "WARN"},
        {"EVENT_TIME": "2023-12-21T16:43:09.889185", "SENSOR_ID": "s-2", "VALUE": 49.62, "STATUS": "OK"},
        {"EVENT_TIME": "2023-12-21T16:43:10.001000", "SENSOR_ID": "s-3", "VALUE": 91.0, "STATUS": "FAIL"},
        {"EVENT_TIME": "2023-12-21T16:43:10.002000", "SENSOR_ID": "s-4", "VALUE": 85.0, "STATUS": "WARN"},
    ]
    with LocalCloud(stack) as cloud:
        cloud.put_records(stack.stream, records)
        seen = {
            name: sorted(json.loads(base64.b64decode(r["kinesis"]["data"]))["SENSOR_ID"]
                         for event, _ in cloud.invocations(function) for r in event["Records"])
            for name, function in stack.consumers.items()
        }
    assert seen == {
        "LambdaConsumerNoFilter": ["s-1", "s-2", "s-3", "s-4"],
        "LambdaConsumerFailStatus": ["s-3"],
        "LambdaConsumerNotOkStatus": ["s-1", "s-3", "s-4"],
        "LambdaConsumerWarnValue": ["s-1"],
        # Two filters: a record matching either is delivered.
        "LambdaConsumerWarnLessValue": ["s-1", "s-2", "s-4"],
    }


def test_node_function_sends_the_sms(apps: dict[str, Any]) -> None:
    stack = apps["lambda_sns_sms"]
    with LocalCloud(stack) as cloud:
        # `aws lambda invoke --function-name SMSPublisherFunction response.json`
        answer = cloud.client("lambda").invoke(FunctionName="SMSPublisherFunction")
        assert answer["StatusCode"] == 200 and "FunctionError" not in answer, answer["Payload"].read()
        ((_, result),) = cloud.invocations(stack.function)
        assert result is None  # the handler returns nothing; a refused or failed Publish would be a FunctionError
