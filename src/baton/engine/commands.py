"""The command protocol of choreography (docs/integrations.md,
"Choreography"): what a ``command`` step publishes and the reply that
completes it. Pure: the interpreter (through :mod:`baton.engine.steps`), the
worker's command activity and its reply listener all use it.

A command is a CloudEvent on the step's subject whose ``correlationid``
names the run and the step; the service answers on the worker's replies
subject with a CloudEvent of type :data:`COMPLETED` (its ``data`` is the
step's output) or :data:`FAILED` (``data``: ``message``, ``retryable``)
carrying the same ``correlationid``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

COMPLETED = "baton.command.completed"
FAILED = "baton.command.failed"
REPLY_TYPES = (COMPLETED, FAILED)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:\-\[\]]")


def correlation_id(workflow_id: str, run_id: str, key: str, phase: str) -> str:
    """``<workflow id>/<run>/<step>.<phase>``: the same for every attempt of
    one step's phase in one run (a late reply to an earlier attempt still
    completes it), different in a run started again under the same id. The
    last two parts hold no ``/``, so :func:`workflow_of` finds the run."""
    token = f"{key}.{phase}"
    safe = _UNSAFE.sub("_", token)
    if safe != token:
        safe += "-" + hashlib.sha256(token.encode()).hexdigest()[:8]
    return f"{workflow_id}/{run_id[:8]}/{safe}"


def workflow_of(correlation: str) -> str | None:
    """The workflow id a correlation id names (None: not one of Baton's)."""
    parts = correlation.rsplit("/", 2)
    return parts[0] if len(parts) == 3 and parts[0] else None


def reply_outcome(reply: dict[str, Any]) -> tuple[bool, Any, str, bool]:
    """(succeeded, output, message, retryable) of a reply event."""
    data = reply.get("data")
    if reply.get("type") == COMPLETED:
        return True, data, "", False
    detail = data if isinstance(data, dict) else {"message": data}
    message = str(detail.get("message") or detail.get("error") or "no message")[:2000]
    if reply.get("type") != FAILED:
        message = f"an unexpected reply of type {reply.get('type')!r}: {message}"
    return False, None, message, bool(detail.get("retryable", False))


def command_reply(
    command: dict[str, Any],
    data: Any = None,
    *,
    source: str,
    error: str | None = None,
    retryable: bool = False,
    reply_id: str | None = None,
) -> dict[str, Any]:
    """For a service: the reply event to ``command`` (a command event as
    received) — completed with ``data`` as the step's output or, given
    ``error``, failed (``retryable``: the step may send the command again).
    Publish it to the command's ``replyto``. Its id is ``reply_id`` or one
    made from the command's, so a reply sent twice is taken once."""
    from datetime import datetime, timezone

    failed = error is not None
    return {
        "specversion": "1.0",
        "id": reply_id or f"{command['id']}/{'failed' if failed else 'completed'}",
        "type": FAILED if failed else COMPLETED,
        "source": source,
        "time": datetime.now(timezone.utc).isoformat(),
        "datacontenttype": "application/json",
        "correlationid": command["correlationid"],
        "data": {"message": error, "retryable": retryable, **(data or {})} if failed else data,
    }
