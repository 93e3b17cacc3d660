"""``baton graph FILE``: a definition's plan drawn as Mermaid or Graphviz dot."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import Settings
from ..plan.graph import FORMATS, render
from ..plan.model import Plan
from .common import PROCESS_HELP, console, err_console, process_config, run_command


def graph(
    file: Path = typer.Argument(..., help="definition file (YAML or JSON, or a .bpmn model)"),
    fmt: str = typer.Option("mermaid", "--format", help=f"one of {', '.join(FORMATS)}"),
    process: str = typer.Option(None, "--process", help=PROCESS_HELP),
) -> None:
    """Draw a definition's plan (nodes, edges, routes, scopes)."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}", param_hint="--format")

    async def main() -> int:
        from ..definitions.loader import read_document
        from ..runtime.documents import compile_for_run

        settings = Settings.from_env()
        document = read_document(file)
        compiled = compile_for_run(
            document,
            settings=settings,
            baton_file=settings.load_file(),
            source=str(file),
            config=process_config(document, process, str(file)),
            run_planner_agent=False,
        )
        if not isinstance(compiled, Plan):
            err_console.print(f"{file} is an approval request: it has no plan to draw")
            return 1
        console.print(render(compiled, fmt), end="", markup=False, highlight=False)
        return 0

    raise typer.Exit(run_command(main()))
