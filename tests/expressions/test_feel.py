"""FEEL: Baton's own implementation, checked against DMN 1.5 chapter 10's
semantics case by case (the DMN TCK runs it further: tests/decisions)."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from baton.expressions import LANGUAGES, ExpressionError, feel
from baton.expressions import check as check_any
from baton.expressions import evaluate as evaluate_any
from baton.expressions.feel.functions import BUILTINS

CASES: list[tuple[str, Any]] = [
    # numbers are decimals
    ("0.1 + 0.2 = 0.3", True),
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("10 - 3 - 2", 5),
    ("7 / 2", 3.5),
    ("1 / 3 * 3 = 1", False),  # 34 digits: 0.999...9 is not 1, as decimal128 says
    ("2 ** 10", 1024),
    ("3 ** 4 ** 5", 3486784401),  # left-associative
    ("-3 ** 2", 9),  # negation binds tighter
    ("10 ** -1", 0.1),
    ("1.2e3", 1200),
    (".5 + .5", 1),
    ("10 / 0", None),
    ("modulo(1e6000, 7)", None),  # decimal overflow inside a built-in: null
    ("stddev(1e6000, 1)", None),
    ("1 + null", None),
    ('1 + "a"', None),
    ('-"a"', None),
    # strings and booleans
    ('"foo" + "bar"', "foobar"),
    ('"a" < "b"', True),
    ('"\\u00e9t\\u00e9"', "été"),
    ("true = true", True),
    # comparisons: across types null, with null only null = null
    ('1 = "1"', None),
    ('1 < "1"', None),
    ("null = null", True),
    ("1 = null", False),
    ("1 != null", True),
    ("[1, 2] = [1, 2]", True),
    ("{a: 1} = {a: 1}", True),
    # three-valued logic
    ("true and null", None),
    ("false and null", False),
    ("null or true", True),
    ("null or false", None),
    ("not(null)", None),
    ("not(false)", True),
    ('true and "x"', None),
    # if / between / in / instance of
    ('if 1 > 2 then "a" else "b"', "b"),
    ("if null then 1 else 2", 2),
    ("5 between 1 and 10", True),
    ("null between 1 and 10", None),
    ("5 in [1..10)", True),
    ("10 in [1..10)", False),
    ("10 in ]1..10]", True),
    ("5 in (< 5)", False),
    ("5 in (1, 5, 9)", True),
    ('"b" in ("a", "b")', True),
    ("5 in [1, 2]", False),
    ("5 in >= 5", True),
    ("5 instance of number", True),
    ('"5" instance of number', False),
    ('@"2020-01-01" instance of date', True),
    # lists
    ("[1, 2, 3][1]", 1),
    ("[1, 2, 3][-1]", 3),
    ("[1, 2, 3][4]", None),
    ("[1..10) = [1..10[", True),
    ("[1, 2][2]", 2),
    ("[1, 2, 3, 4][item > 2]", [3, 4]),
    ("[{a: 1}, {a: 2}][a > 1]", [{"a": 2}]),
    ("[{a: 1}, {a: 2}].a", [1, 2]),
    ("true[1]", True),
    ("for x in [1, 2, 3] return x * x", [1, 4, 9]),
    ("for x in 1..3, y in [10] return x + y", [11, 12, 13]),
    ("for i in 3..1 return i", [3, 2, 1]),
    ("for i in 1..4 return if i = 1 then 1 else i * partial[-1]", [1, 2, 6, 24]),
    ("some x in [1, 2, 3] satisfies x > 2", True),
    ("every x in [1, 2, 3] satisfies x > 2", False),
    # contexts and paths
    ('{a: 1, "b c": a + 1}', {"a": 1, "b c": 2}),
    ("{a: {b: 5}}.a.b", 5),
    ("{a: 1}.missing", None),
    # dates, times, durations
    ('date("2020-01-31") + duration("P1M")', "2020-02-29"),
    ('@"2020-03-01" - @"2020-02-01"', "P29D"),
    ('date("2020-01-01") < date("2020-01-02")', True),
    ('date("2020-01-01") = "2020-01-01"', None),
    ('@"2020-01-01T10:00:00" + @"PT90M"', "2020-01-01T11:30:00"),
    ('@"2020-01-01T10:00:00+02:00" = @"2020-01-01T08:00:00Z"', True),
    ('@"10:00:00" - @"08:30:00"', "PT1H30M"),
    ('@"23:00:00" + @"PT2H"', "01:00:00"),
    ('duration("P1Y") + duration("P2M")', "P1Y2M"),
    ('duration("P1D") > duration("PT23H")', True),
    ('duration("P1D") = duration("P1M")', None),
    ('years and months duration(date("2020-01-15"), date("2021-03-14"))', "P1Y1M"),
    ('@"2020-02-29".year', 2020),
    ('@"2020-02-29".weekday', 6),
    ('@"P2DT3H".hours', 3),
    ('date and time("2020-01-01T10:00:00@Europe/Paris").timezone', "Europe/Paris"),
    ('string(@"P1Y") + " " + string(@"PT0S")', "P1Y PT0S"),
    ('date("2020-13-01")', None),
    # built-ins
    ('substring("foobar", 3)', "obar"),
    ('substring("foobar", -2, 1)', "a"),
    ('substring(string: "foobar", start position: 2, length: 2)', "oo"),
    ('string length("横綱")', 2),
    ('upper case("abc")', "ABC"),
    ('contains("foobar", "oba")', True),
    ('split("a,b,c", ",")', ["a", "b", "c"]),
    ('replace("a-b-c", "-", "+")', "a+b+c"),
    ('string join(["a", "b"], ", ")', "a, b"),
    ("count([1, 2, 3])", 3),
    ("min([3, 1, 2])", 1),
    ("max(3, 1, 2)", 3),
    ("sum([1, 2, 3.5])", 6.5),
    ("mean([1, 2, 3, 4])", 2.5),
    ("median(1, 3, 2)", 2),
    ("all([true, null])", None),
    ("any([false, true])", True),
    ("sublist([1, 2, 3], 2)", [2, 3]),
    ("append([1], 2, 3)", [1, 2, 3]),
    ("concatenate([1], [2, 3])", [1, 2, 3]),
    ("distinct values([1, 2, 1])", [1, 2]),
    ("flatten([1, [2, [3]]])", [1, 2, 3]),
    ("index of([1, 2, 1], 1)", [1, 3]),
    ("sort([3, 1, 2])", [1, 2, 3]),
    ("sort([3, 1, 2], function(a, b) a > b)", [3, 2, 1]),
    ("list contains([1, 2], 2)", True),
    ('list replace(["a", "b"], 2, "c")', ["a", "c"]),
    ("list replace([1, 2, 3], function(item, new) item > 1, 0)", [1, 0, 0]),
    ("decimal(1.125, 2)", 1.12),
    ("round half up(1.125, 2)", 1.13),
    ("floor(-1.5)", -2),
    ("ceiling(1.2)", 2),
    ("abs(-2)", 2),
    ("modulo(-12, 5)", 3),
    ("sqrt(16)", 4),
    ("odd(3)", True),
    ('number("1,200.5", ",", ".")', 1200.5),
    ("string(1.50)", "1.5"),
    ('get value({a: 1}, "a")', 1),
    ('context put({a: 1}, "b", 2)', {"a": 1, "b": 2}),
    ("(function(x, y) x + y)(1, 2)", 3),
    ("{f: function(n) n * 2, r: f(4)}.r", 8),
    ("{f: function(n) if n = 0 then 0 else 1 + f(n - 1), r: f(60)}.r", 60),
    ('day of week(@"2024-06-03")', "Monday"),
    ('is(@"2020-01-01", @"2020-01-01")', True),
    # comments
    ("1 + /* two */ 2 // and a comment", 3),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_expression(source: str, expected: Any) -> None:
    assert feel.check(source) is None
    assert feel.evaluate(source, {}) == expected


def test_registered_as_a_language() -> None:
    assert "feel" in LANGUAGES
    assert evaluate_any('amount > 100 and region = "eu"', {"amount": 150, "region": "eu"}, "feel")
    assert check_any("1 +", "feel") is not None


def test_zeebe_s_leading_equals_sign_is_ignored() -> None:
    assert feel.evaluate("=amount > 100", {"amount": 150}) is True
    assert (
        feel.check("= 1 +")
        == "is not valid FEEL: expected an expression at column 6, found the end"
    )


def test_names_with_spaces_and_operators_resolve_against_the_scope() -> None:
    scope = {"Applicant Age": 20, "Pre-Bureau Risk": "LOW", "Another Date and Time": "x"}
    assert feel.evaluate("Applicant Age >= 18", scope) is True
    assert feel.evaluate('Pre-Bureau Risk = "LOW"', scope) is True
    assert feel.evaluate('Another Date and Time = "x"', scope) is True
    # without the scope's names, the same text is a subtraction
    assert feel.evaluate("a-b", {"a": 3, "b": 1}) == 2


def test_scope_values_come_in_as_json() -> None:
    scope = {"order": {"lines": [{"price": 2.5, "qty": 2}, {"price": 1, "qty": 3}]}}
    assert feel.evaluate("sum(for l in order.lines return l.price * l.qty)", scope) == 8
    assert feel.evaluate('date(due) > @"2020-01-01"', {"due": "2020-06-01"}) is True


def test_json_out_says_int_for_whole_numbers_and_float_otherwise() -> None:
    assert type(feel.evaluate("2.0", {})) is int
    assert type(feel.evaluate("2.5", {})) is float
    assert feel.to_json(Decimal("1E+2")) == 100
    assert feel.evaluate_value("0.1 + 0.2", {}) == Decimal("0.3")


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("-", 5, True),
        ("< 5", 4, True),
        ("<5", 5, False),
        (">= 5", 5, True),
        ("5", 5, True),
        ("5", 6, False),
        ('"a", "b"', "b", True),
        ('"a", "b"', "c", False),
        ("[1..10)", 10, False),
        ("]1..10]", 10, True),
        ("(1..10)", 1, False),
        ("not(1, 2)", 3, True),
        ("not(1, 2)", 2, False),
        ("not(< 5)", 7, True),
        ("< 5, > 10", 12, True),
        ("? > 2 and ? < 5", 3, True),
        ("? > 2 and ? < 5", 6, False),
        ("true", True, True),
        ("false", True, False),
        ("null", None, True),
        ("< 5", None, None),
        ("< 5", "a", None),
        ("[1, 2, 3]", 2, True),
        ('>= date("2020-01-01")', "2020-06-01", None),  # a string is not a date
        ("> limit", 7, True),
        ("= limit", 5, True),
        ("!= limit", 5, False),
        ("limit > 3", 7, True),  # a condition on the scope, for an input that is no boolean
        ("limit > 9", 7, False),
        ("limit > 3", False, False),  # a boolean input is compared
    ],
)
def test_unary_tests(source: str, value: Any, expected: bool | None) -> None:
    assert feel.check_unary_tests(source) is None
    assert feel.unary_test(source, value, {"limit": 5}) is expected


def test_unary_tests_on_dates_given_as_feel_values() -> None:
    day = feel.evaluate_value('@"2020-06-01"', {})
    assert feel.unary_test_value('>= date("2020-01-01")', day, {}) is True
    assert feel.unary_test_value('[@"2020-01-01"..@"2020-12-31"]', day, {}) is True


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1 +", "expected an expression at column 4, found the end"),
        ("(1 + 2", "expected ')' at column 7"),
        ("[1, 2", "expected ']' at column 6"),
        ('"open', "string that is not closed (column 1)"),
        ("1 $ 2", "unexpected character '$' at column 3"),
        ("if x then 1", "expected 'else'"),
        ("{a: 1, a: 2}", "the key 'a' twice"),
        ("now()", "calls now() at column 1, which reads the clock"),
        ("1 + today()", "calls today() at column 5, which reads the clock"),
        ("function(x) external {}", "external function"),
        ("x instance of list<number>", "parameterised type"),
        ("/* open", "comment that is not closed"),
    ],
)
def test_check_says_what_and_where(source: str, message: str) -> None:
    problem = feel.check(source)
    assert problem is not None and message in problem


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("amout > 5", "unknown name 'amout' at column 1 (known: amount)"),
        ('@"yesterday"', '@"yesterday" at column 1, which is not a date'),
        ("now()", "reads the clock"),
        ("substring()", "calls substring() at column 1 with 0 arguments"),
        ('substring(strng: "a", start position: 1)', "named arguments strng, start position"),
        ("amount(1)", "not a function"),
        ('matches("aaa", "(a+)+$")', "only plain-text patterns"),
        ("(function(a) a)(1, 2)", "with 2 arguments"),
    ],
)
def test_evaluation_errors_say_what_and_where(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=None) as caught:
        feel.evaluate(source, {"amount": 3})
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1" + " + 1" * 3000, "characters long; at most 10,000"),
        ("(" * 150 + "1" + ")" * 150, "nests more than 100 levels"),
        ("1" + " + 1" * 2000, "nests more than 100 levels"),
        ("for i in 1..200000 return i", "would build a loop of 200,000 items"),
        (
            "for i in 1..1e30 return i",
            "would build a loop of 1,000,000,000,000,000,000,000,000,000,000",
        ),
        ("for i in 1..1000 return sum(for j in 1..1000 return j)", "evaluation steps"),
        ("{f: function(n) f(n + 1), r: f(1)}.r", "more than 64 deep"),
        ('string join(for i in 1..2000 return "' + "x" * 100 + '")', "a string of 200,000"),
        ('string(for i in 1..50000 return "xy")', "would build a string of 300,000"),
    ],
)
def test_bounded(source: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(ExpressionError) as caught:
        feel.evaluate(source, {})
    assert message in str(caught.value)
    assert time.monotonic() - started < 10


def test_a_function_has_no_json_form() -> None:
    with pytest.raises(ExpressionError, match="has no JSON form"):
        feel.evaluate("function(x) x", {})


def test_the_documented_builtins_are_the_registered_ones() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "dmn.md").read_text(encoding="utf-8")
    listed = doc.split("<!-- feel-builtins:begin -->")[1].split("<!-- feel-builtins:end -->")[0]
    documented = re.findall(r"`([^`]+)`", listed)
    assert documented == sorted(BUILTINS)
