"""``baton dlq``: dead letters — look at them, redrive them, drop them
(docs/integrations.md, "Dead letters")."""

from __future__ import annotations

import typer
from rich.table import Table

from ..config import Settings
from .common import client_only, console, err_console, print_json, run_command

dlq_app = typer.Typer(
    help="Dead letters: trigger messages no run took, starts refused for good, runs that "
    "ended failed (docs/integrations.md, 'Dead letters').",
    no_args_is_help=True,
)


def _store(settings: Settings):  # type: ignore[no-untyped-def]
    """The store baton.yaml's ``dead_letters.store`` names (this machine's
    by default)."""
    from ..integrations.deadletters import open_dead_letters

    return open_dead_letters(settings, settings.load_file())


@dlq_app.command("list")
def list_letters(as_json: bool = typer.Option(False, "--json")) -> None:
    """The dead letters (kept on this machine, or in Redis with
    dead_letters.store: redis), oldest first."""
    store = _store(Settings.from_env())
    letters = store.list()
    store.close()
    if as_json:
        print_json(letters)
        return
    if not letters:
        console.print("no dead letters")
        return
    table = Table("id", "kind", "from", "reason", "at", "redriven as")
    for letter in letters:
        table.add_row(
            letter["id"],
            letter["kind"],
            letter["source"],
            letter["reason"][:80],
            letter["at"][:19],
            letter["redriven_as"] or "",
        )
    console.print(table)


@dlq_app.command("show")
def show(letter_id: str = typer.Argument(...)) -> None:
    """One dead letter, with what it carries."""
    from ..integrations.deadletters import DeadLetterError

    store = _store(Settings.from_env())
    try:
        print_json(store.show(letter_id))
    except DeadLetterError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        store.close()


@dlq_app.command("redrive")
def redrive(letter_id: str = typer.Argument(...)) -> None:
    """Do again what the letter could not: deliver its event, start its run.
    Idempotent: redriving twice does it once."""
    from ..integrations.deadletters import redrive as do_redrive

    async def main() -> int:
        settings = Settings.from_env()
        store = _store(settings)
        try:
            async with client_only(settings) as (client, _):
                made = await do_redrive(settings, client, store, letter_id)
        finally:
            store.close()
        console.print(f"redriven: {letter_id} -> {made}")
        return 0

    raise typer.Exit(run_command(main()))


@dlq_app.command("drop")
def drop(letter_id: str = typer.Argument(...)) -> None:
    """Forget a dead letter."""
    from ..integrations.deadletters import DeadLetterError

    store = _store(Settings.from_env())
    try:
        store.drop(letter_id)
    except DeadLetterError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        store.close()
    console.print(f"dropped {letter_id}")
