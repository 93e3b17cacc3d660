"""Compile a definition document (a file or a dict) of any kind into what a
run starts from: a Plan, or an approval spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import BatonFile
from ..definitions import parse_saga, parse_saga_config, read_document
from ..errors import DefinitionError, Issue
from .approval import compile_approval
from .model import ApprovalSpec, Plan
from .project import compile_project_definition
from .saga import compile_saga

KINDS = ("saga", "approval", "project")


def detect_kind(data: dict[str, Any], source: str) -> str:
    """The definition kind: an explicit ``kind`` key, else recognised by its keys."""
    kind = data.get("kind")
    if kind is None and "steps" in data and "saga_id" in data:
        kind = "saga"
    elif kind is None and "stages" in data:
        kind = "approval"
    elif kind is None and "project_id" in data and "requirements" in data:
        kind = "project"
    if kind is None:
        raise DefinitionError(
            source,
            [
                Issue(
                    "kind",
                    f"cannot tell what kind of definition this is; add 'kind:' ({', '.join(KINDS)})",
                )
            ],
        )
    if kind not in KINDS:
        raise DefinitionError(
            source, [Issue("kind", f"unknown kind {kind!r}; supported: {', '.join(KINDS)}")]
        )
    return str(kind)


def compile_definition(
    data: dict[str, Any],
    *,
    source: str = "<dict>",
    config: dict[str, Any] | None = None,
    coordination_mode: str | None = None,
    baton_file: BatonFile | None = None,
) -> Plan:
    """Validate a definition dict and compile it to a Plan. ``config`` (the
    seed's ``config`` argument) overrides a ``config`` key in the definition."""
    if detect_kind(data, source) != "saga":
        raise DefinitionError(source, [Issue("kind", "expected a saga definition here")])
    definition = parse_saga(data, source)
    saga_config = parse_saga_config(config, "config") if config is not None else None
    return compile_saga(
        definition,
        source=source,
        config=saga_config,
        coordination_mode=coordination_mode,
        baton_file=baton_file,
    )


def compile_file(
    path: str | Path, *, baton_file: BatonFile | None = None, workspace_root: Path | None = None
) -> Plan | ApprovalSpec:
    """Validate a definition file of any kind and compile it. Project
    workspaces go under ``workspace_root`` (default $BATON_HOME/workspaces)."""
    data = read_document(path)
    kind = detect_kind(data, str(path))
    if kind == "approval":
        return compile_approval(data, source=str(path), baton_file=baton_file)
    if kind == "project":
        from ..config import Settings

        root = workspace_root or Settings.from_env().home / "workspaces"
        return compile_project_definition(
            data, source=str(path), workspace_root=root, baton_file=baton_file
        )
    return compile_definition(data, source=str(path), baton_file=baton_file)
