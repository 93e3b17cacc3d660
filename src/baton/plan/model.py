"""The Plan: one serialisable, versioned description of what a workflow does.

Every declarative kind (saga today; projects and processes later) compiles to
a Plan, and one interpreter (:mod:`baton.engine.interpreter`) runs it. The plan
is part of the workflow input, so a run keeps the version it started with.

Only plain dataclasses here: this module is imported by workflow code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# 2: resource pools on steps (pool, pool_limits); project-phase undo, cleanup,
#    result; v1 plans are upgraded by plan/migrations.py
PLAN_FORMAT_VERSION = 2


@dataclass
class RetrySpec:
    """How often a step attempt is repeated and how long to wait in between
    (exponential backoff: ``initial * coefficient**(n-1)``, capped)."""

    max_attempts: int = 1
    initial_interval_seconds: float = 1.0
    backoff_coefficient: float = 2.0
    max_interval_seconds: float = 60.0


@dataclass
class PlanStep:
    """One unit of work. ``action`` and ``compensation`` are action dicts
    (``{"type": "api_call", ...}``) already validated by the front end;
    placeholders in them are resolved when the step runs."""

    id: str
    name: str
    action: dict[str, Any]
    after: list[str] = field(default_factory=list)
    compensation: dict[str, Any] | None = None
    timeout_seconds: float = 300.0
    retry: RetrySpec = field(default_factory=RetrySpec)
    critical: bool = True
    agent_type: str | None = None
    description: str | None = None
    parallel_group: str | None = None
    # A resource pool: at most PlanOptions.pool_limits[pool] steps of the pool
    # run at once (projects: "agents", for max_parallel_agents).
    pool: str | None = None
    # Compensate this step also when it started but did not complete (failed
    # or cancelled): its compensation must undo whatever part was done and be
    # harmless when nothing was (project phases: remove branch and worktree).
    compensate_attempted: bool = False
    # When the step is cancelled while an attempt runs, its effect is unknown.
    # With this, Baton settles it during compensation by repeating the forward
    # action with the same idempotency key, then compensates with that output.
    compensate_if_unknown: bool = False


@dataclass
class PlanOptions:
    """Whole-run options: a deadline, and who is alerted when it fails."""

    deadline_seconds: float | None = None
    alert_on_failure: bool = False
    notification_channels: list[str] = field(default_factory=list)
    # How soon a silent activity (a dead worker) is retried; None = 10 s (the interpreter default).
    heartbeat_timeout_seconds: float | None = None
    # how many steps of each resource pool run at once (PlanStep.pool)
    pool_limits: dict[str, int] = field(default_factory=dict)
    # format 1: at most this many agent phases at once (now pool_limits)
    max_parallel: int | None = None
    estimated_duration_hours: float | None = None
    # how the plan was made (planner used, or why it was not)
    notes: list[str] = field(default_factory=list)
    compensation_retry: RetrySpec = field(
        default_factory=lambda: RetrySpec(max_attempts=5, initial_interval_seconds=1.0)
    )
    # the entry point the definition came through (cli, api, mcp, trigger,
    # dashboard): workers apply the execution policy for it
    origin: str = "api"
    # where the result is (placeholders filled from step outputs), shown when
    # the run completes
    result: dict[str, Any] | None = None
    # an action run when the run ends, whatever the outcome (after any
    # compensation), e.g. removing a project's own worktree
    cleanup: dict[str, Any] | None = None


@dataclass
class Plan:
    kind: str
    id: str
    name: str
    steps: list[PlanStep]
    description: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    options: PlanOptions = field(default_factory=PlanOptions)
    format_version: int = PLAN_FORMAT_VERSION

    def step(self, step_id: str) -> PlanStep:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


@dataclass
class RunInput:
    """The input of every interpreted workflow."""

    plan: Plan


# ---- approvals: the input of the approval workflow -------------------------

APPROVAL_FORMAT_VERSION = 1


@dataclass
class EscalationSpec:
    after_seconds: float
    notify: list[str] = field(default_factory=list)
    add_approvers: list[str] = field(default_factory=list)


@dataclass
class StageSpec:
    name: str
    approvers: list[str]  # user ids, groups expanded
    quorum: int
    quorum_label: str  # "any", "all" or "N of M", for people
    reject_threshold: int = 1
    timeout_seconds: float | None = None
    on_timeout: str = "reject"
    escalation: EscalationSpec | None = None
    remind_every_seconds: float | None = None


@dataclass
class ApprovalSpec:
    approval_id: str
    stage: str
    description: str
    stages: list[StageSpec]
    context: dict[str, Any] = field(default_factory=dict)
    workflow_id: str | None = None
    notify: list[str] = field(default_factory=list)
    callback_url: str | None = None
    format_version: int = APPROVAL_FORMAT_VERSION
    # send each eligible approver a personal notice (their `notify` channel
    # under `identities:` in the worker's baton.yaml), with decision links
    notify_approvers: bool = False
    origin: str = "api"  # the entry point it came through (execution policy)
