"""How the CLI shows status documents, run lists and audit trails."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..engine.vocabulary import (
    ApprovalStatus,
    CompensationStatus,
    EventKind,
    RunStatus,
    SlaStatus,
    StepStatus,
)
from ..plan.model import walk

R, S, C, A, E, SLA = (
    RunStatus,
    StepStatus,
    CompensationStatus,
    ApprovalStatus,
    EventKind,
    SlaStatus,
)

# every status word has a style, every event kind a text (a test checks it)
STATUS_STYLE: dict[str, str] = {
    R.RUNNING: "cyan",
    R.COMPENSATING: "yellow",
    R.COMPLETED: "green",
    R.COMPENSATED: "yellow",
    R.COMPENSATION_FAILED: "bold red",
    R.FAILED: "bold red",
    R.CANCELLED: "magenta",
    S.PENDING: "dim",
    S.FAILED: "red",
    S.SKIPPED: "dim",
    C.COMPENSATED: "yellow",
    A.APPROVED: "green",
    A.REJECTED: "red",
    A.EXPIRED: "yellow",
    A.WAITING: "dim",
    SLA.ON_TRACK: "green",
    SLA.WARNING: "yellow",
    SLA.BREACHED: "bold red",
    SLA.MET: "green",
}

EVENT_TEXT: dict[str, str] = {
    E.RUN_STARTED: "run started",
    E.RUN_FAILED: "run failed",
    E.RUN_FINISHED: "run finished",
    E.CANCEL_REQUESTED: "cancel requested",
    E.RUNNING_STEPS_CANCELLED: "cancelling running steps",
    E.ALERT_SENT: "alert sent",
    E.ALERT_FAILED: "alert NOT sent",
    E.CLEANUP_DONE: "cleaned up",
    E.CLEANUP_FAILED: "cleanup FAILED",
    E.RUN_ENDED_EARLY: "run ended by a route to @end",
    E.SLA_WARNING: "near its SLA",
    E.SLA_BREACHED: "SLA BREACHED",
    E.STEP_SLA_BREACHED: "ended past its SLA",
    E.EVENT_RECEIVED: "event received",
    E.FORWARD_ATTEMPT_STARTED: "started",
    E.FORWARD_ATTEMPT_FAILED: "attempt failed",
    E.FORWARD_ATTEMPT_LOST: "worker lost; the same attempt again",
    E.STEP_COMPLETED: "completed",
    E.STEP_FAILED: "FAILED",
    E.STEP_SKIPPED: "skipped",
    E.STEP_CANCELLED: "cancelled",
    E.APPROVAL_REQUESTED: "approval requested",
    E.ERROR_CAUGHT: "error caught",
    E.STEP_RETRIED: "retried by its catch",
    E.SUBPROCESS_STARTED: "sub-process started",
    E.TRIGGERED: "event while running",
    E.THROWN: "thrown",
    E.DECISION_EVALUATED: "decision evaluated",
    E.COMPENSATION_ATTEMPT_STARTED: "compensating",
    E.COMPENSATION_ATTEMPT_FAILED: "compensation attempt failed",
    E.COMPENSATION_ATTEMPT_LOST: "worker lost while compensating; again",
    E.STEP_COMPENSATED: "compensated",
    E.COMPENSATION_FAILED: "COMPENSATION FAILED",
    E.COMPENSATION_NOT_DEFINED: "nothing to undo (the step has no compensation)",
    E.SETTLE_STARTED: "settling an unknown outcome",
    E.SETTLE_ATTEMPT_STARTED: "settling",
    E.SETTLE_ATTEMPT_FAILED: "settle attempt failed",
    E.SETTLE_ATTEMPT_LOST: "worker lost while settling; again",
    E.STEP_SETTLED: "outcome settled",
    E.SETTLE_NOT_DONE: "nothing to undo (the action is refused)",
    E.CLEANUP_ATTEMPT_STARTED: "cleaning up",
    E.CLEANUP_ATTEMPT_FAILED: "cleanup attempt failed",
    E.CLEANUP_ATTEMPT_LOST: "worker lost while cleaning up; again",
    E.REQUESTED: "approval requested",
    E.STAGE_OPENED: "stage opened",
    E.VOTE_APPROVE: "approved",
    E.VOTE_REJECT: "rejected",
    E.DECISION_REFUSED: "decision REFUSED",
    E.DELEGATION_REFUSED: "delegation REFUSED",
    E.DELEGATED: "delegated",
    E.ESCALATED: "escalated",
    E.STAGE_APPROVED: "stage approved",
    E.STAGE_REJECTED: "stage rejected",
    E.STAGE_EXPIRED: "stage expired",
    E.DECIDED: "decided",
    E.CALLBACK_DELIVERED: "callback delivered",
    E.CALLBACK_FAILED: "callback FAILED",
    E.NOTIFICATION_FAILED: "notification NOT sent",
}


def styled(status: str | None) -> str:
    if not status:
        return "-"
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else status


def short_time(value: str | None, millis: bool = False) -> str:
    """HH:MM:SS(.mmm) of an ISO timestamp."""
    if not value:
        return "-"
    return value[11 : 23 if millis else 19] if len(value) > 19 else value


def server_line(server: Any, address: str) -> str:
    """Which Temporal server a command uses (``server`` is the embedded one, or None)."""
    if server is None:
        return f"using Temporal at {address}"
    how = "started" if server.owned else "reusing"
    return f"[green]{how}[/] embedded Temporal server at {server.address} (data: {server.db_path})"


def identity_line(identity: Any) -> str:
    """How this worker checks who decides approvals (shown loudly when trusted)."""
    if identity.signed:
        return (
            f"identity mode: [green]signed[/] ({len(identity.identities)} identities): every "
            "approval decision must carry a credential this worker verifies"
        )
    return (
        "[bold yellow]identity mode: trusted[/] — an approval decision is taken from whoever it "
        "names: anyone who can run baton here or reach this Temporal server can decide as "
        "anyone. Fine for a single-user laptop; list `identities:` in baton.yaml for signed "
        "decisions (docs/approvals.md, Identity)."
    )


def describe_compiled(compiled: Any) -> str:
    """One line about a compiled definition (a saga plan or an approval spec)."""
    if hasattr(compiled, "steps"):
        return f"{compiled.kind} {compiled.name!r}, {len(compiled.steps)} steps"
    stages = ", ".join(
        f"{s.name} ({s.quorum_label} of {', '.join(s.approvers)})" for s in compiled.stages
    )
    return f"approval {compiled.stage!r}, stages: {stages}"


def print_plan(console: Console, compiled: Any) -> None:
    """The plan a definition compiled to, before anything runs."""
    console.print(f"[bold]{describe_compiled(compiled)}[/]")
    if not hasattr(compiled, "steps"):
        return
    table = Table()
    for column in ("step", "what", "agent", "waits for"):
        table.add_column(column, overflow="fold")
    for path, step in walk(compiled.steps):
        depth = path.count(".body[")
        what = step.action.get("type") if step.kind == "action" else step.kind
        table.add_row(
            "  " * depth + step.id,
            f"{what}: {step.name}",
            step.agent_type or "-",
            ", ".join(step.after) or "-",
        )
    console.print(table)
    for note in compiled.options.notes:
        console.print(f"plan: {note}")
    for pool, limit in compiled.options.pool_limits.items():
        console.print(f"at most {limit} step(s) of pool {pool!r} at once")


def print_approvals(console: Console, rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("no approvals")
        return
    table = Table()
    for column in ("approval id", "stage", "status", "may decide", "requested"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["approval_id"],
            row.get("stage") or "-",
            styled(row.get("status")),
            ", ".join(row.get("may_decide") or []) or "-",
            short_time(row.get("requested_at")),
        )
    console.print(table)


def print_project_progress(console: Console, state: dict[str, Any]) -> None:
    from datetime import datetime, timezone

    running = [s for s in state.get("steps") or [] if s["status"] == "RUNNING"]
    if running:
        console.print(
            "  running:  "
            + ", ".join(
                f"{s['step_id']} ({s['agent_type']})" if s.get("agent_type") else s["step_id"]
                for s in running
            )
        )
    for step_id, output in (state.get("running_output") or {}).items():
        console.print(f"  [dim]{step_id} says (last lines; `baton logs` for all):[/]")
        for line in output.splitlines()[-5:]:
            console.print(f"    [dim]{line}[/]", markup=False, highlight=False)
    started = state.get("started_at")
    if started:
        end = (
            datetime.fromisoformat(state["closed_at"])
            if state.get("closed_at")
            else datetime.now(timezone.utc)
        )
        hours = (end - datetime.fromisoformat(started)).total_seconds() / 3600
        estimate = state.get("estimated_duration_hours")
        console.print(
            f"  elapsed:  {hours:.2f} h" + (f" of an estimated {estimate:g} h" if estimate else "")
        )


def print_result(console: Console, state: dict[str, Any]) -> None:
    """Where a completed run's result is, and how to land it."""
    result = state.get("result")
    if not result:
        return
    if result.get("branch"):
        console.print(
            f"  result:   branch [bold]{result['branch']}[/] in {result.get('repository')} "
            f"(from {result.get('base')})"
        )
        console.print(f"  land it:  {result.get('land')}")
    elif result.get("workspaces"):
        console.print(f"  result:   the phases' directories under {result['workspaces']}")
    landed = next((s for s in state.get("steps") or [] if s["step_id"] == "land_result"), None)
    if landed and landed.get("status") == "COMPLETED":
        console.print(f"  landed:   {landed.get('output')}")


def sweep_line(state: dict[str, Any]) -> str | None:
    """A sweep's progress in one line (None for other documents)."""
    trials = state.get("trials")
    if state.get("kind") != "sweep" or not trials:
        return None
    best = state.get("best")
    shown = f"best {state.get('metric')} {best['metric']:g}" if best else "no result yet"
    return (
        f"run {state.get('generation')}: {trials['completed']} completed, "
        f"{trials['failed']} failed, {trials['in_flight']} running of {trials['total']} · {shown}"
    )


def print_sweep(console: Console, state: dict[str, Any]) -> None:
    line = sweep_line(state)
    if line is not None:  # a cancelled sweep: only Temporal's summary is left
        console.print(f"  trials:   {line}")
    if state.get("stop_reason"):
        console.print(f"  stopped:  {state['stop_reason']}")
    for rank, trial in enumerate(state.get("top") or [], 1):
        params = ", ".join(f"{k}={v}" for k, v in trial["params"].items())
        console.print(f"  #{rank}: {state.get('metric')} {trial['metric']:g}  ({params})")
    for failure in state.get("failures") or []:
        console.print(f"  [red]trial {failure['index']} failed[/]: {failure['error']}")


def print_stages(console: Console, state: dict[str, Any]) -> None:
    if state.get("reason"):
        console.print(f"  reason:   {state['reason']}")
    if state.get("eligible"):
        console.print(f"  may decide now: {', '.join(state['eligible'])}")
    for stage in state.get("stages") or []:
        console.print(
            f"  stage [bold]{stage['name']}[/] {styled(stage['status'])}  quorum {stage['quorum_label']}"
            f"  approvals {stage['approvals']}, rejections {stage['rejections']}"
            f"  approvers: {', '.join(stage['approvers'])}"
        )
        for delegator, delegate in (stage.get("delegations") or {}).items():
            console.print(f"    {delegator} delegated to {delegate}")
        if stage.get("escalated_at"):
            console.print(f"    escalated at {stage['escalated_at']}")
        for vote in stage.get("votes") or []:
            by = f" (cast by {vote['cast_by']})" if vote.get("cast_by") else ""
            feedback = f": {vote['feedback']}" if vote.get("feedback") else ""
            console.print(
                f"    {short_time(vote['at'])} {vote['approver']}{by} {vote['decision']}{feedback}"
            )


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def progress_line(progress: dict[str, Any]) -> str:
    """A running step's progress in one line: percent and step, metrics,
    last checkpoint, where it resumed, ETA (docs/status.md, "Progress")."""
    total = progress.get("total")
    parts = [
        (f"{progress['percent']:g}% " if progress.get("percent") is not None else "")
        + f"(step {progress.get('step')}"
        + (f" of {total})" if total else ")")
    ]
    metrics = progress.get("metrics") or {}
    if metrics:
        parts.append(
            ", ".join(
                f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items()
            )
        )
    if progress.get("checkpoint"):
        parts.append(f"checkpoint at step {progress['checkpoint'].get('step')}")
    if progress.get("resumed_from") is not None:
        parts.append(f"resumed from step {progress['resumed_from']}")
    if progress.get("eta_seconds") is not None:
        parts.append(f"ETA {_duration(progress['eta_seconds'])}")
    return " · ".join(parts)


def print_status(console: Console, state: dict[str, Any]) -> None:
    progress = state.get("progress") or {}
    console.print(
        f"[bold]{state.get('name') or state.get('workflow_id')}[/]  ({state.get('kind') or '?'})"
    )
    console.print(f"  id:       {state.get('workflow_id')}")
    console.print(f"  status:   {styled(state.get('status'))}")
    if progress:
        unit = {"approval": "stages", "sweep": "trials"}.get(str(state.get("kind")), "steps")
        console.print(
            f"  progress: {progress.get('completed')}/{progress.get('total')} {unit} completed"
        )
    console.print(f"  started:  {state.get('started_at') or '-'}")
    console.print(f"  closed:   {state.get('closed_at') or '-'}")
    if state.get("failure"):
        console.print(f"  failure:  [red]{state['failure']}[/]")
    for note in state.get("notes") or []:
        console.print(f"  plan:     {note}")
    if state.get("note"):
        console.print(f"  note:     [yellow]{state['note']}[/]")
    for running in state.get("running_activities") or []:
        console.print(
            f"  activity {running['activity_type']} ({running['activity_id']}): "
            + progress_line(running["progress"])
        )
    if state.get("kind") == "approval":
        print_stages(console, state)
    if state.get("kind") == "project":
        print_project_progress(console, state)
    if state.get("kind") == "sweep":
        print_sweep(console, state)
    print_result(console, state)
    steps = state.get("steps") or []
    if steps:
        table = Table(title="steps", title_justify="left", expand=False)
        for column in ("step", "status", "attempts", "started", "completed"):
            table.add_column(column, no_wrap=True)
        for step in steps:
            table.add_row(
                step["step_id"],
                styled(step["status"]),
                str(step.get("attempts") or 0),
                short_time(step.get("started_at")),
                short_time(step.get("completed_at")),
            )
        console.print(table)
        for step in steps:
            if step.get("progress"):
                console.print(f"  [bold]{step['step_id']}[/]: {progress_line(step['progress'])}")
        failure = state.get("failure") or ""
        for step in steps:
            # the step whose failure stopped the run is already named above
            if step.get("error") and step["error"] not in failure:
                console.print(f"  [bold]{step['step_id']}[/]: {step['error']}")
    compensations = state.get("compensations") or []
    if compensations:
        table = Table(title="compensations (in the order they ran)", title_justify="left")
        for column in ("order", "step", "status", "attempts", "error"):
            table.add_column(column, overflow="fold")
        for comp in compensations:
            table.add_row(
                str(comp["order"]),
                comp["step_id"],
                styled(comp["status"]),
                str(comp.get("attempts") or 0),
                comp.get("error") or "",
            )
        console.print(table)
    print_children(console, state)


def print_children(console: Console, state: dict[str, Any]) -> None:
    """The child runs a run started (docs/status.md, ``children``): each is
    a run of its own (``baton status <child run>`` shows its steps)."""
    children = state.get("children") or []
    if not children:
        return
    table = Table(title="child runs", title_justify="left")
    for column in ("step", "child run", "runs", "status"):
        table.add_column(column, overflow="fold")
    for child in children:
        runs = f"{child.get('kind')} {child.get('plan_id')}"
        if child.get("definition"):
            runs += f" ({child['definition']})"
        if child.get("undoes"):
            runs = f"undo of {child['undoes']}"
        table.add_row(
            child.get("step_id") or "", child.get("run_id") or "", runs, styled(child.get("status"))
        )
    console.print(table)


def print_runs(console: Console, runs: list[dict[str, Any]]) -> None:
    if not runs:
        console.print("no runs yet: start one with `baton run FILE` or `baton demo`")
        return
    table = Table()
    for column in ("workflow id", "kind", "name", "status", "started", "closed"):
        table.add_column(column, overflow="fold")
    for run in runs:
        table.add_row(
            run["workflow_id"],
            run.get("kind") or "-",
            run.get("name") or "-",
            styled(run.get("status")),
            run.get("started_at") or "-",
            run.get("closed_at") or "-",
        )
    console.print(table)


# a detail shorter than this (a run id, a step id) is always printed whole
REPEAT_MIN_CHARS = 40


def audit_line(event: dict[str, Any], shown: list[str] | None = None) -> str:
    """One audit event as a line. With ``shown`` (details printed so far),
    a detail already printed is not repeated (a failing attempt, the step's
    failure and the run's failure often carry the same message)."""
    text = EVENT_TEXT.get(event["event"], event["event"])
    step = event.get("step_id")
    attempt = event.get("attempt")
    parts = [short_time(event.get("at"), millis=True)]
    parts.append(f"{step:<24}" if step else f"{'':<24}")
    line = text + (f" (attempt {attempt})" if attempt else "")
    if event.get("actor"):
        line += f" by {event['actor']}"
    if event["event"] in ("step_failed", "compensation_failed", "alert_failed", "run_failed"):
        line = f"[red]{line}[/]"
    elif event["event"] in ("step_completed", "step_compensated"):
        line = f"[green]{line}[/]"
    parts.append(line)
    detail = event.get("detail")
    if detail and shown is not None:
        if detail in shown:
            detail = None  # said just so before
        else:
            # a long message said before (an attempt's error inside the step's
            # and the run's failure) is named, never cut out silently
            repeated = next((d for d in shown if len(d) >= REPEAT_MIN_CHARS and d in detail), None)
            if repeated is not None:
                detail = detail.replace(repeated, "(as above)")
        shown.append(event["detail"])
    if detail:
        parts.append(f"[dim]{detail}[/]")
    return "  ".join(parts)


def print_history(console: Console, state: dict[str, Any]) -> None:
    console.print(f"[bold]{state.get('workflow_id')}[/]  {styled(state.get('status'))}")
    shown: list[str] = []
    for event in state.get("audit") or []:
        console.print(audit_line(event, shown), highlight=False)


class LiveProgress:
    """Prints each new audit event as a run goes: works the same in a
    terminal and in a log file."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.seen = 0
        self.details: list[str] = []

    def __call__(self, state: dict[str, Any]) -> None:
        audit = state.get("audit") or []
        for event in audit[self.seen :]:
            self.console.print(audit_line(event, self.details), highlight=False)
        self.seen = max(self.seen, len(audit))

    def printed(self, text: str | None) -> bool:
        """Whether ``text`` was already shown as (part of) an event's detail."""
        if not text:
            return False
        return any(text in d or d in text for d in self.details if d)
