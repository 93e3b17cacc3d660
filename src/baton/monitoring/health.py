"""Health checks: what is wrong with a run, and what to do about it.

Pure functions over :class:`RunFacts` — the run's status document, what the
server says of its pending activities and of the workers polling its task
queue, and how long its steps usually take — gathered by
:mod:`baton.monitoring.facts`. Every issue carries a concrete
recommendation. One implementation for ``baton health``, MCP's ``monitor``,
the monitor's sweeps and the dashboard (docs/operations.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

HEALTHY, WARNING, CRITICAL = "healthy", "warning", "critical"
UNKNOWN = "unknown"  # the run could not be read

OPEN = ("RUNNING", "COMPENSATING")


@dataclass(frozen=True)
class Thresholds:
    """When a fact becomes an issue (``monitoring:`` in baton.yaml)."""

    # a step on this attempt (or later) after failures is failing repeatedly
    failing_attempts: int = 3
    # a worker the server has not heard from for this long has stopped
    # (idle workers poll again every 10 s on the embedded server, 60 s stock)
    worker_silence_seconds: float = 75.0
    # a step running this many times its usual duration is slow ...
    slow_factor: float = 3.0
    # ... once it has run at least this long, and its usual duration comes
    # from at least this many completed runs of the same definition
    slow_min_seconds: float = 60.0
    baseline_runs: int = 5
    # an approval stage with no escalation undecided this long is overdue
    approval_wait_hours: float = 24.0
    # an activity scheduled this long and never started has no worker
    unstarted_seconds: float = 30.0


@dataclass(frozen=True)
class PendingActivity:
    """What the server says of one activity of the run that has not ended."""

    step_id: str  # the step key the activity is an attempt of
    activity_type: str
    state: str  # SCHEDULED, STARTED, CANCEL_REQUESTED, PAUSED
    scheduled_at: datetime | None
    last_heartbeat_at: datetime | None


@dataclass(frozen=True)
class RunFacts:
    workflow_id: str
    status: dict[str, Any]  # the status document
    now: datetime
    task_queue: str | None = None
    run_id: str | None = None  # the execution looked at
    running: bool = False  # Temporal's execution status is RUNNING
    pending: tuple[PendingActivity, ...] = ()
    # seconds since the server last heard from each worker polling the queue
    workflow_pollers: tuple[float, ...] | None = None  # None: not asked
    activity_pollers: tuple[float, ...] | None = None
    usual_seconds: dict[str, float] = field(default_factory=dict)  # step id -> p50
    baseline_runs: int = 0


@dataclass(frozen=True)
class HealthIssue:
    code: str
    severity: str  # warning or critical
    message: str
    recommendation: str
    step_id: str | None = None

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HealthReport:
    """The seed's ``perform_health_check`` result: ``status`` (healthy,
    warning, critical; unknown when the run could not be read),
    ``issues_detected`` and ``recommendations``."""

    workflow_id: str
    status: str
    run_status: str | None
    kind: str | None
    name: str | None
    issues_detected: list[HealthIssue]
    recommendations: list[str]
    checked_at: str

    @property
    def healthy(self) -> bool:
        return self.status == HEALTHY

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["issues_detected"] = [issue.to_dict() for issue in self.issues_detected]
        return data


def check_run(facts: RunFacts, thresholds: Thresholds = Thresholds()) -> HealthReport:
    """Every issue :func:`issues` finds, with the report's overall status."""
    found = issues(facts, thresholds)
    status = (
        CRITICAL if any(i.severity == CRITICAL for i in found) else WARNING if found else HEALTHY
    )
    recommendations: list[str] = []
    for issue in found:
        if issue.recommendation not in recommendations:
            recommendations.append(issue.recommendation)
    doc = facts.status
    return HealthReport(
        workflow_id=facts.workflow_id,
        status=status,
        run_status=doc.get("status"),
        kind=doc.get("kind"),
        name=doc.get("name") or doc.get("stage"),
        issues_detected=found,
        recommendations=recommendations,
        checked_at=facts.now.isoformat(),
    )


def issues(facts: RunFacts, thresholds: Thresholds = Thresholds()) -> list[HealthIssue]:
    found: list[HealthIssue] = []
    found += _ended_badly(facts)
    found += _slas(facts)
    if facts.running:
        found += _no_worker(facts, thresholds)
        found += _failing_steps(facts, thresholds)
        found += _slow_steps(facts, thresholds)
        if facts.status.get("kind") == "approval":
            found += _waiting_approval(facts, thresholds)
    return found


def _ended_badly(facts: RunFacts) -> list[HealthIssue]:
    doc, wid = facts.status, facts.workflow_id
    status = doc.get("status")
    if status == "COMPENSATION_FAILED":
        failed = [c["step_id"] for c in doc.get("compensations") or [] if c["status"] == "FAILED"]
        return [
            HealthIssue(
                "compensation_failed",
                CRITICAL,
                f"compensation failed: {', '.join(failed) or 'a step'} could not be undone "
                f"({doc.get('failure') or 'see its history'})",
                f"undo {', '.join(failed) or 'those steps'} by hand (`baton history {wid}` shows "
                "each attempt's error); nothing will retry it",
                failed[0] if failed else None,
            )
        ]
    if status in ("FAILED", "TERMINATED", "TIMED_OUT"):
        reason = doc.get("failure") or doc.get("reason")
        error = doc.get("error") or {}
        step = next((s["step_id"] for s in doc.get("steps") or [] if s["status"] == "FAILED"), None)
        return [
            HealthIssue(
                "run_failed",
                WARNING,
                f"the run {status.lower().replace('_', ' ')}"
                + (f" at step {step}" if step else "")
                + (
                    f": {reason or error.get('detail') or error.get('title')}"
                    if (reason or error)
                    else ""
                ),
                (
                    f"fix the cause, then `baton recover {wid} --action retry` (runs the failed "
                    f"step again) or `--action restart` (a new run with the same input)"
                    if step
                    else f"fix the cause, then `baton recover {wid} --action restart` (a new "
                    "run with the same input; no step failed, so there is none to retry)"
                ),
                step,
            )
        ]
    if status == "COMPENSATED":
        return [
            HealthIssue(
                "run_compensated",
                WARNING,
                f"the run failed and was undone: {doc.get('failure') or 'see its history'}",
                f"fix the cause, then `baton recover {wid} --action restart` "
                "(a new run with the same input)",
            )
        ]
    return []


def _slas(facts: RunFacts) -> list[HealthIssue]:
    """Declared SLAs (docs/operations.md, "SLAs"): the run's, and its steps'."""
    doc, wid, now = facts.status, facts.workflow_id, facts.now
    found = []
    escalate = (
        f"find what holds it up (the issues here, `baton status {wid}`); an SLA stops "
        f"nothing — to raise it: `baton recover {wid} --action escalate --to PERSON`"
    )
    sla = doc.get("sla")
    if sla:
        deadline, warning = parse_time(sla.get("deadline_at")), parse_time(sla.get("warning_at"))
        limit = _span(float(sla["duration_seconds"]))
        ended = parse_time(doc.get("closed_at"))
        if ended is None and deadline is not None and now >= deadline:
            found.append(
                HealthIssue(
                    "sla_breached",
                    CRITICAL,
                    f"the run is past its SLA of {limit} by {_span((now - deadline).total_seconds())}",
                    escalate,
                )
            )
        elif ended is None and warning is not None and now >= warning:
            found.append(
                HealthIssue(
                    "sla_warning",
                    WARNING,
                    f"the run is near its SLA of {limit}: "
                    f"{_span((deadline - now).total_seconds()) if deadline else '?'} left",
                    escalate,
                )
            )
        elif ended is not None and sla.get("status") == "BREACHED":
            found.append(
                HealthIssue(
                    "sla_breached",
                    WARNING,
                    f"the run ended past its SLA of {limit}",
                    f"see where its time went: `baton status {wid}` (step start and end times)",
                )
            )
    for step in doc.get("steps") or []:
        step_sla = step.get("sla")
        if not step_sla:
            continue
        limit_seconds = float(step_sla["duration_seconds"])
        started = parse_time(step.get("started_at"))
        if step.get("status") == "RUNNING" and started is not None:
            elapsed = (now - started).total_seconds()
            warn = step_sla.get("warning_seconds")
            if elapsed >= limit_seconds or (warn is not None and elapsed >= float(warn)):
                breached = elapsed >= limit_seconds
                found.append(
                    HealthIssue(
                        "step_sla_breached" if breached else "step_sla_warning",
                        CRITICAL if breached else WARNING,
                        f"step {step['step_id']} has run {_span(elapsed)}; its SLA is "
                        f"{_span(limit_seconds)}",
                        escalate,
                        step["step_id"],
                    )
                )
        elif step_sla.get("status") == "BREACHED":
            found.append(
                HealthIssue(
                    "step_sla_breached",
                    WARNING,
                    f"step {step['step_id']} ended past its SLA of {_span(limit_seconds)}",
                    f"see where its time went: `baton history {wid}`",
                    step["step_id"],
                )
            )
    return found


def _no_worker(facts: RunFacts, t: Thresholds) -> list[HealthIssue]:
    queue = facts.task_queue or "?"
    start = "start one: `baton up` (embedded server) or `baton worker`, with " + (
        f"TEMPORAL_TASK_QUEUE={queue}"
    )
    live_workflow = _live(facts.workflow_pollers, t)
    live_activity = _live(facts.activity_pollers, t)
    if live_workflow is not None and live_workflow == 0:
        return [
            HealthIssue(
                "no_worker",
                CRITICAL,
                f"no worker polls task queue {queue!r}: the run cannot move on",
                start,
            )
        ]
    unstarted = [
        a
        for a in facts.pending
        if a.state == "SCHEDULED"
        and a.scheduled_at is not None
        and (facts.now - a.scheduled_at).total_seconds() >= t.unstarted_seconds
    ]
    if unstarted and live_activity == 0:
        waited = (facts.now - unstarted[0].scheduled_at).total_seconds()  # type: ignore[operator]
        return [
            HealthIssue(
                "no_worker",
                CRITICAL,
                f"step {unstarted[0].step_id} has waited {_span(waited)} for a worker: "
                f"none polls task queue {queue!r} for steps",
                start,
                unstarted[0].step_id,
            )
        ]
    return []


def _live(ages: tuple[float, ...] | None, t: Thresholds) -> int | None:
    if ages is None:
        return None
    return sum(1 for age in ages if age <= t.worker_silence_seconds)


def _failing_steps(facts: RunFacts, t: Thresholds) -> list[HealthIssue]:
    """Baton retries a step from the workflow, one activity per attempt (so
    each attempt shows in the audit trail): the status document counts them."""
    doc, wid = facts.status, facts.workflow_id
    last_error: dict[str, str] = {}
    for entry in doc.get("audit") or []:
        if entry.get("event") in ("forward_attempt_failed", "compensation_attempt_failed"):
            last_error[entry.get("step_id") or ""] = str(entry.get("detail") or "")
    found = []
    for step in doc.get("steps") or []:
        attempts = step.get("attempts") or 0
        if step.get("status") != "RUNNING" or attempts < t.failing_attempts:
            continue
        error = last_error.get(step["step_id"]) or step.get("error") or "see its history"
        found.append(
            HealthIssue(
                "step_failing",
                WARNING,
                f"step {step['step_id']} is failing: attempt {attempts}, last error: {error}",
                f"fix what step {step['step_id']} calls (the error above); it retries by "
                f"itself until its attempts run out — or stop the run: "
                f"`baton recover {wid} --action cancel`",
                step["step_id"],
            )
        )
    for comp in doc.get("compensations") or []:
        attempts = comp.get("attempts") or 0
        if comp.get("status") != "RUNNING" or attempts < t.failing_attempts:
            continue
        error = last_error.get(comp["step_id"]) or comp.get("error") or "see its history"
        found.append(
            HealthIssue(
                "compensation_failing",
                CRITICAL,
                f"undoing step {comp['step_id']} is failing: attempt {attempts}, "
                f"last error: {error}",
                f"fix what undoing {comp['step_id']} calls (the error above); it retries by "
                "itself, and the run ends COMPENSATION_FAILED if its attempts run out",
                comp["step_id"],
            )
        )
    return found


def _slow_steps(facts: RunFacts, t: Thresholds) -> list[HealthIssue]:
    if facts.baseline_runs < t.baseline_runs:
        return []
    found = []
    for step in facts.status.get("steps") or []:
        usual = facts.usual_seconds.get(step.get("node_id") or step["step_id"])
        started = parse_time(step.get("started_at"))
        if step.get("status") != "RUNNING" or usual is None or started is None:
            continue
        elapsed = (facts.now - started).total_seconds()
        if elapsed < t.slow_min_seconds or elapsed < t.slow_factor * usual:
            continue
        found.append(
            HealthIssue(
                "step_slow",
                WARNING,
                f"step {step['step_id']} has run {_span(elapsed)}; it usually takes "
                f"{_span(usual)} (median of the last {facts.baseline_runs} completed runs)",
                f"check what step {step['step_id']} waits on (its worker's log; `baton logs "
                f"{facts.workflow_id}` for agents); if it is stuck, `baton recover "
                f"{facts.workflow_id} --action cancel` stops the run and undoes what completed",
                step["step_id"],
            )
        )
    return found


def _waiting_approval(facts: RunFacts, t: Thresholds) -> list[HealthIssue]:
    doc, wid = facts.status, facts.workflow_id
    for stage in doc.get("stages") or []:
        if stage.get("status") != "PENDING":
            continue
        who = ", ".join(doc.get("eligible") or stage.get("approvers") or []) or "nobody"
        escalated = parse_time(stage.get("escalated_at"))
        if escalated is not None:
            return [
                HealthIssue(
                    "approval_escalated",
                    WARNING,
                    f"stage {stage['name']} was escalated {_span((facts.now - escalated).total_seconds())} "
                    f"ago and is still undecided (may decide: {who})",
                    f"ask {who} to decide (`baton approve {wid}`), or delegate "
                    f"(`baton delegate {wid} --to ...`)",
                )
            ]
        started = parse_time(stage.get("started_at"))
        if started is not None:
            waited = (facts.now - started).total_seconds()
            if waited >= t.approval_wait_hours * 3600:
                return [
                    HealthIssue(
                        "approval_waiting",
                        WARNING,
                        f"stage {stage['name']} has waited {_span(waited)} for a decision "
                        f"(may decide: {who})",
                        f"ask {who} to decide (`baton approve {wid}`); a stage with an "
                        "`escalation` is raised by itself",
                    )
                ]
    return []


def parse_time(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def seconds_between(start: Any, end: Any) -> float | None:
    """Seconds from one ISO time to another (None when either is missing)."""
    begun, ended = parse_time(start), parse_time(end)
    if begun is None or ended is None:
        return None
    return max(0.0, (ended - begun).total_seconds())


def _span(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 120 * 60:
        return f"{seconds / 60:.0f}m"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"
