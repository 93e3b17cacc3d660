"""Durations as the process language writes them — ISO 8601 (``PT1M30S``)
or an object of ``days``, ``hours``, ``minutes``, ``seconds``,
``milliseconds`` — read when a file is checked and, for a duration an
expression gives, in the workflow (plain data: workflow code imports it)."""

from __future__ import annotations

import re
from typing import Any

ISO_DURATION = re.compile(
    r"^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
DURATION_UNITS = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 0.001}


def duration_seconds(value: Any) -> tuple[float | None, str | None]:
    """The seconds of ``value``, or why it is not a duration."""
    if isinstance(value, dict):
        if not value:
            return None, (
                "a duration needs at least one of days, hours, minutes, seconds, milliseconds"
            )
        total = 0.0
        for unit, amount in value.items():
            if unit not in DURATION_UNITS:
                return None, f"a duration has no {unit!r} (it has {', '.join(DURATION_UNITS)})"
            if not isinstance(amount, int) or isinstance(amount, bool):
                return None, f"{unit} must be a whole number"
            total += amount * DURATION_UNITS[unit]
        return total, None
    if isinstance(value, str):
        match = ISO_DURATION.match(value)
        if not match:
            return None, f"{value!r} is not an ISO 8601 duration (e.g. PT30S, P1DT2H)"
        years, months, weeks, days, hours, minutes, seconds = (
            float(g or 0) for g in match.groups()
        )
        if years or months:
            return None, f"{value!r}: years and months have no fixed length; use days"
        return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds, None
    kind = "null" if value is None else type(value).__name__
    return None, f"a duration must be an ISO 8601 string or an object, not {kind}"
