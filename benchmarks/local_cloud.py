"""LocalCloud benchmark: start-up and one end-to-end flow per example, after synth.

Run with ``bash scripts/benchmark.sh --local`` (or ``python -m benchmarks.local_cloud``
from the project's virtualenv). For each example: synthesize once, then
``rounds`` times: enter a fresh LocalCloud (moto data stores + functions) and
run the example's main flow twice — the first run imports the handlers (a cold
start), the second is warm. Prints medians in seconds.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time
import warnings
from typing import Any, Callable

import aws_cdk as cdk

from cdk_serverless_patterns.local import LocalCloud, LocalCloudWarning
from examples.app import build_example, example_names

USER = {"sub": "bench-user"}
ORDER_ITEMS = [{"sku": "A1", "quantity": 2, "unit_price_cents": 500}]
IMAGE = {"bucket": "b", "key": "k.png", "width": 800, "height": 600, "size_bytes": 1000, "content_type": "image/png"}
SAGA_ORDER = {
    "customer_id": "c-1",
    "items": [{"sku": "book-1", "quantity": 1, "unit_price_cents": 100}],
    "address": {"name": "A", "line1": "1 X", "city": "Paris", "postcode": "75001", "country": "FR"},
}


def _orders_api(cloud: LocalCloud, stack: Any, n: int) -> None:
    api = cloud.api(stack.backend)
    order = api.request("POST", "/orders", json={"items": ORDER_ITEMS}, claims=USER).json()
    assert api.request("GET", f"/orders/{order['id']}", claims=USER).status == 200


def _orders_cqrs(cloud: LocalCloud, stack: Any, n: int) -> None:
    api = cloud.api(stack.orders)
    order_id = api.request("POST", "/orders", json={"customer_id": "c-1", "items": ORDER_ITEMS}, claims=USER).json()["order_id"]
    assert api.request("GET", f"/orders/{order_id}", claims=USER).status == 200


def _customer_orders(cloud: LocalCloud, stack: Any, n: int) -> None:
    api = cloud.api(stack.api)
    placed = api.request(
        "POST",
        "/customers/c-1/orders",
        json={"lines": [{"sku": "TV-1", "quantity": 1, "unit_price_cents": 1000}]},
        headers={"Idempotency-Key": f"k-{n}"},
        claims={"sub": "c-1"},
    )
    assert placed.status == 202, placed.body
    order = api.request("GET", f"/customers/c-1/orders/{placed.json()['order_id']}", claims={"sub": "c-1"}).json()
    assert order["status"] == "CONFIRMED", order


def _csv_ingest(cloud: LocalCloud, stack: Any, n: int) -> None:
    cloud.put_object(stack.ingest, f"uploads/{n}.csv", f"order_id,customer_id,amount,currency\nA-{n},C-1,9.99,EUR\n")


def _image_jobs(cloud: LocalCloud, stack: Any, n: int) -> None:
    cloud.invoke(stack.submit, {**IMAGE, "image_id": f"img-{n}"})


def _nightly_report(cloud: LocalCloud, stack: Any, n: int) -> None:
    cloud.run_schedule(stack.cleanup, at=datetime.datetime(2026, 11, 24, 1, n, tzinfo=datetime.timezone.utc))


def _order_saga(cloud: LocalCloud, stack: Any, n: int) -> None:
    cloud.table(stack.table).put_item(Item={"pk": "SKU#book-1", "sk": "STOCK", "available": 100})
    execution = cloud.start_execution(stack.saga, {**SAGA_ORDER, "order_id": f"o-{n}"}, name=f"o-{n}")
    assert execution.status == "SUCCEEDED", execution.error


def _clickstream(cloud: LocalCloud, stack: Any, n: int) -> None:
    cloud.put_records(stack.clicks, [{"page": "/", "session_id": f"s-{n}-{i}"} for i in range(10)])


def _audit_trail(cloud: LocalCloud, stack: Any, n: int) -> None:
    cloud.invoke_async(
        stack.recorder,
        {"event_id": f"e-{n}", "actor": "u", "action": "a", "resource": "r", "occurred_at": "2026-11-24T00:00:00Z"},
    )


def _static_site(cloud: LocalCloud, stack: Any, n: int) -> None:
    assert cloud.api(stack.backend).request("GET", "/api/hello", claims=USER).status == 200


FLOWS: dict[str, tuple[str, Callable[[LocalCloud, Any, int], None]]] = {
    "audit_trail": ("async invoke → table", _audit_trail),
    "clickstream": ("10 Kinesis records → counts", _clickstream),
    "customer_orders": ("HTTP API → FIFO fan-out → 2 workers → settle; GET", _customer_orders),
    "csv_ingest": ("S3 put → rule → importer → table + SNS", _csv_ingest),
    "image_jobs": ("submit → SNS → 2 queues/workers → fan-in → aggregator", _image_jobs),
    "nightly_report": ("schedule → job → report", _nightly_report),
    "order_saga": ("3-step saga, success", _order_saga),
    "orders_api": ("POST + GET through Cognito auth", _orders_api),
    "orders_cqrs": ("command → store → pipe → bus → projector; query", _orders_cqrs),
    "static_site": ("GET /api/hello", _static_site),
}


def measure(name: str, rounds: int) -> dict[str, float]:
    app = cdk.App()
    started = time.perf_counter()
    stack = build_example(app, name)[0]
    app.synth()
    synth = time.perf_counter() - started
    start, cold, warm = [], [], []
    _, flow = FLOWS[name]
    for round_ in range(rounds):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LocalCloudWarning)
            cloud = LocalCloud(stack).__enter__()
        t1 = time.perf_counter()
        try:
            flow(cloud, stack, 2 * round_)
            t2 = time.perf_counter()
            flow(cloud, stack, 2 * round_ + 1)
            t3 = time.perf_counter()
        finally:
            cloud.__exit__(None, None, None)
        start.append(t1 - t0)
        cold.append(t2 - t1)
        warm.append(t3 - t2)
    return {
        "synth": synth,
        "start": statistics.median(start),
        "first_start": start[0],
        "cold": statistics.median(cold),
        "warm": statistics.median(warm),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("examples", nargs="*", default=[n for n in example_names() if n in FLOWS])
    args = parser.parse_args()
    started = time.perf_counter()
    import moto.stepfunctions.parser.asl.component.common.retry.retrier_decl  # noqa: F401 - what the first cloud imports

    print(f"moto import (once per process): {time.perf_counter() - started:.2f} s")
    print("| example | flow | synth | LocalCloud start (first) | flow, cold | flow, warm |")
    print("|---|---|---|---|---|---|")
    for name in args.examples:
        result = measure(name, args.rounds)
        print(
            f"| {name} | {FLOWS[name][0]} | {result['synth']:.2f} s | {result['start']:.2f} s ({result['first_start']:.2f} s) "
            f"| {result['cold']:.2f} s | {result['warm']:.2f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
