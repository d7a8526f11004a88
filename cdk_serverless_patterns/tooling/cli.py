"""``python -m cdk_serverless_patterns findings|cost|diagram <cdk.out>``.

All three read a synthesized cloud assembly (``cdk synth`` or ``app.synth()``
output); none imports aws_cdk, so they start fast and work on any CDK app.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

from .assembly import stacks
from .cost import Assumptions, format_estimate, monthly_estimate
from .diagram import mermaid
from .findings import findings_table

_FAIL_ON = {"error": ("error",), "warning": ("error", "warning"), "never": ()}


def _findings(args: argparse.Namespace) -> int:
    table, found = findings_table(args.outdir)
    print(table)
    failing = _FAIL_ON[args.fail_on]
    return 1 if any(not f.acknowledged and f.severity in failing for f in found) else 0


def _cost(args: argparse.Namespace) -> int:
    assumptions = Assumptions(invocations_per_month=args.invocations, average_duration_ms=args.duration_ms)
    rows = [(s.path, monthly_estimate(s.template(), assumptions)) for s in stacks(args.outdir)]
    print(format_estimate(rows, assumptions))
    return 0


def _diagram(args: argparse.Namespace) -> int:
    print(mermaid(stacks(args.outdir)))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m cdk_serverless_patterns",
        description="Read a synthesized CDK cloud assembly (cdk.out): check findings, cost estimate, diagram.",
    )
    commands = root.add_subparsers(dest="command", required=True)
    find = commands.add_parser("findings", help="per-stack table of check findings (validation-report.json)")
    find.add_argument("--fail-on", choices=sorted(_FAIL_ON), default="error",
                      help="exit 1 on open findings of this severity or worse (default: error, as synth does)")
    find.set_defaults(run=_findings)
    cost = commands.add_parser("cost", help="monthly cost estimate per stack: fixed + variable")
    cost.add_argument("--invocations", type=int, default=Assumptions.invocations_per_month,
                      help="invocations per function per month (default: %(default)s)")
    cost.add_argument("--duration-ms", type=float, default=Assumptions.average_duration_ms,
                      help="average duration per invocation in ms (default: %(default)s)")
    cost.set_defaults(run=_cost)
    diagram = commands.add_parser("diagram", help="Mermaid flowchart of resources and their event/invocation edges")
    diagram.set_defaults(run=_diagram)
    for sub in (find, cost, diagram):
        sub.add_argument("outdir", nargs="?", default="cdk.out", help="the cloud assembly directory (default: cdk.out)")
    return root


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
        sys.stdout.flush()
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader stopped early (`... diagram cdk.out | head`): not an error here
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code
