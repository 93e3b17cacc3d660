"""Compile a definition (a file or a dict) of any kind, purely: the seed's
entry points over the front-end registry. Starting a run goes through
``baton.runtime.documents``, which also runs what needs the machine (a
planner agent, the repository check) before compiling."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..config import BatonFile
from ..definitions import read_document
from ..definitions.catalog import DirectoryCatalog
from .frontends import KINDS, CompileContext, compile_document, detect_kind
from .model import ApprovalSpec, Plan

__all__ = ["KINDS", "compile_definition", "compile_file", "detect_kind"]


def compile_definition(
    data: dict[str, Any],
    *,
    source: str = "<dict>",
    config: dict[str, Any] | None = None,
    coordination_mode: str | None = None,
    baton_file: BatonFile | None = None,
) -> Plan:
    """Validate a saga definition dict and compile it to a Plan. ``config``
    (the seed's ``config`` argument) overrides a ``config`` key in it."""
    ctx = CompileContext(
        source=source,
        baton_file=baton_file or BatonFile(),
        config=config,
        coordination_mode=coordination_mode,
    )
    plan = compile_document(data, ctx, kind="saga")
    assert isinstance(plan, Plan)
    return plan


def compile_file(
    path: str | Path,
    *,
    baton_file: BatonFile | None = None,
    workspace_root: Path = Path("workspaces"),
    process_path: Iterable[Path] = (),
) -> Plan | ApprovalSpec:
    """Validate a definition file of any kind and compile it (a project's
    planner agent is not run here: see ``baton.runtime.documents``). A
    process's ``run: workflow`` finds its children beside the file, then in
    ``process_path`` (DMN files likewise)."""
    process_path = tuple(process_path)
    ctx = CompileContext(
        source=str(path),
        baton_file=baton_file or BatonFile(),
        workspace_root=workspace_root,
        processes=DirectoryCatalog.for_source(str(path), process_path),
        search_path=process_path,
    )
    return compile_document(read_document(path), ctx)
