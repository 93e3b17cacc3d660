"""Conversion functions: ``date``, ``time``, ``date and time``,
``duration``, ``years and months duration``, ``number``, ``string``, and
``not`` (FEEL's negation is a function)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ..limits import DECIMAL, check_size
from ..temporal import (
    format_date,
    format_date_time,
    format_duration,
    format_time,
    parse_date,
    parse_date_time,
    parse_duration,
    parse_time,
    zone_info,
)
from ..values import UNBOUNDED, DaysTime, Function, Range, Time, YearsMonths
from .registry import builtin


def _whole(value: Any) -> int | None:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return None


@builtin("date", "from", "year, month, day")
def date(*args: Any) -> dt.date | None:
    if len(args) == 1:
        value = args[0]
        if isinstance(value, str):
            return parse_date(value)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return None
    parts = [_whole(a) for a in args]
    if None in parts:
        return None
    try:
        return dt.date(*parts)  # type: ignore[arg-type]
    except (ValueError, OverflowError):
        return None


@builtin("date and time", "from", "date, time")
def date_and_time(*args: Any) -> dt.datetime | None:
    if len(args) == 1:
        value = args[0]
        if isinstance(value, str):
            return parse_date_time(value)
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
        return None
    day, clock = args
    if not isinstance(day, dt.date) or not isinstance(clock, Time):
        return None
    if isinstance(day, dt.datetime):
        day = day.date()
    tzinfo: dt.tzinfo | None = None
    if clock.zone:
        tzinfo = zone_info(clock.zone)
    elif clock.offset is not None:
        tzinfo = dt.timezone(clock.offset)
    return dt.datetime.combine(day, clock.clock, tzinfo=tzinfo)


@builtin("time", "from", "hour, minute, second, offset?")
def time(*args: Any) -> Time | None:
    if len(args) == 1:
        value = args[0]
        if isinstance(value, str):
            return parse_time(value)
        if isinstance(value, Time):
            return value
        if isinstance(value, dt.datetime):
            if isinstance(value.tzinfo, dt.timezone) or value.tzinfo is None:
                return Time(value.time(), value.utcoffset())
            return Time(value.time(), zone=getattr(value.tzinfo, "key", None))
        if isinstance(value, dt.date):
            return Time(dt.time(0, 0), dt.timedelta(0))
        return None
    hour, minute, second = args[:3]
    offset = args[3] if len(args) > 3 else None
    parts = [_whole(hour), _whole(minute)]
    if None in parts or not isinstance(second, Decimal):
        return None
    if offset is not None and not isinstance(offset, DaysTime):
        return None
    whole = int(second)
    micro = int((second - whole) * 1000) * 1000
    try:
        clock = dt.time(parts[0], parts[1], whole, micro)  # type: ignore[arg-type]
        delta = None if offset is None else dt.timedelta(seconds=float(offset.seconds))
    except (ValueError, OverflowError):
        return None
    return Time(clock, delta)


@builtin("duration", "from")
def duration(value: Any) -> DaysTime | YearsMonths | None:
    return parse_duration(value) if isinstance(value, str) else None


@builtin("years and months duration", "from, to")
def years_and_months_duration(start: Any, end: Any) -> YearsMonths | None:
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        return None
    a = start if isinstance(start, dt.datetime) else dt.datetime(start.year, start.month, start.day)
    b = end if isinstance(end, dt.datetime) else dt.datetime(end.year, end.month, end.day)
    if (a.utcoffset() is None) != (b.utcoffset() is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    months = (b.year - a.year) * 12 + (b.month - a.month)
    rest_a = (a.day, a.time())
    rest_b = (b.day, b.time())
    if months > 0 and rest_b < rest_a:
        months -= 1
    elif months < 0 and rest_b > rest_a:
        months += 1
    return YearsMonths(months)


_GROUPING = {" ", ",", ".", None}
_DECIMAL_SEPARATOR = {",", ".", None}


@builtin("number", "from, grouping separator?, decimal separator?")
def number(text: Any, grouping: Any = None, decimal: Any = None) -> Decimal | None:
    if not isinstance(text, str) or grouping not in _GROUPING or decimal not in _DECIMAL_SEPARATOR:
        return None
    if grouping is not None and grouping == decimal:
        return None
    if grouping:
        text = text.replace(grouping, "")
    if decimal:
        text = text.replace(decimal, ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        return None
    try:
        return DECIMAL.create_decimal(text)
    except (InvalidOperation, ArithmeticError):
        return None


def number_text(value: Decimal) -> str:
    """A number as FEEL writes it: plain digits, no exponent, no trailing zeros."""
    if not value:
        return "0"
    return format(value.normalize(DECIMAL), "f")


def to_text(value: Any, nested: bool = False) -> str | None:
    """FEEL's ``string()`` of a value (inside a list or context, strings
    are quoted)."""
    if value is None:
        return "null" if nested else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' if nested else value
    if isinstance(value, dt.datetime):
        return format_date_time(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, Time):
        return format_time(value)
    if isinstance(value, (DaysTime, YearsMonths)):
        return format_duration(value)
    if isinstance(value, list):
        return "[" + ", ".join(str(to_text(item, True)) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {to_text(v, True)}" for k, v in value.items()) + "}"
    if isinstance(value, Range):
        return _range_text(value)
    if isinstance(value, Function):
        return f"function {value.name}"
    return None


def _range_text(value: Range) -> str:
    if value.op:
        return f"{value.op} {to_text(value.start, True)}"
    if value.start is UNBOUNDED:
        return f"{'<=' if value.end_included else '<'} {to_text(value.end, True)}"
    if value.end is UNBOUNDED:
        return f"{'>=' if value.start_included else '>'} {to_text(value.start, True)}"
    opening = "[" if value.start_included else "("
    closing = "]" if value.end_included else ")"
    return f"{opening}{to_text(value.start, True)}..{to_text(value.end, True)}{closing}"


@builtin("string", "from")
def string(value: Any) -> str | None:
    text = to_text(value)
    if text is not None:
        check_size(len(text), "a string")
    return text


@builtin("not", "negand")
def negation(value: Any) -> bool | None:
    return (not value) if isinstance(value, bool) else None
