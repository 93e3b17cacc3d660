"""Load definition files (YAML or JSON) or dicts into typed models, turning
every problem into an :class:`~baton.errors.Issue` with a field path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import DefinitionError, Issue
from .actions import ACTION_TYPES
from .documents import MAX_FILE_BYTES, DocumentError, check_shape, decode, parse_text
from .saga import SagaConfig, SagaDefinition

M = TypeVar("M", bound=BaseModel)


def read_document(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON file into a dict (JSON is YAML, but a JSON error
    message is clearer for a ``.json`` file). Size, encoding, duplicate keys,
    aliases and nesting are bounded (:mod:`baton.definitions.documents`)."""
    path = Path(path)
    source = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise DefinitionError(source, [Issue("", "file not found")]) from None
    except IsADirectoryError:
        raise DefinitionError(source, [Issue("", "is a directory, not a file")]) from None
    except OSError as exc:
        raise DefinitionError(source, [Issue("", f"cannot read: {exc.strerror}")]) from exc
    return document_from_bytes(raw, path.name, source)


def document_from_bytes(raw: bytes, filename: str, source: str) -> dict[str, Any]:
    """A definition from a file's bytes (read, or uploaded as ``filename``):
    a ``.bpmn`` model as ``{"kind": "bpmn", "xml"}``, else YAML or JSON."""
    if filename.lower().endswith((".bpmn", ".bpmn20.xml")):
        # a BPMN model is XML: the BPMN front end reads it (definitions/bpmn)
        if len(raw) > MAX_FILE_BYTES:
            raise DefinitionError(source, [Issue("", f"is larger than {MAX_FILE_BYTES:,} bytes")])
        try:
            return {"kind": "bpmn", "xml": raw.decode("utf-8")}
        except UnicodeDecodeError as exc:
            raise DefinitionError(
                source, [Issue("", f"is not UTF-8 (byte {exc.start}); save the model as UTF-8")]
            ) from None
    try:
        data = parse_text(decode(raw), json_only=filename.lower().endswith(".json"))
    except DocumentError as exc:
        raise DefinitionError(source, [Issue("", str(exc))]) from None
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            source, [Issue("", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]
        ) from None
    except yaml.YAMLError as exc:
        raise DefinitionError(source, [Issue("", f"invalid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise DefinitionError(source, [Issue("", "expected a mapping at the top level")])
    return data


def parse_saga(data: dict[str, Any], source: str = "<dict>") -> SagaDefinition:
    return _parse(SagaDefinition, data, source)


def parse_saga_config(data: dict[str, Any] | None, source: str = "config") -> SagaConfig:
    return _parse(SagaConfig, data or {}, source)


def parse_model(model: type[M], data: Any, source: str, prefix: str = "") -> M:
    """``data`` validated as ``model``, or a DefinitionError listing every
    problem with its field path (under ``prefix``, e.g. ``config.``)."""
    parsed: M = _parse(model, data, source, prefix)
    return parsed


def _parse(model: type[BaseModel], data: Any, source: str, prefix: str = "") -> Any:
    try:
        check_shape(data)  # dicts from the API or MCP are bounded like files
    except DocumentError as exc:
        raise DefinitionError(source, [Issue("", str(exc))]) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        issues = issues_from_validation(exc, model)
        if prefix:
            issues = [Issue(f"{prefix}{i.path}".rstrip("."), i.message) for i in issues]
        raise DefinitionError(source, issues) from None


def issues_from_validation(exc: ValidationError, model: type[BaseModel]) -> list[Issue]:
    issues: list[Issue] = []
    for error in exc.errors():
        loc = [
            part
            for index, part in enumerate(error["loc"])
            if not _is_union_tag(part) and not _is_decision_tag(error["loc"], index)
        ]
        kind = error["type"]
        if kind == "extra_forbidden":
            key = loc.pop() if loc else "?"
            if not loc:
                allowed = ", ".join(model.model_fields)
                message = f"unknown top-level key {key!r}; allowed: {allowed}"
            else:
                inner = _model_at(model, loc)
                message = f"unknown key {key!r}" + (
                    f"; allowed: {', '.join(inner.model_fields)}" if inner else ""
                )
        elif kind == "missing":
            message = "required field is missing"
        elif kind == "union_tag_invalid":
            tag = error["ctx"]["tag"]
            message = f"unknown action type {tag!r}; supported: {', '.join(_tags(error))}"
            if tag == "decision":
                message += " (a decision is a step's forward_action only: it has nothing to undo)"
            elif tag == "run":
                message += (
                    " (a child run is a step's forward_action only: its undo is the child's "
                    "own compensation)"
                )
        elif kind == "union_tag_not_found":
            message = f"action has no 'type'; supported: {', '.join(ACTION_TYPES)}"
        elif kind == "value_error":
            message = str(error["ctx"]["error"])
        elif kind in ("greater_than", "greater_than_equal", "less_than_equal"):
            message = f"{error['msg'].lower()}, got {error['input']!r}"
        elif kind == "too_short" and isinstance(error["input"], list):
            message = "must not be empty"
        else:
            message = error["msg"]
        issues.append(Issue(format_path(loc), message))
    return issues


def _model_at(model: type[BaseModel], loc: list[Any]) -> type[BaseModel] | None:
    """The nested model a field path leads to, when it is one (for 'allowed:')."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return None
        current = fields[part].annotation
        for arg in getattr(current, "__args__", ()):  # list[X], X | None
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _tags(error: Any) -> list[str]:
    """The action types a union accepts (a saga step's forward action also a decision)."""
    expected = str(error.get("ctx", {}).get("expected_tags") or "")
    found = [t.strip().strip("'\"") for t in expected.split(",") if t.strip()]
    return found or list(ACTION_TYPES)


def _is_decision_tag(loc: Any, index: int) -> bool:
    """The union's tag in the path of a problem inside a decision or run step."""
    return index > 0 and loc[index] in ("decision", "run") and loc[index - 1] == "forward_action"


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and part in ACTION_TYPES


def format_path(loc: list[Any] | tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
