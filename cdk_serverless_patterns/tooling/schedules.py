"""How often a schedule expression fires in an average month (730 hours)."""

from __future__ import annotations

import re

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
SECONDS_PER_MONTH = 730 * 3600


def firings_per_month(expression: str) -> float:
    """How often an EventBridge Scheduler / rule expression fires in an average month (730 h)."""
    expression = expression.strip()
    rate = _RATE.match(expression)
    if rate:
        every = int(rate.group(1)) * _UNIT_SECONDS[rate.group(2).rstrip("s")]
        return SECONDS_PER_MONTH / every if every else 0.0
    if expression.startswith("at("):
        return 1.0
    if expression.startswith("cron(") and expression.endswith(")"):
        fields = expression[5:-1].split()
        if len(fields) == 6:
            minutes, hours, dom, month, dow, _year = fields
            days = _days_per_month(dom, dow) * len(_expand(_numbered(month, _MONTHS), 1, 12)) / 12
            return len(_expand(minutes, 0, 59)) * len(_expand(hours, 0, 23)) * days
    return 0.0


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def _numbered(field_: str, names: tuple[str, ...]) -> str:
    """``JAN-MAR`` -> ``1-3`` (cron names are 1-based)."""
    field_ = field_.upper()
    for i, name in enumerate(names):
        field_ = field_.replace(name, str(i + 1))
    return field_


def _days_per_month(dom: str, dow: str) -> float:
    if dom not in ("*", "?"):
        return float(len(_expand(dom.replace("L", "31").replace("W", ""), 1, 31))) if dom != "L" else 1.0
    if dow not in ("*", "?"):
        dow = _numbered(dow, _DAYS)
        if "#" in dow or "L" in dow:
            return float(dow.count(",") + 1)  # the n-th / last weekday: once a month each
        return len(_expand(dow, 1, 7)) * 30.4167 / 7
    return 30.4167


def _expand(field_: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in field_.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else 1
        if part in ("*", "?", ""):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _int(a, low), _int(b, high)
        else:
            start = _int(part, low)
            end = high if "/" in field_ and step > 1 else start
        values.update(range(start, end + 1, step))
    return values or {low}


def _int(text: str, default: int) -> int:
    return int(text) if text.isdigit() else default

