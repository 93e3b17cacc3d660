"""How the CLI shows status documents, run lists and audit trails."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

STATUS_STYLE = {
    "COMPLETED": "green",
    "COMPENSATED": "yellow",
    "COMPENSATION_FAILED": "bold red",
    "CANCELLED": "magenta",
    "FAILED": "red",
    "RUNNING": "cyan",
    "COMPENSATING": "yellow",
    "SKIPPED": "dim",
    "PENDING": "dim",
}

EVENT_TEXT = {
    "run_started": "run started",
    "forward_attempt_started": "started",
    "forward_attempt_failed": "attempt failed",
    "step_completed": "completed",
    "step_failed": "FAILED",
    "step_skipped": "skipped",
    "step_cancelled": "cancelled",
    "run_failed": "run failed",
    "cancel_requested": "cancel requested",
    "running_steps_cancelled": "cancelling running steps",
    "compensation_attempt_started": "compensating",
    "compensation_attempt_failed": "compensation attempt failed",
    "step_compensated": "compensated",
    "compensation_failed": "COMPENSATION FAILED",
    "compensation_not_defined": "nothing to undo (no compensation_action)",
    "run_finished": "run finished",
    "alert_sent": "alert sent",
    "alert_failed": "alert NOT sent",
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


def print_status(console: Console, state: dict[str, Any]) -> None:
    progress = state.get("progress") or {}
    console.print(
        f"[bold]{state.get('name') or state.get('workflow_id')}[/]  ({state.get('kind') or '?'})"
    )
    console.print(f"  id:       {state.get('workflow_id')}")
    console.print(f"  status:   {styled(state.get('status'))}")
    if progress:
        console.print(
            f"  progress: {progress.get('completed')}/{progress.get('total')} steps completed"
        )
    console.print(f"  started:  {state.get('started_at') or '-'}")
    console.print(f"  closed:   {state.get('closed_at') or '-'}")
    if state.get("failure"):
        console.print(f"  failure:  [red]{state['failure']}[/]")
    if state.get("note"):
        console.print(f"  note:     [yellow]{state['note']}[/]")
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
            if step.get("error"):
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


def audit_line(event: dict[str, Any]) -> str:
    text = EVENT_TEXT.get(event["event"], event["event"])
    step = event.get("step_id")
    attempt = event.get("attempt")
    parts = [short_time(event.get("at"), millis=True)]
    parts.append(f"{step:<24}" if step else f"{'':<24}")
    line = text + (f" (attempt {attempt})" if attempt else "")
    if event["event"] in ("step_failed", "compensation_failed", "alert_failed", "run_failed"):
        line = f"[red]{line}[/]"
    elif event["event"] in ("step_completed", "step_compensated"):
        line = f"[green]{line}[/]"
    parts.append(line)
    if event.get("detail"):
        parts.append(f"[dim]{event['detail']}[/]")
    return "  ".join(parts)


def print_history(console: Console, state: dict[str, Any]) -> None:
    console.print(f"[bold]{state.get('workflow_id')}[/]  {styled(state.get('status'))}")
    for event in state.get("audit") or []:
        console.print(audit_line(event), highlight=False)


class LiveProgress:
    """Prints each new audit event as a run goes: works the same in a
    terminal and in a log file."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.seen = 0

    def __call__(self, state: dict[str, Any]) -> None:
        audit = state.get("audit") or []
        for event in audit[self.seen :]:
            self.console.print(audit_line(event), highlight=False)
        self.seen = max(self.seen, len(audit))
