"""Each function runs as in its own Lambda sandbox, and the cloud is quiet when drain() returns (issue 26 items 1, 2)."""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from cdk_serverless_patterns import FunctionSpec, ServerlessFunction
from cdk_serverless_patterns.local import LocalCloud, LocalCloudWarning, LocalInvocationError
from examples.order_saga.stack import OrderSagaStack

pytest.importorskip("moto.stepfunctions.parser")

FIXTURES = Path(__file__).parent.parent / "fixtures"


class SandboxStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.one, self.two = (
            ServerlessFunction(self, name.title(), FunctionSpec(code=FIXTURES / "sandboxes" / name, handler="app.handler"),
                               environment={"SANDBOX": name})
            for name in ("one", "two")
        )


class BrokenStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        from aws_cdk import aws_lambda as lambda_

        # Hand-written functions (the library's own refuse a missing handler file at synth).
        code = lambda_.Code.from_asset(str(FIXTURES / "sandboxes" / "one"))
        self.no_file, self.no_function = (
            lambda_.Function(self, name, code=code, handler=handler, runtime=lambda_.Runtime.PYTHON_3_12)
            for name, handler in (("NoFile", "orders.handler"), ("NoFunction", "app.missing"))
        )


class StartedByAHandler(OrderSagaStack):
    """The order saga, started by a handler (StartExecution) instead of the test."""

    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.starter = ServerlessFunction(
            self, "Starter", FunctionSpec(code=FIXTURES / "local_handlers", handler="start_saga.handler"),
            environment={"STATE_MACHINE_ARN": self.saga.state_machine.state_machine_arn},
        )
        self.saga.state_machine.grant_start_execution(self.starter.role)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> cdk.App:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("sandbox")))
    SandboxStack(app, "Sandboxes")
    BrokenStack(app, "Broken")
    StartedByAHandler(app, "HandlerSaga")
    app.synth()
    return app


def _open(stack: Any, **options: Any) -> LocalCloud:
    warnings.simplefilter("ignore", LocalCloudWarning)
    return LocalCloud(stack, **options)


def test_same_named_modules_env_and_init_stay_in_their_own_sandbox_under_concurrency(app: cdk.App) -> None:
    stack = app.node.find_child("Sandboxes")
    results: dict[str, list[Any]] = {"one": [], "two": []}
    with _open(stack) as cloud:
        # by name: jsii (construct look-ups) must stay on the thread that created the app
        names = {n: cloud.functions[stack.resolve(getattr(stack, n).function.node.default_child.logical_id)].name for n in results}

        def run(name: str) -> None:
            for _ in range(5):
                results[name].append(cloud.invoke(names[name], {"sleep": 0.005}))

        threads = [threading.Thread(target=run, args=(n,)) for n in results]
        for thread in threads:
            thread.start()
        assert "SANDBOX" not in os.environ  # the test's own thread never sees a handler's variables
        for thread in threads:
            thread.join()
    for name in ("one", "two"):
        assert results[name] == [{"module": name, "shared": name, "inits": 1, "env": [name, name]}] * 5


def test_a_runtime_other_than_the_interpreters_is_named_once(app: cdk.App) -> None:
    import sys

    running = f"python{sys.version_info.major}.{sys.version_info.minor}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with LocalCloud(app.node.find_child("Sandboxes")):
            pass
    named = [str(w.message) for w in caught if "declared for another Python" in str(w.message)]
    declared = FunctionSpec(code=FIXTURES, handler="a.b").resolved_runtime.name
    if declared == running:
        assert named == []
    else:
        assert len(named) == 1 and f"({running}): {declared}: OneFunction" in named[0] and ", TwoFunction" in named[0]


def test_a_missing_handler_file_or_function_names_the_function_and_the_path(app: cdk.App) -> None:
    stack = app.node.find_child("Broken")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cloud = LocalCloud(stack).__enter__()
    try:
        assert any("NoFile" in str(w.message) and "orders.py" in str(w.message) for w in caught)
        with pytest.raises(LocalInvocationError) as no_file:
            cloud.invoke(stack.no_file, {})
        assert no_file.value.error_type == "Runtime.ImportModuleError"
        assert "NoFile" in no_file.value.error_message
        assert "orders.py does not exist" in no_file.value.error_message
        with pytest.raises(LocalInvocationError) as no_function:
            cloud.invoke(stack.no_function, {})
        assert no_function.value.error_type == "Runtime.HandlerNotFound"
        assert "NoFunction" in no_function.value.error_message
        assert "app.py defines no missing()" in no_function.value.error_message
    finally:
        cloud.__exit__(None, None, None)


ORDER = {
    "customer_id": "c-7",
    "items": [{"sku": "book-1", "quantity": 2, "unit_price_cents": 1250}],
    "address": {"name": "Ada", "line1": "1 Rue X", "city": "Paris", "postcode": "75001", "country": "FR"},
}


def test_a_handler_started_saga_is_finished_when_drain_returns_10_times_in_10_fresh_clouds(app: cdk.App) -> None:
    stack = app.node.find_child("HandlerSaga")
    for run in range(10):
        with _open(stack) as cloud:
            table = cloud.table(stack.table)
            table.put_item(Item={"pk": "SKU#book-1", "sk": "STOCK", "available": 5})
            cloud.invoke(stack.starter, {**ORDER, "order_id": f"o-{run}"})  # auto-drain
            shipment = table.get_item(Key={"pk": f"ORDER#o-{run}", "sk": "SHIPMENT"}).get("Item")
            assert shipment is not None and shipment["status"] == "SHIPPED", f"run {run}"
            assert cloud.waiting == []


def test_leaving_the_block_stops_executions_and_joins_their_threads(app: cdk.App) -> None:
    from moto.stepfunctions.parser.utils import TMP_THREADS

    stack = app.node.find_child("HandlerSaga")
    with _open(stack, auto_drain=False) as cloud:
        cloud.table(stack.table).put_item(Item={"pk": "SKU#book-1", "sk": "STOCK", "available": 5})
        cloud.invoke(stack.starter, {**ORDER, "order_id": "o-left"})
        cloud._ctx.pending.clear()  # noqa: SLF001 - leave without draining what the start queued
    assert not [t for t in TMP_THREADS if t.is_alive()]
