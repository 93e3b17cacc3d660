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
- In a shell script (:func:`resolve_shell`) a value is never pasted into the
  command text: the placeholder becomes a reference to an environment
  variable holding the value, quoted for where it stands, so
  ``$(touch /tmp/x)`` in a value stays data. In a URL (:func:`resolve_url`) a
  value after the first character is percent-encoded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

# secret references stay as written: workers resolve them inside activities
_SECRET_REF = re.compile(r"\{\{secrets\.[A-Za-z_][A-Za-z0-9_]*\}\}")
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

    return _unescape(_PLACEHOLDER.sub(substitute, text))


def _unescape(text: str) -> str:
    """``{{``/``}}`` are literal braces, except in ``{{secrets.NAME}}``."""
    if "{{" not in text and "}}" not in text:
        return text
    out, last = [], 0
    for match in _SECRET_REF.finditer(text):
        out.append(text[last : match.start()].replace("{{", "{").replace("}}", "}"))
        out.append(match.group(0))
        last = match.end()
    out.append(text[last:].replace("{{", "{").replace("}}", "}"))
    return "".join(out)


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


SHELL_VAR_PREFIX = "BATON_ARG_"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def resolve_shell(
    script: str, scopes: Sequence[Mapping[str, Any]], named: Mapping[str, Any]
) -> tuple[str, dict[str, str]]:
    """The script with each placeholder replaced by ``${BATON_ARG_n}`` quoted
    for its place (bare, inside double quotes, inside single quotes), and the
    environment variables that carry the values."""
    env: dict[str, str] = {}
    out: list[str] = []
    state = "plain"  # plain | single | double
    i, n = 0, len(script)
    while i < n:
        char = script[i]
        if state == "plain" and char == "#" and (i == 0 or script[i - 1] in " \t\n;&|("):
            end = script.find("\n", i)
            end = n if end < 0 else end
            out.append(script[i:end])  # a comment: quotes in it mean nothing
            i = end
            continue
        if char == "\\" and state != "single" and i + 1 < n:
            out.append(script[i : i + 2])
            i += 2
            continue
        if char == "'" and state in ("plain", "single"):
            state = "single" if state == "plain" else "plain"
        elif char == '"' and state in ("plain", "double"):
            state = "double" if state == "plain" else "plain"
        elif char == "{":
            match = _PLACEHOLDER.match(script, i)
            if match and (i == 0 or script[i - 1] not in "${"):
                name = f"{SHELL_VAR_PREFIX}{len(env)}"
                env[name] = _text(_lookup(match.group(1), scopes, named))
                reference = "${" + name + "}"
                out.append(
                    {
                        "plain": f'"{reference}"',
                        "double": reference,
                        "single": f"'\"{reference}\"'",
                    }[state]
                )
                i = match.end()
                continue
        out.append(char)
        i += 1
    return _unescape("".join(out)), env


def resolve_url(url: str, scopes: Sequence[Mapping[str, Any]], named: Mapping[str, Any]) -> str:
    """A placeholder that starts the URL is its base and is inserted as is;
    every other value is percent-encoded, so it stays one path segment or one
    query value whatever it contains (``../``, ``?``, ``&``, ``#``)."""

    def substitute(match: re.Match[str]) -> str:
        value = _text(_lookup(match.group(1), scopes, named))
        return value if match.start() == 0 else quote(value, safe="")

    return _unescape(_PLACEHOLDER.sub(substitute, url))
