"""Walking a FEEL syntax tree to its value.

Names resolve innermost first: loop variables, function parameters and
context entries, then the evaluation's scope, then FEEL's built-in
functions. A name found nowhere is an :class:`ExpressionError` (a typo
should not pass silently as null); everything FEEL defines as null —
operators on the wrong types, a missing context key, an index out of range,
a built-in given the wrong kinds of values — is null.

Each node visited spends a step of the evaluation's :class:`.limits.Budget`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..restricted import ExpressionError, UnknownNameError
from . import nodes as n
from .functions import BUILTINS
from .limits import MAX_CALL_DEPTH, MAX_ITEMS, Budget, check_size
from .operators import arithmetic, equal, in_range, negate, order
from .properties import property_of
from .values import TYPE_TESTS, UNBOUNDED, Function, Range

DENIED = {
    "now": "reads the clock",
    "today": "reads the clock",
}


class Scope:
    """Names → FEEL values, looked up here first, then in ``parent``."""

    __slots__ = ("names", "parent")

    def __init__(self, names: Mapping[str, Any], parent: Scope | None = None) -> None:
        self.names = names
        self.parent = parent

    def lookup(self, name: str) -> tuple[bool, Any]:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return True, scope.names[name]
            scope = scope.parent
        return False, None

    def all_names(self) -> list[str]:
        found: list[str] = []
        scope: Scope | None = self
        while scope is not None:
            found.extend(k for k in scope.names if k not in found)
            scope = scope.parent
        return found


class Evaluator:
    """Evaluates nodes against scopes, within one budget."""

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget or Budget()
        self._visit: dict[type, Callable[[Any, Scope], Any]] = {
            n.Literal: self._literal,
            n.BadLiteral: self._bad_literal,
            n.Name: self._name,
            n.ListOf: self._list,
            n.ContextOf: self._context,
            n.RangeOf: self._range,
            n.TestCompare: self._test_value,
            n.Negate: self._negate,
            n.Arithmetic: self._arithmetic,
            n.Compare: self._compare,
            n.Logic: self._logic,
            n.Between: self._between,
            n.In: self._in,
            n.InstanceOf: self._instance_of,
            n.If: self._if,
            n.For: self._for,
            n.Quantified: self._quantified,
            n.FunctionDef: self._function,
            n.Call: self._call,
            n.Path: self._path,
            n.Filter: self._filter,
        }

    def evaluate(self, node: n.Node, scope: Scope) -> Any:
        self.budget.tick()
        return self._visit[type(node)](node, scope)

    # ---- leaves and literals ----

    def _literal(self, node: n.Literal, scope: Scope) -> Any:
        return node.value

    def _bad_literal(self, node: n.BadLiteral, scope: Scope) -> Any:
        raise ExpressionError(
            f'has @"{node.text}" at column {node.column}, which is not a date, time, date and '
            "time or duration (years 1 to 9999)"
        )

    def _name(self, node: n.Name, scope: Scope) -> Any:
        found, value = scope.lookup(node.name)
        if found:
            return value
        if node.name in DENIED:
            raise ExpressionError(
                f"calls {node.name}() at column {node.column}, which {DENIED[node.name]}; "
                "workflow code must be deterministic (pass the date in as an input)"
            )
        builtin = BUILTINS.get(node.name)
        if builtin is not None:
            return builtin
        if node.name == "?":
            raise ExpressionError(f"uses ? at column {node.column} outside a unary test")
        known = [k for k in scope.all_names() if k != "?"]
        shown = ", ".join(sorted(known)[:20]) or "none"
        more = f", and {len(known) - 20} more" if len(known) > 20 else ""
        raise UnknownNameError(
            f"uses the unknown name {node.name!r} at column {node.column} (known: {shown}{more})"
        )

    def _list(self, node: n.ListOf, scope: Scope) -> list[Any]:
        check_size(len(node.items), "a list")
        return [self.evaluate(item, scope) for item in node.items]

    def _context(self, node: n.ContextOf, scope: Scope) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        inner = Scope(entries, scope)  # later entries see earlier ones
        for key, value in node.entries:
            entries[key] = self.evaluate(value, inner)
        return entries

    def _range(self, node: n.RangeOf, scope: Scope) -> Range | None:
        start = UNBOUNDED if node.start is None else self.evaluate(node.start, scope)
        end = UNBOUNDED if node.end is None else self.evaluate(node.end, scope)
        if start is not UNBOUNDED and end is not UNBOUNDED and None not in (start, end):
            if order("<=", start, end) is None:
                return None  # endpoints of different types
        return Range(start, end, node.start_included, node.end_included)

    def _test_value(self, node: n.TestCompare, scope: Scope) -> Range:
        value = self.evaluate(node.endpoint, scope)
        return Range(value, value, True, True, op=node.op)

    # ---- operators ----

    def _negate(self, node: n.Negate, scope: Scope) -> Any:
        return negate(self.evaluate(node.operand, scope))

    def _arithmetic(self, node: n.Arithmetic, scope: Scope) -> Any:
        left = self.evaluate(node.left, scope)
        right = self.evaluate(node.right, scope)
        return arithmetic(node.op, left, right)

    def _compare(self, node: n.Compare, scope: Scope) -> bool | None:
        return order(node.op, self.evaluate(node.left, scope), self.evaluate(node.right, scope))

    def _logic(self, node: n.Logic, scope: Scope) -> bool | None:
        # three-valued; ``false and x`` is false and ``true or x`` true whatever x is
        decisive = node.op == "or"
        left = self.evaluate(node.left, scope)
        if left is decisive:
            return decisive
        right = self.evaluate(node.right, scope)
        if right is decisive:
            return decisive
        if left is (not decisive) and right is (not decisive):
            return not decisive
        return None

    def _between(self, node: n.Between, scope: Scope) -> bool | None:
        value = self.evaluate(node.value, scope)
        low = order(">=", value, self.evaluate(node.low, scope))
        high = order("<=", value, self.evaluate(node.high, scope))
        if low is False or high is False:
            return False
        if low is None or high is None:
            return None
        return True

    def _in(self, node: n.In, scope: Scope) -> bool | None:
        return self.unary_tests(node.tests, self.evaluate(node.value, scope), scope)

    def _instance_of(self, node: n.InstanceOf, scope: Scope) -> bool:
        test = TYPE_TESTS.get(node.type_name)
        if test is None:
            raise ExpressionError(
                f"asks 'instance of {node.type_name}' at column {node.column}; known types: "
                + ", ".join(TYPE_TESTS)
            )
        return test(self.evaluate(node.value, scope))

    # ---- constructs ----

    def _if(self, node: n.If, scope: Scope) -> Any:
        if self.evaluate(node.condition, scope) is True:
            return self.evaluate(node.then, scope)
        return self.evaluate(node.otherwise, scope)

    def _domain(self, iteration: n.Iteration, scope: Scope) -> Sequence[Any]:
        domain = self.evaluate(iteration.domain, scope)
        if iteration.until is not None:
            return self._integers(domain, self.evaluate(iteration.until, scope), iteration)
        if isinstance(domain, Range) and domain.op is None:
            start, end = domain.start, domain.end
            if isinstance(start, Decimal) and isinstance(end, Decimal):
                low = start if domain.start_included else start + 1
                high = end if domain.end_included else end - 1
                return self._integers(low, high, iteration)
            raise ExpressionError(
                f"iterates over a range at column {iteration.column} that is not of whole numbers"
            )
        if isinstance(domain, list):
            return domain
        return [] if domain is None else [domain]

    def _integers(self, start: Any, end: Any, iteration: n.Iteration) -> list[Decimal]:
        if not all(isinstance(v, Decimal) and v == v.to_integral_value() for v in (start, end)):
            raise ExpressionError(
                f"iterates from {start} to {end} at column {iteration.column}; "
                "a range of iteration needs whole numbers"
            )
        low, high = int(start), int(end)
        check_size(abs(high - low) + 1, "a loop")
        span = range(low, high + 1) if low <= high else range(low, high - 1, -1)
        return [Decimal(i) for i in span]

    def _bindings(self, iterations: Sequence[n.Iteration], scope: Scope) -> Iterator[Scope]:
        """A scope per combination of the iteration variables (later domains
        may use earlier variables)."""
        first, rest = iterations[0], iterations[1:]
        for item in self._domain(first, scope):
            inner = Scope({first.name: item}, scope)
            if rest:
                yield from self._bindings(rest, inner)
            else:
                yield inner

    def _for(self, node: n.For, scope: Scope) -> list[Any]:
        results: list[Any] = []
        partial = Scope({"partial": results}, scope)
        for inner in self._bindings(node.iterations, partial):
            results.append(self.evaluate(node.body, inner))
            if len(results) > MAX_ITEMS:
                check_size(len(results), "a list")
        return results

    def _quantified(self, node: n.Quantified, scope: Scope) -> bool:
        for inner in self._bindings(node.iterations, scope):
            satisfied = self.evaluate(node.condition, inner) is True
            if satisfied != node.every:
                return satisfied
        return node.every

    def _function(self, node: n.FunctionDef, scope: Scope) -> Function:
        return Function("anonymous function", node.params, body=node.body, closure=scope)

    def _call(self, node: n.Call, scope: Scope) -> Any:
        callee = self.evaluate(node.callee, scope)
        if not isinstance(callee, Function):
            if isinstance(node.callee, n.Name):
                raise ExpressionError(
                    f"calls {node.callee.name!r} at column {node.column}, which is not a function"
                )
            return None
        if node.named:
            return self.invoke(
                callee, [], {k: self.evaluate(v, scope) for k, v in node.named}, node.column
            )
        return self.invoke(
            callee, [self.evaluate(arg, scope) for arg in node.args], {}, node.column
        )

    def invoke(
        self, function: Function, args: list[Any], named: dict[str, Any], column: int = 0
    ) -> Any:
        """Call a FEEL function with evaluated arguments."""
        where = f" at column {column}" if column else ""
        if function.call is not None:
            values = _bind_builtin(function, args, named, where)
            try:
                if function.invoke:
                    return function.call(self, *values)
                return function.call(*values)
            except ArithmeticError:  # a decimal overflow or an impossible division: null
                return None
        params = list(function.params)
        if named:
            unknown = [k for k in named if k not in params]
            if unknown:
                raise ExpressionError(
                    f"calls a function{where} with the unknown parameter {unknown[0]!r} "
                    f"(its parameters: {', '.join(params) or 'none'})"
                )
            names = {p: named.get(p) for p in params}
        else:
            if len(args) > len(params):
                raise ExpressionError(
                    f"calls a function of {len(params)} parameters{where} with {len(args)} "
                    "arguments"
                )
            names = {p: (args[i] if i < len(args) else None) for i, p in enumerate(params)}
        self.budget.calls += 1
        if self.budget.calls > MAX_CALL_DEPTH:
            raise ExpressionError(f"calls functions more than {MAX_CALL_DEPTH} deep")
        try:
            return self.evaluate(function.body, Scope(names, function.closure))
        finally:
            self.budget.calls -= 1

    def _path(self, node: n.Path, scope: Scope) -> Any:
        return property_of(self.evaluate(node.target, scope), node.name)

    def _filter(self, node: n.Filter, scope: Scope) -> Any:
        target = self.evaluate(node.target, scope)
        if target is None:
            return None
        items = target if isinstance(target, list) else [target]
        if not items:
            value = self.evaluate(node.condition, Scope({"item": None}, scope))
            return None if isinstance(value, Decimal) else []
        kept = []
        for position, item in enumerate(items):
            names: dict[str, Any] = dict(item) if isinstance(item, dict) else {}
            names["item"] = item
            value = self.evaluate(node.condition, Scope(names, scope))
            if position == 0 and isinstance(value, Decimal):
                return _index(items, value)
            if value is True:
                kept.append(item)
        return kept

    # ---- unary tests ----

    def unary_tests(self, tests: n.UnaryTests, value: Any, scope: Scope) -> bool | None:
        """Whether ``value`` passes ``tests`` (None when it cannot be told)."""
        if tests.anything:
            return True
        inner = Scope({"?": value}, scope)
        unknown = False
        for test in tests.tests:
            self.budget.tick()
            passed = self.test(test, value, inner)
            if passed is True:
                return False if tests.negated else True
            if passed is None:
                unknown = True
        if unknown:
            return None
        return True if tests.negated else False

    def test(self, test: n.Node, value: Any, scope: Scope) -> bool | None:
        """Whether ``value`` passes one positive unary test (``?`` is bound in ``scope``)."""
        if isinstance(test, n.TestCompare):
            return order(test.op, value, self.evaluate(test.endpoint, scope))
        if isinstance(test, n.RangeOf):
            bounds = self._range(test, scope)
            return None if bounds is None else in_range(value, bounds)
        assert isinstance(test, n.TestExpression)
        expected = self.evaluate(test.expression, scope)
        if test.uses_input and (isinstance(expected, bool) or expected is None):
            return expected
        if isinstance(expected, bool) and not isinstance(value, bool):
            return expected  # a condition (``x > 3``) tests the rule, not the input
        return matches(value, expected)


def matches(value: Any, expected: Any) -> bool | None:
    """A value-as-test: equal, or an element of a list, or inside a range."""
    if isinstance(expected, Range):
        return in_range(value, expected)
    if isinstance(expected, list) and not isinstance(value, list):
        unknown = False
        for item in expected:
            found = in_range(value, item) if isinstance(item, Range) else equal(value, item)
            if found is True:
                return True
            unknown = unknown or found is None
        return None if unknown and not expected else False
    if isinstance(expected, list) and isinstance(value, list):
        if any(equal(value, item) is True for item in expected):
            return True
        return equal(value, expected)
    return equal(value, expected)


def _bind_builtin(
    function: Function, args: list[Any], named: dict[str, Any], where: str
) -> list[Any]:
    """The positional arguments of a built-in call, from positional or named
    arguments, for the first of its signatures they fit."""
    for params, required in function.signatures:
        if named:
            if set(named) <= set(params) and set(params[:required]) <= set(named):
                last = max(params.index(k) for k in named)
                return [named.get(p) for p in params[: last + 1]]
        elif required <= len(args) and (function.variadic or len(args) <= len(params)):
            return args
    shapes = " or ".join(f"{function.name}({', '.join(p)})" for p, _ in function.signatures)
    given = (
        "named arguments " + ", ".join(named)
        if named
        else f"{len(args)} argument{'' if len(args) == 1 else 's'}"
    )
    raise ExpressionError(f"calls {function.name}(){where} with {given}; it takes {shapes}")


def _index(items: list[Any], position: Decimal) -> Any:
    if position != position.to_integral_value():
        return None
    index = int(position)
    if index > 0 and index <= len(items):
        return items[index - 1]
    if index < 0 and -index <= len(items):
        return items[index]
    return None
