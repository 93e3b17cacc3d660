"""The syntax tree of a FEEL expression or of a list of unary tests: what
the parser builds and the evaluator walks. Every node keeps the column it
starts at, for error messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Node:
    column: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any  # a FEEL value: Decimal, str, bool, None, a temporal value


@dataclass(frozen=True, slots=True)
class BadLiteral(Node):
    """``@"..."`` whose text is no date, time or duration: an error when evaluated."""

    text: str


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True)
class ListOf(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ContextOf(Node):
    entries: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class RangeOf(Node):
    start: Node | None  # None: unbounded (``< 10``)
    end: Node | None
    start_included: bool
    end_included: bool


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Arithmetic(Node):
    op: str  # + - * / **
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: str  # = != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Logic(Node):
    op: str  # and, or
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Between(Node):
    value: Node
    low: Node
    high: Node


@dataclass(frozen=True, slots=True)
class In(Node):
    value: Node
    tests: UnaryTests


@dataclass(frozen=True, slots=True)
class InstanceOf(Node):
    value: Node
    type_name: str


@dataclass(frozen=True, slots=True)
class If(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Iteration(Node):
    name: str
    domain: Node
    until: Node | None  # ``for i in 1..n``: the end of an integer range


@dataclass(frozen=True, slots=True)
class For(Node):
    iterations: tuple[Iteration, ...]
    body: Node


@dataclass(frozen=True, slots=True)
class Quantified(Node):
    every: bool  # every ... satisfies; else some ... satisfies
    iterations: tuple[Iteration, ...]
    condition: Node


@dataclass(frozen=True, slots=True)
class FunctionDef(Node):
    params: tuple[str, ...]
    body: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    callee: Node
    args: tuple[Node, ...]
    named: tuple[tuple[str, Node], ...]  # f(a: 1, b: 2); empty when positional


@dataclass(frozen=True, slots=True)
class Path(Node):
    target: Node
    name: str


@dataclass(frozen=True, slots=True)
class Filter(Node):
    target: Node
    condition: Node


# ---- unary tests (decision-table input entries; the right side of ``in``) ----


@dataclass(frozen=True, slots=True)
class TestCompare(Node):
    op: str  # < <= > >= = !=
    endpoint: Node


@dataclass(frozen=True, slots=True)
class TestExpression(Node):
    """An expression as a test: equal to the input, a list or range holding
    it, or — when it uses ``?``, or gives a boolean for an input that is not
    one — true."""

    expression: Node
    uses_input: bool


@dataclass(frozen=True, slots=True)
class UnaryTests(Node):
    tests: tuple[Node, ...]  # TestCompare, RangeOf, TestExpression; any of them passes
    negated: bool = False  # not(...)
    anything: bool = False  # -
