"""``python -m cdk_serverless_patterns local serve``: real HTTP clients and boto3 against a served cdk.out."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import boto3
import pytest

from tests.local.test_delivery_fidelity import REGION, write_assembly

ROOT = Path(__file__).parent.parent.parent


class Served:
    def __init__(self, process: "subprocess.Popen[str]", banner: str) -> None:
        self.process = process
        self.banner = banner
        self.api_url = re.search(r"APIs: (\S+)", banner).group(1)  # type: ignore[union-attr]
        self.aws_url = re.search(r"AWS endpoint: (\S+)", banner).group(1)  # type: ignore[union-attr]

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.aws_url, region_name=REGION,
                            aws_access_key_id="local", aws_secret_access_key="local")


@contextmanager
def serving(outdir: Path, stack: Optional[str] = None) -> Iterator[Served]:
    command = [sys.executable, "-m", "cdk_serverless_patterns", "local", "serve", str(outdir), "--port", "0"]
    command += ["--stack", stack] if stack else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    banner = ""
    try:
        assert process.stdout is not None
        while "Ctrl-C" not in banner:
            line = process.stdout.readline()
            if not line:
                pytest.fail(f"local serve exited: {process.wait()} {process.stderr.read() if process.stderr else ''}")
            banner += line
        yield Served(process, banner)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def _until(check: Any, seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def _http(method: str, url: str, body: Any = None, headers: Optional[dict[str, str]] = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - localhost
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def fidelity_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_assembly(tmp_path_factory.mktemp("served"))


def test_sdk_calls_through_the_endpoint_are_delivered_handlers_reload_and_ctrl_c_exits_0(fidelity_assembly: Path) -> None:
    with serving(fidelity_assembly) as served:
        sqs = served.client("sqs")
        source = sqs.get_queue_url(QueueName="fidelity-PipeSource")["QueueUrl"]
        target = sqs.get_queue_url(QueueName="fidelity-PipeTarget")["QueueUrl"]
        sqs.send_message(QueueUrl=source, MessageBody=json.dumps({"id": "o1", "ok": True}))
        messages = _until(lambda: sqs.receive_message(QueueUrl=target, WaitTimeSeconds=0).get("Messages"))
        assert [json.loads(m["Body"]) for m in messages] == [{"order": "o1", "by": "orders-pipe", "enriched": True}]

        invoke = served.client("lambda").invoke
        payload = json.dumps([{"body": json.dumps({"id": "o2"})}])
        assert json.loads(invoke(FunctionName="fidelity-Enricher", Payload=payload)["Payload"].read()) == [
            {"id": "o2", "enriched": True}
        ]
        handler = fidelity_assembly / "asset.handlers" / "fidelity.py"
        handler.write_text(handler.read_text().replace('"enriched": True', '"enriched": "edited"'))
        os.utime(handler, (time.time() + 5, time.time() + 5))
        assert json.loads(invoke(FunctionName="fidelity-Enricher", Payload=payload)["Payload"].read()) == [
            {"id": "o2", "enriched": "edited"}
        ]
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(timeout=20) == 0
        out, err = served.process.communicate()
        assert "stopped" in out and "Traceback" not in err


def test_the_apis_answer_over_http_with_their_auth_and_share_state_with_the_endpoint(synthesized_example: Any) -> None:
    example = synthesized_example("orders_api")
    with serving(example.outdir, example.stack_names[0]) as served:
        assert _http("GET", f"{served.api_url}/orders")[0] == 401  # Cognito: no token, no claims
        claims = {"X-LocalCloud-Claims": json.dumps({"sub": "user-1"})}
        order = {"items": [{"sku": "A1", "quantity": 2, "unit_price_cents": 500}], "currency": "EUR"}
        status, created = _http("POST", f"{served.api_url}/orders", order, claims)
        assert status == 201, created
        api_id = re.search(r"^    (\S+): http", served.banner, re.MULTILINE).group(1)  # type: ignore[union-attr]
        assert _http("GET", f"{served.api_url}/{api_id}/orders/{created['id']}", headers=claims) == (200, created)
        dynamodb = served.client("dynamodb")
        [table] = dynamodb.list_tables()["TableNames"]
        assert [i["id"]["S"] for i in dynamodb.scan(TableName=table)["Items"]] == [created["id"]]
