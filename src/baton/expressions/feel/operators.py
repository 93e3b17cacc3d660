"""FEEL's operators on values: equality, ordering, arithmetic and negation.

FEEL answers null, not an error, when an operation is not defined for its
operands: ``1 + "a"``, ``1 < "a"``, ``date("2020-01-01") * 2``. Equality is
defined between any two values (``1 = "1"`` is null, since they are of
different types, but ``x = null`` is true exactly when ``x`` is null).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

from .limits import DECIMAL, check_size
from .temporal import (
    add_months,
    seconds,
    shift,
    shift_time,
    time_seconds,
    timedelta,
)
from .values import UNBOUNDED, DaysTime, Function, Range, Time, YearsMonths

_ARITHMETIC_ERRORS = (InvalidOperation, DivisionByZero, Overflow, OverflowError, ValueError)


def _aware(value: dt.datetime) -> bool:
    return value.utcoffset() is not None


def _same_kind(a: Any, b: Any) -> bool:
    """Whether FEEL compares ``a`` and ``b`` as values of one type."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):
        return isinstance(a, dt.datetime) and isinstance(b, dt.datetime)
    for kind in (Decimal, str, dt.date, Time, DaysTime, YearsMonths, list, dict, Range):
        if isinstance(a, kind) or isinstance(b, kind):
            return isinstance(a, kind) and isinstance(b, kind)
    return type(a) is type(b)


def equal(a: Any, b: Any) -> bool | None:
    """FEEL's ``=``: True, False, or None when the operands are of
    different types (other than null)."""
    if a is None or b is None:
        return a is None and b is None
    if not _same_kind(a, b):
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return False
        return _all_equal(zip(a, b, strict=True))
    if isinstance(a, dict):
        if set(a) != set(b):
            return False
        return _all_equal((a[key], b[key]) for key in a)
    if isinstance(a, Range):
        if (a.start_included, a.end_included, a.op) != (b.start_included, b.end_included, b.op):
            return False
        return _all_equal(((a.start, b.start), (a.end, b.end)))
    if isinstance(a, Function):
        return a is b or (a.call is not None and a.call is b.call)
    if isinstance(a, dt.datetime):
        if _aware(a) != _aware(b):
            return None
        return a == b
    if isinstance(a, Time):
        return _time_equal(a, b)
    return bool(a == b)


def _all_equal(pairs: Any) -> bool | None:
    unknown = False
    for x, y in pairs:
        same = equal(x, y)
        if same is False:
            return False
        if same is None:
            unknown = True
    return None if unknown else True


def _time_equal(a: Time, b: Time) -> bool | None:
    if a.zone or b.zone:
        return a.clock == b.clock and a.zone == b.zone
    if (a.offset is None) != (b.offset is None):
        return None
    return time_seconds(a) == time_seconds(b)


def compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 when ``a`` and ``b`` are ordered in FEEL (numbers,
    strings, dates, date-times, times and durations of one kind); else None."""
    if a is None or b is None or not _same_kind(a, b) or isinstance(a, bool):
        return None
    if isinstance(a, (Decimal, str, dt.date)) and not isinstance(a, dt.datetime):
        return (a > b) - (a < b)
    if isinstance(a, dt.datetime):
        if _aware(a) != _aware(b):
            return None
        return (a > b) - (a < b)
    if isinstance(a, Time):
        if a.zone or b.zone or (a.offset is None) != (b.offset is None):
            return None
        x, y = time_seconds(a), time_seconds(b)
        return None if x is None or y is None else (x > y) - (x < y)
    if isinstance(a, DaysTime):
        return (a.seconds > b.seconds) - (a.seconds < b.seconds)
    if isinstance(a, YearsMonths):
        return (a.months > b.months) - (a.months < b.months)
    return None


def order(op: str, a: Any, b: Any) -> bool | None:
    """``a op b`` for ``= != < <= > >=``."""
    if op == "=":
        return equal(a, b)
    if op == "!=":
        same = equal(a, b)
        return None if same is None else not same
    result = compare(a, b)
    if result is None:
        return None
    return {"<": result < 0, "<=": result <= 0, ">": result > 0, ">=": result >= 0}[op]


# ---- arithmetic ------------------------------------------------------------


def arithmetic(op: str, a: Any, b: Any) -> Any:
    """``a op b`` for ``+ - * / **``; None where FEEL defines no result."""
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return None
    try:
        if op == "+":
            return _add(a, b)
        if op == "-":
            return _subtract(a, b)
        if op == "*":
            return _multiply(a, b)
        if op == "/":
            return _divide(a, b)
        if isinstance(a, Decimal) and isinstance(b, Decimal):
            return _power(a, b)
    except _ARITHMETIC_ERRORS:
        return None
    return None


def _power(a: Decimal, b: Decimal) -> Decimal | None:
    if b == b.to_integral_value() and abs(b) > 999_999_999:
        return None
    return DECIMAL.power(a, b)


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return DECIMAL.add(a, b)
    if isinstance(a, str) and isinstance(b, str):
        check_size(len(a) + len(b), "a string")
        return a + b
    if isinstance(a, DaysTime) and isinstance(b, DaysTime):
        return DaysTime(a.seconds + b.seconds)
    if isinstance(a, YearsMonths) and isinstance(b, YearsMonths):
        return YearsMonths(a.months + b.months)
    if isinstance(a, (DaysTime, YearsMonths)) and not isinstance(b, (DaysTime, YearsMonths)):
        a, b = b, a  # duration + date is date + duration
    return _move(a, b, 1)


def _move(value: Any, duration: Any, sign: int) -> Any:
    """A date, date and time or time moved by a duration."""
    if isinstance(duration, YearsMonths):
        if isinstance(value, dt.datetime):
            day = add_months(value.date(), sign * duration.months)
            return None if day is None else dt.datetime.combine(day, value.timetz())
        if isinstance(value, dt.date):
            return add_months(value, sign * duration.months)
        return None
    if isinstance(duration, DaysTime):
        delta = timedelta(DaysTime(sign * duration.seconds))
        if delta is None:
            return None
        if isinstance(value, dt.datetime):
            return shift(value, delta)
        if isinstance(value, dt.date):
            moved = shift(dt.datetime(value.year, value.month, value.day), delta)
            return None if moved is None else moved.date()
        if isinstance(value, Time):
            return shift_time(value, delta)
    return None


def _subtract(a: Any, b: Any) -> Any:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return DECIMAL.subtract(a, b)
    if isinstance(a, DaysTime) and isinstance(b, DaysTime):
        return DaysTime(a.seconds - b.seconds)
    if isinstance(a, YearsMonths) and isinstance(b, YearsMonths):
        return YearsMonths(a.months - b.months)
    if isinstance(b, (DaysTime, YearsMonths)):
        return _move(a, b, -1)
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        x, y = _instant(a), _instant(b)
        if _aware(x) != _aware(y):
            return None
        return DaysTime(seconds(x - y))
    if isinstance(a, Time) and isinstance(b, Time):
        if a.zone and a.zone == b.zone:  # one named zone: wall-clock difference
            return DaysTime(
                time_seconds(Time(a.clock)) - time_seconds(Time(b.clock))  # type: ignore[operator]
            )
        if a.zone or b.zone or (a.offset is None) != (b.offset is None):
            return None
        p, q = time_seconds(a), time_seconds(b)
        return None if p is None or q is None else DaysTime(p - q)
    return None


def _instant(value: dt.date) -> dt.datetime:
    """A date and time as it is; a date as its midnight UTC (so that a date
    and a zoned date and time subtract, as the DMN TCK expects)."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)


def _months(value: Decimal) -> int:
    """Months of a scaled years-and-months duration: the fraction dropped
    (-2.5 * P1Y11M is -P4Y9M, -57.5 months to -57)."""
    return int(value.to_integral_value(rounding=ROUND_DOWN))


def _multiply(a: Any, b: Any) -> Any:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return DECIMAL.multiply(a, b)
    if isinstance(a, Decimal):
        a, b = b, a
    if isinstance(b, Decimal):
        if isinstance(a, DaysTime):
            return DaysTime(DECIMAL.multiply(a.seconds, b))
        if isinstance(a, YearsMonths):
            return YearsMonths(_months(DECIMAL.multiply(Decimal(a.months), b)))
    return None


def _divide(a: Any, b: Any) -> Any:
    if isinstance(b, Decimal):
        if not b:
            return None
        if isinstance(a, Decimal):
            return DECIMAL.divide(a, b)
        if isinstance(a, DaysTime):
            return DaysTime(DECIMAL.divide(a.seconds, b))
        if isinstance(a, YearsMonths):
            return YearsMonths(_months(DECIMAL.divide(Decimal(a.months), b)))
        return None
    if isinstance(a, DaysTime) and isinstance(b, DaysTime):
        return DECIMAL.divide(a.seconds, b.seconds) if b.seconds else None
    if isinstance(a, YearsMonths) and isinstance(b, YearsMonths):
        return DECIMAL.divide(Decimal(a.months), Decimal(b.months)) if b.months else None
    return None


def negate(value: Any) -> Any:
    if isinstance(value, Decimal) and not isinstance(value, bool):
        return DECIMAL.minus(value)
    if isinstance(value, DaysTime):
        return DaysTime(-value.seconds)
    if isinstance(value, YearsMonths):
        return YearsMonths(-value.months)
    return None


def in_range(value: Any, bounds: Range) -> bool | None:
    """Whether ``value`` lies in ``bounds`` (None when not comparable)."""
    if bounds.op:
        return order(bounds.op, value, bounds.start)
    if bounds.start is not UNBOUNDED:
        low = compare(value, bounds.start)
        if low is None:
            return None
        if low < 0 or (low == 0 and not bounds.start_included):
            return False
    if bounds.end is not UNBOUNDED:
        high = compare(value, bounds.end)
        if high is None:
            return None
        if high > 0 or (high == 0 and not bounds.end_included):
            return False
    return True
