"""EventBridge Scheduler expressions, checked in pure Python before deploy.

EventBridge Scheduler accepts three expression types
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html):

* ``rate(value unit)`` — ``value`` a positive integer, ``unit`` one of
  minute | minutes | hour | hours | day | days; singular exactly when the value
  is 1 (``rate(1 hour)``, ``rate(5 hours)``; ``rate(1 hours)`` and
  ``rate(5 hour)`` are rejected —
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html).
* ``cron(minutes hours day-of-month month day-of-week year)`` — six fields, AWS
  syntax, exactly one of day-of-month / day-of-week is ``?``
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html).
* ``at(yyyy-mm-ddThh:mm:ss)`` — one time, in the schedule's time zone.

Everything AWS would reject at deploy time is reported here, each problem with
the expression, what is allowed and a corrected example. Nothing in this module
needs aws_cdk, so it can be used (and tested) on its own::

    parse_schedule("rate(15 minutes)").rate_seconds   # 900
    parse_schedule("cron(0 2 * * *)")                 # ScheduleExpressionError:
    # ... five-field Unix cron ... write 'cron(0 2 * * ? *)'
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Optional

RATE_UNITS_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
#: Units people reach for that Scheduler does not accept, and what to use instead.
_UNSUPPORTED_UNITS = {
    "second": "Scheduler's smallest rate is rate(1 minute)",
    "sec": "Scheduler's smallest rate is rate(1 minute)",
    "min": "spell the unit out: minute or minutes",
    "hr": "spell the unit out: hour or hours",
    "week": "use days: 1 week is rate(7 days)",
    "month": "months vary in length: use cron, e.g. cron(0 0 1 * ? *) for the 1st of every month",
    "year": "use cron, e.g. cron(0 0 1 1 ? *) for every 1 January",
}
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
#: Valid example used in fixes when nothing better can be derived.
CRON_EXAMPLE = "cron(0 2 * * ? *)"
RATE_EXAMPLE = "rate(15 minutes)"
#: ScheduleExpression is at most 256 characters (AWS::Scheduler::Schedule resource schema).
EXPRESSION_MAX_LENGTH = 256
#: Names in the tz database that are not time zones.
_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})

_RATE_RE = re.compile(r"^rate\((?P<body>.*)\)$", re.DOTALL)
_CRON_RE = re.compile(r"^cron\((?P<body>.*)\)$", re.DOTALL)
_AT_RE = re.compile(r"^at\((?P<body>.*)\)$", re.DOTALL)
_AT_BODY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_INT_RE = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class Issue:
    """One reason an expression is invalid: what is allowed and how to fix it."""

    allowed: str
    fix: str


@dataclass(frozen=True)
class ParsedSchedule:
    """A valid schedule expression.

    ``kind`` is ``"rate"``, ``"cron"`` or ``"at"``. ``rate_seconds`` is the
    interval of a rate; ``at_time`` the naive local time of an ``at`` (in the
    schedule's time zone); ``cron_fields`` the six cron fields.
    """

    kind: str
    expression: str
    rate_seconds: Optional[int] = None
    at_time: Optional[datetime] = None
    cron_fields: Optional[tuple[str, ...]] = None

    @property
    def is_recurring(self) -> bool:
        return self.kind != "at"


class ScheduleExpressionError(ValueError):
    """Raised by :func:`parse_schedule`; ``issues`` holds every problem found."""

    def __init__(self, expression: str, issues: list[Issue]) -> None:
        self.expression = expression
        self.issues = list(issues)
        lines = "\n".join(f"  - allowed {i.allowed}. Fix: {i.fix}" for i in self.issues)
        super().__init__(f"invalid schedule expression {expression!r}:\n{lines}")


def parse_schedule(expression: str, *, timezone: str = "UTC", now: Optional[datetime] = None) -> ParsedSchedule:
    """The parsed ``expression``, or :class:`ScheduleExpressionError` listing every problem.

    :param timezone: IANA name the expression is evaluated in (``at`` times are
        compared with the current time there).
    :param now: the current time (timezone-aware) for ``at`` checks. Default: now.
    """
    parsed, issues = check_schedule(expression, timezone=timezone, now=now)
    if issues or parsed is None:
        raise ScheduleExpressionError(str(expression), issues)
    return parsed


def check_schedule(
    expression: object, *, timezone: str = "UTC", now: Optional[datetime] = None
) -> tuple[Optional[ParsedSchedule], list[Issue]]:
    """``(parsed, [])`` for a valid expression, ``(None, issues)`` otherwise."""
    if not isinstance(expression, str):
        return None, [Issue("a string: rate(...), cron(...) or at(...)", f"pass e.g. {RATE_EXAMPLE!r}")]
    if len(expression) > EXPRESSION_MAX_LENGTH:
        return None, [Issue(f"at most {EXPRESSION_MAX_LENGTH} characters", "simplify the expression, e.g. use ranges (1-5) instead of lists")]
    text = expression.strip()
    if text != expression:
        return None, [Issue("no leading or trailing whitespace", f"pass {text!r}")]
    lowered = text.lower()
    for kind in ("rate", "cron", "at"):
        if lowered.startswith(kind + "(") and not text.startswith(kind + "("):
            fixed = kind + text[len(kind) :]
            return None, [Issue(f"the lower-case keyword {kind}(...)", f"write {fixed!r}")]
    if (m := _RATE_RE.match(text)) is not None:
        return _check_rate(text, m.group("body"))
    if (m := _CRON_RE.match(text)) is not None:
        return _check_cron(text, m.group("body"))
    if (m := _AT_RE.match(text)) is not None:
        return _check_at(text, m.group("body"), timezone, now)
    fields = text.split()
    if len(fields) in (5, 6) and all(re.fullmatch(r"[0-9A-Za-z*?,/#\-]+", f) for f in fields):
        return None, [
            Issue(
                "rate(...), cron(...) or at(...); a bare cron string is not an expression",
                f"wrap it in cron(...) in AWS form: {_suggest_cron(fields)!r}",
            )
        ]
    return None, [
        Issue(
            "rate(value unit), cron(min hour day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)",
            f"pass e.g. {RATE_EXAMPLE!r}, {CRON_EXAMPLE!r} (02:00 every day) or 'at(2030-01-01T09:00:00)'",
        )
    ]


# --- rate -------------------------------------------------------------------


def _check_rate(text: str, body: str) -> tuple[Optional[ParsedSchedule], list[Issue]]:
    parts = body.split()
    if len(parts) != 2 or body != " ".join(parts):
        return None, [Issue("rate(value unit) with one space, e.g. rate(5 minutes)", f"write e.g. {RATE_EXAMPLE!r}")]
    raw_value, unit = parts
    if not _INT_RE.match(raw_value):
        example = f"rate(5 {_plural(unit)})"
        base_unit = unit[:-1] if unit.endswith("s") else unit
        if re.fullmatch(r"\d*\.\d+", raw_value) and base_unit in RATE_UNITS_SECONDS:
            minutes = float(raw_value) * RATE_UNITS_SECONDS[base_unit] / 60
            if minutes >= 1 and minutes == int(minutes):
                example = f"rate({int(minutes)} minute{'s' if minutes > 1 else ''})"
        return None, [Issue("a whole number of units (express fractions in a smaller unit)", f"write e.g. {example!r}")]
    value = int(raw_value)
    base = unit[:-1] if unit.endswith("s") else unit
    if base not in RATE_UNITS_SECONDS:
        reason = _UNSUPPORTED_UNITS.get(base.lower().rstrip("s"), "")
        if base.lower() in RATE_UNITS_SECONDS:
            return None, [Issue("lower-case units: minute | minutes | hour | hours | day | days", f"write 'rate({raw_value} {unit.lower()})'")]
        allowed = "units minute | minutes | hour | hours | day | days"
        fix = reason or "use minute(s), hour(s) or day(s)"
        example = _unit_example(value, base.lower())
        return None, [Issue(allowed, f"{fix}, e.g. {example!r}")]
    if value < 1:
        return None, [Issue("a value of at least 1", f"write e.g. 'rate(1 {base})' or 'rate(5 {base}s)'")]
    issues = []
    if value == 1 and unit != base:
        issues.append(Issue("the singular unit for a value of 1", f"write 'rate(1 {base})'"))
    if value > 1 and unit == base:
        issues.append(Issue("a plural unit for values above 1", f"write 'rate({value} {base}s)'"))
    if raw_value != str(value):
        issues.append(Issue("a plain positive integer", f"write 'rate({value} {base if value == 1 else base + 's'})'"))
    if issues:
        return None, issues
    return ParsedSchedule("rate", text, rate_seconds=value * RATE_UNITS_SECONDS[base]), []


def _plural(unit: str) -> str:
    base = unit[:-1] if unit.endswith("s") else unit
    return base + "s" if base in RATE_UNITS_SECONDS else "minutes"


def _unit_example(value: int, base: str) -> str:
    value = max(value, 1)
    if base in ("week", "weeks"):
        return f"rate({value * 7} days)"
    if base in ("min",):
        return f"rate({value} minute{'s' if value > 1 else ''})"
    if base in ("hr",):
        return f"rate({value} hour{'s' if value > 1 else ''})"
    if base in ("month", "year"):
        return "cron(0 0 1 * ? *)"
    return "rate(1 minute)" if base in ("second", "sec") else RATE_EXAMPLE


# --- cron -------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    wildcards: str
    names: tuple[str, ...] = ()
    example: str = "*"

    def number(self, token: str) -> Optional[int]:
        upper = token.upper()
        if self.names and upper in self.names:
            return self.names.index(upper) + self.low
        return int(token) if token.isdigit() else None


_FIELDS = (
    _Field("minutes", 0, 59, ",-*/", example="0"),
    _Field("hours", 0, 23, ",-*/", example="0"),
    _Field("day-of-month", 1, 31, ",-*?/LW", example="*"),
    _Field("month", 1, 12, ",-*/", MONTHS, example="*"),
    _Field("day-of-week", 1, 7, ",-*?L#", WEEKDAYS, example="?"),
    _Field("year", 1970, 2199, ",-*/", example="*"),
)
_DOM, _DOW = 2, 4


def _check_cron(text: str, body: str) -> tuple[Optional[ParsedSchedule], list[Issue]]:
    fields = body.split()
    if len(fields) == 5:
        return None, [
            Issue(
                "six fields in AWS order (minutes hours day-of-month month day-of-week year); "
                "this looks like a five-field Unix cron, which has no year field, numbers Sunday 0 "
                "instead of 1, and lets both day fields be '*'",
                f"write {_suggest_cron(fields)!r}",
            )
        ]
    if len(fields) == 7:
        return None, [
            Issue(
                "six fields (minutes hours day-of-month month day-of-week year); seven fields look like "
                "Quartz/Spring cron with a leading seconds field, which Scheduler does not have",
                f"drop the seconds field: {'cron(' + ' '.join(fields[1:]) + ')'!r}",
            )
        ]
    if len(fields) != 6:
        return None, [
            Issue(
                f"six fields (minutes hours day-of-month month day-of-week year), got {len(fields)}",
                f"write e.g. {CRON_EXAMPLE!r} (02:00 every day)",
            )
        ]
    issues: list[Issue] = []
    for index, (spec, value) in enumerate(zip(_FIELDS, fields)):
        problem = _field_problem(spec, value)
        if problem:
            issues.append(Issue(problem, f"e.g. {_replace_field(fields, index)!r}"))
    dom, dow = fields[_DOM], fields[_DOW]
    if dom == "?" and dow == "?":
        issues.append(
            Issue("exactly one '?' in day-of-month / day-of-week, not both", f"write {_with(fields, {_DOM: '*'})!r}")
        )
    elif dom != "?" and dow != "?":
        fixed = _with(fields, {_DOM: "?"} if dom == "*" and dow != "*" else {_DOW: "?"})
        issues.append(
            Issue(
                "a value in only one of day-of-month and day-of-week; the other must be '?' "
                "(AWS does not combine them)",
                f"write {fixed!r}",
            )
        )
    if issues:
        return None, issues
    return ParsedSchedule("cron", text, cron_fields=tuple(fields)), []


def _field_problem(spec: _Field, value: str) -> Optional[str]:
    """Why ``value`` is not valid for ``spec``, or None."""
    names = f" or {spec.names[0]}-{spec.names[-1]}" if spec.names else ""
    allowed = f"{spec.name} {spec.low}-{spec.high}{names} with wildcards {' '.join(spec.wildcards)}"
    if value == "?":
        return None if "?" in spec.wildcards else f"{allowed} ('?' only in day-of-month or day-of-week)"
    items = value.split(",")
    if "#" in value and len(items) > 1:
        return f"{allowed} (with '#' the day-of-week field holds a single expression; '3#1,6#3' is two)"
    for item in items:
        reason = _item_problem(spec, item)
        if reason:
            return f"{allowed}; {item!r} {reason}"
    return None


def _item_problem(spec: _Field, item: str) -> Optional[str]:
    if item == "":
        return "is empty (stray comma)"
    if item == "?":
        return "'?' must stand alone"
    if item == "*":
        return None
    if "/" in item:
        if "/" not in spec.wildcards:
            return f"uses '/', which {spec.name} does not allow"
        start, _, step = item.partition("/")
        if not step.isdigit() or not 1 <= int(step) <= spec.high - (spec.low if spec.name == "year" else 0):
            return "needs a whole increment within the field's range after '/'"
        return None if start == "*" else _range_problem(spec, start)
    if spec.name == "day-of-month":
        if item in ("L", "LW"):
            return None
        if item.endswith("W"):
            return _value_problem(spec, item[:-1]) or None
    if spec.name == "day-of-week":
        if item == "L":
            return None
        if item.endswith("L") and len(item) > 1:
            return _value_problem(spec, item[:-1])
        if "#" in item:
            day, _, nth = item.partition("#")
            problem = _value_problem(spec, day)
            if problem:
                return problem
            return None if nth.isdigit() and 1 <= int(nth) <= 5 else "needs an occurrence 1-5 after '#'"
    if re.fullmatch(r"\d*L|\d*LW|\d+W|\d+#\d+", item):
        return f"uses 'L', 'W' or '#', which {spec.name} does not allow"
    return _range_problem(spec, item)


def _range_problem(spec: _Field, item: str) -> Optional[str]:
    if "-" in item:
        start, _, end = item.partition("-")
        problem = _value_problem(spec, start) or _value_problem(spec, end)
        if problem:
            return problem
        low, high = spec.number(start), spec.number(end)
        if low is not None and high is not None and low > high:
            return f"is a range that runs backwards; split it, e.g. '{start}-{spec.high},{spec.low}-{end}'"
        return None
    return _value_problem(spec, item)


def _value_problem(spec: _Field, token: str) -> Optional[str]:
    number = spec.number(token)
    if number is None:
        return "is not a number" + (" or a name" if spec.names else "")
    if not spec.low <= number <= spec.high:
        return f"is out of range {spec.low}-{spec.high}"
    return None


def _with(fields: list[str], changes: dict[int, str]) -> str:
    return "cron(" + " ".join(changes.get(i, f) for i, f in enumerate(fields)) + ")"


def _replace_field(fields: list[str], index: int) -> str:
    replacement = _FIELDS[index].example
    changes = {index: replacement}
    if index == _DOM:
        changes[_DOM] = "?" if fields[_DOW] != "?" else "*"
    if index == _DOW:
        changes[_DOW] = "?" if fields[_DOM] != "?" else "*"
    return _with(fields, changes)


def _suggest_cron(fields: list[str]) -> str:
    """The AWS form of a five-field Unix cron (or a six-field one missing '?')."""
    minute, hour, dom, month, dow = fields[:5]
    year = fields[5] if len(fields) == 6 else "*"
    dow = _unix_weekdays(dow)
    if dow in ("*", "?"):
        dow = "?"
        dom = "*" if dom in ("*", "?") else dom
    else:
        dom = "?"
    return f"cron({minute} {hour} {dom} {month} {dow} {year})"


def _unix_weekdays(dow: str) -> str:
    """Unix numbers Sunday 0 (or 7) to Saturday 6; AWS numbers Sunday 1 to Saturday 7."""

    def shift(match: re.Match[str]) -> str:
        return str(int(match.group(0)) % 7 + 1)

    if dow in ("*", "?"):
        return dow
    head, sep, step = dow.partition("/")
    return re.sub(r"\d+", shift, head) + sep + step


# --- at ---------------------------------------------------------------------


def _check_at(
    text: str, body: str, timezone: str, now: Optional[datetime]
) -> tuple[Optional[ParsedSchedule], list[Issue]]:
    if not _AT_BODY_RE.match(body):
        hint = ""
        if re.search(r"(Z|[+-]\d{2}:?\d{2})$", body):
            hint = " (no offset or 'Z': the time zone is the schedule's timezone option)"
        elif " " in body:
            hint = " (a 'T' between date and time, no spaces)"
        return None, [Issue(f"at(yyyy-mm-ddThh:mm:ss){hint}", f"write e.g. {_at_example(body)!r}")]
    try:
        when = datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
    except ValueError as exc:
        return None, [Issue(f"a real calendar date and time ({exc})", "check the day and month, e.g. 'at(2030-02-28T09:00:00)'")]
    zone = _zone(timezone)
    if zone is not None:
        current = (now or datetime.now(zone)).astimezone(zone).replace(tzinfo=None)
        if when <= current:
            upcoming = current.replace(microsecond=0, second=0) + timedelta(days=1)
            return None, [
                Issue(
                    f"a time in the future (it is {current:%Y-%m-%dT%H:%M:%S} now in {timezone}); "
                    "a one-time schedule in the past never runs",
                    f"pass a future time, e.g. 'at({upcoming:%Y-%m-%dT%H:%M:%S})'",
                )
            ]
    return ParsedSchedule("at", text, at_time=when), []


def _at_example(body: str) -> str:
    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?", body)
    if m:
        y, mo, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
        return f"at({y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d})"
    return "at(2030-01-01T09:00:00)"


# --- time zones ---------------------------------------------------------------


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    """IANA names from the tz database Python sees (system zoneinfo or the ``tzdata`` package)."""
    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


def check_timezone(name: object) -> Optional[Issue]:
    """None when ``name`` is an IANA time zone, else why not."""
    zones = known_timezones()
    if not zones:
        return Issue(
            "an IANA time zone name, but no tz database was found on this machine",
            "install the 'tzdata' package (pip install tzdata) so zoneinfo can validate names",
        )
    if isinstance(name, str) and name in zones:
        return None
    suggestion = _closest_zone(name) if isinstance(name, str) else None
    fix = f"did you mean {suggestion!r}?" if suggestion else "pass a name such as 'UTC', 'Europe/Berlin' or 'America/New_York'"
    return Issue("an IANA time zone name (tz database), e.g. 'Europe/Berlin'; offsets and abbreviations like 'CEST' are not zones", fix)


def _closest_zone(name: str) -> Optional[str]:
    wanted = name.strip().replace(" ", "_").lower()
    for zone in sorted(known_timezones()):
        if zone.lower() == wanted or zone.lower().endswith("/" + wanted):
            return zone
    return None


def _zone(name: str) -> Optional[zoneinfo.ZoneInfo]:
    if check_timezone(name) is not None:
        return None
    return zoneinfo.ZoneInfo(name)
