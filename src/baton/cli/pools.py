"""``baton pools``: resource pools shared by runs and workers — thin over
:meth:`~baton.runtime.client.TemporalWorkflowClient.pools` (docs/pools.md)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from ..config import Settings
from .common import client_only, console, print_json, run_command


def pools(
    name: str | None = typer.Argument(None, help="one pool (default: every pool in use)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Resource pools: capacity, what is in use, leases (holder, count, since)
    and who waits, first in line first."""

    async def main() -> None:
        async with client_only(Settings.from_env()) as (client, _):
            found = [await client.pool(name)] if name else await client.pools()
        if as_json:
            print_json(found[0] if name else found)
            return
        if not found:
            console.print("no pool in use (pools start when a run first acquires from them)")
        for pool in found:
            _print_pool(pool)

    run_command(main())


def _print_pool(pool: dict[str, Any]) -> None:
    if "unreachable" in pool:
        console.print(f"[bold]{pool['name']}[/]: [yellow]{pool['unreachable']}[/]")
        return
    console.print(
        f"[bold]{pool['name']}[/]: {pool['in_use']} of {pool['capacity']} in use, "
        f"{pool['free']} free, {len(pool['queue'])} waiting"
    )
    if pool["leases"] or pool["queue"]:
        table = Table("", "holder (run:step)", "count", "since")
        for lease in pool["leases"]:
            table.add_row("lease", lease["holder"], str(lease["count"]), lease["since"])
        for place, waiter in enumerate(pool["queue"], start=1):
            table.add_row(f"queue {place}", waiter["holder"], str(waiter["count"]), waiter["since"])
        console.print(table)
