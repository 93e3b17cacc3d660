"""``baton send``: an event (a CloudEvent) for the runs that wait for it."""

from __future__ import annotations

import json

import typer

from ..config import Settings
from .common import client_only, console, json_argument, run_command


def send_event(
    workflow_id: str = typer.Argument(
        None, help="the run; without it, every run waiting for this type of event"
    ),
    event_type: str = typer.Option(..., "--type", help="the event's type, e.g. order.paid"),
    data: str = typer.Option(None, "--data", help="the event's data: JSON, or @file"),
    source: str = typer.Option("baton", "--source", help="who sends it (CloudEvents source)"),
    subject: str = typer.Option(None, "--subject"),
    event_id: str = typer.Option(
        None, "--id", help="the event id (a repeated id is taken once); default: a new one"
    ),
    as_json: bool = typer.Option(False, "--json", help="print where it went as JSON"),
) -> None:
    """Send an event to a waiting run (or to all runs waiting for its type)."""
    payload = json_argument(data, "--data")

    async def main() -> int:
        async with client_only(Settings.from_env()) as (client, _):
            delivery = await client.send_event(
                event_type,
                payload,
                workflow_id=workflow_id,
                source=source,
                subject=subject,
                event_id=event_id,
            )
        if as_json:
            console.print(json.dumps(delivery.to_dict(), indent=2))
            return 0
        for run, waits in delivery.runs.items():
            if waits:
                console.print(f"{run}: taken by {', '.join(waits)}")
            else:
                console.print(
                    f"{run}: kept (no wait wants it yet; the next one that does takes it)"
                )
        for run in delivery.duplicates:
            console.print(f"{run}: already had event {delivery.event['id']} (taken once)")
        return 0

    raise typer.Exit(run_command(main()))
