"""Baton's own expression language: a small, restricted subset of Python's
expression syntax, evaluated by walking its syntax tree — never ``eval``.

    context.amount > 1000 and region in ['eu', 'uk']
    steps['charge'].status == 'ok' or not input.retry
    len(items) if items else 0

What it has: literals (numbers, strings, ``true``/``false``/``null`` and
Python's ``True``/``False``/``None``, lists, dicts), names from the scope,
``a.b`` and ``a['b']`` (keys of objects, indexes and slices of lists),
comparisons (``== != < <= > >= in not in``, ``is None``), ``and or not``,
arithmetic (``+ - * / // %``), ``x if c else y`` and the functions in
``FUNCTIONS`` below plus a few string and object methods. What it does not
have: assignment, loops, comprehensions, lambdas, imports, ``**``, dunder
names, or any call outside the allow-lists — so an expression terminates,
touches nothing but its scope, and returns the same value for the same scope
(it runs inside workflow code).

Bounds keep a hostile expression cheap: at most ``MAX_SOURCE`` characters
and ``MAX_NODES`` syntax nodes, and no string or list built by ``*`` or ``+``
longer than ``MAX_BUILT`` items.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

MAX_SOURCE = 4096
MAX_NODES = 500
MAX_BUILT = 100_000


class ExpressionError(ValueError):
    """An expression that cannot be parsed, is not allowed, or failed."""


class UnknownNameError(ExpressionError):
    """An expression names a variable that is not set (FEEL, JUEL): a
    condition that waits for it treats it as not holding yet."""


def _length(value: Any) -> int:
    if isinstance(value, (str, list, tuple, dict)):
        return len(value)
    raise ExpressionError(f"len() of a {_type_name(value)}")


def _number(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def call(value: Any) -> Any:
        try:
            return convert(value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ExpressionError(f"{convert.__name__}({value!r}): {exc}") from None

    return call


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ExpressionError(f"str() of a {_type_name(value)}")


def _collection(name: str, reduce: Callable[..., Any]) -> Callable[..., Any]:
    def call(*values: Any) -> Any:
        items = values[0] if len(values) == 1 else list(values)
        if not isinstance(items, (list, tuple)) or not items and name not in ("sum", "sorted"):
            raise ExpressionError(f"{name}() needs a non-empty list or several values")
        try:
            return reduce(items)
        except TypeError as exc:
            raise ExpressionError(f"{name}(): {exc}") from None

    return call


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": _length,
    "str": _text,
    "int": _number(int),
    "float": _number(float),
    "bool": bool,
    "abs": _number(abs),
    "round": lambda value, digits=0: round(value, int(digits)) if digits else round(value),
    "min": _collection("min", min),
    "max": _collection("max", max),
    "sum": _collection("sum", sum),
    "sorted": _collection("sorted", sorted),
    "defined": lambda value: value is not None,
}
# methods callable on values of these types (receiver type -> allowed names)
METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        {"lower", "upper", "strip", "startswith", "endswith", "split", "replace", "count"}
    ),
    dict: frozenset({"get", "keys", "values", "items"}),
    list: frozenset({"count", "index"}),
}
CONSTANTS = {"true": True, "false": False, "null": None}
# the names Baton puts in every scope, listed first in an "unknown name" error
RESERVED = ("input", "output", "context", "steps", "workflow", "error", "event", "events")
ALL_METHODS = frozenset().union(*METHODS.values())

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Compare,
    ast.IfExp,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Call,
    *_BINARY,
    *_COMPARE,
)


def _type_name(value: Any) -> str:
    return {dict: "object", list: "list", tuple: "list", str: "string", bool: "boolean"}.get(
        type(value),
        "null"
        if value is None
        else "number"
        if isinstance(value, (int, float))
        else type(value).__name__,
    )


@lru_cache(maxsize=4096)
def parse(source: str) -> ast.Expression:
    """The checked syntax tree of ``source`` (an :class:`ExpressionError`
    saying what is not allowed, and where)."""
    if len(source) > MAX_SOURCE:
        raise ExpressionError(f"is {len(source)} characters long; at most {MAX_SOURCE}")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(
            f"is not a valid expression ({exc.msg}, column {exc.offset})"
        ) from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ExpressionError(f"has {len(nodes)} parts; at most {MAX_NODES}")
    for node in nodes:
        if not isinstance(node, _ALLOWED):
            raise ExpressionError(f"uses {_describe(node)}, which expressions do not allow")
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name.startswith("_"):
                raise ExpressionError(f"uses the name {name!r} (names may not start with '_')")
        if isinstance(node, ast.Constant) and not isinstance(
            node.value, (str, int, float, bool, type(None))
        ):
            raise ExpressionError(f"uses the constant {node.value!r}")
        if isinstance(node, ast.Call):
            if node.keywords:
                raise ExpressionError("uses keyword arguments in a call")
            if isinstance(node.func, ast.Name):
                if node.func.id not in FUNCTIONS:
                    raise ExpressionError(
                        f"calls {node.func.id}(), which is not one of: {', '.join(FUNCTIONS)}"
                    )
            elif not isinstance(node.func, ast.Attribute):
                raise ExpressionError("calls something that is not a function name or method")
            elif node.func.attr not in ALL_METHODS:
                raise ExpressionError(
                    f"calls the method {node.func.attr}(), which is not one of: "
                    f"{', '.join(sorted(ALL_METHODS))}"
                )
        if isinstance(node, ast.Dict) and any(key is None for key in node.keys):
            raise ExpressionError("uses ** in an object")
        if isinstance(node, ast.Compare) and any(
            isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops
        ):
            if not all(isinstance(c, ast.Constant) and c.value is None for c in node.comparators):
                raise ExpressionError("uses 'is' with something other than None")
    return tree


def _describe(node: ast.AST) -> str:
    names = {
        ast.Lambda: "a lambda",
        ast.ListComp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
        ast.NamedExpr: "an assignment (:=)",
        ast.Pow: "the ** operator",
        ast.Await: "await",
        ast.Starred: "a * argument",
        ast.JoinedStr: "an f-string",
        ast.Set: "a set",
    }
    return names.get(type(node), f"'{type(node).__name__}'")


def check(source: str) -> str | None:
    """None when ``source`` is an allowed expression, else what is wrong."""
    try:
        parse(source)
    except ExpressionError as exc:
        return str(exc)
    return None


def evaluate(source: str, scope: Mapping[str, Any]) -> Any:
    """The value of ``source`` with the names in ``scope``."""
    return _Evaluator(scope).visit(parse(source).body)


class _Evaluator:
    def __init__(self, scope: Mapping[str, Any]) -> None:
        self.scope = scope

    def visit(self, node: ast.AST) -> Any:
        method: Callable[[Any], Any] = getattr(self, f"_{type(node).__name__}")
        return method(node)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        if node.id in self.scope:
            return self.scope[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        reserved = [k for k in RESERVED if k in self.scope]
        others = sorted(k for k in self.scope if k not in RESERVED and k.isidentifier())
        shown = reserved + others[:20]
        more = f", and {len(others) - 20} more" if len(others) > 20 else ""
        raise ExpressionError(
            f"unknown name {node.id!r} (known: {', '.join(shown) or 'none'}{more})"
        )

    def _Attribute(self, node: ast.Attribute) -> Any:
        value = self.visit(node.value)
        if isinstance(value, Mapping):
            if node.attr in value:
                return value[node.attr]
            raise ExpressionError(
                f"no key {node.attr!r} in {_render(node.value)} (keys: "
                f"{', '.join(sorted(map(str, value))[:20]) or 'none'}); use .get('{node.attr}') "
                "when it may be missing"
            )
        raise ExpressionError(f"{_render(node.value)} is a {_type_name(value)}, not an object")

    def _Subscript(self, node: ast.Subscript) -> Any:
        value = self.visit(node.value)
        if isinstance(node.slice, ast.Slice):
            if not isinstance(value, (list, tuple, str)):
                raise ExpressionError(f"cannot slice a {_type_name(value)}")
            parts = [
                None if part is None else self.visit(part)
                for part in (node.slice.lower, node.slice.upper, node.slice.step)
            ]
            if not all(
                p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts
            ):
                raise ExpressionError("slice bounds must be whole numbers")
            return value[slice(*parts)]
        key = self.visit(node.slice)
        try:
            if isinstance(value, Mapping):
                return value[key]
            if isinstance(value, (list, tuple, str)) and isinstance(key, int):
                return value[key]
        except (KeyError, IndexError):
            raise ExpressionError(f"{_render(node.value)} has no [{key!r}]") from None
        raise ExpressionError(
            f"cannot index a {_type_name(value)} with a {_type_name(key)} ({_render(node)})"
        )

    def _List(self, node: ast.List) -> list[Any]:
        return [self.visit(item) for item in node.elts]

    _Tuple = _List

    def _Dict(self, node: ast.Dict) -> dict[Any, Any]:
        keys = [key for key in node.keys if key is not None]
        if len(keys) != len(node.keys):
            raise ExpressionError("uses ** in an object")
        try:
            return {self.visit(k): self.visit(v) for k, v in zip(keys, node.values, strict=True)}
        except TypeError:
            raise ExpressionError(
                f"an object key must be a string or number ({_render(node)})"
            ) from None

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for part in node.values:
            value = self.visit(part)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return not value
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ExpressionError(f"cannot negate a {_type_name(value)}")
        return -value if isinstance(node.op, ast.USub) else value

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        op = type(node.op)
        if op is ast.Mult and (isinstance(left, (str, list)) or isinstance(right, (str, list))):
            seq, times = (left, right) if isinstance(left, (str, list)) else (right, left)
            if not isinstance(times, int) or len(seq) * max(times, 0) > MAX_BUILT:
                raise ExpressionError(f"would build more than {MAX_BUILT:,} items")
        if op is ast.Add and isinstance(left, (str, list)) and isinstance(right, type(left)):
            if len(left) + len(right) > MAX_BUILT:
                raise ExpressionError(f"would build more than {MAX_BUILT:,} items")
        if op is ast.Mod and isinstance(left, str):
            raise ExpressionError("uses % formatting on a string")
        try:
            result = _BINARY[op](left, right)
        except ZeroDivisionError:
            raise ExpressionError(f"divides by zero ({_render(node)})") from None
        except TypeError:
            raise ExpressionError(
                f"cannot apply {_render_op(node.op)} to a {_type_name(left)} and a "
                f"{_type_name(right)} ({_render(node)})"
            ) from None
        if isinstance(result, float) and not math.isfinite(result):
            raise ExpressionError(f"is not a finite number ({_render(node)})")
        return result

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError:
                raise ExpressionError(
                    f"cannot compare a {_type_name(left)} with a {_type_name(right)} "
                    f"({_render(node)})"
                ) from None
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

    def _Call(self, node: ast.Call) -> Any:
        args = [self.visit(arg) for arg in node.args]
        if isinstance(node.func, ast.Name):
            try:
                return FUNCTIONS[node.func.id](*args)
            except TypeError as exc:
                raise ExpressionError(f"{node.func.id}(): {exc}") from None
        assert isinstance(node.func, ast.Attribute)
        receiver = self.visit(node.func.value)
        allowed = METHODS.get(type(receiver), frozenset())
        if node.func.attr not in allowed:
            raise ExpressionError(
                f"a {_type_name(receiver)} has no method {node.func.attr}()"
                + (f" (allowed: {', '.join(sorted(allowed))})" if allowed else "")
            )
        if (
            node.func.attr == "replace"
            and len(args) >= 2
            and all(isinstance(a, str) for a in args[:2])
        ):
            old, new = args[0], args[1]
            hits = receiver.count(old) if old else len(receiver) + 1
            grows = hits * (len(new) - len(old))
            if len(receiver) + grows > MAX_BUILT:
                raise ExpressionError(f"would build more than {MAX_BUILT:,} items")
        try:
            result = getattr(receiver, node.func.attr)(*args)
        except (TypeError, ValueError) as exc:
            raise ExpressionError(f"{node.func.attr}(): {exc}") from None
        if node.func.attr in ("keys", "values", "items"):
            return [list(item) if isinstance(item, tuple) else item for item in result]
        return result


def _render(node: ast.AST) -> str:
    return ast.unparse(node)


def _render_op(op: ast.operator) -> str:
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//"}.get(
        type(op), "%"
    )


def names(source: str) -> Sequence[str]:
    """The top-level names ``source`` reads (for checks that a name exists)."""
    return sorted({n.id for n in ast.walk(parse(source)) if isinstance(n, ast.Name)})
