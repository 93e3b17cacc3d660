"""Reading the DMN TCK's test files (``*-test-01.xml``) and comparing
Baton's results with their expected values, typed.

The value grammar: ``<value xsi:type="xsd:decimal">``, ``xsi:nil``,
``<component name=...>`` for structures, ``<list><item>`` for lists.
Numbers compare as decimals, equal to 12 significant digits: the TCK's
expected values have 15 digits, and some (0008, 0009: ``**`` with a
negative exponent) differ from the exact result in the 13th; dates, times and
durations by FEEL's equality; lists in order; structures key by key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from baton.expressions.feel.operators import equal
from baton.expressions.feel.temporal import (
    parse_date,
    parse_date_time,
    parse_duration,
    parse_time,
)

TC = "http://www.omg.org/spec/DMN/20160719/testcase"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "dmn-tck"


@dataclass
class ResultNode:
    name: str
    expected: Any
    error_result: bool


@dataclass
class TestCase:
    id: str
    inputs: dict[str, Any]
    results: list[ResultNode] = field(default_factory=list)


def _typed(text: str, xsi_type: str | None) -> Any:
    kind = (xsi_type or "").split(":")[-1]
    if kind in ("decimal", "double", "integer", "int", "long", "float"):
        return Decimal(text.strip())
    if kind == "boolean":
        return text.strip() == "true"
    if kind == "date":
        return parse_date(text.strip())
    if kind == "dateTime":
        return parse_date_time(text.strip())
    if kind == "time":
        return parse_time(text.strip())
    if kind == "duration":
        return parse_duration(text.strip())
    return text


def read_value(holder: etree._Element) -> Any:
    """The value an ``inputNode``, ``expected``, ``component`` or ``item`` holds."""
    for child in holder:
        if not isinstance(child.tag, str):
            continue
        tag = etree.QName(child).localname
        if tag == "value":
            if child.get(f"{{{XSI}}}nil") == "true":
                return None
            nested = [c for c in child if isinstance(c.tag, str)]
            if nested:
                return read_value(child)
            return _typed(child.text or "", child.get(f"{{{XSI}}}type"))
        if tag == "list":
            return [read_value(item) for item in child if etree.QName(item).localname == "item"]
        if tag == "component":
            return {
                str(c.get("name")): read_value(c)
                for c in holder
                if isinstance(c.tag, str) and etree.QName(c).localname == "component"
            }
    if holder.get(f"{{{XSI}}}nil") == "true":
        return None
    return None


def read_tests(path: Path) -> list[TestCase]:
    root = etree.parse(str(path)).getroot()
    cases = []
    for case in root.iter(f"{{{TC}}}testCase"):
        inputs = {
            str(node.get("name")): read_value(node) for node in case.iter(f"{{{TC}}}inputNode")
        }
        test = TestCase(str(case.get("id")), inputs)
        for node in case.iter(f"{{{TC}}}resultNode"):
            expected = node.find(f"{{{TC}}}expected")
            test.results.append(
                ResultNode(
                    str(node.get("name")),
                    None if expected is None else read_value(expected),
                    node.get("errorResult") == "true",
                )
            )
        cases.append(test)
    return cases


def same(actual: Any, expected: Any) -> bool:
    """Whether Baton's FEEL value is the TCK's expected value."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, Decimal):
        if not isinstance(actual, Decimal):
            return False
        if actual == expected:
            return True
        tolerance = Decimal(10) ** (max(expected.adjusted(), actual.adjusted()) - 11)
        return abs(actual - expected) <= tolerance
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return False
        return all(same(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            return False
        return all(same(actual[k], expected[k]) for k in expected)
    if isinstance(expected, str):
        return isinstance(actual, str) and actual == expected
    return equal(actual, expected) is True
