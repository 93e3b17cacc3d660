"""``baton replay`` and ``baton export-histories``: record runs' histories,
then check new workflow code against them before it is deployed
(docs/upgrades.md). Thin over :mod:`baton.runtime.replay` and
:mod:`baton.runtime.histories`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from ..config import Settings
from .common import EXIT_RUN_NOT_COMPLETED, client_only, console, print_json, run_command

if TYPE_CHECKING:
    from ..runtime.replay import ReplayOutcome

RESULT_STYLE = {"ok": "green", "failed": "red", "skipped": "yellow", "unreadable": "red"}


def replay(
    histories: list[Path] = typer.Option(
        [], "--histories", help="a directory of history files (*.json); repeatable"
    ),
    history: list[Path] = typer.Option([], "--history", help="one history file; repeatable"),
    workflows: list[str] = typer.Option(
        [],
        "--workflows",
        help="your workflow class as module:Class (imported from the current directory); "
        "repeatable. Baton's own workflows are always replayed too",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the outcomes as JSON"),
) -> None:
    """Replay recorded histories on the workflow code installed here, before
    deploying it: exit code 0 only when every history of a replayed type
    replays. Histories of other types are skipped (and listed)."""

    async def main() -> int:
        from ..runtime.codec import data_converter
        from ..runtime.replay import (
            history_files,
            load_workflow_classes,
            passed,
            replay_files,
        )
        from ..runtime.worker import BATON_WORKFLOWS

        settings = Settings.from_env()
        paths = history_files(histories, history)
        classes = load_workflow_classes(workflows, search_path=[Path.cwd()])
        outcomes = await replay_files(
            paths,
            [*BATON_WORKFLOWS, *classes],
            data_converter=data_converter(settings.codec_key),
        )
        ok = passed(outcomes)
        if as_json:
            print_json({"passed": ok, "histories": [o.to_dict() for o in outcomes]})
        else:
            _print_outcomes(outcomes, ok)
        return 0 if ok else EXIT_RUN_NOT_COMPLETED

    raise typer.Exit(run_command(main()))


def _print_outcomes(outcomes: list[ReplayOutcome], ok: bool) -> None:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
        style = RESULT_STYLE.get(outcome.result, "bold")
        what = (
            f"{escape(outcome.workflow_id)} ({escape(outcome.workflow_type or '?')})"
            if outcome.workflow_id
            else "-"
        )
        console.print(f"[{style}]{outcome.result:<10}[/] {what}  {escape(outcome.source)}")
        if outcome.detail:
            console.print(f"           {escape(outcome.detail)}")
    summary = ", ".join(f"{n} {result}" for result, n in counts.items())
    if ok:
        console.print(f"[green]passed[/]: {len(outcomes)} histories ({summary})")
    elif not counts.get("ok") and not counts.get("failed") and not counts.get("unreadable"):
        console.print(
            f"[red]nothing replayed[/]: {len(outcomes)} histories ({summary}); "
            "name your workflow classes with --workflows module:Class"
        )
    else:
        console.print(
            f"[red]failed[/]: {len(outcomes)} histories ({summary}); deploying this code "
            "would break the failed runs (docs/upgrades.md: patching)"
        )


def export_histories(
    directory: Path = typer.Argument(..., help="where to write the files (created if missing)"),
    workflow_type: list[str] = typer.Option(
        [], "--workflow-type", help="only runs of this workflow type; repeatable"
    ),
    query: str = typer.Option(None, "--query", help="only runs matching this Temporal list filter"),
    limit: int = typer.Option(100, "--limit", min=1, help="at most this many runs, newest first"),
    as_json: bool = typer.Option(False, "--json", help="print what was written as JSON"),
) -> None:
    """Write runs' histories (running ones too) to DIRECTORY, one Temporal
    JSON file per run, for `baton replay`."""

    async def main() -> None:
        from ..runtime.histories import export_histories as export

        async with client_only(Settings.from_env()) as (client, _):
            written = await export(
                client,
                directory,
                workflow_types=tuple(workflow_type),
                query=query,
                limit=limit,
            )
        if as_json:
            print_json([w.to_dict() for w in written])
            return
        for item in written:
            console.print(
                f"{escape(item.workflow_id)} ({escape(item.workflow_type)}, "
                f"{item.events} events) -> {escape(item.path)}"
            )
        console.print(f"{len(written)} histories written to {escape(str(directory))}")

    run_command(main())
