"""The table of built-in functions and the decorator that fills it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..values import Function

BUILTINS: dict[str, Function] = {}
F = TypeVar("F", bound=Callable[..., Any])


def _signature(text: str) -> tuple[tuple[str, ...], int]:
    params = tuple(p.strip() for p in text.split(",") if p.strip())
    required = sum(1 for p in params if not p.endswith("?"))
    return tuple(p.rstrip("?") for p in params), required


def builtin(
    name: str, *signatures: str, variadic: bool = False, invoke: bool = False
) -> Callable[[F], F]:
    """Register the decorated Python function as FEEL's ``name``.

    ``signatures`` are its parameter lists, e.g. ``"string, start position,
    length?"`` (``?`` marks an optional parameter); several for an
    overloaded function (``date(from)``, ``date(year, month, day)``).
    ``variadic``: called with any number of positional arguments (``min(1, 2)``).
    ``invoke``: receives the evaluator first, to call FEEL functions."""

    def register(function: F) -> F:
        parsed = tuple(_signature(s) for s in signatures)
        BUILTINS[name] = Function(
            name,
            parsed[0][0],
            call=function,
            signatures=parsed,
            variadic=variadic,
            invoke=invoke,
        )
        return function

    return register
