"""String functions: ``substring``, ``string length``, ``upper case``,
``contains``, ``split``, ``string join``, ``replace``, ``matches``, ...

Positions count characters from 1 (negative from the end), as FEEL says.

``matches``, ``replace`` and ``split`` take a pattern. FEEL's patterns are
regular expressions, but a regular expression can take exponential time
(``(a+)+$``) and nothing can interrupt Python's matcher inside workflow
code. So a pattern here must be plain text (no regular-expression syntax),
with special characters escaped (``\\.``), or the ``q`` flag must say it
is; anything else is refused with an error.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...restricted import ExpressionError
from ..limits import MAX_REGEX_INPUT, check_size
from .registry import builtin

_REGEX_SYNTAX = set("\\^$.|?*+()[]{}")


def _texts(*values: Any) -> bool:
    return all(isinstance(v, str) for v in values)


def _position(value: Any) -> int | None:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return None


@builtin("substring", "string, start position, length?")
def substring(text: Any, start: Any, length: Any = None) -> str | None:
    begin = _position(start)
    if not isinstance(text, str) or begin is None or begin == 0:
        return None
    index = begin - 1 if begin > 0 else max(len(text) + begin, 0)
    if length is None:
        return text[index:]
    count = _position(length) if isinstance(length, Decimal) else None
    if isinstance(length, Decimal) and count is None:
        count = int(length)
    if count is None or count < 0:
        return None
    return text[index : index + count]


@builtin("string length", "string")
def string_length(text: Any) -> Decimal | None:
    return Decimal(len(text)) if isinstance(text, str) else None


@builtin("upper case", "string")
def upper_case(text: Any) -> str | None:
    return text.upper() if isinstance(text, str) else None


@builtin("lower case", "string")
def lower_case(text: Any) -> str | None:
    return text.lower() if isinstance(text, str) else None


@builtin("substring before", "string, match")
def substring_before(text: Any, match: Any) -> str | None:
    if not _texts(text, match):
        return None
    index = text.find(match)
    return "" if index < 0 else text[:index]


@builtin("substring after", "string, match")
def substring_after(text: Any, match: Any) -> str | None:
    if not _texts(text, match):
        return None
    index = text.find(match)
    return "" if index < 0 else text[index + len(match) :]


@builtin("contains", "string, match")
def contains(text: Any, match: Any) -> bool | None:
    return match in text if _texts(text, match) else None


@builtin("starts with", "string, match")
def starts_with(text: Any, match: Any) -> bool | None:
    return text.startswith(match) if _texts(text, match) else None


@builtin("ends with", "string, match")
def ends_with(text: Any, match: Any) -> bool | None:
    return text.endswith(match) if _texts(text, match) else None


def _plain(pattern: str, flags: Any, function: str) -> tuple[str, bool]:
    """The pattern as plain text and whether to ignore case."""
    if flags is not None and not isinstance(flags, str):
        raise ExpressionError(f"{function}(): flags must be a string")
    flags = flags or ""
    unknown = set(flags) - set("qi")
    if unknown:
        raise ExpressionError(
            f"{function}(): the flag {sorted(unknown)[0]!r} is not supported "
            "(Baton's FEEL takes plain-text patterns: flags 'q' and 'i' only)"
        )
    if "q" in flags:
        return pattern, "i" in flags
    literal: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            if escaped in _REGEX_SYNTAX or escaped == "-":
                literal.append(escaped)
                continue
        elif char not in _REGEX_SYNTAX:
            literal.append(char)
            continue
        raise ExpressionError(
            f"{function}() with the regular expression {pattern!r}: Baton's FEEL takes only "
            "plain-text patterns (a regular expression could run without bound inside workflow "
            "code); write the text itself, escape special characters (\\.), or pass the flag 'q'"
        )
    return "".join(literal), "i" in flags


def _find_all(text: str, pattern: str, fold: bool) -> list[int]:
    haystack, needle = (text.lower(), pattern.lower()) if fold else (text, pattern)
    found: list[int] = []
    start = 0
    while True:
        index = haystack.find(needle, start)
        if index < 0:
            return found
        found.append(index)
        start = index + max(len(needle), 1)


@builtin("matches", "input, pattern, flags?")
def matches(text: Any, pattern: Any, flags: Any = None) -> bool | None:
    if not _texts(text, pattern):
        return None
    plain, fold = _plain(pattern, flags, "matches")
    return bool(_find_all(text[:MAX_REGEX_INPUT], plain, fold)) if plain else True


@builtin("replace", "input, pattern, replacement, flags?")
def replace(text: Any, pattern: Any, replacement: Any, flags: Any = None) -> str | None:
    if not _texts(text, pattern, replacement):
        return None
    plain, fold = _plain(pattern, flags, "replace")
    if not plain:
        raise ExpressionError("replace(): the pattern may not be empty")
    if "$" in replacement or "\\" in replacement:
        raise ExpressionError(
            "replace(): group references ($1) need regular expressions, which Baton's FEEL "
            "does not take"
        )
    pieces, last = [], 0
    for index in _find_all(text, plain, fold):
        pieces.append(text[last:index])
        pieces.append(replacement)
        last = index + len(plain)
    pieces.append(text[last:])
    check_size(sum(len(p) for p in pieces), "a string")
    return "".join(pieces)


@builtin("split", "string, delimiter")
def split(text: Any, delimiter: Any) -> list[str] | None:
    if not _texts(text, delimiter):
        return None
    plain, _ = _plain(delimiter, None, "split")
    if not plain:
        return None
    return text.split(plain)


@builtin("string join", "list, delimiter?")
def string_join(items: Any, delimiter: Any = None) -> str | None:
    if not isinstance(items, list) or not (delimiter is None or isinstance(delimiter, str)):
        return None
    if not all(item is None or isinstance(item, str) for item in items):
        return None
    joined = (delimiter or "").join(item for item in items if item is not None)
    check_size(len(joined), "a string")
    return joined
