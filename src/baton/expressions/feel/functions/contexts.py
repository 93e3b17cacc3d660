"""Context functions: ``get value``, ``get entries``, ``context``,
``context put``, ``context merge``."""

from __future__ import annotations

from typing import Any

from .registry import builtin


@builtin("get value", "m, key")
def get_value(context: Any, key: Any) -> Any:
    if not isinstance(context, dict) or not isinstance(key, str):
        return None
    return context.get(key)


@builtin("get entries", "m")
def get_entries(context: Any) -> list[dict[str, Any]] | None:
    if not isinstance(context, dict):
        return None
    return [{"key": key, "value": value} for key, value in context.items()]


@builtin("context", "entries")
def context(entries: Any) -> dict[str, Any] | None:
    if not isinstance(entries, list):
        return None
    built: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            return None
        if entry["key"] in built:
            return None
        built[entry["key"]] = entry.get("value")
    return built


@builtin("context put", "context, key, value", "context, keys, value")
def context_put(target: Any, key: Any, value: Any) -> dict[str, Any] | None:
    if not isinstance(target, dict):
        return None
    if isinstance(key, str):
        return {**target, key: value}
    if isinstance(key, list) and key and all(isinstance(k, str) for k in key):
        if len(key) == 1:
            return {**target, key[0]: value}
        inner = target.get(key[0])
        nested = context_put(inner if isinstance(inner, dict) else {}, key[1:], value)
        return None if nested is None else {**target, key[0]: nested}
    return None


@builtin("context merge", "contexts")
def context_merge(contexts: Any) -> dict[str, Any] | None:
    if not isinstance(contexts, list) or not all(isinstance(c, dict) for c in contexts):
        return None
    merged: dict[str, Any] = {}
    for part in contexts:
        merged.update(part)
    return merged
