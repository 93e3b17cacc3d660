"""Calendar functions: ``day of year``, ``day of week``, ``month of
year``, ``week of year`` (ISO 8601 weeks), and ``is`` (same value and same
type, finer than ``=``: ``is(@"10:00:00+01:00", @"09:00:00Z")`` is false)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..operators import equal
from ..values import Time, type_name
from .registry import builtin

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


@builtin("day of year", "date")
def day_of_year(value: Any) -> Decimal | None:
    day = _day(value)
    return None if day is None else Decimal(day.timetuple().tm_yday)


@builtin("day of week", "date")
def day_of_week(value: Any) -> str | None:
    day = _day(value)
    return None if day is None else _DAYS[day.weekday()]


@builtin("month of year", "date")
def month_of_year(value: Any) -> str | None:
    day = _day(value)
    return None if day is None else _MONTHS[day.month - 1]


@builtin("week of year", "date")
def week_of_year(value: Any) -> Decimal | None:
    day = _day(value)
    return None if day is None else Decimal(day.isocalendar()[1])


@builtin("is", "value1, value2")
def is_same(a: Any, b: Any) -> bool:
    if type_name(a) != type_name(b):
        return False
    if isinstance(a, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset() and str(a.tzinfo) == str(b.tzinfo)
    if isinstance(a, Time):
        return a == b
    return equal(a, b) is True
