"""Saga executions on moto's ASL engine: what docs/patterns/saga.md promises (issue 15 item 11).

The synthesized definition runs in moto's Step Functions interpreter; every
Lambda call lands in a scripted fake (``LambdaSimpleBackend.invoke``), and
retry waits are skipped. Checked: a failed execution's error and its cause (the
saga state as JSON, since FAILED executions have no output), compensations
retrying transient Lambda errors with ``compensation_retry_attempts``, and every
way of not approving failing with ``Saga.ApprovalRejected``.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Callable

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import Duration

moto = pytest.importorskip("moto")
from moto.awslambda_simple.models import LambdaSimpleBackend  # noqa: E402
from moto.core.exceptions import JsonRESTError  # noqa: E402

from cdk_serverless_patterns import FunctionSpec, Saga, SagaApproval, SagaStep  # noqa: E402
from tests.support import HANDLER_DIR  # noqa: E402

REGION, ACCOUNT = "us-east-1", "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/saga"
_TOKEN = re.compile(r"<(Ref|GetAtt):([^>]+)>")


def spec() -> FunctionSpec:
    return FunctionSpec(code=str(HANDLER_DIR), handler="app.handler")


class Throttled(JsonRESTError):
    """What Lambda answers when the function's concurrency is exhausted (transient)."""

    code = 429

    def __init__(self) -> None:
        super().__init__("TooManyRequestsException", "Rate Exceeded.")


def _definition(stack: cdk.Stack, saga: Saga, names: dict[str, str], topic_arn: str = "") -> str:
    """The synthesized DefinitionString with tokens resolved to moto ARNs."""
    body = stack.resolve(saga.state_machine.node.default_child.definition_string)
    separator, parts = body["Fn::Join"]
    text = separator.join(p if isinstance(p, str) else f"<Ref:{_ref(p)}>" for p in parts)

    def resolve(match: re.Match[str]) -> str:
        ref = match.group(2)
        if ref == "AWS::Partition":
            return "aws"
        if ref in names:
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{names[ref]}:live"
        if "ApprovalTopic" in ref:
            return topic_arn
        raise AssertionError(f"unexpected token {ref}")

    return _TOKEN.sub(resolve, text)


def _ref(part: dict[str, Any]) -> str:
    if "Ref" in part:
        return part["Ref"]
    return part["Fn::GetAtt"][0]


def _alias_names(stack: cdk.Stack, saga: Saga) -> dict[str, str]:
    """Logical id of each alias -> the fake function name the script uses."""
    names = {}
    for step, fns in saga.functions.items():
        names[stack.resolve(stack.get_logical_id(fns.action.alias.node.default_child))] = step
        if fns.compensation is not None and fns.compensation is not fns.action:
            names[stack.resolve(stack.get_logical_id(fns.compensation.alias.node.default_child))] = f"undo_{step}"
    return names


@pytest.fixture(scope="module")
def sagas():
    app = cdk.App()
    stack = cdk.Stack(app, "Run")
    shared = spec()
    basic = Saga(
        stack,
        "Basic",
        steps=[
            SagaStep("a", action=spec(), compensation=spec()),
            SagaStep("b", action=spec()),
            SagaStep("c", action=shared, compensation=shared, compensate_on_own_failure=True),
            SagaStep("d", action=spec()),
        ],
        retry_attempts=1,
        compensation_retry_attempts=5,
        create_alarms=False,
    )
    approval = Saga(
        stack,
        "Approved",
        steps=[SagaStep("reserve", action=spec(), compensation=spec()), SagaStep("ship", action=spec())],
        approval=SagaApproval(before="ship", timeout=Duration.hours(1)),
        create_alarms=False,
    )
    return stack, basic, approval


class Cloud:
    """moto with the ASL engine on, scripted Lambda answers and no retry waits."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.script: dict[str, list[Callable[[dict[str, Any]], Any]]] = {}
        cloud = self

        def invoke(self_: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any) -> bytes:
            name = function_name.split(":")[6]
            event = json.loads(body)
            if name == "c" and event["saga"]["phase"] == "compensate":
                name = "undo_c"  # one function serves both phases of c
            cloud.calls.append((name, event))
            answers = cloud.script.get(name, [])
            answer = answers.pop(0) if len(answers) > 1 else (answers[0] if answers else (lambda e: {"ok": name}))
            try:
                return json.dumps(answer(event)).encode()
            except Throttled:
                raise
            except Exception as exc:  # a handler error: Lambda reports it as a function error
                response_headers["x-amz-function-error"] = "Unhandled"
                return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()

        monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)
        monkeypatch.setattr(
            "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl.time.sleep", lambda _s: None
        )
        self.mock = moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}})

    def __enter__(self) -> "Cloud":
        self.mock.start()
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.mock.stop()

    def fail(self, name: str, error: type[Exception] = RuntimeError, times: int = 1) -> None:
        def raise_(_event: dict[str, Any]) -> Any:
            raise error("simulated")

        self.script[name] = [raise_] * times + [lambda e: {"ok": name}]

    def run(self, definition: str, payload: dict[str, Any], *, until: str = "done") -> dict[str, Any]:
        machine = self.sfn.create_state_machine(name=f"m{len(self.calls)}{time.time_ns()}", definition=definition, roleArn=ROLE_ARN)
        arn = self.sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name=f"x{time.time_ns()}", input=json.dumps(payload))["executionArn"]
        return self.wait(arn) if until == "done" else {"executionArn": arn}

    def wait(self, arn: str) -> dict[str, Any]:
        for _ in range(400):
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.05)
        raise AssertionError("execution did not finish")

    def invoked(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture
def cloud(monkeypatch):
    with Cloud(monkeypatch) as c:
        yield c


def test_a_failed_step_fails_the_execution_with_its_name_and_the_state_as_cause(sagas, cloud):
    stack, basic, _ = sagas
    cloud.fail("b")
    result = cloud.run(_definition(stack, basic, _alias_names(stack, basic)), {"order_id": "o-1"})
    assert result["status"] == "FAILED"
    assert result["error"] == "Saga.b.Failed"
    assert "output" not in result, "a FAILED execution has no output: the cause carries it"
    cause = json.loads(result["cause"])
    assert cause["input"] == {"order_id": "o-1"}
    assert cause["results"] == {"a": {"ok": "a"}}
    assert cause["compensations"] == {"a": {"ok": "undo_a"}}
    assert cause["failure"]["step"] == "b" and cause["failure"]["name"] == "Saga.b.Failed"
    assert cause["failure"]["error"]["Error"] == "RuntimeError"
    assert cloud.invoked() == ["a", "b", "undo_a"]


def test_compensations_retry_transient_lambda_errors_with_compensation_retry_attempts(sagas, cloud):
    stack, basic, _ = sagas  # retry_attempts=1, compensation_retry_attempts=5
    cloud.fail("d")
    cloud.fail("undo_c", error=Throttled, times=3)  # more than retry_attempts, fewer than compensation's
    result = cloud.run(_definition(stack, basic, _alias_names(stack, basic)), {"order_id": "o-2"})
    assert result["error"] == "Saga.d.Failed", result.get("cause")
    assert cloud.invoked() == ["a", "b", "c", "d", "undo_c", "undo_c", "undo_c", "undo_c", "undo_a"]
    assert set(json.loads(result["cause"])["compensations"]) == {"a", "c"}


def _approval_run(cloud: Cloud, sagas: Any, answer: Callable[[Any, str], None]) -> dict[str, Any]:
    stack, _, approval = sagas
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="approvals")["TopicArn"]
    queue = sqs.create_queue(QueueName="approvers")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    arn = cloud.run(_definition(stack, approval, _alias_names(stack, approval), topic), {"order_id": "o-3"}, until="started")["executionArn"]
    for _ in range(200):
        messages = sqs.receive_message(QueueUrl=queue).get("Messages", [])
        if messages:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("no approval request published")
    answer(cloud.sfn, json.loads(messages[0]["Body"])["taskToken"])
    return cloud.wait(arn)


@pytest.mark.parametrize(
    "answer, original_error",
    [
        (lambda sfn, token: sfn.send_task_success(taskToken=token, output=json.dumps({"approved": False})), "Saga.ApprovalRejected"),
        (lambda sfn, token: sfn.send_task_failure(taskToken=token, error="Declined", cause="out of stock"), "Declined"),
    ],
    ids=["approved-false", "send-task-failure"],
)
def test_every_way_of_not_approving_fails_with_approval_rejected(sagas, cloud, answer, original_error):
    result = _approval_run(cloud, sagas, answer)
    assert result["status"] == "FAILED"
    assert result["error"] == "Saga.ApprovalRejected"
    cause = json.loads(result["cause"])
    assert cause["failure"]["error"]["Error"] == original_error
    assert cause["compensations"] == {"reserve": {"ok": "undo_reserve"}}
    assert cloud.invoked() == ["reserve", "undo_reserve"]


def test_an_approval_lets_the_saga_finish(sagas, cloud):
    result = _approval_run(
        cloud, sagas, lambda sfn, token: sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    )
    assert result["status"] == "SUCCEEDED"
    assert cloud.invoked() == ["reserve", "ship"]
