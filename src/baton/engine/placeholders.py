"""Resolve ``{placeholder}`` references in action dicts. Pure and
deterministic: it runs inside workflow code.

- ``{name}`` looks in the scopes given, first match wins (for a compensation:
  its own forward output, then the outputs of completed steps, newest first,
  then the saga context).
- ``{step_id.field.sub}`` reads a completed step's output by path;
  ``{context.key}`` reads the context.
- A value that is exactly one placeholder keeps the referenced value's type
  (a number stays a number); inside a longer string it is formatted.
- ``${VAR}`` (shell) is left alone; ``{{`` and ``}}`` are literal braces.
- An unresolved placeholder is an error naming it and what was available.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

_PLACEHOLDER = re.compile(r"(?<![\$\{])\{([A-Za-z_][\w\-]*(?:\.[\w\-]+)*)\}(?!\})")
_MISSING = object()


class PlaceholderError(ValueError):
    """A placeholder could not be resolved."""


def resolve(
    value: Any,
    scopes: Sequence[Mapping[str, Any]],
    named: Mapping[str, Any],
) -> Any:
    """Return ``value`` with placeholders replaced. ``scopes`` are searched in
    order for bare names; ``named`` maps step ids (and ``context``) to values
    for dotted references."""
    if isinstance(value, str):
        return _resolve_string(value, scopes, named)
    if isinstance(value, list):
        return [resolve(item, scopes, named) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, scopes, named) for key, item in value.items()}
    return value


def _resolve_string(
    text: str, scopes: Sequence[Mapping[str, Any]], named: Mapping[str, Any]
) -> Any:
    whole = _PLACEHOLDER.fullmatch(text)
    if whole:
        return _lookup(whole.group(1), scopes, named)

    def substitute(match: re.Match[str]) -> str:
        found = _lookup(match.group(1), scopes, named)
        return found if isinstance(found, str) else json.dumps(found)

    replaced = _PLACEHOLDER.sub(substitute, text)
    return (
        replaced.replace("{{", "{").replace("}}", "}")
        if "{{" in replaced or "}}" in replaced
        else replaced
    )


def _lookup(reference: str, scopes: Sequence[Mapping[str, Any]], named: Mapping[str, Any]) -> Any:
    head, _, rest = reference.partition(".")
    if rest and head in named:
        found = _walk(named[head], rest.split("."))
        if found is not _MISSING:
            return found
    for scope in scopes:
        found = _walk(scope, reference.split("."))
        if found is not _MISSING:
            return found
    available = sorted({key for scope in scopes if isinstance(scope, Mapping) for key in scope})
    hint = f"; available: {', '.join(available)}" if available else ""
    raise PlaceholderError(f"placeholder {{{reference}}} has no value{hint}")


def _walk(value: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value
