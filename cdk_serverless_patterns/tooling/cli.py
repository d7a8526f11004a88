"""``python -m cdk_serverless_patterns findings|cost|diagram|local serve <cdk.out>``.

``local serve`` runs a stack on LocalCloud (the ``[local]`` extra) and serves
its APIs and an AWS endpoint over HTTP until Ctrl-C (:mod:`..local.serve`).

All three read a synthesized cloud assembly (``cdk synth`` or ``app.synth()``
output); none imports aws_cdk, so they start fast and work on any CDK app.
Exit codes: 0 done, 1 open findings (``findings``), 2 bad input (no assembly or
no stacks in it, a missing or corrupt file, unknown stack, unusable profile),
with a one-line message on stderr. Anything else that goes wrong is a bug: it
is reported the same way (one line, exit code 2, "internal error"), not as a
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .assembly import AssemblyError, StackNotFound, StackTemplate, select, stacks
from .findings import findings_table
from .graph import ResourceGraph, build_graph
from .traffic import Profile, ProfileError, unmatched_paths

_FAIL_ON = {"error": ("error",), "warning": ("error", "warning"), "never": ()}


def _stacks(args: argparse.Namespace) -> list[StackTemplate]:
    return select(stacks(args.outdir), args.stack)


def _findings(args: argparse.Namespace) -> int:
    table, found = findings_table(args.outdir)
    print(table)
    failing = _FAIL_ON[args.fail_on]
    return 1 if any(not f.acknowledged and f.severity in failing for f in found) else 0


def _cost(args: argparse.Namespace) -> int:
    from . import cost_report
    from .cost import estimate

    overrides = {"requests_per_month": args.requests_per_month, "avg_duration_ms": args.avg_duration_ms}
    if args.profile:
        profile = Profile.load(args.profile, **overrides)
    else:
        profile = Profile(**{k: v for k, v in overrides.items() if v is not None})
    found = stacks(args.outdir)
    chosen = select(found, args.stack)
    graphs = [build_graph(s.path, s.template()) for s in chosen]
    names = {s.name for s in chosen}
    _check_profile_paths(profile, graphs, [s for s in found if s.name not in names], args.outdir)
    estimates = [estimate(g, profile) for g in graphs]
    source = str(args.profile or "")
    if args.format == "json":
        print(cost_report.as_json(estimates, source))
    elif args.format == "markdown":
        print(cost_report.markdown(estimates))
    else:
        print(cost_report.text(estimates, source, volumes=args.traffic))
    return 0


def _check_profile_paths(
    profile: Profile, graphs: list[ResourceGraph], others: list[StackTemplate], outdir: str
) -> None:
    """:class:`ProfileError` for a profile path that names no resource in the assembly. The stacks not
    selected (``others``) are read only when the selected ones do not have every path."""
    unmatched = unmatched_paths(profile, graphs)
    if unmatched and others:
        try:
            graphs = graphs + [build_graph(s.path, s.template()) for s in others]
        except AssemblyError as error:
            raise AssemblyError(
                f"{error} (read to look for profile path {unmatched[0]!r}, not in the selected stacks)"
            ) from None
        unmatched = unmatched_paths(profile, graphs)
    if unmatched:
        raise ProfileError(
            f"profile path {unmatched[0]!r} names no resource in {outdir}; paths are construct paths "
            f"like {graphs[0].stack + '/...' if graphs else 'Stack/Pattern'} (python -m cdk_serverless_patterns "
            "diagram shows them)"
        )


def _diagram(args: argparse.Namespace) -> int:
    graphs = [build_graph(s.path, s.template()) for s in _stacks(args)]
    if args.format == "svg":
        from .svg import render_svg

        print(render_svg(graphs))
    else:
        from .diagram import mermaid

        print(mermaid(graphs))
    return 0


def _local_serve(args: argparse.Namespace) -> int:
    try:
        from ..local.assembly import AssemblyError as NoStack
        from ..local.serve import serve
    except ImportError as error:
        raise AssemblyError(f"local serve needs the [local] extra ({error.name} is not installed): "
                            'pip install "cdk-serverless-patterns[local]"') from None
    try:
        return serve(args.outdir, args.stack, host=args.host, port=args.port)
    except NoStack as error:
        raise AssemblyError(str(error)) from None
    except KeyboardInterrupt:  # Ctrl-C while the cloud opens
        return 0


def parser() -> argparse.ArgumentParser:
    """The command line: ``findings``, ``cost`` and ``diagram``, each taking the assembly directory."""
    root = argparse.ArgumentParser(
        prog="python -m cdk_serverless_patterns",
        description="Read a synthesized CDK cloud assembly (cdk.out): check findings, cost estimate, diagram.",
    )
    commands = root.add_subparsers(dest="command", required=True)
    find = commands.add_parser("findings", help="per-stack table of check findings (validation-report.json)")
    find.add_argument("--fail-on", choices=sorted(_FAIL_ON), default="error",
                      help="exit 1 on open findings of this severity or worse (default: error, as synth does)")
    find.set_defaults(run=_findings)
    cost = commands.add_parser("cost", help="monthly cost estimate per stack: fixed (zero traffic) + variable")
    cost.add_argument("--requests-per-month", type=float, default=None, metavar="N",
                      help="requests entering each entry point per month (default: 1,000,000, or the profile's)")
    cost.add_argument("--avg-duration-ms", type=float, default=None, metavar="D",
                      help="average duration of a Lambda invocation in ms (default: 120, or the profile's)")
    cost.add_argument("--profile", metavar="FILE",
                      help="traffic profile (.json or .toml): settings per construct path, e.g. messages_per_event, "
                           "records_per_batch, routes (docs/cost.md)")
    cost.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                      help="text tables (default), JSON, or a Markdown summary table")
    cost.add_argument("--json", dest="format", action="store_const", const="json", help="same as --format json")
    cost.add_argument("--traffic", action="store_true",
                      help="also list the monthly volume of every resource, to check what a profile did "
                           "(text output only; JSON always has it, as 'traffic')")
    cost.set_defaults(run=_cost)
    diagram = commands.add_parser("diagram", help="architecture diagram: Mermaid flowchart (default) or SVG")
    diagram.add_argument("--format", choices=("mermaid", "svg"), default="mermaid",
                         help="a Mermaid flowchart (default) or a standalone SVG image")
    diagram.set_defaults(run=_diagram)
    local = commands.add_parser("local", help="run a stack on LocalCloud").add_subparsers(dest="local_command", required=True)
    serve = local.add_parser("serve", help="serve the stack's APIs and an AWS endpoint (AWS_ENDPOINT_URL) until Ctrl-C")
    serve.add_argument("--stack", metavar="NAME", help="the stack (artifact id or construct path); needed when there are several")
    serve.add_argument("--port", type=int, default=3000,
                       help="the APIs' port; the AWS endpoint is on the next one (default: 3000; 0 picks free ports)")
    serve.add_argument("--host", default="127.0.0.1", help="the interface to listen on (default: 127.0.0.1)")
    serve.set_defaults(run=_local_serve)
    for sub in (find, cost, diagram, serve):
        sub.add_argument("outdir", nargs="?", default="cdk.out", help="the cloud assembly directory (default: cdk.out)")
    for sub in (cost, diagram):
        sub.add_argument("--stack", action="append", metavar="NAME",
                         help="only this stack and those nested in it (artifact id or construct path); repeat for more")
    return root


def message(error: Exception) -> str:
    """One line for ``error``: an OS error as "file: reason" (not its errno), others as their text."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        text = f"{error.filename}: {error.strerror.lower()}"
    else:
        text = str(error) or type(error).__name__
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return its exit code: 0 done,
    1 open findings, 2 bad input or an internal error (one line on stderr). Argument errors exit 2
    through argparse; ``KeyboardInterrupt`` is not caught."""
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader stopped early (`... diagram cdk.out | head`): not an error here
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (OSError, AssemblyError, StackNotFound, ProfileError) as error:
        print(f"error: {message(error)}", file=sys.stderr)
        return 2
    except Exception as error:  # a bug: still one line and exit code 2, never a traceback
        detail = message(error) if str(error) else ""
        print(f"error: internal error reading {args.outdir}: {type(error).__name__}"
              f"{': ' + detail if detail else ''} (please report it)", file=sys.stderr)
        return 2
    return code
