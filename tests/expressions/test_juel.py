"""JUEL: the ${...} conditions of Camunda 7 models, the documented subset."""

from __future__ import annotations

from typing import Any

import pytest

from baton.expressions import LANGUAGES, ExpressionError, juel
from baton.expressions import evaluate as evaluate_any

SCOPE = {
    "amount": 150,
    "approved": True,
    "a": "x",
    "b": 3,
    "items": [1, 2],
    "none": None,
    "order": {"total": 60, "customer": {"tier": "gold"}},
    "text": "",
    "count": "5",
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${amount > 100}", True),
        ("amount > 100", True),  # the wrapper is optional
        ("#{amount > 100}", True),
        ("  ${ amount <= 100 }  ", False),
        ("${approved}", True),
        ("${!approved}", False),
        ("${not approved}", False),
        ("${a == 'x' && b != 2}", True),
        ('${a == "y" || b == 3}', True),
        ("${a eq 'x' and b ne 3}", False),
        ("${amount gt 100 && amount lt 200}", True),
        ("${amount ge 150 and amount le 150}", True),
        ("${empty items}", False),
        ("${empty text}", True),
        ("${empty none}", True),
        ("${not empty items}", True),
        ("${order.total >= 50}", True),
        ("${order['total'] * 2}", 120),
        ("${order.customer.tier == 'gold'}", True),
        ("${order.missing}", None),
        ("${none.anything}", None),
        ("${items[0]}", 1),
        ("${items[5]}", None),
        ("${amount > 100 ? 'big' : 'small'}", "big"),
        ("${b == 1 ? 'one' : b == 3 ? 'three' : 'other'}", "three"),
        ("${5 / 2}", 2.5),
        ("${4 / 2}", 2),
        ("${7 div 2}", 3.5),
        ("${7 % 3}", 1),
        ("${-7 mod 3}", -1),  # Java's remainder
        ("${1 + 2 * 3}", 7),
        ("${(1 + 2) * 3}", 9),
        ("${-b}", -3),
        ("${count == 5}", True),  # EL coerces a numeric string
        ("${count + 1}", 6),
        ("${none + 1}", 1),  # null is 0 in arithmetic
        ("${none == null}", True),
        ("${none > 1}", False),
        ("${'abc' < 'abd'}", True),
        ("${1.5e2 == 150}", True),
        ("${'it\\'s'}", "it's"),
        ("${true && !false}", True),
    ],
)
def test_expression(source: str, expected: Any) -> None:
    assert juel.check(source) is None
    assert juel.evaluate(source, SCOPE) == expected


def test_registered_as_a_language() -> None:
    assert "juel" in LANGUAGES
    assert evaluate_any("${amount > 100}", SCOPE, "juel") is True


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("${items.size()}", "calls a method or function at column 13"),
        ("${fn:length(items)}", "calls the function fn:..."),
        ("${amount = 5}", "uses '=' at column 10"),
        ("total: ${amount}", "mixes text and ${...}"),
        ("${a} and ${b}", "holds more than one ${...}"),
        ("${}", "is empty"),
        ("${amount >}", "expected a value at column 11"),
        ("${(amount}", "expected ')' at column 10"),
        ("${amount @ 2}", "unexpected character '@' at column 10"),
        ("${" + "(" * 120 + "1" + ")" * 120 + "}", "nests more than 100 levels"),
        ("1" + " + 1" * 200, "nests more than 100 levels"),
        ("${x -> x}", "expected a value at column 6, found '>'"),
    ],
)
def test_refusals_say_what_and_where(source: str, message: str) -> None:
    problem = juel.check(source)
    assert problem is not None and message in problem, problem


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("${amout > 100}", "cannot resolve the name 'amout' at column 3 (known: a, amount"),
        ("${a + 1}", "cannot use the string 'x' as a number (the operator + at column 5)"),
        ("${approved > 1}", "cannot use the boolean true as a number"),
        ("${amount / 0}", "divides by zero"),
        ("${items > 1}", "cannot use the list [1, 2] as a number"),
        ("${a.b}", "cannot read 'b' of the string 'x'"),
    ],
)
def test_evaluation_errors(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        juel.evaluate(source, SCOPE)
    assert message in str(caught.value)
