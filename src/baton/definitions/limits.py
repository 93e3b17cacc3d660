"""Bounds a definition must stay within so that Temporal can honour it: a run
the server would kill (history too long, a payload too big) or never finish
(an infinite timer) is refused at validation, naming the field and the limit.

Temporal's defaults behind these: a workflow's history ends the run at 50,000
events or 50 MB; one payload may be at most 2 MB; ids are bounded; timers
must be finite.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_ID_LENGTH = 200  # saga_id, step_id, approval_id, stage names
MIN_TIMEOUT_SECONDS = 1.0
MAX_TIMEOUT_SECONDS = 365 * 86400.0  # timers and timeouts: a year
MAX_HEARTBEAT_SECONDS = 86400.0
MAX_STEPS = 1_000
# history events a saga could need at worst (every attempt failing, then
# compensating), against Temporal's 50,000
MAX_HISTORY_EVENTS = 40_000
EVENTS_PER_ATTEMPT = 8  # activity scheduled/started/completed, backoff timer, workflow tasks
MAX_CONTEXT_BYTES = 256 * 1024  # the context travels with the plan (one payload)
MAX_PLAN_BYTES = 1024 * 1024  # the whole plan is the workflow's input payload


def duration(
    value: float | None,
    name: str,
    *,
    low: float = MIN_TIMEOUT_SECONDS,
    high: float = MAX_TIMEOUT_SECONDS,
    unit: float = 1.0,
    unit_name: str = "s",
) -> float | None:
    """``value`` (in ``unit_name``; ``unit`` seconds each) if it is a finite
    duration Temporal can honour, else a ValueError naming the bounds."""
    if value is None:
        return None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    seconds = value * unit
    if seconds < low or seconds > high:
        raise ValueError(
            f"{name} must be between {low / unit:g} and {high / unit:g} {unit_name}, got {value:g}"
        )
    return value


def identifier(value: str, name: str) -> str:
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{name} is {len(value)} characters; at most {MAX_ID_LENGTH}")
    return value


def json_size(value: Any) -> int:
    return len(json.dumps(value, default=str, separators=(",", ":")).encode())
