"""What every ``baton`` command shares: the consoles, the exit codes, running
a command's coroutine with Baton's errors turned into a message."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from ..config import Settings
from ..errors import BatonError, DefinitionError, Issue
from ..runtime import connected_client

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
    except Exception as exc:
        # Temporal's own errors: imported only now (a command that never
        # reached a server need not load the SDK)
        from temporalio.service import RPCError

        if not isinstance(exc, RPCError):
            raise
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
    from ..runtime.devserver import log_tail

    log = settings.home / "temporal.log"
    return f"\nthe embedded server's log ({log}) ends with:\n{log_tail(log, 8)}"


PROCESS_HELP = "the process to run: its id, for a BPMN model with several"


def process_config(document: dict[str, Any], process: str | None, source: str) -> Any:
    """``--process ID`` as the compile's config (what the API's ``config``
    says); only a BPMN model has processes to choose from."""
    if process is None:
        return None
    if document.get("kind") != "bpmn":
        raise DefinitionError(
            source, [Issue("--process", "picks a process of a BPMN model; this is no BPMN model")]
        )
    return {"process": process}


def client_only(settings: Settings) -> Any:
    """A connected client that starts no server (the CLI entry point)."""
    return connected_client(settings, start_embedded=False, via="cli")


def print_json(data: Any) -> None:
    """A command's ``--json`` answer on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    """Typed results (``to_dict``) as their JSON; anything else as text."""
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else str(value)


def json_argument(text: str | None, option: str) -> Any:
    """An option's JSON value: the text itself, or ``@path`` for a file (JSON,
    or YAML for .yaml/.yml). A bad value is a usage error naming the option."""
    if text is None:
        return None
    source = text
    if text.startswith("@"):
        path = Path(text[1:]).expanduser()
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise typer.BadParameter(
                f"cannot read {path}: {exc.strerror}", param_hint=option
            ) from None
        if path.suffix in (".yaml", ".yml"):
            import yaml

            try:
                return yaml.safe_load(source)
            except yaml.YAMLError as exc:
                raise typer.BadParameter(
                    f"{path} is not valid YAML: {exc}", param_hint=option
                ) from None
    try:
        return json.loads(source)
    except json.JSONDecodeError as exc:
        where = text if not text.startswith("@") else text[1:]
        raise typer.BadParameter(
            f"{where!r} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            "quote it for your shell, or pass @file",
            param_hint=option,
        ) from None
