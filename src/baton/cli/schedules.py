"""``baton schedule``: Temporal Schedules that start Baton definitions —
thin commands over :class:`~baton.runtime.schedules.Schedules`
(docs/schedules.md)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..config import Settings
from .common import (
    PROCESS_HELP,
    client_only,
    console,
    err_console,
    json_argument,
    print_json,
    process_config,
    run_command,
)

schedule_app = typer.Typer(
    help="Schedules: start a definition at cron times or every interval, on Temporal "
    "Schedules (docs/schedules.md).",
    no_args_is_help=True,
)


class Overlap(str, Enum):
    """What happens when a run is due while the schedule's last one runs."""

    skip = "skip"
    buffer = "buffer"
    buffer_all = "buffer-all"
    allow = "allow"


NAME_HELP = "the schedule's name (its runs' ids start with it)"
CRON_HELP = (
    "a cron expression, minute hour day-of-month month day-of-week ('0 2 * * *': 02:00 "
    "every day); several allowed"
)
EVERY_HELP = "an interval: 90s, 30m, 1h, 1d, 2w (counted from the Unix epoch, plus --offset)"
OFFSET_HELP = "shifts --every: '--every 1d --offset 2h' is 02:00 UTC every day"
TZ_HELP = "the IANA time zone cron times are read in (default UTC), e.g. Europe/Berlin"
OVERLAP_HELP = (
    "when a run is due while the last still runs: skip it, buffer one to start after it, "
    "buffer-all, or allow runs side by side"
)
CATCHUP_HELP = (
    "how late a run missed while the server was down may still start, e.g. 4h "
    "(default: Temporal's, a year)"
)
INPUT_HELP = "every run's input (processes): JSON, or @file (JSON or YAML)"
START_HELP = "no run before this (2026-12-01, 2026-12-01T02:00; in --timezone without an offset)"
END_HELP = "no run after this (same forms as --start)"


def _schedules(client: Any) -> Any:
    return client.schedules


def _times(
    cron: list[str] | None,
    every: str | None,
    offset: str | None,
    timezone_name: str | None,
    start: str | None,
    end: str | None,
) -> Any:
    from ..runtime.schedule_times import ScheduleTimes, parse_duration, parse_moment, zone

    tz = zone(timezone_name)
    return ScheduleTimes(
        cron=list(cron or []),
        every=parse_duration(every, "--every") if every else None,
        offset=parse_duration(offset, "--offset") if offset else None,
        timezone=timezone_name,
        start_at=parse_moment(start, "--start", tz) if start else None,
        end_at=parse_moment(end, "--end", tz) if end else None,
    )


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")


@schedule_app.command("create")
def create(
    name: str = typer.Argument(..., help=NAME_HELP),
    file: Path = typer.Argument(..., help="definition file (YAML or JSON, or a .bpmn model)"),
    cron: list[str] = typer.Option(None, "--cron", help=CRON_HELP),
    every: str = typer.Option(None, "--every", help=EVERY_HELP),
    offset: str = typer.Option(None, "--offset", help=OFFSET_HELP),
    timezone_name: str = typer.Option(None, "--timezone", help=TZ_HELP),
    overlap: Overlap = typer.Option(Overlap.skip, "--overlap", help=OVERLAP_HELP),
    catchup: str = typer.Option(None, "--catchup", help=CATCHUP_HELP),
    input_data: str = typer.Option(None, "--input", help=INPUT_HELP),
    start: str = typer.Option(None, "--start", help=START_HELP),
    end: str = typer.Option(None, "--end", help=END_HELP),
    paused: bool = typer.Option(False, "--paused", help="create it paused (`unpause` starts it)"),
    note: str = typer.Option(None, "--note", help="a note shown by describe"),
    process: str = typer.Option(None, "--process", help=PROCESS_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Validate a definition as `baton run` does and schedule its runs. The
    plan compiled now is what every run starts with: `update NAME FILE`
    pins a new one."""
    run_input = json_argument(input_data, "--input")

    async def main() -> None:
        from ..definitions.loader import read_document
        from ..runtime.schedule_times import parse_duration

        times = _times(cron, every, offset, timezone_name, start, end)
        times.check()
        document = read_document(file)
        settings = Settings.from_env()
        async with client_only(settings) as (client, _):
            made = await _schedules(client).create(
                name,
                document,
                times,
                source=str(file),
                config=process_config(document, process, str(file)),
                input=run_input,
                overlap=overlap.value,
                catchup=parse_duration(catchup, "--catchup") if catchup else None,
                paused=paused,
                note=note,
            )
            described = await _schedules(client).describe(name)
        if as_json:
            print_json(described)
            return
        _print_warnings(made["warnings"])
        console.print(
            f"scheduled [bold]{name}[/]: {made['kind']} {made['definition']!r}, {made['times']}, "
            f"on task queue {made['task_queue']}" + (" (paused)" if paused else "")
        )
        if described["next_runs"]:
            console.print(f"next run: {described['next_runs'][0]}")

    run_command(main())


@schedule_app.command("update")
def update(
    name: str = typer.Argument(..., help=NAME_HELP),
    file: Path = typer.Argument(
        None, help="a definition file: its plan, compiled now, replaces the one the schedule runs"
    ),
    cron: list[str] = typer.Option(None, "--cron", help=CRON_HELP + " (replaces the times)"),
    every: str = typer.Option(None, "--every", help=EVERY_HELP + " (replaces the times)"),
    offset: str = typer.Option(None, "--offset", help=OFFSET_HELP),
    timezone_name: str = typer.Option(None, "--timezone", help=TZ_HELP),
    overlap: Overlap = typer.Option(None, "--overlap", help=OVERLAP_HELP),
    catchup: str = typer.Option(None, "--catchup", help=CATCHUP_HELP),
    input_data: str = typer.Option(None, "--input", help=INPUT_HELP),
    start: str = typer.Option(None, "--start", help=START_HELP),
    end: str = typer.Option(None, "--end", help=END_HELP),
    process: str = typer.Option(None, "--process", help=PROCESS_HELP),
) -> None:
    """Change a schedule: a FILE pins its plan anew (runs already started
    keep theirs); the options given replace what they name."""
    run_input = json_argument(input_data, "--input")

    async def main() -> None:
        from ..definitions.loader import read_document
        from ..runtime.schedule_times import parse_duration, parse_moment, zone

        changes: dict[str, Any] = {}
        if file is not None:
            document = read_document(file)
            changes.update(
                document=document,
                source=str(file),
                config=process_config(document, process, str(file)),
            )
        if input_data is not None:
            changes["input"] = run_input
        tz = zone(timezone_name) if timezone_name else None
        settings = Settings.from_env()
        async with client_only(settings) as (client, _):
            if tz is None and (start or end):
                described = await _schedules(client).describe(name)
                tz = zone(described["times"]["timezone"])
            made = await _schedules(client).update(
                name,
                cron=list(cron) if cron else None,
                every=parse_duration(every, "--every") if every else None,
                offset=parse_duration(offset, "--offset") if offset else None,
                timezone_name=timezone_name,
                start_at=parse_moment(start, "--start", tz) if start and tz else None,
                end_at=parse_moment(end, "--end", tz) if end and tz else None,
                overlap=overlap.value if overlap is not None else None,
                catchup=parse_duration(catchup, "--catchup") if catchup else None,
                **changes,
            )
        _print_warnings(made["warnings"])
        console.print(
            f"updated [bold]{name}[/]: {made['kind']} {made['definition']!r}, {made['times']}"
        )

    run_command(main())


@schedule_app.command("list")
def list_schedules(as_json: bool = typer.Option(False, "--json")) -> None:
    """Baton's schedules, by name."""

    async def main() -> None:
        async with client_only(Settings.from_env()) as (client, _):
            rows = await _schedules(client).list()
        if as_json:
            print_json(rows)
            return
        if not rows:
            console.print("no schedules (`baton schedule create NAME FILE --cron …` makes one)")
            return
        table = Table("name", "definition", "times", "state", "next run", "last run")
        for row in rows:
            table.add_row(
                row["name"],
                f"{row['definition']} ({row['kind']})",
                row["times"],
                "[yellow]paused[/]" if row["paused"] else "active",
                row["next_run"] or "",
                row["last_run"] or "",
            )
        console.print(table)

    run_command(main())


@schedule_app.command("describe")
def describe(
    name: str = typer.Argument(..., help=NAME_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A schedule: what it starts, when, its policies, paused or not and
    why, its next run times and its recent runs with their statuses."""

    async def main() -> None:
        async with client_only(Settings.from_env()) as (client, _):
            data = await _schedules(client).describe(name)
        if as_json:
            print_json(data)
        else:
            _print_description(data)

    run_command(main())


def _print_description(data: dict[str, Any]) -> None:
    times = data["times"]
    console.print(
        f"[bold]{data['name']}[/]: {data['kind']} {data['definition']!r}"
        + (f" from {data['source']}" if data.get("source") else "")
        + f", on task queue {data['task_queue']}"
    )
    when = [f"cron {c!r}" for c in times["cron"]]
    if times["every"]:
        when.append(f"every {times['every']}" + (f" +{times['offset']}" if times["offset"] else ""))
    console.print(f"  times: {', '.join(when)} in {times['timezone']}")
    if times["start_at"] or times["end_at"]:
        console.print(f"  between {times['start_at'] or '…'} and {times['end_at'] or '…'}")
    console.print(f"  overlap: {data['overlap']}; catch-up window: {data['catchup'] or 'default'}")
    state = "[yellow]paused[/]" if data["paused"] else "[green]active[/]"
    console.print(f"  state: {state}" + (f" — {data['note']}" if data.get("note") else ""))
    if data["input"] is not None:
        import json

        console.print(f"  input: {json.dumps(data['input'])}")
    console.print(
        f"  runs started: {data['actions']}; skipped (overlap): {data['skipped_overlap']}; "
        f"missed (catch-up): {data['missed_catchup']}; buffered now: {data['buffered']}"
    )
    if data["next_runs"]:
        console.print("  next runs: " + ", ".join(data["next_runs"][:5]))
    if data["recent_runs"]:
        table = Table("run", "due", "started", "status")
        for run in data["recent_runs"]:
            table.add_row(
                run["workflow_id"] or "",
                run["scheduled_at"],
                run["started_at"],
                run["status"] or "",
            )
        console.print(table)


@schedule_app.command("pause")
def pause(
    name: str = typer.Argument(..., help=NAME_HELP),
    note: str = typer.Option(None, "--note", help="why (describe shows it)"),
) -> None:
    """Start no run until `unpause` (runs already started go on)."""
    _set_paused(name, note, paused=True)


@schedule_app.command("unpause")
def unpause(
    name: str = typer.Argument(..., help=NAME_HELP),
    note: str = typer.Option(None, "--note", help="why (describe shows it)"),
) -> None:
    """Start runs at the schedule's times again (times missed while paused are not run)."""
    _set_paused(name, note, paused=False)


def _set_paused(name: str, note: str | None, *, paused: bool) -> None:
    async def main() -> None:
        async with client_only(Settings.from_env()) as (client, _):
            schedules = _schedules(client)
            done = await (schedules.pause if paused else schedules.unpause)(name, note)
        console.print(f"{'paused' if paused else 'unpaused'} [bold]{name}[/]: {done['note']}")

    run_command(main())


@schedule_app.command("trigger")
def trigger(
    name: str = typer.Argument(..., help=NAME_HELP),
    overlap: Overlap = typer.Option(
        None, "--overlap", help="instead of the schedule's policy, for this run"
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Start a run now, as if one were due (the overlap policy applies);
    says whether it started, was skipped or buffered. Exit code 1 when
    skipped."""

    async def main() -> int:
        async with client_only(Settings.from_env()) as (client, _):
            done = await _schedules(client).trigger(
                name, overlap.value if overlap is not None else None
            )
        if as_json:
            print_json(done)
        elif done["outcome"] == "started":
            console.print(
                f"started [bold]{done['workflow_id']}[/]; follow it with "
                f"`baton status {done['workflow_id']}`"
            )
        elif done["outcome"] in ("skipped", "buffered"):
            console.print(
                f"{done['outcome']}: {', '.join(done['running'])} still runs and the overlap "
                "policy is " + ("skip" if done["outcome"] == "skipped" else "buffer")
            )
        else:
            console.print(f"trigger requested; `baton schedule describe {name}` shows the run")
        return 1 if done["outcome"] == "skipped" else 0

    raise typer.Exit(run_command(main()))


@schedule_app.command("backfill")
def backfill(
    name: str = typer.Argument(..., help=NAME_HELP),
    start: str = typer.Option(
        ..., "--from", help="start of the range, exclusive (2026-12-01, 2026-12-01T02:00)"
    ),
    end: str = typer.Option(..., "--to", help="end of the range (same forms)"),
    overlap: Overlap = typer.Option(
        Overlap.buffer_all,
        "--overlap",
        help="for these runs; buffer-all (default) runs them one after another, oldest first",
    ),
) -> None:
    """Start the runs the schedule would have started in a past range, each
    with the time it was due. Times without an offset are read in the
    schedule's time zone."""

    async def main() -> None:
        from ..runtime.schedule_times import parse_moment, zone

        async with client_only(Settings.from_env()) as (client, _):
            schedules = _schedules(client)
            tz = zone((await schedules.describe(name))["times"]["timezone"])
            done = await schedules.backfill(
                name,
                parse_moment(start, "--from", tz),
                parse_moment(end, "--to", tz),
                overlap.value,
            )
        console.print(
            f"backfill of [bold]{name}[/] from {done['from']} to {done['to']} requested "
            f"(overlap {done['overlap']}); `baton schedule describe {name}` shows the runs"
        )

    run_command(main())


@schedule_app.command("delete")
def delete(name: str = typer.Argument(..., help=NAME_HELP)) -> None:
    """Remove a schedule: no run starts any more; runs it started go on."""

    async def main() -> None:
        async with client_only(Settings.from_env()) as (client, _):
            await _schedules(client).delete(name)
        console.print(f"deleted schedule [bold]{name}[/] (runs it started go on)")

    run_command(main())
