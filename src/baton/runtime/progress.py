"""Running steps' progress, read from the heartbeat details of their pending
activities: what a checkpointed step (or any activity heartbeating the same
shape) last reported — step, total, percent, metrics, its last checkpoint —
and how long it still needs. Read by ``client.status`` from the description
it already has, so progress costs no extra call to the server."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

# an activity id Baton gives an attempt: <step>.<phase>.<attempt>[.<loss>]
_ATTEMPT_ID = re.compile(r"^(?P<step>.+)\.(forward|compensation|settle|cleanup)\.\d+(\.\d+)?$")
# what a progress report carries (baton.checkpoints.session.Session.details)
_FIELDS = (
    "step",
    "total",
    "percent",
    "metrics",
    "checkpoint",
    "resumed_from",
    "at",
    "started_at",
    "rate",
)


def step_of(activity_id: str) -> str:
    """The step id of an attempt's activity id (the id itself if not Baton's)."""
    found = _ATTEMPT_ID.match(activity_id)
    return found["step"] if found else activity_id


def _parse(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def progress_of(
    details: Any, heartbeat_at: datetime | None, now: datetime
) -> dict[str, Any] | None:
    """The progress a heartbeat's details report (None: they report none):
    their fields, when the heartbeat came, and ``eta_seconds`` from now."""
    if not isinstance(details, dict) or "step" not in details or "percent" not in details:
        return None
    progress: dict[str, Any] = {name: details.get(name) for name in _FIELDS}
    progress["heartbeat_at"] = heartbeat_at.isoformat() if heartbeat_at else None
    eta = _parse(details.get("eta_at")) if details.get("eta_at") else None
    progress["eta_at"] = eta.isoformat() if eta else None
    progress["eta_seconds"] = round(max(0.0, (eta - now).total_seconds()), 1) if eta else None
    return progress


async def pending_progress(desc: Any, data_converter: Any) -> list[dict[str, Any]]:
    """Every pending activity of the run that reports progress:
    ``{activity_id, activity_type, step_id, attempt, progress}``."""
    now = datetime.now(timezone.utc)
    found: list[dict[str, Any]] = []
    for pending in desc.raw_description.pending_activities:
        payloads = pending.heartbeat_details.payloads
        if not payloads:
            continue
        try:
            (details,) = await data_converter.decode(payloads[:1])
        except Exception:  # details of a shape or codec this client cannot read
            continue
        heartbeat_at = (
            pending.last_heartbeat_time.ToDatetime(tzinfo=timezone.utc)
            if pending.HasField("last_heartbeat_time")
            else None
        )
        progress = progress_of(details, heartbeat_at, now)
        if progress is None:
            continue
        found.append(
            {
                "activity_id": pending.activity_id,
                "activity_type": pending.activity_type.name,
                "step_id": step_of(pending.activity_id),
                "attempt": pending.attempt,
                "progress": progress,
            }
        )
    return found


def with_progress(state: dict[str, Any], running: list[dict[str, Any]]) -> dict[str, Any]:
    """``state`` with ``progress`` on each RUNNING step that reports it."""
    by_step = {entry["step_id"]: entry["progress"] for entry in running}
    for step in state.get("steps") or []:
        if step.get("status") == "RUNNING" and step.get("step_id") in by_step:
            step["progress"] = by_step[step["step_id"]]
    return state
