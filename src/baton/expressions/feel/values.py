"""FEEL's values as Python objects, and their FEEL type names.

    FEEL type                  Python
    null                       None
    boolean                    bool
    number                     decimal.Decimal (34 digits; never int or float)
    string                     str
    date                       datetime.date
    date and time              datetime.datetime (naive, fixed offset, or a zoneinfo zone)
    time                       Time
    days and time duration     DaysTime
    years and months duration  YearsMonths
    list                       list
    context                    dict (str keys, in entry order)
    range                      Range
    function                   Function

``datetime.datetime`` is a subclass of ``datetime.date``: every check here
asks about ``datetime`` first. Values are never mutated once built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Time:
    """A FEEL time: a wall-clock time, and at most one of a fixed UTC offset
    (``10:30:00+02:00``, ``Z``) or an IANA zone name (``10:30:00@Europe/Paris``)."""

    clock: dt.time  # naive
    offset: dt.timedelta | None = None
    zone: str | None = None


@dataclass(frozen=True)
class DaysTime:
    """A days-and-time duration, as a signed number of seconds."""

    seconds: Decimal


@dataclass(frozen=True)
class YearsMonths:
    """A years-and-months duration, as a signed number of months."""

    months: int


class _Unbounded:
    """The missing side of ``(< 10)``: not the same as ``(null..10)``."""

    _instance: _Unbounded | None = None

    def __new__(cls) -> _Unbounded:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNBOUNDED"


UNBOUNDED = _Unbounded()


@dataclass(frozen=True)
class Range:
    """A FEEL range: ``[1..10)``, ``(< 5)`` (its start is ``UNBOUNDED``),
    ``(null..5)`` (its start is null: nothing is in it). ``(= 5)`` and
    ``(!= 5)`` are ranges too, with ``op`` set and both ends the value."""

    start: Any
    end: Any
    start_included: bool
    end_included: bool
    op: str | None = None  # "=" or "!=" for the two tests that are not intervals


@dataclass(eq=False)
class Function:
    """A FEEL function value: a built-in (``call`` takes the evaluated
    arguments) or a user-defined ``function(a, b) body`` closing over the
    names where it was written."""

    name: str
    params: Sequence[str]
    call: Callable[..., Any] | None = None  # built-in
    body: Any = None  # user-defined: a parse node
    closure: Any = None  # user-defined: the scope it was defined in
    # built-ins: each way to call it, (parameter names, how many are required)
    signatures: tuple[tuple[tuple[str, ...], int], ...] = ()
    variadic: bool = False  # built-in: positional arguments beyond the last are collected
    invoke: bool = False  # built-in: takes the evaluator first (it calls FEEL functions)


def type_name(value: Any) -> str:
    """The FEEL type of ``value`` (``date and time``, ``context``, ...)."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, Time):
        return "time"
    if isinstance(value, DaysTime):
        return "days and time duration"
    if isinstance(value, YearsMonths):
        return "years and months duration"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, Range):
        return "range"
    if isinstance(value, Function):
        return "function"
    return type(value).__name__


# the type names ``instance of`` knows, with the test each stands for
TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "Any": lambda v: v is not None,
    "Null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, Decimal),
    "string": lambda v: isinstance(v, str),
    "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    "date and time": lambda v: isinstance(v, dt.datetime),
    "time": lambda v: isinstance(v, Time),
    "days and time duration": lambda v: isinstance(v, DaysTime),
    "years and months duration": lambda v: isinstance(v, YearsMonths),
    "list": lambda v: isinstance(v, list),
    "context": lambda v: isinstance(v, dict),
    "range": lambda v: isinstance(v, Range),
    "function": lambda v: isinstance(v, Function),
}
