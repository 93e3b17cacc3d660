"""FEEL (DMN 1.5 chapter 10), Baton's own implementation: the expression
language of DMN decision tables and of Zeebe-style BPMN conditions
(``Expr(source, language="feel")``).

    Applicant Age >= 18 and Risk Category in ("Low", "Medium")
    if date(due) < @"2025-01-01" then "late" else "on time"
    sum(for item in order.lines return item.price * item.quantity)

Numbers are decimals of 34 digits (``0.1 + 0.2 = 0.3`` is true); logic is
three-valued (``null and false`` is false, ``null and true`` null); an
operation FEEL does not define — ``1 + "a"``, ``1 < "a"`` — is null, not an
error. A name not in the scope, a syntax error, a wrong number of
arguments or a bound exceeded is an :class:`ExpressionError` saying what
and at which column.

Deterministic: ``now()`` and ``today()`` are refused, when an expression is
checked and when it runs. Bounded: :mod:`.limits`. Plain standard library:
this package is imported by workflow code.

An expression may start with ``=``, as Zeebe writes FEEL in BPMN models
(``=amount > 100``); it is ignored. The entry points take and give JSON (:mod:`.convert` says how FEEL values
map to JSON); the ``*_value`` variants take and give FEEL values, for the
DMN evaluator, which keeps dates and decimals between decisions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import localcontext
from typing import Any

from ..restricted import ExpressionError
from . import nodes as n
from .convert import from_json, to_json
from .evaluator import DENIED, Evaluator, Scope
from .functions import BUILTINS
from .lexer import special_names
from .limits import DECIMAL, Budget
from .parser import TYPE_NAMES, parse_expression, parse_unary_tests
from .values import Function

__all__ = [
    "Budget",
    "ExpressionError",
    "check",
    "check_unary_tests",
    "evaluate",
    "first_passing",
    "evaluate_value",
    "from_json",
    "function_value",
    "to_json",
    "unary_test",
    "unary_test_value",
]

_BUILTIN_SPECIAL = special_names([*BUILTINS, *TYPE_NAMES])


def _known(source: str, names: Iterable[str]) -> tuple[str, ...]:
    """The special names (spaces, ``-``, ...) that may occur in ``source``."""
    found = [
        name for name in (*special_names(names), *_BUILTIN_SPECIAL) if name.split()[0][:4] in source
    ]
    return tuple(sorted(set(found)))


def _walk(node: Any) -> Iterator[n.Node]:
    if isinstance(node, n.Node):
        yield node
        for field in dataclasses.fields(node):
            yield from _walk(getattr(node, field.name))
    elif isinstance(node, tuple):
        for item in node:
            yield from _walk(item)


def _refuse_clock(tree: n.Node) -> None:
    for node in _walk(tree):
        if isinstance(node, n.Call) and isinstance(node.callee, n.Name):
            if node.callee.name in DENIED:
                raise ExpressionError(
                    f"calls {node.callee.name}() at column {node.column}, which "
                    f"{DENIED[node.callee.name]}; workflow code must be deterministic "
                    "(pass the date in as an input)"
                )


def _parse(source: str, names: Iterable[str]) -> n.Node:
    if source.lstrip().startswith("="):  # Zeebe marks a FEEL expression with a leading =
        source = source.replace("=", " ", 1)  # a space keeps the columns
    tree = parse_expression(source, _known(source, names))
    _refuse_clock(tree)
    return tree


def _parse_tests(source: str, names: Iterable[str]) -> n.UnaryTests:
    tree = parse_unary_tests(source, _known(source, names))
    _refuse_clock(tree)
    return tree


@contextmanager
def _shallow() -> Iterator[None]:
    """Python's recursion limit, reached by deeply recursive FEEL functions,
    as an expression error."""
    try:
        yield
    except RecursionError:
        raise ExpressionError(
            "recurses too deeply (a function calling itself, or values nested too deeply)"
        ) from None


def check(source: str, names: Iterable[str] = ()) -> str | None:
    """None when ``source`` is a FEEL expression Baton runs, else what is
    wrong. ``names``: the scope's names, when known (for names with spaces
    or operators in them)."""
    try:
        _parse(source, names)
    except ExpressionError as exc:
        return str(exc)
    return None


def check_unary_tests(source: str, names: Iterable[str] = ()) -> str | None:
    """None when ``source`` is a valid decision-table input entry."""
    try:
        _parse_tests(source, names)
    except ExpressionError as exc:
        return str(exc)
    return None


def evaluate_value(source: str, scope: Mapping[str, Any], budget: Budget | None = None) -> Any:
    """The FEEL value of ``source`` with the FEEL values in ``scope``;
    ``budget``: share one step budget across several evaluations."""
    tree = _parse(source, scope)
    with localcontext(DECIMAL), _shallow():
        return Evaluator(budget or Budget()).evaluate(tree, Scope(scope))


def evaluate(source: str, scope: Mapping[str, Any]) -> Any:
    """The value of ``source`` as JSON, with the JSON values in ``scope``."""
    values = {key: from_json(value) for key, value in scope.items()}
    return to_json(evaluate_value(source, values))


def unary_test_value(
    source: str, value: Any, scope: Mapping[str, Any], budget: Budget | None = None
) -> bool | None:
    """Whether the FEEL ``value`` passes the unary tests ``source``
    (``< 5``, ``[1..10)``, ``"a", "b"``, ``not(...)``, ``-``, ``? > x``);
    None when that cannot be told (a comparison with null or across types)."""
    tree = _parse_tests(source, scope)
    with localcontext(DECIMAL), _shallow():
        return Evaluator(budget or Budget()).unary_tests(tree, value, Scope(scope))


def first_passing(
    source: str, value: Any, scope: Mapping[str, Any], budget: Budget | None = None
) -> int | None:
    """The position (from 0) of the first of the unary tests ``source``
    that ``value`` passes, or None (a decision table's output values give
    PRIORITY and OUTPUT ORDER their order this way)."""
    tree = _parse_tests(source, scope)
    with localcontext(DECIMAL), _shallow():
        evaluator = Evaluator(budget or Budget())
        inner = Scope({"?": value}, Scope(scope))
        for position, test in enumerate(tree.tests):
            if evaluator.test(test, value, inner) is True:
                return position
    return None


def unary_test(source: str, value: Any, scope: Mapping[str, Any]) -> bool | None:
    """:func:`unary_test_value` with JSON values."""
    values = {key: from_json(v) for key, v in scope.items()}
    return unary_test_value(source, from_json(value), values)


def function_value(params: list[str], body: str, scope: Mapping[str, Any]) -> Function:
    """A FEEL function of ``params`` whose body is the expression ``body``,
    closing over ``scope`` (a DMN business knowledge model)."""
    tree = _parse(body, [*scope, *params])
    return Function("function", tuple(params), body=tree, closure=Scope(scope))
