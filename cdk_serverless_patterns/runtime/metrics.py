"""Business metrics in CloudWatch Embedded Metric Format (EMF), one call each.

Lambda ships every line a function prints to CloudWatch Logs, and CloudWatch
turns lines in EMF into metrics: no API call, no extra permission, no client::

    from cdk_serverless_patterns.runtime.metrics import emit

    emit("OrdersImported", len(orders), "Count", {"currency": "EUR"})

The namespace is ``POWERTOOLS_METRICS_NAMESPACE`` (``FunctionSpec(powertools=True)``
sets it) unless given, and every metric gets a ``service`` dimension
(``POWERTOOLS_SERVICE_NAME``), so these metrics and Powertools' ``Metrics``
land side by side. When the handler has already imported Powertools' metrics
module, :func:`emit` goes through its ``single_metric`` (same output, its
validation); it never imports Powertools itself (~100 ms at cold start).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Mapping, Optional

from . import env

#: Namespace when neither ``namespace=`` nor the environment names one.
DEFAULT_NAMESPACE = "ServerlessPatterns/Application"
#: Units CloudWatch accepts.
#: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html
UNITS = frozenset(
    {
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
        "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
        "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
        "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    }
)
#: EMF allows at most 30 dimensions per dimension set.
MAX_DIMENSIONS = 30


def _namespace(explicit: Optional[str]) -> str:
    return explicit or os.environ.get(env.POWERTOOLS_METRICS_NAMESPACE) or DEFAULT_NAMESPACE


def _dimensions(dimensions: Optional[Mapping[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    service = os.environ.get(env.POWERTOOLS_SERVICE_NAME)
    if service:
        merged["service"] = service
    for key, value in (dimensions or {}).items():
        if not isinstance(key, str) or not key or not isinstance(value, str) or not value:
            raise ValueError(f"dimension {key!r}={value!r}: names and values must be non-empty strings")
        merged[key] = value
    if len(merged) > MAX_DIMENSIONS:
        raise ValueError(f"{len(merged)} dimensions; EMF allows at most {MAX_DIMENSIONS}")
    return merged


def document(
    name: str,
    value: float,
    unit: str = "Count",
    dimensions: Optional[Mapping[str, str]] = None,
    *,
    namespace: Optional[str] = None,
    timestamp_ms: Optional[int] = None,
) -> dict[str, Any]:
    """The EMF document :func:`emit` prints (without printing it)."""
    if not isinstance(name, str) or not name or len(name) > 255:
        raise ValueError(f"metric name must be 1-255 characters, got {name!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"metric value must be a number, got {value!r}")
    if unit not in UNITS:
        raise ValueError(f"unit {unit!r} is not a CloudWatch unit; use one of {', '.join(sorted(UNITS))}")
    dims = _dimensions(dimensions)
    return {
        "_aws": {
            "Timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": _namespace(namespace),
                    "Dimensions": [sorted(dims)],
                    "Metrics": [{"Name": name, "Unit": unit}],
                }
            ],
        },
        **dims,
        name: value,
    }


def emit(
    name: str,
    value: float,
    unit: str = "Count",
    dimensions: Optional[Mapping[str, str]] = None,
    *,
    namespace: Optional[str] = None,
) -> None:
    """Publish one metric value now (EMF on stdout).

    :param name: metric name, e.g. ``"OrdersImported"``.
    :param value: the value (a number).
    :param unit: a CloudWatch unit. Default ``"Count"``.
    :param dimensions: extra dimensions (string values); ``service`` is added
        from ``POWERTOOLS_SERVICE_NAME`` when set. Keep their values low-cardinality:
        every combination is a billed custom metric.
    :param namespace: default ``POWERTOOLS_METRICS_NAMESPACE``, else
        :data:`DEFAULT_NAMESPACE`.
    :raises ValueError: invalid name, value, unit or dimensions (a programming error).
    """
    doc = document(name, value, unit, dimensions, namespace=namespace)
    powertools = sys.modules.get("aws_lambda_powertools.metrics")
    if powertools is not None and hasattr(powertools, "single_metric"):
        dims = {k: v for k, v in doc.items() if k not in ("_aws", name)}
        with powertools.single_metric(
            name=name, unit=unit, value=value, namespace=_namespace(namespace), default_dimensions=dims
        ):
            pass
        return
    sys.stdout.write(json.dumps(doc, separators=(",", ":")) + "\n")
    sys.stdout.flush()
