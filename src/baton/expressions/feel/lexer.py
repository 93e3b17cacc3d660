"""FEEL source text as tokens: numbers, strings, names, operators.

Names are where FEEL is unusual: ``Applicant Age``, ``date and time`` and
``Pre-Bureau Risk Category`` are single names. The lexer returns each word
as its own ``name`` token (the parser joins adjacent ones) but first tries
the *known* names — the scope's names and FEEL's built-in names — that
contain spaces or other characters, longest first, so ``Another Date and
Time`` is one token although ``and`` is an operator.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..restricted import ExpressionError
from .limits import MAX_SOURCE

_NUMBER = re.compile(r"(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[^\W\d]\w*|\?", re.UNICODE)
_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)+", re.DOTALL)
_OPERATORS = (
    "**",
    "..",
    "<=",
    ">=",
    "!=",
    "+",
    "-",
    "*",
    "/",
    "=",
    "<",
    ">",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    "@",
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'", "b": "\b", "f": "\f"}
_SIMPLE_NAME = re.compile(r"[^\W\d]\w*\Z|\?\Z", re.UNICODE)


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "string", "name", "op", "end"
    text: str  # the number's digits, the string's value, the name, the operator
    column: int  # 1-based


def special_names(names: Iterable[str]) -> tuple[str, ...]:
    """The names among ``names`` that a plain word-by-word reading would
    not find (they hold spaces, digits after a space, or ``-'/+*.``)."""
    return tuple(sorted({n for n in names if isinstance(n, str) and not _SIMPLE_NAME.match(n)}))


@lru_cache(maxsize=1024)
def _name_pattern(name: str) -> re.Pattern[str]:
    words = name.split()
    body = r"\s+".join(re.escape(word) for word in words)
    tail = r"(?![\w])" if re.match(r"\w", name[-1]) else ""
    return re.compile(body + tail, re.UNICODE)


def tokenize(source: str, known: tuple[str, ...] = ()) -> list[Token]:
    """The tokens of ``source``; ``known`` are the special names to match
    whole (see :func:`special_names`)."""
    if len(source) > MAX_SOURCE:
        raise ExpressionError(f"is {len(source):,} characters long; at most {MAX_SOURCE:,}")
    by_first: dict[str, list[str]] = {}
    for name in sorted(known, key=len, reverse=True):
        if name.strip():
            by_first.setdefault(name.strip()[0], []).append(name)
    tokens: list[Token] = []
    pos, end = 0, len(source)
    while True:
        space = _SPACE.match(source, pos)
        if space:
            pos = space.end()
        if pos < end and source.startswith("/*", pos):
            raise ExpressionError(f"has a comment that is not closed (column {pos + 1})")
        if pos >= end:
            tokens.append(Token("end", "", pos + 1))
            return tokens
        char = source[pos]
        special = _known_at(source, pos, by_first.get(char, ()))
        if special:
            tokens.append(Token("name", " ".join(special[0].split()), pos + 1))
            pos = special[1]
            continue
        if char == '"':
            text, pos_after = _string(source, pos)
            tokens.append(Token("string", text, pos + 1))
            pos = pos_after
            continue
        number = _NUMBER.match(source, pos)
        if number and (char.isdigit() or char == "."):
            if char == "." and source.startswith("..", pos):
                number = None
            elif number:
                tokens.append(Token("number", number.group(), pos + 1))
                pos = number.end()
                continue
        word = _WORD.match(source, pos)
        if word:
            tokens.append(Token("name", word.group(), pos + 1))
            pos = word.end()
            continue
        for op in _OPERATORS:
            if source.startswith(op, pos):
                tokens.append(Token("op", op, pos + 1))
                pos += len(op)
                break
        else:
            raise ExpressionError(f"has an unexpected character {char!r} at column {pos + 1}")


def _known_at(source: str, pos: int, candidates: Iterable[str]) -> tuple[str, int] | None:
    if pos > 0 and (source[pos - 1].isalnum() or source[pos - 1] == "_"):
        return None
    for name in candidates:
        match = _name_pattern(name.strip()).match(source, pos)
        if match:
            return name, match.end()
    return None


def _string(source: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    pos = start + 1
    while pos < len(source):
        char = source[pos]
        if char == '"':
            return "".join(out), pos + 1
        if char == "\\" and pos + 1 < len(source):
            nxt = source[pos + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                pos += 2
                continue
            if nxt in "uU":
                width = 4 if nxt == "u" else 6
                digits = source[pos + 2 : pos + 2 + width]
                if len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                    code = int(digits, 16)
                    # a UTF-16 surrogate pair written as two \u escapes
                    low = source[pos + 6 : pos + 12]
                    if 0xD800 <= code < 0xDC00 and re.match(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}", low):
                        code = 0x10000 + (code - 0xD800) * 0x400 + (int(low[2:], 16) - 0xDC00)
                        pos += 6
                    if code > 0x10FFFF:
                        break
                    out.append(chr(code))
                    pos += 2 + width
                    continue
            raise ExpressionError(f"has an unknown escape \\{nxt} in a string (column {pos + 1})")
        out.append(char)
        pos += 1
    raise ExpressionError(f"has a string that is not closed (column {start + 1})")
