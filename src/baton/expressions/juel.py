"""JUEL, the ``${...}`` expression language of Camunda 7 conditions
(``Expr(source, language="juel")``): a documented common subset of the
Unified Expression Language (EL 2.2), evaluated by walking its syntax tree.

    ${amount > 100}          ${approved}            ${!approved}
    ${a == 'x' && b != 2}    ${empty items}         ${order.total ge 50}
    ${customer['tier'] eq 'gold' ? 1 : 2}

The source may be written with or without its ``${ }`` (or ``#{ }``)
wrapper; a composite such as ``total: ${amount}`` — text around the
wrapper — is refused.

What it has: literals (integers, decimals, ``'...'`` and ``"..."`` strings,
``true false null``), names from the scope, ``a.b`` and ``a['b']`` (object
keys; list indexes from 0), ``! not - empty``, ``* / div % mod + -``,
``< > <= >= lt gt le ge``, ``== != eq ne``, ``&& and || or``, and
``c ? x : y``. EL's coercions apply: ``null`` is 0 in arithmetic and false in
logic, a numeric string compares as a number with a number (``'5' == 5``),
``/`` always divides exactly (``5 / 2`` is 2.5), ``+`` adds numbers only
(EL has no string concatenation), and a path through null is null.

What it refuses: method and function calls (``a.size()``, ``fn:x()``) —
they are how JUEL reaches into Java — assignment, lambdas and anything
else outside the list above. A name not in the scope is an error, as Camunda
raises one ("Cannot resolve identifier"). At most ``MAX_SOURCE`` characters
and ``MAX_DEPTH`` levels of nesting. Plain standard library: imported by
workflow code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .restricted import ExpressionError, UnknownNameError

MAX_SOURCE = 4096
MAX_DEPTH = 100  # depth of the syntax tree: nesting and chains of operators

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
    | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%!<>?:.\[\](),=;{}#])
    )""",
    re.VERBOSE,
)
_WORDS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
}
_CONSTANTS = {"true": True, "false": False, "null": None}
_BINDING = {
    "?": 10,
    "||": 20,
    "&&": 30,
    "==": 40,
    "!=": 40,
    "<": 50,
    ">": 50,
    "<=": 50,
    ">=": 50,
    "+": 60,
    "-": 60,
    "*": 70,
    "/": 70,
    "%": 70,
    ".": 90,
    "[": 90,
}
_UNARY = 80


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, name, op, end
    text: str
    column: int


def _strip(source: str) -> tuple[str, int]:
    """The expression inside its ``${ }`` and where it starts in ``source``."""
    match = re.fullmatch(r"\s*[$#]\{(.*)\}\s*", source, re.DOTALL)
    if match:
        inner = match.group(1)
        if "${" in inner or "#{" in inner:
            raise ExpressionError("holds more than one ${...}; write one expression")
        return inner, match.start(1)
    if "${" in source or "#{" in source:
        raise ExpressionError(
            "mixes text and ${...} (a composite expression); write one ${...} or a bare expression"
        )
    return source, 0


def _tokens(source: str, start: int, stop: int) -> list[_Token]:
    """The tokens of ``source[start:stop]`` (columns count in ``source``)."""
    tokens: list[_Token] = []
    text = source[:stop]
    pos = start
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            tokens.append(_Token("end", "", pos + 1))
            return tokens
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"has an unexpected character {text[pos]!r} at column {pos + 1}")
        kind = match.lastgroup or "op"
        value = match.group(kind)
        column = match.start(kind) + 1
        if kind == "name" and value in _WORDS:
            kind, value = "op", _WORDS[value]
        if kind == "op" and value in ("=", ";", "{", "}", "#"):
            raise ExpressionError(
                f"uses {value!r} at column {column}, which JUEL conditions here do not allow "
                "(no assignment, lambdas or literals of sets and maps)"
            )
        tokens.append(_Token(kind, value, column))
        pos = match.end()


# a syntax tree of tuples: ("lit", v) ("name", n) ("path", target, key-node) ("unary", op, x)
# ("binary", op, a, b) ("cond", c, a, b) ("empty", x)
Node = tuple[Any, ...]


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.pos]

    def advance(self) -> _Token:
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def fail(self, expected: str) -> ExpressionError:
        token = self.token
        found = "the end" if token.kind == "end" else repr(token.text)
        return ExpressionError(
            f"is not a valid JUEL expression: expected {expected} at column {token.column}, "
            f"found {found}"
        )

    def expect(self, op: str) -> None:
        if not (self.token.kind == "op" and self.token.text == op):
            raise self.fail(repr(op))
        self.advance()

    def expression(self, min_binding: int = 0) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"nests more than {MAX_DEPTH} levels deep")
        entered = self.depth
        try:
            left = self.prefix()
            while True:
                token = self.token
                binding = _BINDING.get(token.text, 0) if token.kind == "op" else 0
                if token.kind == "op" and token.text == "(":
                    raise ExpressionError(
                        f"calls a method or function at column {token.column}; JUEL calls reach "
                        "into Java, so Baton refuses them (compare values instead)"
                    )
                if binding <= min_binding:
                    return left
                self.depth += 1  # a chain (1 + 1 + ...) deepens the tree as nesting does
                if self.depth > MAX_DEPTH:
                    raise ExpressionError(f"nests more than {MAX_DEPTH} levels deep")
                left = self.infix(left, self.advance())
        finally:
            self.depth = entered - 1

    def infix(self, left: Node, token: _Token) -> Node:
        op = token.text
        if op == "?":
            then = self.expression()
            self.expect(":")
            return ("cond", left, then, self.expression(_BINDING["?"] - 1))
        if op == ".":
            name = self.advance()
            if name.kind != "name":
                raise self.fail("a property name after '.'")
            return ("path", left, ("lit", name.text))
        if op == "[":
            key = self.expression()
            self.expect("]")
            return ("path", left, key)
        return ("binary", op, left, self.expression(_BINDING[op]), token.column)

    def prefix(self) -> Node:
        token = self.advance()
        if token.kind == "number":
            text = token.text
            if any(c in text for c in ".eE"):
                return ("lit", float(text))
            return ("lit", int(text))
        if token.kind == "string":
            return ("lit", _unquote(token.text))
        if token.kind == "name":
            if token.text in _CONSTANTS:
                return ("lit", _CONSTANTS[token.text])
            if token.text == "empty":
                return ("empty", self.expression(_UNARY))
            if self.token.kind == "op" and self.token.text == ":":
                raise ExpressionError(
                    f"calls the function {token.text}:... at column {token.column}; "
                    "JUEL functions reach into Java, so Baton refuses them"
                )
            return ("name", token.text, token.column)
        if token.kind == "op":
            if token.text in ("!", "-"):
                return ("unary", token.text, self.expression(_UNARY))
            if token.text == "(":
                inner = self.expression()
                self.expect(")")
                return inner
        self.pos -= 1 if token.kind != "end" else 0
        raise self.fail("a value")


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


@lru_cache(maxsize=4096)
def parse(source: str) -> Node:
    """The syntax tree of ``source`` (an :class:`ExpressionError` saying what
    is wrong and where)."""
    if len(source) > MAX_SOURCE:
        raise ExpressionError(f"is {len(source)} characters long; at most {MAX_SOURCE}")
    text, start = _strip(source)
    if not text.strip():
        raise ExpressionError("is empty")
    parser = _Parser(_tokens(source, start, start + len(text)))
    tree = parser.expression()
    if parser.token.kind != "end":
        raise parser.fail("an operator or the end")
    return tree


def check(source: str) -> str | None:
    """None when ``source`` is a JUEL expression Baton runs, else what is wrong."""
    try:
        parse(source)
    except ExpressionError as exc:
        return str(exc)
    return None


def evaluate(source: str, scope: Mapping[str, Any]) -> Any:
    """The value of ``source`` with the names in ``scope`` (JSON values)."""
    return _evaluate(parse(source), scope)


# ---- EL's coercions ----------------------------------------------------------------


def _type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", str: "string", int: "number", float: "number", list: "list"}.get(
        type(value), "object" if isinstance(value, dict) else type(value).__name__
    )


def _number(value: Any) -> int | float:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ExpressionError(f"cannot use the boolean {str(value).lower()} as a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value) if re.fullmatch(r"[+-]?\d+", value.strip()) else float(value)
        except ValueError:
            pass
    raise ExpressionError(f"cannot use the {_type(value)} {value!r} as a number")


def _boolean(value: Any) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    raise ExpressionError(f"cannot use the {_type(value)} {value!r} as a boolean")


def _equal(a: Any, b: Any) -> bool:
    if a is b or (a is None and b is None):
        return True
    if a is None or b is None:
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return _boolean(a) == _boolean(b)
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        return _number(a) == _number(b)
    if isinstance(a, str) or isinstance(b, str):
        if not isinstance(a, str) or not isinstance(b, str):
            raise ExpressionError(f"cannot compare the {_type(a)} and the {_type(b)}")
        return a == b
    return bool(a == b)


def _order(a: Any, b: Any) -> int:
    if (
        isinstance(a, (int, float))
        and not isinstance(a, bool)
        or (isinstance(b, (int, float)) and not isinstance(b, bool))
    ):
        x, y = _number(a), _number(b)
    elif isinstance(a, str) and isinstance(b, str):
        x, y = a, b  # type: ignore[assignment]
    else:
        raise ExpressionError(f"cannot order the {_type(a)} and the {_type(b)}")
    return (x > y) - (x < y)


def _divide(a: Any, b: Any) -> float | int:
    x, y = _number(a), _number(b)
    if y == 0:
        raise ExpressionError("divides by zero")
    result = x / y
    return (
        int(result) if isinstance(x, int) and isinstance(y, int) and result.is_integer() else result
    )


def _modulo(a: Any, b: Any) -> float | int:
    x, y = _number(a), _number(b)
    if y == 0:
        raise ExpressionError("takes a remainder by zero")
    return x - y * int(x / y)  # Java's remainder: the sign of the dividend


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: _number(a) + _number(b),
    "-": lambda a, b: _number(a) - _number(b),
    "*": lambda a, b: _number(a) * _number(b),
    "/": _divide,
    "%": _modulo,
    "==": _equal,
    "!=": lambda a, b: not _equal(a, b),
    "<": lambda a, b: a is not None and b is not None and _order(a, b) < 0,
    ">": lambda a, b: a is not None and b is not None and _order(a, b) > 0,
    "<=": lambda a, b: a is not None and b is not None and _order(a, b) <= 0,
    ">=": lambda a, b: a is not None and b is not None and _order(a, b) >= 0,
}


def _evaluate(node: Node, scope: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "name":
        if node[1] in scope:
            return scope[node[1]]
        known = ", ".join(sorted(k for k in scope if isinstance(k, str))[:20]) or "none"
        raise UnknownNameError(
            f"cannot resolve the name {node[1]!r} at column {node[2]} (known: {known})"
        )
    if kind == "path":
        return _member(_evaluate(node[1], scope), _evaluate(node[2], scope))
    if kind == "unary":
        value = _evaluate(node[2], scope)
        if node[1] == "!":
            return not _boolean(value)
        return -_number(value)
    if kind == "empty":
        value = _evaluate(node[1], scope)
        return value is None or (isinstance(value, (str, list, dict)) and not value)
    if kind == "cond":
        branch = node[2] if _boolean(_evaluate(node[1], scope)) else node[3]
        return _evaluate(branch, scope)
    op = node[1]
    if op == "&&":
        return _boolean(_evaluate(node[2], scope)) and _boolean(_evaluate(node[3], scope))
    if op == "||":
        return _boolean(_evaluate(node[2], scope)) or _boolean(_evaluate(node[3], scope))
    left, right = _evaluate(node[2], scope), _evaluate(node[3], scope)
    try:
        return _BINARY[op](left, right)
    except ExpressionError as exc:
        raise ExpressionError(f"{exc} (the operator {op} at column {node[4]})") from None


def _member(base: Any, key: Any) -> Any:
    if base is None or key is None:
        return None
    if isinstance(base, dict):
        return base.get(key if isinstance(key, str) else str(key))
    if isinstance(base, list):
        index = _number(key)
        if not isinstance(index, int) or not 0 <= index < len(base):
            return None
        return base[index]
    raise ExpressionError(f"cannot read {key!r} of the {_type(base)} {base!r}")
