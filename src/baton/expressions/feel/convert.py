"""FEEL values to and from JSON.

Into FEEL (a scope's values): ``null``/booleans/strings/lists/objects as
themselves, numbers as exact decimals (a float through its shortest text,
so ``0.1`` is 0.1). A string stays a string — ``"2020-01-01"`` is not a
date until ``date(...)`` makes it one (a decision model's input types do
that for its inputs). Python callers may also pass ``datetime`` values,
``Decimal`` and the classes of :mod:`.values`.

Out of FEEL (a result): a number becomes an ``int`` when it is whole and a
``float`` otherwise — JSON readers treat numbers as doubles anyway, and
Temporal's JSON payloads cannot carry a ``Decimal``; 34-digit precision is
kept inside an evaluation, not across it. Dates, times, date-times and
durations become their ISO 8601 text, as FEEL's ``string()`` writes them
(``"2020-01-01"``, ``"10:30:00+01:00"``, ``"2020-01-01T10:30:00@Europe/Paris"``,
``"P1DT2H"``, ``"P1Y2M"``); a range its FEEL text (``"[1..10)"``). A
function has no JSON form: returning one is an error.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..restricted import ExpressionError
from .functions.conversion import to_text
from .limits import DECIMAL
from .temporal import format_date, format_date_time, format_duration, format_time
from .values import DaysTime, Function, Range, Time, YearsMonths


def from_json(value: Any) -> Any:
    """A JSON value (or an already-FEEL value) as a FEEL value."""
    if value is None or isinstance(value, (bool, str, Decimal)):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ExpressionError(f"has the number {value}, which FEEL cannot represent")
        return DECIMAL.create_decimal(repr(value))
    if isinstance(value, Mapping):
        return {str(k): from_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [from_json(v) for v in value]
    if isinstance(value, (dt.date, Time, DaysTime, YearsMonths, Range, Function)):
        return value
    raise ExpressionError(f"was given a {type(value).__name__}, which is not a JSON value")


def to_json(value: Any) -> Any:
    """A FEEL value as JSON (see the module's docstring for the mapping)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, dt.datetime):
        return format_date_time(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, Time):
        return format_time(value)
    if isinstance(value, (DaysTime, YearsMonths)):
        return format_duration(value)
    if isinstance(value, Range):
        return to_text(value)
    if isinstance(value, Function):
        raise ExpressionError(f"returns a function ({value.name}), which has no JSON form")
    raise ExpressionError(f"returns a {type(value).__name__}, which has no JSON form")
