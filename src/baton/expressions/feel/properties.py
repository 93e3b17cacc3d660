"""``value.name`` in FEEL: a context's entry, the same path over each item
of a list, and the named properties of dates, times, durations and ranges
(``d.year``, ``t.time offset``, ``r.start included``). Anything else is null."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .temporal import DAY, seconds
from .values import UNBOUNDED, DaysTime, Range, Time, YearsMonths


def property_of(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return value.get(name)
    if isinstance(value, list):
        return [property_of(item, name) for item in value]
    if isinstance(value, dt.date):
        return _date_property(value, name)
    if isinstance(value, Time):
        return _time_property(value, name)
    if isinstance(value, DaysTime):
        return _days_time_property(value, name)
    if isinstance(value, YearsMonths):
        if name in ("years", "months"):
            years, months = divmod(abs(value.months), 12)
            sign = -1 if value.months < 0 else 1
            return Decimal(sign * (years if name == "years" else months))
        return None
    if isinstance(value, Range):
        return _range_property(value, name)
    return None


def _date_property(value: dt.date, name: str) -> Any:
    if name in ("year", "month", "day"):
        return Decimal(getattr(value, name))
    if name == "weekday":
        return Decimal(value.isoweekday())
    if isinstance(value, dt.datetime):
        if name in ("hour", "minute", "second"):
            return Decimal(getattr(value, name))
        if name == "time offset":
            offset = value.utcoffset()
            return None if offset is None else DaysTime(seconds(offset))
        if name == "timezone":
            return value.tzinfo.key if isinstance(value.tzinfo, ZoneInfo) else None
    return None


def _time_property(value: Time, name: str) -> Any:
    if name in ("hour", "minute", "second"):
        return Decimal(getattr(value.clock, name))
    if name == "time offset":
        return None if value.offset is None else DaysTime(seconds(value.offset))
    if name == "timezone":
        return value.zone
    return None


def _days_time_property(value: DaysTime, name: str) -> Any:
    sign = -1 if value.seconds < 0 else 1
    total = abs(value.seconds)
    parts = {
        "days": total // DAY,
        "hours": total % DAY // 3600,
        "minutes": total % 3600 // 60,
        "seconds": total % 60 // 1,
    }
    return Decimal(sign * int(parts[name])) if name in parts else None


def _range_property(value: Range, name: str) -> Any:
    if name == "start":
        return None if value.start is UNBOUNDED else value.start
    if name == "end":
        return None if value.end is UNBOUNDED else value.end
    if name == "start included":
        return value.start_included
    if name == "end included":
        return value.end_included
    return None
