"""Baton's expression language: what it evaluates, and what it refuses with
a message that says what is wrong (never an exception from Python itself)."""

from __future__ import annotations

from typing import Any

import pytest

from baton.expressions import ExpressionError, check, evaluate
from baton.expressions.restricted import MAX_BUILT, MAX_NODES, MAX_SOURCE

SCOPE: dict[str, Any] = {
    "context": {"amount": 1500, "region": "eu", "tags": ["a", "b"]},
    "items": [3, 1, 2],
    "steps": {"charge-card": {"status": "ok"}},
    "input": {"name": "Ada Lovelace", "retry": False},
    "nothing": None,
}


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("context.amount > 1000 and context.region in ['eu', 'uk']", True),
        ("steps['charge-card'].status == 'ok'", True),
        ("not input.retry", True),
        ("len(items) if items else 0", 3),
        ("sum(items) * 2 - 1", 11),
        ("sorted(items)", [1, 2, 3]),
        ("min(items), max(items)", [1, 3]),
        ("items[1:]", [1, 2]),
        ("items[-1]", 2),
        ("input.name.lower().split(' ')[0]", "ada"),
        ("context.get('missing') is None", True),
        ("context.get('missing', 'fallback')", "fallback"),
        ("nothing is None and defined(context)", True),
        ("true and not false and null is None", True),
        ("{'total': context.amount + 1, 'ok': true}", {"total": 1501, "ok": True}),
        ("str(context.amount) + ' EUR'", "1500 EUR"),
        ("int('42') + float('0.5')", 42.5),
        ("round(2.567, 2)", 2.57),
        ("7 // 2 + 7 % 2", 4),
        ("'b' in context.tags and 'z' not in context.tags", True),
        ("1 < 2 < 3", True),
        ("len(context.keys())", 3),
        ("[k for k in []] if false else 1", None),
    ],
)
def test_expressions_evaluate(source: str, value: Any) -> None:
    if source.startswith("[k for"):
        assert check(source) == "uses a comprehension, which expressions do not allow"
        return
    assert check(source) is None
    assert evaluate(source, SCOPE) == value


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("__import__('os')", "calls __import__(), which is not one of"),
        ("context.__class__", "uses the name '__class__' (names may not start with '_')"),
        ("2 ** 64", "uses the ** operator, which expressions do not allow"),
        ("lambda: 1", "uses a lambda"),
        ("(x := 1)", "uses an assignment (:=)"),
        ("open('/etc/passwd')", "calls open(), which is not one of"),
        ("f'{context}'", "uses an f-string"),
        ("{1, 2}", "uses a set"),
        ("print(*items)", "calls print()"),
        ("len(items, key=1)", "uses keyword arguments in a call"),
        ("items is items", "uses 'is' with something other than None"),
        ("amount >", "is not a valid expression"),
        ("(lambda: 0).__code__", "uses the name '__code__'"),
        ("items.append(1)", "calls the method append(), which is not one of: count, endswith"),
        ("'a'.format()", "calls the method format()"),
        ("{**context}", "uses ** in an object"),
    ],
)
def test_unsafe_or_malformed_expressions_are_refused_before_they_run(
    source: str, problem: str
) -> None:
    found = check(source)
    assert found is not None and problem in found, found
    with pytest.raises(ExpressionError):
        evaluate(source, SCOPE)


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("context.nope", "no key 'nope' in context (keys: amount, region, tags); use .get('nope')"),
        (
            "unknown_name",
            "unknown name 'unknown_name' (known: input, context, steps, items, nothing)",
        ),
        ("items[10]", "items has no [10]"),
        ("1 / 0", "divides by zero"),
        ("'a' < 1", "cannot compare a string with a number"),
        ("items + 1", "cannot apply + to a list and a number"),
        ("input.name.index('x')", "a string has no method index()"),
        ("items.upper()", "a list has no method upper() (allowed: count, index)"),
        ("'%s' % 1", "uses % formatting on a string"),
        ("len(5)", "len() of a number"),
        ("context.amount.x", "context.amount is a number, not an object"),
        ("'ab' * 100000", f"would build more than {MAX_BUILT:,} items"),
        ("('a' * 1000).replace('a', 'a' * 1000)", f"would build more than {MAX_BUILT:,} items"),
        ("'x'.replace('', 'y' * 100000)", f"would build more than {MAX_BUILT:,} items"),
        ("-'a'", "cannot negate a string"),
        ("min([])", "min() needs a non-empty list"),
        ("sorted(5)", "sorted() needs a non-empty list"),
    ],
)
def test_evaluation_errors_say_what_went_wrong(source: str, problem: str) -> None:
    assert check(source) is None
    with pytest.raises(ExpressionError) as raised:
        evaluate(source, SCOPE)
    assert problem in str(raised.value)


def test_size_bounds_keep_a_hostile_expression_cheap() -> None:
    assert "characters long" in (check("1 + " * (MAX_SOURCE // 4) + "1") or "")
    assert "parts; at most" in (check(" + ".join(["1"] * (MAX_NODES // 2))) or "")


def test_an_unknown_language_is_named() -> None:
    assert check("1", "cobol") == "is in an unknown language 'cobol' (known: baton, jq, feel, juel)"
    with pytest.raises(ExpressionError, match="unknown expression language 'cobol'"):
        evaluate("1", {}, "cobol")


def test_evaluation_does_not_change_the_scope() -> None:
    scope = {"items": [1, 2], "d": {"a": 1}}
    evaluate("sorted(items) + [3]", scope)
    evaluate("d.get('a')", scope)
    assert scope == {"items": [1, 2], "d": {"a": 1}}
