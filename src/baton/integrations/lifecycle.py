"""Lifecycle events as CloudEvents 1.0 (docs/integrations.md, "Events out").

Made from a run's audit trail — the interpreter's and the approval
workflow's own records — so the events say what the status document says.
Each has a stable id, ``<workflow id>/<run id>/<n>`` (``n``: the record's
place in the run), so a sink or a consumer can drop a repeat: the outbox
delivers at least once."""

from __future__ import annotations

from typing import Any

from ..redact import redact

SPEC_VERSION = "1.0"
PREFIX = "dev.baton."

# audit event -> CloudEvent type; a run's end is named by its final status
TYPES = {
    "run_started": "run.started",
    "forward_attempt_started": "step.started",
    "step_completed": "step.completed",
    "step_failed": "step.failed",
    "step_compensated": "step.compensated",
    "compensation_failed": "step.compensation_failed",
    "sla_warning": "sla.warning",
    "sla_breached": "sla.breached",
    "step_sla_breached": "sla.breached",
    # approvals
    "requested": "approval.requested",
    "escalated": "approval.escalated",
    "decided": "approval.decided",
    "vote_approve": "approval.voted",
    "vote_reject": "approval.voted",
}
RUN_ENDS = {
    "COMPLETED": "run.completed",
    "COMPENSATED": "run.compensated",
    "COMPENSATION_FAILED": "run.compensation_failed",
    "CANCELLED": "run.cancelled",
    "FAILED": "run.failed",
}


def event_type(audit_event: str, detail: str | None) -> str | None:
    """The CloudEvent type of an audit record (None: not a lifecycle event)."""
    if audit_event == "run_finished":
        found = RUN_ENDS.get(str(detail or "").split(" ", 1)[0].upper())
        return PREFIX + found if found else None
    found = TYPES.get(audit_event)
    return PREFIX + found if found else None


def cloud_event(
    *,
    workflow_id: str,
    run_id: str,
    seq: int,
    kind: str,
    name: str,
    audit_event: str,
    at: str,
    step_id: str | None = None,
    attempt: int | None = None,
    detail: str | None = None,
    actor: str | None = None,
    status: str | None = None,
    started_at: str | None = None,
    namespace: str = "default",
) -> dict[str, Any] | None:
    """The CloudEvent of one audit record of a run, or None."""
    kind_of_event = event_type(audit_event, detail)
    if kind_of_event is None:
        return None
    data: dict[str, Any] = {
        "workflow_id": workflow_id,
        "run_id": run_id,
        "kind": kind,
        "name": name,
        "status": status,
        "event": audit_event,
    }
    for key, value in (
        ("step_id", step_id),
        ("attempt", attempt),
        # errors may carry credentials (a database URL): masked as for people
        ("detail", redact(detail) if detail else detail),
        ("started_at", started_at),
    ):
        if value is not None:
            data[key] = value
    if actor is not None:
        data["actor"] = actor
    return {
        "specversion": SPEC_VERSION,
        "id": f"{workflow_id}/{run_id}/{seq}",
        "source": f"baton://{namespace}/{kind}",
        "type": kind_of_event,
        "subject": workflow_id,
        "time": at,
        "datacontenttype": "application/json",
        "data": data,
    }
