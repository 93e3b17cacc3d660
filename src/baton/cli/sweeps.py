"""``baton sweep FILE``: start a ``kind: sweep`` definition and follow it
until it ends (docs/sweeps.md). ``baton status ID`` reads a sweep too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ..config import Settings
from . import render
from .common import EXIT_RUN_NOT_COMPLETED, client_only, console, print_json, run_command


def sweep(
    file: Path = typer.Argument(..., help="a kind: sweep definition (YAML or JSON)"),
    workflow_id: str = typer.Option(None, "--id", help="workflow id (default: <name>-<random>)"),
    no_wait: bool = typer.Option(False, "--no-wait", help="start and return at once"),
    as_json: bool = typer.Option(False, "--json", help="print the final document as JSON"),
) -> None:
    """Run a parameter sweep: trials with bounded parallelism, continuing as
    new to keep history small, early stopping; the best trial is the result.
    Exit code 0 only when it COMPLETED."""

    async def main() -> int:
        settings = Settings.from_env()
        async with client_only(settings) as (client, _):
            pollers = await client.workers_polling()
            started = await client.start_sweep(file, workflow_id)
            if no_wait:
                if as_json:
                    print_json({"workflow_id": started.workflow_id, "run_id": started.run_id})
                else:
                    console.print(
                        f"started [bold]{started.workflow_id}[/]; "
                        f"follow it with `baton status {started.workflow_id}`"
                    )
                if pollers == 0:
                    console.print(
                        "[yellow]note:[/] no worker polls the task queue; the sweep waits "
                        "until `baton up` or `baton worker` runs"
                    )
                return 0
            if not as_json:
                console.print(f"started [bold]{started.workflow_id}[/]")
            shown: list[Any] = []

            def on_update(state: dict[str, Any]) -> None:
                line = render.sweep_line(state)
                if not as_json and line and line not in shown:
                    shown.append(line)
                    console.print(f"  {line}")

            if pollers:
                final = await client.wait(started.workflow_id, on_update)
            else:
                from ..runtime.worker import running_worker

                if not as_json:
                    console.print(
                        "[dim]no worker is running: running one in this process "
                        "until the sweep ends[/]"
                    )
                async with running_worker(
                    client.temporal, settings.task_queue, client.baton_file, settings=settings
                ):
                    final = await client.wait(started.workflow_id, on_update)
        if as_json:
            print_json(final)
        else:
            render.print_status(console, final)
        return 0 if final.get("status") == "COMPLETED" else EXIT_RUN_NOT_COMPLETED

    raise typer.Exit(run_command(main()))
