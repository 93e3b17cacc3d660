"""``baton health``, ``baton recover``, ``baton recoveries`` and ``baton
policies``: thin commands over :class:`~baton.monitoring.monitor.WorkflowMonitor`
(docs/operations.md)."""

from __future__ import annotations

import json
from typing import Any

import typer

from ..config import Settings
from .common import client_only, console, err_console, json_argument, run_command

HEALTH_STYLE = {"healthy": "green", "warning": "yellow", "critical": "red", "unknown": "dim"}
ACTIONS = "retry, restart, compensate, cancel, escalate or notify"

policies_app = typer.Typer(
    help="Recovery policies the monitor applies (baton.yaml's, and those added here).",
    no_args_is_help=True,
)


def _monitor(client: Any) -> Any:
    from ..monitoring.monitor import WorkflowMonitor

    return WorkflowMonitor(client)


def _print_json(data: Any) -> None:
    console.print(json.dumps(data, indent=2, default=str), markup=False, highlight=False)


def _level(level: str) -> str:
    return f"[{HEALTH_STYLE.get(level, 'bold')}]{level}[/]"


def health(
    workflow_id: str = typer.Argument(None, help="a run; without it, a summary of recent runs"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """What is wrong with a run (or with the newest runs), and what to do."""

    async def main() -> int:
        async with client_only(Settings.from_env()) as (client, _):
            data = await _monitor(client).get_workflow_dashboard_data(workflow_id)
        if as_json:
            _print_json(data)
        elif workflow_id is None:
            _print_summary(data)
        else:
            _print_run(data)
        level = data["health"]["status"] if workflow_id else None
        return 1 if level == "critical" else 0

    raise typer.Exit(run_command(main()))


def _print_run(data: dict[str, Any]) -> None:
    report, metrics = data["health"], data["metrics"]
    console.print(
        f"[bold]{data.get('name') or data['workflow_id']}[/]  ({data.get('kind') or '?'}): "
        f"{_level(report['status'])}, run {metrics['status']}"
    )
    rate = metrics.get("completion_rate")
    console.print(
        f"  completion {'-' if rate is None else f'{rate:.0%}'}, attempts {metrics['attempts']} "
        f"({metrics['failed_attempts']} failed), {metrics['execution_time_hours'] * 60:.1f} min"
    )
    for issue in report["issues_detected"]:
        console.print(f"  - {_level(issue['severity'])} {issue['message']}", markup=True)
    for recommendation in report["recommendations"]:
        console.print(f"  → {recommendation}", markup=False)


def _print_summary(data: dict[str, Any]) -> None:
    summary = data["summary"]
    console.print(
        f"{summary['total_workflows']} recent runs: {summary['healthy_workflows']} healthy, "
        f"{summary['warning_workflows']} warning, {summary['critical_alerts']} critical; "
        f"{summary['active_workflows']} active; {summary['workers_polling']} worker(s) polling"
    )
    monitoring = data.get("monitoring") or {}
    if monitoring.get("scheduled"):
        state = "paused" if monitoring.get("paused") else "on"
        every = monitoring.get("interval_seconds")
        last = monitoring.get("last_sweep") or {}
        console.print(
            f"monitor: {state}, every {every:g}s"
            + (f"; last sweep {last.get('at')}: {last.get('checked')} runs" if last else "")
        )
    else:
        console.print("monitor: not scheduled (`baton up` or `baton worker` schedules it)")
    for row in data["needs_attention"]:
        console.print(f"  {_level(row['health'])} {row['workflow_id']}: {'; '.join(row['issues'])}")


def recover(
    workflow_id: str = typer.Argument(...),
    action: str = typer.Option(..., "--action", help=f"what to do: {ACTIONS}"),
    reason: str = typer.Option("recovered by hand", "--reason", help="why (recorded)"),
    channel: list[str] = typer.Option(None, "--channel", help="NOTIFY/ESCALATE: where to alert"),
    to: list[str] = typer.Option(None, "--to", help="ESCALATE: who is asked (or group:NAME)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Recover a run: a recorded recovery carries out the action on a worker."""

    async def main() -> int:
        async with client_only(Settings.from_env()) as (client, _):
            result = await _monitor(client).trigger_recovery(
                workflow_id,
                reason,
                action,
                notification_channels=channel or None,
                escalate_to=to or None,
            )
        if as_json:
            _print_json(result.to_dict())
        else:
            for outcome in result.actions:
                style = {"done": "green", "refused": "yellow"}.get(outcome.outcome, "red")
                console.print(f"[{style}]{outcome.action} {outcome.outcome}[/]: {outcome.detail}")
            console.print(f"recorded as {result.recovery_id}", style="dim")
        return 0 if result.success else 1

    raise typer.Exit(run_command(main()))


def list_recoveries(
    workflow_id: str = typer.Argument(None, help="a run; without it, the newest recoveries"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Recoveries taken (by policies and by hand): why, and what they did."""

    async def main() -> int:
        async with client_only(Settings.from_env()) as (client, _):
            rows = await _monitor(client).get_recovery_history(workflow_id)
        if as_json:
            _print_json(rows)
            return 0
        if not rows:
            console.print("no recoveries")
        for row in rows:
            actions = ", ".join(
                f"{a['action']} {a['outcome']}" for a in row.get("actions") or []
            ) or row.get("state")
            console.print(
                f"{row.get('at') or row.get('started_at')}  {row['recovery_id']}: {actions}"
                + (f" — {row['recovery_reason']}" if row.get("recovery_reason") else ""),
                markup=False,
            )
        return 0

    raise typer.Exit(run_command(main()))


@policies_app.command("list")
def policies_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """The policies: baton.yaml's and those added with `baton policies add`."""

    async def main() -> int:
        async with client_only(Settings.from_env()) as (client, _):
            rows = await _monitor(client).list_recovery_policies()
        if as_json:
            _print_json(rows)
            return 0
        if not rows:
            console.print("no recovery policies (see docs/operations.md)")
        for row in rows:
            console.print(
                f"{row['policy_id']} ({row['source']}): {row['name']} — when "
                f"{json.dumps(row['conditions'])}, {', '.join(row['recovery_actions'])} "
                f"(at most {row['max_recovery_attempts']} per run)",
                markup=False,
            )
        return 0

    raise typer.Exit(run_command(main()))


@policies_app.command("add")
def policies_add(
    policy: str = typer.Argument(..., help="the policy: JSON, or @file (JSON or YAML)"),
) -> None:
    """Add (or replace, by policy_id) a policy; every worker's sweeps apply it."""
    raw = json_argument(policy if policy.startswith(("@", "{")) else f"@{policy}", "POLICY")

    async def main() -> int:
        async with client_only(Settings.from_env()) as (client, _):
            await _monitor(client).add_recovery_policy(raw)
        console.print(f"policy {raw.get('policy_id')} added")
        return 0

    raise typer.Exit(run_command(main()))


@policies_app.command("remove")
def policies_remove(policy_id: str = typer.Argument(...)) -> None:
    """Remove a policy added with `baton policies add`."""

    async def main() -> int:
        async with client_only(Settings.from_env()) as (client, _):
            removed = await _monitor(client).remove_recovery_policy(policy_id)
        if removed:
            console.print(f"policy {policy_id} removed")
            return 0
        err_console.print(f"[red]no policy {policy_id!r} was added through the API[/]")
        return 1

    raise typer.Exit(run_command(main()))
