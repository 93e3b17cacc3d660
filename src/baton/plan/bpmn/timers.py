"""BPMN timer definitions — ``timeDuration``, ``timeDate`` and
``timeCycle`` in ISO 8601 — as plan waits: a duration a durable timer, a
date the moment to wait until, a cycle ``R<n>/<duration>`` (or
``R<n>/<start>/<duration>``) a timer that fires ``n`` times (``R/…``: until
whatever it is on ends)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..durations import duration_seconds
from ..model import Expr, WaitSpec

CYCLE = re.compile(r"^R(\d*)/(?:([^/]+)/)?(P[^/]+)$")


@dataclass
class Timer:
    """A timer definition as a plan wait: ``wait`` fires ``repeat`` times
    (None: without end) — only a cycle repeats; a cycle with a start date
    fires first at that date (``wait``), then ``every`` seconds apart, its
    last firing at ``last`` (a moment, when the cycle has an end)."""

    wait: WaitSpec
    repeat: int | None = 1
    cycle: bool = False
    every: float | None = None
    last: str | None = None


def read_timer(fields: dict[str, str]) -> tuple[Timer | None, str | None]:
    """The timer of a timerEventDefinition's fields, or why it cannot run."""
    given = [k for k in ("timeDuration", "timeDate", "timeCycle") if fields.get(k)]
    if len(given) != 1:
        return None, "a timer needs exactly one of timeDuration, timeDate or timeCycle"
    text = fields[given[0]].strip()
    if text.startswith(("=", "${", "#{")):
        return None, f"the timer {text!r} is an expression; Baton takes ISO 8601 here"
    if given[0] == "timeDuration":
        seconds, problem = duration_seconds(text)
        if seconds is None:
            return None, f"timeDuration: {problem}"
        return Timer(WaitSpec(seconds=seconds)), None
    if given[0] == "timeDate":
        moment, problem = _moment(text)
        if moment is None:
            return None, f"timeDate: {problem}"
        return Timer(WaitSpec(at=Expr(json.dumps(moment), "jq"))), None
    match = CYCLE.match(text)
    if not match:
        return None, (
            f"timeCycle {text!r} is not an ISO 8601 repetition such as R4/PT10S or R/PT1M "
            "(cron cycles are not supported)"
        )
    count, start, period = match.groups()
    seconds, problem = duration_seconds(period)
    if seconds is None:
        return None, f"timeCycle: {problem}"
    if seconds <= 0:
        return None, f"timeCycle {text!r}: the interval must be longer than zero"
    repeat = int(count) if count else None
    if repeat == 0:
        return None, f"timeCycle {text!r} never fires (R0)"
    if start:
        moment, problem = _moment(start)
        if moment is None:
            return None, f"timeCycle's start: {problem}"
        begins = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        last = None
        if repeat is not None:
            last = (begins + timedelta(seconds=seconds * (repeat - 1))).isoformat()
        at = WaitSpec(at=Expr(json.dumps(moment), "jq"))
        return Timer(at, repeat=repeat, cycle=True, every=seconds, last=last), None
    return Timer(WaitSpec(seconds=seconds), repeat=repeat, cycle=True), None


def _moment(text: str) -> tuple[str | None, str | None]:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, f"{text!r} is not an ISO 8601 date and time"
    if at.tzinfo is None:
        return None, f"{text!r} has no time zone (add Z or +01:00)"
    return text, None
