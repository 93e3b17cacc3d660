"""``baton health``, ``baton recover``, ``baton recoveries`` and ``baton
policies``: thin commands over :class:`~baton.monitoring.monitor.WorkflowMonitor`
(docs/operations.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from ..config import Settings
from .common import client_only, console, err_console, json_argument, print_json, run_command

HEALTH_STYLE = {"healthy": "green", "warning": "yellow", "critical": "red", "unknown": "dim"}
ACTIONS = "retry, restart, compensate, cancel, escalate or notify"

policies_app = typer.Typer(
    help="Recovery policies the monitor applies (baton.yaml's, and those added here).",
    no_args_is_help=True,
)


def _monitor(client: Any) -> Any:
    from ..monitoring.monitor import WorkflowMonitor

    return WorkflowMonitor(client)


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
            print_json(data)
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
            print_json(result.to_dict())
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
            print_json(rows)
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
            print_json(rows)
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


def _since(text: str | None) -> Any:
    """``7d``, ``12h``, ``30m`` or ``90s`` ago, as a time (None: no bound)."""
    if text is None:
        return None
    from datetime import datetime, timedelta, timezone

    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    try:
        amount = float(text[:-1])
        seconds = amount * units[text[-1]]
    except (ValueError, KeyError, IndexError):
        raise typer.BadParameter(
            f"{text!r}: a duration such as 7d, 12h, 30m or 90s", param_hint="--since"
        ) from None
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)


def analytics(
    name: str = typer.Argument(None, help="a definition's name; without it, every definition"),
    since: str = typer.Option(None, "--since", help="only runs ended within: 7d, 12h, 30m"),
    limit: int = typer.Option(1000, "--limit", min=1, help="at most this many runs, newest first"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Process analytics of ended runs: success, durations, errors, bottlenecks, the process map."""
    after = _since(since)

    async def main() -> int:
        async with client_only(Settings.from_env()) as (client, _):
            data = await _monitor(client).get_process_analytics(name, since=after, limit=limit)
        if as_json:
            print_json(data)
            return 0
        if not data["definitions"]:
            console.print("no ended runs" + (f" of {name!r}" if name else ""))
        for definition, row in data["definitions"].items():
            _print_definition(definition, row)
        _say_skipped(data["unreadable_runs"])
        return 0

    raise typer.Exit(run_command(main()))


def _seconds_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s" if value < 120 else f"{value / 60:.1f}m"


def _print_definition(name: str, row: dict[str, Any]) -> None:
    duration = row["duration_seconds"]
    console.print(
        f"[bold]{name}[/]: {row['runs']} runs, {row['success_rate']:.0%} succeeded, "
        f"p50 {_seconds_text(duration['p50'])}, p95 {_seconds_text(duration['p95'])}, "
        f"{row['retries']} retries"
        + (f", {row['throughput_per_hour']:g} runs/h" if row["throughput_per_hour"] else "")
    )
    time = row["time"]
    if time["waiting_share"] is not None:
        console.print(
            f"  time: {_seconds_text(time['working_seconds'])} working, "
            f"{_seconds_text(time['waiting_seconds'])} waiting ({time['waiting_share']:.0%})"
        )
    if row["slowest_steps"]:
        console.print(
            "  slowest steps: "
            + ", ".join(
                f"{s['step']} {_seconds_text(s['p50_seconds'])}" for s in row["slowest_steps"]
            ),
            markup=False,
        )
    for error, count in row["errors"].items():
        console.print(f"  error ×{count}: {error}", markup=False)
    for edge in row["process_map"]["edges"][:12]:
        console.print(
            f"  {edge['from']} → {edge['to']}  ×{edge['count']}, "
            f"gap {_seconds_text(edge['mean_gap_seconds'])}",
            markup=False,
        )


def export_log(
    path: Path = typer.Argument(..., help="where to write: .xes, or .json/.jsonocel for OCEL 2.0"),
    name: str = typer.Option(None, "--name", help="only runs of this definition"),
    log_format: str = typer.Option(
        None, "--format", help="xes or ocel (default: from the file's extension)"
    ),
    since: str = typer.Option(None, "--since", help="only runs ended within: 7d, 12h, 30m"),
    limit: int = typer.Option(1000, "--limit", min=1),
) -> None:
    """Write ended runs as an event log for process mining (XES or OCEL 2.0)."""
    chosen = log_format or ("xes" if path.suffix == ".xes" else "ocel")
    after = _since(since)

    async def main() -> int:
        async with client_only(Settings.from_env()) as (client, _):
            skipped: list[str] = []
            data = await _monitor(client).export_event_log(
                chosen, name, since=after, limit=limit, skipped=skipped
            )
        try:
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8")
        except OSError as exc:
            err_console.print(f"[red]cannot write {path}:[/] {exc.strerror}")
            return 1
        console.print(f"wrote {path} ({chosen})")
        _say_skipped(skipped)
        return 0

    raise typer.Exit(run_command(main()))


def _say_skipped(skipped: list[str]) -> None:
    if skipped:
        shown = ", ".join(skipped[:5]) + (" …" if len(skipped) > 5 else "")
        err_console.print(
            f"[yellow]note:[/] {len(skipped)} run(s) could not be read and are left out "
            f"({shown}): `baton status ID` says why (an encrypted run needs BATON_CODEC_KEY)",
            markup=True,
        )
