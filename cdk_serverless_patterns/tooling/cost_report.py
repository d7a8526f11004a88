"""The ``cost`` command's output: a table per stack, a Markdown summary, or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from . import prices as P
from .cost import CostLine, StackEstimate
from .traffic import Profile

CHECKED = max(price.checked for price in P.ALL.values())


def assumptions(profile: Profile, source: str = "") -> str:
    """What every estimate assumes, in a sentence: prices (region, date checked, no free tier), the
    requests into each entry point, the Lambda duration, and the profile file (``source``) if any."""
    return (
        f"us-east-1 list prices checked {CHECKED}, no free tier; {profile.requests_per_month:,.0f} requests/month "
        f"into each entry point, {profile.avg_duration_ms:g} ms per invocation"
        + (f", profile {source}" if source else "")
    )


def _money(usd: float) -> str:
    return f"${usd:,.2f}"


def _quantity(value: float) -> str:
    """``1,234``, ``12.5``, ``0.25``; a quantity above zero that would round to 0 is ``<0.01``."""
    if 0 < value < 0.005:
        return "<0.01"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _driver(line: CostLine, total: float) -> str:
    share = 100 * line.usd / total if total else 0.0
    return f"{line.service} {line.item} {_money(line.usd)} ({share:.0f}%)"


def text(estimates: Sequence[StackEstimate], source: str = "", volumes: bool = False) -> str:
    """One table per stack: fixed and variable lines, drivers, arm64 saving, what is not priced;
    with ``volumes``, also the monthly volume of every resource (to check a profile's effect)."""
    if not estimates:
        return "no stacks"
    out = [f"Monthly estimate: {assumptions(estimates[0].profile, source)}."]
    for e in estimates:
        out += ["", f"{e.stack}: {_money(e.total_usd)}/month = fixed {_money(e.fixed_usd)} (at zero traffic) "
                    f"+ variable {_money(e.variable_usd)}"]
        if e.lines:
            out.append("  top cost drivers: " + ("; ".join(_driver(d, e.total_usd) for d in e.drivers()) or "none"))
        else:
            out.append("  no billable resources" + (" (of the types priced)" if e.not_priced else ""))
        if e.arm64_saving_usd >= 0.005:
            out.append(f"  arm64 saving: {_money(e.arm64_saving_usd)}/month, {e.arm64_saving_pct:.1f}% of the "
                       f"Lambda compute the same functions would cost on x86_64")
        if e.arm64_potential_usd >= 0.005:
            out.append(f"  arm64 would save another {_money(e.arm64_potential_usd)}/month on the functions built "
                       "for x86_64 (not Lambda@Edge, which must stay x86_64)")
        width = max([len(f"{line.service}: {line.item}") for line in e.lines] + [10])
        if e.lines:
            out.append(f"  {'':8} {'item':<{width}} {'quantity':>14} {'unit':<14} {'USD/month':>10}")
        for is_fixed in (True, False):
            for line in (x for x in e.lines if x.fixed is is_fixed):
                out.append(f"  {'fixed' if is_fixed else 'variable':<8} {line.service + ': ' + line.item:<{width}} "
                           f"{_quantity(line.quantity):>14} {line.unit:<14} {line.usd:>10,.2f}")
        out.extend(_memory_lines(e))
        for kind, ids in sorted(e.not_priced.items()):
            out.append(f"  not priced: {kind} x{len(ids)} ({', '.join(ids[:3])}{', ...' if len(ids) > 3 else ''})")
        out.extend(f"  note: {note}" for note in e.notes)
        if volumes and not e.volumes:
            out.append("  traffic per month: none")
        elif volumes:
            out.append(f"  {'traffic per month':<60} {'events':>14} {'invocations':>14}")
            for path, label, units, calls in e.volumes:
                shown = f"{label} {path.removeprefix(e.stack + '/')}"
                out.append(f"  {shown:<60} {_quantity(units):>14} {_quantity(calls) if calls else '':>14}")
    if len(estimates) > 1:
        fixed = sum(e.fixed_usd for e in estimates)
        total = sum(e.total_usd for e in estimates)
        out += ["", f"all {len(estimates)} stacks: {_money(total)}/month = fixed {_money(fixed)} "
                    f"+ variable {_money(total - fixed)}"]
    return "\n".join(out)


def _memory_lines(e: StackEstimate) -> list[str]:
    """Each function's memory choice: GB-seconds and USD now, and at half and double the memory."""
    if not e.memory:
        return []
    out = ["  memory per function, USD/month now and at half and double the memory (same duration assumed):"]
    width = max(len(m.function) for m in e.memory)
    for m in e.memory:
        half = _money(m.half_usd) if m.half_usd is not None else "n/a"
        double = _money(m.double_usd) if m.double_usd is not None else "n/a"
        out.append(f"    {m.function:<{width}} {m.memory_mb:>6} MB {m.arch:<7} {_quantity(m.gb_seconds):>12} GB-s "
                   f"{_money(m.usd):>9} at {m.avg_duration_ms:g} ms; {m.memory_mb // 2} MB {half}, "
                   f"{m.memory_mb * 2} MB {double}")
    return out


def markdown(estimates: Sequence[StackEstimate]) -> str:
    """A summary row per stack (the README's table)."""
    rows = ["| stack | fixed (zero traffic) | variable | total | top cost driver | arm64 saving | not priced |",
            "|---|---:|---:|---:|---|---:|---|"]
    for e in estimates:
        top = e.drivers(1)
        driver = f"{top[0].service}: {top[0].item} ({_money(top[0].usd)})" if top else "none"
        missing = ", ".join(f"{kind} x{len(ids)}" for kind, ids in sorted(e.not_priced.items())) or "none"
        rows.append(f"| {e.stack} | {_money(e.fixed_usd)} | {_money(e.variable_usd)} | {_money(e.total_usd)} | "
                    f"{driver} | {_money(e.arm64_saving_usd)} | {missing} |")
    return "\n".join(rows)


def as_json(estimates: Sequence[StackEstimate], source: str = "") -> str:
    """Everything :func:`text` shows, for machines."""
    profile = estimates[0].profile if estimates else Profile()
    data: dict[str, Any] = {
        "assumptions": {
            "region": "us-east-1",
            "prices_checked": CHECKED,
            "free_tier": False,
            "requests_per_month": profile.requests_per_month,
            "avg_duration_ms": profile.avg_duration_ms,
            "memory_alternatives": "half and double the memory at the same duration",
            "profile": source or None,
        },
        "stacks": [
            {
                "stack": e.stack,
                "fixed_usd": round(e.fixed_usd, 4),
                "variable_usd": round(e.variable_usd, 4),
                "total_usd": round(e.total_usd, 4),
                "drivers": [{"service": d.service, "item": d.item, "usd": round(d.usd, 4)} for d in e.drivers()],
                "arm64_saving_usd": round(e.arm64_saving_usd, 4),
                "arm64_potential_usd": round(e.arm64_potential_usd, 4),
                "arm64_saving_pct": round(e.arm64_saving_pct, 2),
                "lines": [
                    {"service": x.service, "item": x.item, "quantity": round(x.quantity, 4), "unit": x.unit,
                     "usd": round(x.usd, 4), "fixed": x.fixed}
                    for x in e.lines
                ],
                "memory": [
                    {"function": m.function, "memory_mb": m.memory_mb, "arch": m.arch,
                     "avg_duration_ms": m.avg_duration_ms, "gb_seconds": round(m.gb_seconds, 4),
                     "usd": round(m.usd, 4),
                     "half_memory_usd": None if m.half_usd is None else round(m.half_usd, 4),
                     "double_memory_usd": None if m.double_usd is None else round(m.double_usd, 4)}
                    for m in e.memory
                ],
                "not_priced": [{"type": k, "count": len(v), "resources": v} for k, v in sorted(e.not_priced.items())],
                "notes": e.notes,
                "traffic": [
                    {"path": path, "type": label, "units": round(units, 4), "invocations": round(calls, 4)}
                    for path, label, units, calls in e.volumes
                ],
            }
            for e in estimates
        ],
        "total": {
            "fixed_usd": round(sum(e.fixed_usd for e in estimates), 4),
            "variable_usd": round(sum(e.variable_usd for e in estimates), 4),
            "total_usd": round(sum(e.total_usd for e in estimates), 4),
            "not_priced": sum(len(ids) for e in estimates for ids in e.not_priced.values()),
        },
    }
    return json.dumps(data, indent=2)
