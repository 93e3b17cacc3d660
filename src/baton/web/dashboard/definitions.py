"""The Start page: definitions from the configured folder or uploaded,
checked (with their input) exactly as ``baton validate`` and ``baton run``
check them, and started through the client like any other entry point's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...definitions.loader import document_from_bytes, read_document
from ...errors import BatonError, DefinitionError
from ...plan.frontends import detect_kind
from ...runtime.client import TemporalWorkflowClient
from .runs import BadRequest

SUFFIXES = (".yaml", ".yml", ".json", ".bpmn")
MAX_LISTED = 500
MAX_UPLOAD = 2 * 1024 * 1024


def listing(folder: Path | None) -> dict[str, Any]:
    found: list[dict[str, Any]] = []
    if folder is not None and folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if len(found) >= MAX_LISTED:
                break
            if path.suffix.lower() not in SUFFIXES or not path.is_file():
                continue
            entry: dict[str, Any] = {"path": str(path.relative_to(folder))}
            try:
                document = read_document(path)
                kind = detect_kind(document, str(path))
            except BatonError as exc:
                entry.update(kind=None, name=None, problem=str(exc))
            else:
                entry.update(kind=kind, name=_name(document, path))
            found.append(entry)
    return {"folder": str(folder) if folder else None, "definitions": found}


def _name(document: dict[str, Any], path: Path) -> str:
    inner = document.get("document")  # a process's
    if isinstance(inner, dict) and inner.get("name"):
        return str(inner["name"])
    return str(document.get("name") or document.get("stage") or path.stem)


def load(body: dict[str, Any], folder: Path | None) -> tuple[dict[str, Any], str]:
    """The document a request names (``path`` in the folder, or an uploaded
    ``document`` with its ``filename``) and the source to report it as."""
    if body.get("path"):
        if folder is None:
            raise BadRequest("no definitions folder is configured (dashboard.definitions)")
        path = (folder / str(body["path"])).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise BadRequest(f"{body['path']!r} is outside the definitions folder")
        return read_document(path), str(path)
    text = body.get("document")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("pick a definition from the folder, or upload or paste one")
    raw = text.encode()
    if len(raw) > MAX_UPLOAD:
        raise BadRequest(f"the definition is larger than {MAX_UPLOAD:,} bytes")
    filename = str(body.get("filename") or "definition.yaml")
    return document_from_bytes(raw, filename, f"upload:{Path(filename).name}"), filename


def check(
    client: TemporalWorkflowClient, body: dict[str, Any], folder: Path | None
) -> dict[str, Any]:
    """What starting it would say, without starting it: problems (each with
    its field), warnings, the input's problems against the input schema."""
    from ...plan.model import Plan
    from ...plan.schemas import data_problem
    from ...runtime.documents import compile_for_run
    from ...runtime.preflight import definition_warnings

    try:
        document, source = load(body, folder)
        compiled = compile_for_run(
            document,
            settings=client.settings,
            baton_file=client.baton_file,
            source=source,
            run_planner_agent=False,
        )
        client.check_policy(compiled, source)
    except DefinitionError as exc:
        return {"ok": False, "problems": [str(i) for i in exc.issues], "warnings": []}
    except BatonError as exc:
        return {"ok": False, "problems": [str(exc)], "warnings": []}
    problems = []
    schema = compiled.options.input_schema if isinstance(compiled, Plan) else None
    if schema is not None:
        reason = data_problem(schema, body.get("input"))
        if reason:
            problems.append(f"input: does not match the input schema: {reason}")
    return {
        "ok": not problems,
        "kind": compiled.kind if isinstance(compiled, Plan) else "approval",
        "name": compiled.name if isinstance(compiled, Plan) else getattr(compiled, "stage", None),
        "problems": problems,
        "warnings": definition_warnings(compiled, client.settings),
        "input_schema": schema,
    }


async def start(
    client: TemporalWorkflowClient, body: dict[str, Any], folder: Path | None
) -> dict[str, Any]:
    document, source = load(body, folder)
    workflow_id = body.get("workflow_id")
    if workflow_id is not None and (not isinstance(workflow_id, str) or not workflow_id.strip()):
        raise BadRequest("workflow_id: the run's id, or leave it out to have one made")
    run = await client.start(
        document,
        source=source,
        input=body.get("input"),
        workflow_id=workflow_id.strip() if workflow_id else None,
    )
    return {"workflow_id": run.workflow_id, "queued": run.queued}
