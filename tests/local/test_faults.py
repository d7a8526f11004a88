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
