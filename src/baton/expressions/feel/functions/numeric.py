"""Numeric functions: ``decimal``, ``floor``, ``ceiling``, the ``round``
family, ``abs``, ``modulo``, ``sqrt``, ``log``, ``exp``, ``odd``, ``even``.
All in decimal arithmetic (34 digits); undefined results (``sqrt(-1)``,
``log(0)``) are null."""

from __future__ import annotations

from collections.abc import Callable
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
)
from typing import Any

from ..limits import DECIMAL
from ..values import DaysTime, YearsMonths
from .registry import builtin


def _number(value: Any) -> bool:
    return isinstance(value, Decimal)


def _scale(value: Any) -> int | None:
    if value is None:
        return 0
    if _number(value) and value == value.to_integral_value() and -6111 <= value <= 6176:
        return int(value)
    return None


def _rounding(mode: str) -> Callable[[Any, Any], Decimal | None]:
    def round_to(number: Any, scale: Any = None) -> Decimal | None:
        places = _scale(scale)
        if not _number(number) or places is None:
            return None
        try:
            return number.quantize(Decimal(1).scaleb(-places), rounding=mode, context=DECIMAL)
        except InvalidOperation:
            return None

    return round_to


builtin("decimal", "n, scale")(_rounding(ROUND_HALF_EVEN))
builtin("floor", "n, scale?")(_rounding(ROUND_FLOOR))
builtin("ceiling", "n, scale?")(_rounding(ROUND_CEILING))
builtin("round up", "n, scale?")(_rounding(ROUND_UP))
builtin("round down", "n, scale?")(_rounding(ROUND_DOWN))
builtin("round half up", "n, scale?")(_rounding(ROUND_HALF_UP))
builtin("round half down", "n, scale?")(_rounding(ROUND_HALF_DOWN))


@builtin("abs", "n")
def absolute(value: Any) -> Any:
    if _number(value):
        return abs(value)
    if isinstance(value, DaysTime):
        return DaysTime(abs(value.seconds))
    if isinstance(value, YearsMonths):
        return YearsMonths(abs(value.months))
    return None


@builtin("modulo", "dividend, divisor")
def modulo(dividend: Any, divisor: Any) -> Decimal | None:
    if not _number(dividend) or not _number(divisor) or not divisor:
        return None
    # FEEL: the result has the divisor's sign (like floored division)
    remainder = DECIMAL.remainder(dividend, divisor)
    if remainder and (remainder < 0) != (divisor < 0):
        remainder = DECIMAL.add(remainder, divisor)
    return remainder


def _guarded(operation: Callable[[Decimal], Decimal]) -> Callable[[Any], Decimal | None]:
    def call(value: Any) -> Decimal | None:
        if not _number(value):
            return None
        try:
            return operation(value)
        except (InvalidOperation, ArithmeticError):
            return None

    return call


builtin("sqrt", "number")(_guarded(lambda v: DECIMAL.sqrt(v) if v >= 0 else _invalid()))
builtin("log", "number")(_guarded(lambda v: DECIMAL.ln(v) if v > 0 else _invalid()))
builtin("exp", "number")(_guarded(DECIMAL.exp))


def _invalid() -> Decimal:
    raise InvalidOperation


def _parity(remainder: int) -> Callable[[Any], bool | None]:
    def test(value: Any) -> bool | None:
        if not _number(value) or value != value.to_integral_value():
            return None
        return int(value) % 2 == remainder

    return test


builtin("odd", "number")(_parity(1))
builtin("even", "number")(_parity(0))
