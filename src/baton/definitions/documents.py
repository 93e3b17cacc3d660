"""Reading definition documents safely: bounded size, strict UTF-8, no
duplicate keys, bounded YAML aliases, bounded nesting and size once aliases
are expanded. A hostile or broken file gets one clear error, never a
traceback, a hang or an exhausted memory."""

from __future__ import annotations

import json
from typing import Any

import yaml

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000  # values in the document once YAML aliases are expanded
MAX_ALIASES = 100


class DocumentError(ValueError):
    """The document cannot be read; the message says why and where."""


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys and alias floods."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise DocumentError(
                    f"more than {MAX_ALIASES} YAML aliases (*name) at line {mark.line + 1}; "
                    "write the values out"
                )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise DocumentError(
                        f"duplicate key {key!r} at line {line} (first at line {seen[key]}); "
                        "each key may appear once"
                    )
                seen[key] = line
            except TypeError:
                pass  # an unhashable key: PyYAML reports it below
        return super().construct_mapping(node, deep=deep)


def parse_text(text: str, *, json_only: bool) -> Any:
    """Parse YAML (or strictly JSON) and check the result's shape limits."""
    try:
        if json_only:
            data = json.loads(text, object_pairs_hook=_no_duplicate_pairs)
        else:
            data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise DocumentError(f"nested more than {MAX_DEPTH} levels deep") from None
    check_shape(data)
    return data


def decode(raw: bytes) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise DocumentError(
            f"{len(raw):,} bytes; definition files are limited to {MAX_FILE_BYTES:,} bytes"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None


def check_shape(data: Any) -> None:
    """Depth and total size, counted as if every alias were copied out (a
    'billion laughs' document is refused here, before anything walks it)."""
    budget = [MAX_NODES]
    # iterative, so depth itself cannot exhaust the stack
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        budget[0] -= 1
        if budget[0] < 0:
            raise DocumentError(
                f"more than {MAX_NODES:,} values once YAML aliases are expanded; "
                "a definition that large is refused"
            )
        if depth > MAX_DEPTH:
            raise DocumentError(f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def _no_duplicate_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DocumentError(f"duplicate key {key!r}; each key may appear once")
        out[key] = value
    return out
