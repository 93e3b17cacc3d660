"""The bounds that keep one FEEL expression cheap, whoever wrote it.

FEEL runs inside workflow code, where nothing can interrupt a runaway
evaluation, so every way an expression could use unbounded time or memory is
capped: its length, how deeply it nests, how many items or characters it may
build, how many evaluation steps it may take and how deep its function calls
may go. Going past a bound is an :class:`ExpressionError`, never a hang.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, DivisionByZero, InvalidOperation, Overflow

from ..restricted import ExpressionError

MAX_SOURCE = 10_000  # characters in one expression or one decision-table cell
MAX_DEPTH = 100  # depth of the syntax tree: nesting and chains of operators
MAX_ITEMS = 100_000  # items in a built list, characters in a built string
MAX_STEPS = 1_000_000  # evaluation steps in one evaluation (about a second)
MAX_CALL_DEPTH = 64  # nested calls of user-defined functions
MAX_REGEX_INPUT = 10_000  # characters a regular expression is applied to

# FEEL numbers are IEEE 754 decimal128: 34 significant digits, half-even rounding.
# Signals that would give NaN or infinity are trapped and become null.
DECIMAL = Context(
    prec=34,
    rounding=ROUND_HALF_EVEN,
    Emax=6144,
    Emin=-6143,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


class Budget:
    """The steps one evaluation may still take."""

    __slots__ = ("steps", "calls")

    def __init__(self) -> None:
        self.steps = MAX_STEPS
        self.calls = 0

    def tick(self, count: int = 1) -> None:
        self.steps -= count
        if self.steps < 0:
            raise ExpressionError(
                f"takes more than {MAX_STEPS:,} evaluation steps; FEEL here is bounded "
                "(make the lists smaller or the loops shallower)"
            )


def check_size(count: int, what: str) -> None:
    """An error when a built list or string would exceed ``MAX_ITEMS``."""
    if count > MAX_ITEMS:
        raise ExpressionError(f"would build {what} of {count:,} items; at most {MAX_ITEMS:,}")
