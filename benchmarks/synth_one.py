"""Synthesize one workload in this (fresh) process and print what it cost, as JSON.

    python -m benchmarks.synth_one <ours|anchor> <workload|all> <outdir> [--checks]

Timed from before the library imports to the end of synth, so library import,
construct building and synthesis are all included (interpreter and jsii start
are measured separately by the runner as whole-process wall time).
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def main(side: str, workload: str, outdir: str, checks: bool) -> None:
    t_start = time.perf_counter()
    import aws_cdk as cdk

    from benchmarks.workloads import BUILDERS, WORKLOADS

    t_jsii = time.perf_counter()
    app = cdk.App(outdir=outdir)
    if checks:
        from cdk_nag import AwsSolutionsChecks, ServerlessChecks

        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    env = cdk.Environment(account="111111111111", region="us-east-1")
    # "all" is the four workloads as four stacks of one app: one process, one
    # jsii start, one validation pass, as a user's app would have them.
    for name in (WORKLOADS if workload == "all" else (workload,)):
        stack = cdk.Stack(app, f"{side}-{name}".replace("_", "-"), env=env)
        BUILDERS[side][name](stack)
    t_built = time.perf_counter()
    failed = False
    try:
        app.synth()
    except Exception:  # ValidationFailed: findings are counted below
        failed = True
    t_done = time.perf_counter()
    templates = [f for f in os.listdir(outdir) if f.endswith(".template.json")]
    resources = sum(len(json.load(open(os.path.join(outdir, f))).get("Resources", {})) for f in templates)
    findings = {"open": 0, "acknowledged": 0}
    report = os.path.join(outdir, "validation-report.json")
    if checks and os.path.exists(report):
        for plugin in json.load(open(report))["pluginReports"]:
            findings["open"] += sum(len(v["violatingConstructs"]) for v in plugin.get("violations", []))
            findings["acknowledged"] += sum(len(v["violatingConstructs"]) for v in plugin.get("suppressedViolations", []))
    print(
        json.dumps(
            {
                "side": side,
                "workload": workload,
                "import_cdk_s": t_jsii - t_start,
                "build_s": t_built - t_jsii,
                "synth_s": t_done - t_built,
                "in_process_s": t_done - t_start,
                "resources": resources,
                "findings": findings,
                "validation_failed": failed,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], "--checks" in sys.argv[4:])
