"""Recording runs' histories for ``baton replay`` (docs/upgrades.md): each
as Temporal's own JSON — what ``WorkflowHistory.to_json`` and ``temporal
workflow show --output json`` write — one file per run, named after its
workflow id."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, InvalidRequestError, ServerError, WorkflowNotFoundError

if TYPE_CHECKING:
    from temporalio.client import WorkflowHistory

    from .client import TemporalWorkflowClient

DEFAULT_LIMIT = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class ExportedHistory:
    """One history written: which run, its type, where."""

    workflow_id: str
    run_id: str
    workflow_type: str
    path: str
    events: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_name(workflow_id: str) -> str:
    """A file name for a run's history: its workflow id, with what a file
    name cannot hold (``/``, spaces…) as ``_``."""
    return _UNSAFE.sub("_", workflow_id).lstrip(".") + ".json"


def history_json(history: WorkflowHistory) -> str:
    """Temporal's JSON of a history (``WorkflowHistory.from_json`` reads it
    back), indented for review in a diff."""
    return json.dumps(history.to_json_dict(), indent=1) + "\n"


async def fetch_history(
    client: TemporalWorkflowClient, workflow_id: str, run_id: str | None = None
) -> WorkflowHistory:
    """A run's whole history as it stands (a run in flight: up to now); the
    newest run of the id without ``run_id``."""
    from temporalio.service import RPCError, RPCStatusCode

    temporal = await client.connect()
    try:
        return await temporal.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise WorkflowNotFoundError(workflow_id) from None
        raise ServerError(f"cannot read {workflow_id!r}: {exc.message}") from exc


def _write(history: WorkflowHistory, path: Path) -> None:
    try:
        path.write_text(history_json(history), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def _workflow_type(history: WorkflowHistory) -> str:
    first = history.events[0] if history.events else None
    if first is None or not first.HasField("workflow_execution_started_event_attributes"):
        return ""
    return str(first.workflow_execution_started_event_attributes.workflow_type.name)


async def export_history(
    client: TemporalWorkflowClient, workflow_id: str, destination: Path
) -> ExportedHistory:
    """Write a run's history to ``destination``: a file, or a directory
    (then ``<workflow id>.json`` in it)."""
    history = await fetch_history(client, workflow_id)
    path = destination / file_name(workflow_id) if destination.is_dir() else destination
    _write(history, path)
    return ExportedHistory(
        workflow_id,
        history.run_id,
        _workflow_type(history),
        str(path),
        len(history.events),
    )


def runs_query(workflow_types: tuple[str, ...] = (), query: str | None = None) -> str:
    """The visibility query of the runs to export: of these workflow types,
    and matching ``query`` (Temporal's list filter)."""
    parts = []
    if workflow_types:
        parts.append(" OR ".join(f"WorkflowType = '{name}'" for name in workflow_types))
    if query:
        parts.append(query)
    return " AND ".join(f"({part})" for part in parts)


async def export_histories(
    client: TemporalWorkflowClient,
    directory: Path,
    *,
    workflow_types: tuple[str, ...] = (),
    query: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[ExportedHistory]:
    """Write the histories of the newest ``limit`` runs (running ones too:
    they are what an upgrade must not break) of the given types, matching
    ``query``, into ``directory`` (created when missing). Only the newest
    run of a workflow id is written (earlier runs of the same id ended before
    it started)."""
    from temporalio.service import RPCError, RPCStatusCode

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {directory}: {exc.strerror or exc}") from None
    temporal = await client.connect()
    written: list[ExportedHistory] = []
    seen: set[str] = set()
    try:
        async for run in temporal.list_workflows(runs_query(workflow_types, query), limit=limit):
            if run.id in seen:
                continue
            seen.add(run.id)
            history = await fetch_history(client, run.id, run.run_id)
            path = directory / file_name(run.id)
            if any(w.path == str(path) for w in written):  # "a/b" and "a_b"
                path = path.with_name(f"{path.stem}-{run.run_id[:8]}.json")
            _write(history, path)
            written.append(
                ExportedHistory(
                    run.id, run.run_id, run.workflow_type, str(path), len(history.events)
                )
            )
    except RPCError as exc:
        if exc.status == RPCStatusCode.INVALID_ARGUMENT:
            raise InvalidRequestError(f"the server refused the query: {exc.message}") from None
        raise ServerError(f"cannot list runs: {exc.message}") from exc
    return written
