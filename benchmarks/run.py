"""Run every benchmark and print the tables (``bash scripts/benchmark.sh``).

1. Synth speed: each workload synthesized with this library and with AWS
   Solutions Constructs, alternately, ``--rounds`` times each, every run in a
   fresh process; medians of whole-process wall time and of in-process time.
   A third side, the *floor* (the same stacks holding one resource each, no
   library), measures what every app pays whatever it builds; "above the
   floor" compares what each library adds to it. ``--lower-bound`` adds a
   fourth: this library's own templates loaded by ``CfnInclude``, the same
   resources with no construction logic at all.
2. Resources and cdk-nag findings (AwsSolutions + Serverless) for both sides.
3. Monthly cost of every example stack (``python -m cdk_serverless_patterns cost``).
4. Import time of ``cdk_serverless_patterns.runtime`` in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.workloads import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "PYTHONPATH": str(ROOT)}


def synth_once(side: str, workload: str, checks: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as outdir:
        args = [sys.executable, "-m", "benchmarks.synth_one", side, workload, outdir] + (["--checks"] if checks else [])
        start = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True, env=ENV, cwd=ROOT)
        wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{side}/{workload} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


def write_our_templates(folder: str) -> None:
    """Synthesize this library's four workloads once and keep their templates for the ``templates`` side.

    CfnInclude adds its own ``BootstrapVersion`` parameter and rule, so the copies drop theirs.
    """
    with tempfile.TemporaryDirectory() as outdir:
        subprocess.run([sys.executable, "-m", "benchmarks.synth_one", "ours", "all", outdir, "--checks"],
                       capture_output=True, text=True, env=ENV, cwd=ROOT, check=True)
        for path in Path(outdir).glob("ours-*.template.json"):
            template = json.loads(path.read_text())
            template.get("Parameters", {}).pop("BootstrapVersion", None)
            template.get("Rules", {}).pop("CheckBootstrapVersion", None)
            for section in ("Parameters", "Rules"):
                if not template.get(section):
                    template.pop(section, None)
            (Path(folder) / path.name).write_text(json.dumps(template))


def synth_speed(rounds: int, checks: bool = True, sides: tuple[str, ...] = ("ours", "anchor", "floor")) -> list[dict]:
    """Each workload, then all four in one app, alternating sides run by run.

    With ``checks`` (the default) both sides synthesize with cdk-nag's
    AwsSolutions and Serverless packs, as a user following either library's
    README would. The ratio is the median of the per-round ratios.
    """
    rows = []
    for workload in (*WORKLOADS, "all"):
        runs: dict[str, list[dict]] = {side: [] for side in sides}
        for i in range(rounds):
            for side in sides if i % 2 == 0 else tuple(reversed(sides)):
                runs[side].append(synth_once(side, workload, checks=checks))
        row: dict = {"workload": workload}
        for side in sides:
            row[f"{side}_wall_s"] = statistics.median(r["wall_s"] for r in runs[side])
            row[f"{side}_in_process_s"] = statistics.median(r["in_process_s"] for r in runs[side])
            row[f"{side}_build_synth_s"] = statistics.median(r["build_s"] + r["synth_s"] for r in runs[side])
            row[f"{side}_resources"] = runs[side][0]["resources"]
            row[f"{side}_findings"] = runs[side][0]["findings"]
        row["ratio_wall"] = statistics.median(o["wall_s"] / a["wall_s"] for o, a in zip(runs["ours"], runs["anchor"]))
        # What each library adds above the floor (same process, same start-up, same fixed validation cost).
        row["ratio_above_floor"] = statistics.median(
            (o["wall_s"] - f["wall_s"]) / (a["wall_s"] - f["wall_s"])
            for o, a, f in zip(runs["ours"], runs["anchor"], runs["floor"])
        )
        if "templates" in runs:
            row["ratio_templates"] = statistics.median(t["wall_s"] / a["wall_s"] for t, a in zip(runs["templates"], runs["anchor"]))
        rows.append(row)
    return rows


def example_costs(requests_per_month: float, duration_ms: float) -> str:
    """The cost command's Markdown summary of every example, synthesized in a fresh process."""
    code = (
        "import json, sys, tempfile, os\n"
        "os.environ.setdefault('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20')\n"
        "import aws_cdk as cdk\n"
        "from examples.app import build_example, example_names\n"
        "out = tempfile.mkdtemp()\n"
        "app = cdk.App(outdir=out)\n"
        "for n in example_names(): build_example(app, n)\n"
        "app.synth()\n"
        "print(out)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=ROOT, check=True)
    outdir = proc.stdout.strip().splitlines()[-1]
    cost = subprocess.run(
        [sys.executable, "-m", "cdk_serverless_patterns", "cost", outdir, "--format", "markdown",
         "--requests-per-month", str(requests_per_month), "--avg-duration-ms", str(duration_ms)],
        capture_output=True, text=True, env=ENV, cwd=ROOT, check=True,
    )
    return cost.stdout.rstrip()


def runtime_import_ms() -> float:
    code = (
        "import time; t=time.perf_counter(); import cdk_serverless_patterns.runtime.batch, "
        "cdk_serverless_patterns.runtime.log, cdk_serverless_patterns.runtime.env; "
        "import sys; assert not any(m.split('.')[0] in ('aws_cdk','jsii') for m in sys.modules); "
        "print((time.perf_counter()-t)*1000)"
    )
    samples = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=ROOT, check=True).stdout)
        for _ in range(5)
    ]
    return statistics.median(samples)


def import_ms(statement: str, python: str = sys.executable, samples: int = 5) -> float:
    """Median wall time of ``statement`` in a fresh interpreter, in ms."""
    code = f"import time; t=time.perf_counter(); {statement}; print((time.perf_counter()-t)*1000)"
    return statistics.median(
        float(subprocess.run([python, "-c", code], capture_output=True, text=True, env=ENV, cwd=ROOT, check=True).stdout)
        for _ in range(samples)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests-per-month", type=float, default=1_000_000)
    parser.add_argument("--duration-ms", type=float, default=120.0)
    parser.add_argument("--no-checks", action="store_true", help="time synthesis without cdk-nag on both sides")
    parser.add_argument("--synth-only", action="store_true", help="skip the cost and runtime-import sections")
    parser.add_argument(
        "--lower-bound", action="store_true",
        help="also time this library's own templates loaded by CfnInclude (no construction logic): the lower bound",
    )
    args = parser.parse_args()

    from importlib.metadata import version

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"aws-cdk-lib {version('aws-cdk-lib')}, cdk-nag {version('cdk-nag')}, "
        f"aws-solutions-constructs {version('aws-solutions-constructs.core')}"
    )
    sides: tuple[str, ...] = ("ours", "anchor", "floor")
    if args.lower_bound:
        folder = tempfile.mkdtemp()
        write_our_templates(folder)
        os.environ["BENCH_TEMPLATES"] = ENV["BENCH_TEMPLATES"] = folder
        sides += ("templates",)
    rows = synth_speed(args.rounds, checks=not args.no_checks, sides=sides)
    nag = "without cdk-nag" if args.no_checks else "both with cdk-nag AwsSolutions + Serverless"
    print(f"\n## Synth speed (median of {args.rounds} alternating runs, each a fresh process, {nag})\n")
    print("| workload | ours wall s | anchor wall s | floor wall s | ratio | ratio above floor | ours build+synth s | anchor build+synth s | resources ours/anchor | nag open (ack) ours | nag open (ack) anchor |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['workload']} | {r['ours_wall_s']:.2f} | {r['anchor_wall_s']:.2f} | {r['floor_wall_s']:.2f} | {r['ratio_wall']:.2f}x | "
            f"{r['ratio_above_floor']:.2f}x | "
            f"{r['ours_build_synth_s']:.2f} | {r['anchor_build_synth_s']:.2f} | {r['ours_resources']}/{r['anchor_resources']} | "
            f"{r['ours_findings']['open']} ({r['ours_findings']['acknowledged']}) | "
            f"{r['anchor_findings']['open']} ({r['anchor_findings']['acknowledged']}) |"
        )
    singles = [r for r in rows if r["workload"] != "all"]
    total_ours = sum(r["ours_wall_s"] for r in singles)
    total_anchor = sum(r["anchor_wall_s"] for r in singles)
    print(f"\nfour separate apps: ours {total_ours:.2f} s, anchor {total_anchor:.2f} s, ratio {total_ours / total_anchor:.2f}x")
    total_floor = sum(r["floor_wall_s"] for r in singles)
    print(f"four separate apps above the floor: ours {total_ours - total_floor:.2f} s, anchor {total_anchor - total_floor:.2f} s, "
          f"ratio {(total_ours - total_floor) / (total_anchor - total_floor):.2f}x")
    print(f"one app with all four (row 'all'): ratio {rows[-1]['ratio_wall']:.2f}x, above the floor {rows[-1]['ratio_above_floor']:.2f}x")
    if args.lower_bound:
        print("\n## Lower bound: this library's own templates loaded by CfnInclude, no construction logic (ratio to the anchor)\n")
        for r in rows:
            print(f"- {r['workload']}: {r['templates_wall_s']:.2f} s, {r['ratio_templates']:.2f}x")
    api_ms = import_ms("from cdk_serverless_patterns import ApiBackend")
    print(f"\n## Import: `from cdk_serverless_patterns import ApiBackend` (fresh interpreter, median of 5): {api_ms:.0f} ms")
    if args.synth_only:
        return

    print(f"\n## Monthly cost per example stack ({args.requests_per_month:,.0f} requests/month, "
          f"{args.duration_ms:g} ms per invocation; python -m cdk_serverless_patterns cost)\n")
    print(example_costs(args.requests_per_month, args.duration_ms))

    print(f"\n## Runtime import (fresh interpreter, median of 5): {runtime_import_ms():.1f} ms, no aws_cdk/jsii loaded")


if __name__ == "__main__":
    main()
