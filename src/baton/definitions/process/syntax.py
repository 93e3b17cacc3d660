"""The process language's vocabulary: patterns, keywords, and small helpers
on its text (expressions ``${ ... }``, JSON pointers)."""

from __future__ import annotations

import re
from typing import Any

DSL_VERSION = re.compile(r"^1\.0\.\d+(?:-[0-9A-Za-z.-]+)?$")
NAME = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)
TASK_KINDS = (
    "call",
    "do",
    "emit",
    "for",
    "fork",
    "listen",
    "raise",
    "run",
    "set",
    "switch",
    "try",
    "wait",
)
BASE_KEYS = ("if", "input", "output", "export", "timeout", "then", "metadata")
DIRECTIVES = ("continue", "exit", "end")
RUNS = ("shell", "script")  # what `run:` runs today
EVENT_ATTRIBUTES = (
    "id",
    "source",
    "type",
    "time",
    "subject",
    "datacontenttype",
    "dataschema",
    "data",
)
CALLS = ("http", "openapi", "mcp")  # what `call:` runs today
MCP_METHODS = (
    "tools/list",
    "tools/call",
    "prompts/list",
    "prompts/get",
    "resources/list",
    "resources/read",
    "resources/templates/list",
)
AUTHENTICATIONS = ("basic", "bearer")


def is_process_document(data: dict[str, Any]) -> bool:
    document = data.get("document")
    return isinstance(document, dict) and "dsl" in document


def _is_expression(text: str) -> bool:
    stripped = text.strip()
    return stripped.startswith("${") and stripped.endswith("}")


def expression_source(text: str) -> str:
    """The jq program of an expression field: ``${ ... }`` unwrapped; a bare
    string (allowed where only an expression fits) as it is."""
    stripped = text.strip()
    return stripped[2:-1].strip() if _is_expression(stripped) else stripped


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )
