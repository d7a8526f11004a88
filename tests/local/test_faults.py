"""LocalCloud's fault injection: whole invocations (before or after the handler commits) and single AWS calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from cdk_serverless_patterns import FunctionSpec, Invocation, ServerlessFunction
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.local import LocalCloud, LocalInvocationError

HANDLERS = Path(__file__).parent.parent / "fixtures" / "local_handlers"


class CounterStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = create_table(self, "Counts", removal_policy=cdk.RemovalPolicy.DESTROY)
        self.counter = ServerlessFunction(
            self, "Counter", FunctionSpec(code=HANDLERS, handler="counter.handler"),
            environment={"TABLE_NAME": self.table.table_name}, invocation=Invocation.ASYNC,
        )
        self.table.grant_read_write_data(self.counter.role)
        self.prober = ServerlessFunction(self, "Prober", FunctionSpec(code=HANDLERS, handler="prober.handler"))
        self.table.grant_read_data(self.prober.role)
        self.counter.function.grant_invoke(self.prober.role)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> CounterStack:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("faults")))
    stack = CounterStack(app, "Faults")
    app.synth()
    return stack


def _count(cloud: LocalCloud, stack: CounterStack, pk: str) -> int:
    return int(cloud.table(stack.table).get_item(Key={"pk": pk})["Item"]["n"])


def test_a_timeout_after_the_write_keeps_the_write_and_reports_a_lambda_timeout(stack: CounterStack) -> None:
    with LocalCloud(stack) as cloud:
        cloud.fail(stack.counter, after_commit=True, error="Timeout")
        with pytest.raises(LocalInvocationError) as caught:
            cloud.invoke(stack.counter, {"pk": "a"})
        assert caught.value.error_type == "Sandbox.Timedout"
        assert caught.value.error_message.startswith("RequestId: ")
        assert caught.value.error_message.endswith(" Error: Task timed out after 10.00 seconds")
        assert _count(cloud, stack, "a") == 1  # the handler committed before the invocation failed
        assert cloud.invoke(stack.counter, {"pk": "a"}) == {"n": 2}  # one fault only


def test_an_async_retry_after_a_committed_failure_sees_the_write(stack: CounterStack) -> None:
    with LocalCloud(stack) as cloud:
        cloud.fail(stack.counter, after_commit=True, error="ConnectionError")
        cloud.invoke_async(stack.counter, {"pk": "b"})
        assert _count(cloud, stack, "b") == 2  # the failed attempt's write, then the retry's
        [(_, failed), (_, retried)] = cloud.invocations(stack.counter)
        assert isinstance(failed, LocalInvocationError) and failed.error_type == "ConnectionError"
        assert retried == {"n": 2}


def test_without_after_commit_the_handler_does_not_run(stack: CounterStack) -> None:
    with LocalCloud(stack) as cloud:
        cloud.fail(stack.counter, times=2, error="TimeoutError")
        for _ in range(2):
            with pytest.raises(LocalInvocationError, match="Sandbox.Timedout"):
                cloud.invoke(stack.counter, {"pk": "c"})
        assert "Item" not in cloud.table(stack.table).get_item(Key={"pk": "c"})


def test_a_call_fault_fails_the_handlers_next_calls_to_that_operation_only(stack: CounterStack) -> None:
    with LocalCloud(stack) as cloud:
        cloud.fail_call(stack.counter, "dynamodb", "PutItem", times=5)  # not what the counter calls
        cloud.fail_call(stack.counter, "dynamodb", "UpdateItem", times=2)
        for _ in range(2):
            with pytest.raises(LocalInvocationError) as caught:
                cloud.invoke(stack.counter, {"pk": "d"})
            assert caught.value.error_type == "ThrottlingException"
            assert "(ThrottlingException) when calling the UpdateItem operation" in caught.value.error_message
        assert cloud.invoke(stack.counter, {"pk": "d"}) == {"n": 1}


def test_a_failed_call_is_the_modelled_exception_with_the_codes_http_status(stack: CounterStack) -> None:
    table = {"service": "dynamodb", "method": "get_item", "params": {"TableName": "", "Key": {"pk": {"S": "x"}}}}
    invoke = {"service": "lambda", "method": "invoke", "params": {"FunctionName": "", "Payload": b'{"pk": "e"}'}}
    with LocalCloud(stack) as cloud:
        table["params"]["TableName"] = cloud.functions[_logical_id(stack.counter)].environment["TABLE_NAME"]
        invoke["params"]["FunctionName"] = cloud.functions[_logical_id(stack.counter)].name
        cloud.fail_call(stack.prober, "dynamodb", error="InternalServerError")
        cloud.fail_call(stack.prober, "dynamodb", "GetItem", error="ProvisionedThroughputExceededException")
        cloud.fail_call(stack.prober, "lambda", "Invoke", error="TooManyRequestsException")
        outcomes = cloud.invoke(stack.prober, {"calls": [table, table, invoke, table, invoke]})
    assert outcomes == [
        {"ok": False, "class": "InternalServerError", "modelled": True, "code": "InternalServerError", "status": 500},
        {"ok": False, "class": "ProvisionedThroughputExceededException", "modelled": True,
         "code": "ProvisionedThroughputExceededException", "status": 400},
        {"ok": False, "class": "TooManyRequestsException", "modelled": True, "code": "TooManyRequestsException", "status": 429},
        {"ok": True},
        {"ok": True},
    ]


def test_an_unknown_operation_is_named_with_close_matches(stack: CounterStack) -> None:
    with LocalCloud(stack) as cloud, pytest.raises(ValueError, match="dynamodb has no operation 'PutItems'; did you mean PutItem"):
        cloud.fail_call(stack.counter, "dynamodb", "PutItems")


def _logical_id(function: ServerlessFunction) -> str:
    return str(cdk.Stack.of(function).resolve(function.function.node.default_child.logical_id))
