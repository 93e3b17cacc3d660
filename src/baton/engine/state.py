"""The interpreter's in-memory run state, served by query and returned as the
workflow result. Plain data; the field names are Baton's status JSON contract
(docs/status.md), its words are in :mod:`baton.engine.vocabulary`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..plan.wire import to_wire
from .vocabulary import CompensationStatus, RunStatus, StepStatus

# The words, by the short names the engine uses (docs/status.md lists them).
RUNNING = RunStatus.RUNNING
COMPENSATING = RunStatus.COMPENSATING
COMPLETED = RunStatus.COMPLETED
COMPENSATED = RunStatus.COMPENSATED
COMPENSATION_FAILED = RunStatus.COMPENSATION_FAILED
CANCELLED = RunStatus.CANCELLED
FINAL_STATUSES = (COMPLETED, COMPENSATED, COMPENSATION_FAILED, CANCELLED, RunStatus.FAILED)

PENDING = StepStatus.PENDING
STEP_RUNNING = StepStatus.RUNNING
STEP_COMPLETED = StepStatus.COMPLETED
FAILED = StepStatus.FAILED
SKIPPED = StepStatus.SKIPPED
STEP_CANCELLED = StepStatus.CANCELLED
BLOCKING = (FAILED, SKIPPED, STEP_CANCELLED)

COMP_RUNNING = CompensationStatus.RUNNING
COMP_COMPENSATED = CompensationStatus.COMPENSATED
COMP_FAILED = CompensationStatus.FAILED


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass
class StepState:
    step_id: str
    name: str
    status: str = PENDING
    attempts: int = 0
    started_at: str | None = None
    completed_at: str | None = None
    output: Any = None
    error: str | None = None
    critical: bool = True
    depends_on: list[str] = field(default_factory=list)
    parallel_group: str | None = None
    agent_type: str | None = None
    action_type: str = ""
    # the plan node this is an instance of (step_id is the instance: the node
    # id, or for a node run again, e.g. in a loop, "loop[2]/node" or "node#2")
    node_id: str = ""
    kind: str = "action"
    iteration: int | None = None
    # the step's SLA, when it has one: duration_seconds, warning_seconds,
    # status (SlaStatus; set when the step ends)
    sla: dict[str, Any] | None = None


@dataclass
class CompensationState:
    step_id: str
    order: int
    status: str = COMP_RUNNING
    attempts: int = 0
    started_at: str | None = None
    completed_at: str | None = None
    output: Any = None
    error: str | None = None


@dataclass
class AuditEvent:
    at: str
    event: str
    step_id: str | None = None
    attempt: int | None = None
    detail: str | None = None


@dataclass
class ChildRun:
    """A child run this run started (a sub-process node, a saga's ``run``
    step, or the undo run of a completed child): the tree ``baton status``
    shows. ``status`` is RUNNING until the child ends, then its final
    status; ``undoes``: the child run an undo run undoes; ``final``: for a
    completed ``run`` step's child, what its undo is made from (its final
    status's steps, compensations and children, and the context it ran
    with)."""

    step_id: str
    run_id: str
    kind: str
    plan_id: str
    name: str
    status: str = RUNNING
    definition: str | None = None
    started_at: str | None = None
    closed_at: str | None = None
    undoes: str | None = None
    final: dict[str, Any] | None = None


@dataclass
class RunState:
    workflow_id: str
    kind: str
    name: str
    plan_id: str
    status: str
    started_at: str | None
    steps: list[StepState]
    closed_at: str | None = None
    failure: str | None = None
    compensations: list[CompensationState] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)
    plan_format_version: int = 1
    estimated_duration_hours: float | None = None
    notes: list[str] = field(default_factory=list)
    # where the result is (projects: repository, branch, how to land it)
    result: dict[str, Any] | None = None
    # the end-of-run cleanup, if the plan has one: {status, error}
    cleanup: dict[str, Any] | None = None
    # the run's output (plans that define one: processes)
    output: Any = None
    # the error object (type, status, title, detail, instance) of the node
    # whose failure failed the run
    error: dict[str, Any] | None = None
    # step entries of ended loop iterations dropped to bound the document
    steps_omitted: int = 0
    # audit entries dropped likewise (oldest first, nested instances first)
    audit_omitted: int = 0
    # step outputs left out of a document that would pass Temporal's 2 MB
    outputs_omitted: int = 0
    # the event types the run's open waits want
    waiting_for: list[str] = field(default_factory=list)
    # escalations thrown in the run that nothing in it caught (their codes,
    # in order): a calling run's call activity gets them when this run ends
    escalations: list[str] = field(default_factory=list)
    # the run's SLA, when it has one: duration_seconds, warning_seconds,
    # warning_at, deadline_at, status (SlaStatus)
    sla: dict[str, Any] | None = None
    # the child runs it started, in the order started
    children: list[ChildRun] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = to_wire(self)
        done = sum(1 for s in self.steps if s.status == STEP_COMPLETED)
        data["progress"] = {"completed": done, "total": len(self.steps)}
        return data
