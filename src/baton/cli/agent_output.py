"""``baton logs``: what an agent step prints while it runs.

The worker writes each agent's output to ``$BATON_HOME/logs/<run>/<step>.log``
as it comes; on the worker's machine ``baton logs`` shows (and with ``-f``
follows) that file. From any other machine it shows the last lines the agent's
heartbeats carry, which is also what ``baton status`` shows for running
phases."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import typer

from ..config import Settings
from ..errors import BatonError
from .common import client_only, console, err_console, run_command

POLL_SECONDS = 0.5


def _agent_steps(state: dict[str, Any], phase: str | None) -> list[dict[str, Any]]:
    steps = [s for s in state.get("steps") or [] if s.get("agent_type")]
    if phase is None:
        running = [s for s in steps if s["status"] == "RUNNING"]
        return running or steps
    exact = [s for s in steps if s["step_id"] == phase]
    return exact or [s for s in steps if phase in s["step_id"] or phase in s.get("name", "")]


def agent_logs(
    workflow_id: str = typer.Argument(..., help="the run"),
    phase: str = typer.Argument(
        None, help="a phase (step) id or part of it; default: running ones"
    ),
    follow: bool = typer.Option(False, "-f", "--follow", help="keep printing until the phase ends"),
) -> None:
    """An agent phase's output while it runs (and after, on the worker's machine)."""

    async def main() -> int:
        async with client_only(Settings.from_env()) as (client, _):
            state = await client.status(workflow_id)
            steps = _agent_steps(state, phase)
            if not steps:
                raise BatonError(
                    f"{workflow_id} has no agent phase"
                    + (f" matching {phase!r}" if phase else "")
                    + "; `baton status` lists its steps"
                )
            if follow and len(steps) > 1:
                names = ", ".join(s["step_id"] for s in steps)
                raise BatonError(f"name one phase to follow: {names}")
            for step in steps:
                await _show(client, workflow_id, step, follow, many=len(steps) > 1)
        return 0

    raise typer.Exit(run_command(main()))


async def _show(
    client: Any, workflow_id: str, step: dict[str, Any], follow: bool, many: bool
) -> None:
    step_id = step["step_id"]
    if many:
        console.print(f"[bold]== {step_id}[/] ({step['status']})")
    path = client.log_path(workflow_id, step_id)
    if not path.exists():
        output = (await client.running_output(workflow_id)).get(step_id)
        if output:
            sys.stdout.write(output.rstrip("\n") + "\n")
            err_console.print(
                f"[dim]last lines from its heartbeats; the whole log is on the worker's machine "
                f"({path.name} under $BATON_HOME/logs there)[/]"
            )
        else:
            err_console.print(f"[dim]no output from {step_id} here yet[/]")
        return
    offset = 0
    while True:
        with path.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
        if chunk:
            sys.stdout.write(chunk.decode(errors="replace"))
            sys.stdout.flush()
            offset += len(chunk)
        if not follow:
            return
        state = await client.status(workflow_id)
        current = next((s for s in state.get("steps") or [] if s["step_id"] == step_id), None)
        if current is None or current["status"] not in ("RUNNING", "PENDING"):
            if path.stat().st_size == offset:
                return
        await asyncio.sleep(POLL_SECONDS)
