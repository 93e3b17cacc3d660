"""List functions: ``list contains``, ``count``, ``min``/``max``/``sum``/
``mean``/``median``/``stddev``/``mode``/``product``, ``all``/``any``,
``sublist``, ``append``, ``concatenate``, ``insert before``, ``remove``,
``reverse``, ``index of``, ``union``, ``distinct values``, ``flatten``,
``sort``, ``list replace``.

The aggregate functions take a list or several arguments: ``min([1, 2])``
is ``min(1, 2)``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

from ..limits import DECIMAL, check_size
from ..operators import compare, equal
from ..values import Function
from .registry import builtin


def _items(args: tuple[Any, ...]) -> list[Any] | None:
    if len(args) == 1:
        return args[0] if isinstance(args[0], list) else [args[0]]
    return list(args)


def _numbers(args: tuple[Any, ...]) -> list[Decimal] | None:
    items = _items(args)
    if items is None or not all(isinstance(i, Decimal) and not isinstance(i, bool) for i in items):
        return None
    return items


def _contains(items: list[Any], value: Any) -> bool:
    return any(equal(item, value) is True for item in items)


@builtin("list contains", "list, element")
def list_contains(items: Any, element: Any) -> bool | None:
    return _contains(items, element) if isinstance(items, list) else None


@builtin("count", "list")
def count(items: Any) -> Decimal | None:
    return Decimal(len(items)) if isinstance(items, list) else None


def _extreme(sign: int) -> Callable[..., Any]:
    def pick(*args: Any) -> Any:
        items = _items(args)
        if not items:
            return None
        best = items[0]
        for item in items[1:]:
            order = compare(item, best)
            if order is None:
                return None
            if order * sign > 0:
                best = item
        if len(items) == 1 and compare(best, best) is None:
            return None
        return best

    return pick


builtin("min", "list", variadic=True)(_extreme(-1))
builtin("max", "list", variadic=True)(_extreme(1))


@builtin("sum", "list", variadic=True)
def total(*args: Any) -> Decimal | None:
    numbers = _numbers(args)
    if not numbers:
        return None
    result = Decimal(0)
    for number in numbers:
        result = DECIMAL.add(result, number)
    return result


@builtin("product", "list", variadic=True)
def product(*args: Any) -> Decimal | None:
    numbers = _numbers(args)
    if not numbers:
        return None
    result = Decimal(1)
    for number in numbers:
        result = DECIMAL.multiply(result, number)
    return result


@builtin("mean", "list", variadic=True)
def mean(*args: Any) -> Decimal | None:
    numbers = _numbers(args)
    if not numbers:
        return None
    result = total(numbers)
    return None if result is None else DECIMAL.divide(result, Decimal(len(numbers)))


@builtin("median", "list", variadic=True)
def median(*args: Any) -> Decimal | None:
    numbers = _numbers(args)
    if not numbers:
        return None
    ordered = sorted(numbers)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return DECIMAL.divide(DECIMAL.add(ordered[middle - 1], ordered[middle]), Decimal(2))


@builtin("stddev", "list", variadic=True)
def stddev(*args: Any) -> Decimal | None:
    numbers = _numbers(args)
    if not numbers or len(numbers) < 2:
        return None
    average = mean(numbers)
    assert average is not None
    squares = Decimal(0)
    for number in numbers:
        squares = DECIMAL.add(squares, DECIMAL.power(DECIMAL.subtract(number, average), 2))
    return DECIMAL.sqrt(DECIMAL.divide(squares, Decimal(len(numbers) - 1)))


@builtin("mode", "list", variadic=True)
def mode(*args: Any) -> list[Decimal] | None:
    numbers = _numbers(args)
    if numbers is None:
        return None
    counts: dict[Decimal, int] = {}
    for number in numbers:
        counts[number] = counts.get(number, 0) + 1
    most = max(counts.values(), default=0)
    return sorted(number for number, times in counts.items() if times == most)


def _booleans(args: tuple[Any, ...]) -> list[Any] | None:
    items = _items(args)
    if items is None or not all(isinstance(i, bool) or i is None for i in items):
        return None
    return items


@builtin("all", "list", variadic=True)
def every(*args: Any) -> bool | None:
    items = _booleans(args)
    if items is None:
        return None
    if False in items:
        return False
    return None if None in items else True


@builtin("any", "list", variadic=True)
def some(*args: Any) -> bool | None:
    items = _booleans(args)
    if items is None:
        return None
    if True in items:
        return True
    return None if None in items else False


def _position(items: list[Any], value: Any, insert: bool = False) -> int | None:
    if not isinstance(value, Decimal) or value != value.to_integral_value():
        return None
    index = int(value)
    size = len(items) + (1 if insert else 0)
    if 0 < index <= size:
        return index - 1
    if index < 0 and -index <= len(items):
        return len(items) + index
    return None


@builtin("sublist", "list, start position, length?")
def sublist(items: Any, start: Any, length: Any = None) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    index = _position(items, start)
    if index is None:
        return None
    if length is None:
        return items[index:]
    if not isinstance(length, Decimal) or length < 0 or length != length.to_integral_value():
        return None
    return items[index : index + int(length)]


@builtin("append", "list, item", variadic=True)
def append(items: Any, *more: Any) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    check_size(len(items) + len(more), "a list")
    return [*items, *more]


@builtin("concatenate", "list", variadic=True)
def concatenate(*lists: Any) -> list[Any] | None:
    if not all(isinstance(item, list) for item in lists):
        return None
    check_size(sum(len(item) for item in lists), "a list")
    return [item for part in lists for item in part]


@builtin("insert before", "list, position, newItem")
def insert_before(items: Any, position: Any, new_item: Any) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    index = _position(items, position)
    if index is None:
        return None
    check_size(len(items) + 1, "a list")
    return [*items[:index], new_item, *items[index:]]


@builtin("remove", "list, position")
def remove(items: Any, position: Any) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    index = _position(items, position)
    return None if index is None else [*items[:index], *items[index + 1 :]]


@builtin("reverse", "list")
def reverse(items: Any) -> list[Any] | None:
    return items[::-1] if isinstance(items, list) else None


@builtin("index of", "list, match")
def index_of(items: Any, match: Any) -> list[Decimal] | None:
    if not isinstance(items, list):
        return None
    return [Decimal(i + 1) for i, item in enumerate(items) if equal(item, match) is True]


def _distinct(items: list[Any]) -> list[Any]:
    kept: list[Any] = []
    for item in items:
        if not _contains(kept, item):
            kept.append(item)
    return kept


@builtin("union", "list", variadic=True)
def union(*lists: Any) -> list[Any] | None:
    joined = concatenate(*lists)
    return None if joined is None else _distinct(joined)


@builtin("distinct values", "list")
def distinct_values(items: Any) -> list[Any] | None:
    return _distinct(items) if isinstance(items, list) else None


@builtin("flatten", "list")
def flatten(items: Any) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    flat: list[Any] = []

    def walk(value: list[Any]) -> None:
        for item in value:
            if isinstance(item, list):
                walk(item)
            else:
                flat.append(item)
                check_size(len(flat), "a list")

    walk(items)
    return flat


@builtin("sort", "list, precedes?", invoke=True)
def sort(evaluator: Any, items: Any, precedes: Any = None) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    if precedes is None:

        def natural(a: Any, b: Any) -> int:
            order = compare(a, b)
            if order is None:
                raise _Unordered
            return order

        try:
            return sorted(items, key=cmp_to_key(natural))
        except _Unordered:
            return None
    if not isinstance(precedes, Function):
        return None

    def by_function(a: Any, b: Any) -> int:
        if evaluator.invoke(precedes, [a, b], {}) is True:
            return -1
        if evaluator.invoke(precedes, [b, a], {}) is True:
            return 1
        return 0

    return sorted(items, key=cmp_to_key(by_function))


class _Unordered(Exception):
    """Items of a list that FEEL cannot order."""


@builtin("list replace", "list, position, newItem", invoke=True)
def list_replace(evaluator: Any, items: Any, position: Any, new_item: Any) -> list[Any] | None:
    """DMN 1.5: the item at ``position`` replaced — or, when ``position`` is
    a function ``match(item, newItem)``, every item it is true for."""
    if not isinstance(items, list):
        return None
    if isinstance(position, Function):
        return [
            new_item if evaluator.invoke(position, [item, new_item], {}) is True else item
            for item in items
        ]
    index = _position(items, position)
    if index is None:
        return None
    return [*items[:index], new_item, *items[index + 1 :]]
