"""runtime.metrics: EMF documents CloudWatch turns into metrics."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cdk_serverless_patterns.runtime import env
from cdk_serverless_patterns.runtime.metrics import DEFAULT_NAMESPACE, document, emit


def test_emit_prints_one_emf_line(capsys, monkeypatch):
    monkeypatch.setenv(env.POWERTOOLS_METRICS_NAMESPACE, "Orders")
    monkeypatch.setenv(env.POWERTOOLS_SERVICE_NAME, "csv-ingest")
    monkeypatch.delitem(sys.modules, "aws_lambda_powertools.metrics", raising=False)
    emit("OrdersImported", 12, "Count", {"currency": "EUR"})
    doc = json.loads(capsys.readouterr().out.strip())
    directive = doc["_aws"]["CloudWatchMetrics"][0]
    assert directive == {
        "Namespace": "Orders",
        "Dimensions": [["currency", "service"]],
        "Metrics": [{"Name": "OrdersImported", "Unit": "Count"}],
    }
    assert doc["OrdersImported"] == 12 and doc["currency"] == "EUR" and doc["service"] == "csv-ingest"
    assert isinstance(doc["_aws"]["Timestamp"], int)


def test_default_namespace_without_environment(monkeypatch):
    monkeypatch.delenv(env.POWERTOOLS_METRICS_NAMESPACE, raising=False)
    monkeypatch.delenv(env.POWERTOOLS_SERVICE_NAME, raising=False)
    doc = document("Latency", 1.5, "Milliseconds")
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == DEFAULT_NAMESPACE
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [[]]


@pytest.mark.parametrize(
    "args, message",
    [
        (("", 1), "metric name"),
        (("X", "1"), "must be a number"),
        (("X", 1, "Things"), "not a CloudWatch unit"),
        (("X", 1, "Count", {"a": ""}), "non-empty strings"),
    ],
)
def test_invalid_input_is_a_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        document(*args)


def test_uses_powertools_single_metric_when_the_handler_imported_it(monkeypatch):
    # a fresh interpreter: Powertools keeps global state between metric calls
    code = (
        "import os, json, io, contextlib\n"
        "os.environ['POWERTOOLS_METRICS_NAMESPACE']='Orders'; os.environ['POWERTOOLS_SERVICE_NAME']='svc'\n"
        "import aws_lambda_powertools.metrics\n"
        "from cdk_serverless_patterns.runtime.metrics import emit\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out): emit('Imported', 3, 'Count', {'currency': 'EUR'})\n"
        "print(out.getvalue().strip().splitlines()[-1])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Orders"
    assert doc["Imported"] == [3.0] or doc["Imported"] == 3
    assert doc["currency"] == "EUR" and doc["service"] == "svc"
