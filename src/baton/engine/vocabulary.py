"""Baton's closed vocabulary: the statuses and audit event kinds of its status
documents (docs/status.md). The engine owns them; the CLI, MCP and anything
that renders a run are keyed by them, and a test fails when a word has no
rendering.

Each word is a ``str`` too: it compares, hashes, serialises (JSON, search
attributes) and formats as its plain value, so the status JSON is unchanged.
Plain data: imported by workflow code.
"""

from __future__ import annotations

from enum import Enum


class Word(str, Enum):
    """A member of a closed vocabulary that behaves as its string value."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class RunStatus(Word):
    RUNNING = "RUNNING"
    COMPENSATING = "COMPENSATING"
    COMPLETED = "COMPLETED"
    COMPENSATED = "COMPENSATED"
    COMPENSATION_FAILED = "COMPENSATION_FAILED"
    CANCELLED = "CANCELLED"
    # a run that failed with nothing to undo, for plans that say so
    # (processes); sagas keep COMPENSATED
    FAILED = "FAILED"


class StepStatus(Word):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    CANCELLED = "CANCELLED"


class CompensationStatus(Word):
    RUNNING = "RUNNING"
    COMPENSATED = "COMPENSATED"
    FAILED = "FAILED"


class SlaStatus(Word):
    """Where a run or step stands against its SLA (docs/operations.md)."""

    ON_TRACK = "ON_TRACK"  # running, before the warning
    WARNING = "WARNING"  # running, past the warning
    BREACHED = "BREACHED"  # past the SLA (running or ended)
    MET = "MET"  # ended within it


class ApprovalStatus(Word):
    """An approval's status, and each of its stages' (WAITING: not open yet)."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    WAITING = "WAITING"


class EventKind(Word):
    """What an audit trail entry records."""

    # a run
    RUN_STARTED = "run_started"
    RUN_FAILED = "run_failed"
    RUN_FINISHED = "run_finished"
    CANCEL_REQUESTED = "cancel_requested"
    RUNNING_STEPS_CANCELLED = "running_steps_cancelled"
    ALERT_SENT = "alert_sent"
    ALERT_FAILED = "alert_failed"
    CLEANUP_DONE = "cleanup_done"
    CLEANUP_FAILED = "cleanup_failed"
    RUN_ENDED_EARLY = "run_ended_early"
    EVENT_RECEIVED = "event_received"
    SLA_WARNING = "sla_warning"  # the run is near its SLA
    SLA_BREACHED = "sla_breached"  # the run passed its SLA
    # a step, forward
    FORWARD_ATTEMPT_STARTED = "forward_attempt_started"
    FORWARD_ATTEMPT_FAILED = "forward_attempt_failed"
    FORWARD_ATTEMPT_LOST = "forward_attempt_lost"
    STEP_COMPLETED = "step_completed"
    STEP_FAILED = "step_failed"
    STEP_SKIPPED = "step_skipped"
    STEP_CANCELLED = "step_cancelled"
    APPROVAL_REQUESTED = "approval_requested"
    ERROR_CAUGHT = "error_caught"
    STEP_RETRIED = "step_retried"
    SUBPROCESS_STARTED = "subprocess_started"
    TRIGGERED = "triggered"  # a trigger fired while its node ran (a boundary event)
    THROWN = "thrown"  # a throw node threw a signal or an escalation
    DECISION_EVALUATED = "decision_evaluated"  # a decide node: which rules matched
    STEP_SLA_BREACHED = "step_sla_breached"  # a step ended past its SLA
    # a step, undone
    COMPENSATION_ATTEMPT_STARTED = "compensation_attempt_started"
    COMPENSATION_ATTEMPT_FAILED = "compensation_attempt_failed"
    COMPENSATION_ATTEMPT_LOST = "compensation_attempt_lost"
    STEP_COMPENSATED = "step_compensated"
    COMPENSATION_FAILED = "compensation_failed"
    COMPENSATION_NOT_DEFINED = "compensation_not_defined"
    SETTLE_STARTED = "settle_started"
    SETTLE_ATTEMPT_STARTED = "settle_attempt_started"
    SETTLE_ATTEMPT_FAILED = "settle_attempt_failed"
    SETTLE_ATTEMPT_LOST = "settle_attempt_lost"
    STEP_SETTLED = "step_settled"
    SETTLE_NOT_DONE = "settle_not_done"
    CLEANUP_ATTEMPT_STARTED = "cleanup_attempt_started"
    CLEANUP_ATTEMPT_FAILED = "cleanup_attempt_failed"
    CLEANUP_ATTEMPT_LOST = "cleanup_attempt_lost"
    # an approval
    REQUESTED = "requested"
    STAGE_OPENED = "stage_opened"
    VOTE_APPROVE = "vote_approve"
    VOTE_REJECT = "vote_reject"
    DECISION_REFUSED = "decision_refused"
    DELEGATION_REFUSED = "delegation_refused"
    DELEGATED = "delegated"
    ESCALATED = "escalated"
    STAGE_APPROVED = "stage_approved"
    STAGE_REJECTED = "stage_rejected"
    STAGE_EXPIRED = "stage_expired"
    DECIDED = "decided"
    CALLBACK_DELIVERED = "callback_delivered"
    CALLBACK_FAILED = "callback_failed"
    NOTIFICATION_FAILED = "notification_failed"


def attempt_event(phase: str, what: str) -> EventKind:
    """``forward_attempt_started``, ``compensation_attempt_failed``, ... for a phase."""
    return EventKind(f"{phase}_attempt_{what}")
