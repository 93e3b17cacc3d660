"""What every ``baton`` command shares: the consoles, the exit codes, running
a command's coroutine with Baton's errors turned into a message."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer
from rich.console import Console
from temporalio.service import RPCError

from ..config import Settings
from ..errors import BatonError
from ..runtime import connected_client
from ..runtime.devserver import log_tail

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")

EXIT_RUN_NOT_COMPLETED = 1
EXIT_INVALID = 2
EXIT_SERVER = 3


def run_command(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine, turning Baton's errors into a message and
    an exit code instead of a traceback."""
    try:
        return asyncio.run(coro)
    except BatonError as exc:
        gap = "\n" if exc.label.endswith("\n") else " "
        err_console.print(f"[red]{exc.label.rstrip()}[/]{gap}{exc}", markup=True)
        raise typer.Exit(exc.exit_code) from None
    except RPCError as exc:
        err_console.print(
            f"[red]server:[/] the Temporal server answered: {exc.message}{_log_hint()}"
        )
        raise typer.Exit(EXIT_SERVER) from None


def _log_hint() -> str:
    """Where to look when the embedded server fails a request."""
    try:
        settings = Settings.from_env()
    except BatonError:
        return ""
    if not settings.embedded:
        return ""
    log = settings.home / "temporal.log"
    return f"\nthe embedded server's log ({log}) ends with:\n{log_tail(log, 8)}"


def client_only(settings: Settings) -> Any:
    """A connected client that starts no server (the CLI entry point)."""
    return connected_client(settings, start_embedded=False, via="cli")
