"""FEEL text to a syntax tree (:mod:`.nodes`): a Pratt parser over the
lexer's tokens, for expressions (DMN 1.5 chapter 10 grammar) and for unary
tests (decision-table input entries: ``-``, ``< 5``, ``[1..10)``,
``"a", "b"``, ``not(...)``).

Precedence, loosest first: ``or``; ``and``; comparisons, ``between``,
``in``, ``instance of``; ``+ -``; ``* /``; ``**`` (left-associative, as the
DMN TCK expects: ``3 ** 4 ** 5`` is ``81 ** 5``); unary minus (so ``-3 ** 2``
is 9); then paths, filters and calls. ``if``, ``for``, ``some``/``every``
and ``function`` read a whole expression as their last part.
"""

from __future__ import annotations

from decimal import InvalidOperation
from functools import lru_cache

from ..restricted import ExpressionError
from . import nodes as n
from .lexer import Token, tokenize
from .limits import DECIMAL, MAX_DEPTH
from .temporal import parse_date, parse_date_time, parse_duration, parse_time

RESERVED = frozenset(
    {
        "and",
        "or",
        "in",
        "between",
        "then",
        "else",
        "return",
        "satisfies",
        "if",
        "for",
        "some",
        "every",
        "function",
        "true",
        "false",
        "null",
    }
)
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
_BINDING = {
    "or": 10,
    "and": 20,
    **{op: 30 for op in COMPARISONS},
    "between": 30,
    "in": 30,
    "instance": 30,
    "+": 40,
    "-": 40,
    "*": 50,
    "/": 50,
    "**": 60,
    ".": 80,
    "[": 80,
    "(": 80,
}
_NEGATION = 70
TYPE_NAMES = (
    "date and time",
    "days and time duration",
    "years and months duration",
)


@lru_cache(maxsize=4096)
def parse_expression(source: str, known: tuple[str, ...] = ()) -> n.Node:
    """The tree of a FEEL expression; ``known`` are special names (see
    :func:`.lexer.special_names`). An :class:`ExpressionError` says what
    is wrong and at which column."""
    parser = _Parser(tokenize(source, known))
    node = parser.expression()
    parser.expect_end()
    return node


@lru_cache(maxsize=4096)
def parse_unary_tests(source: str, known: tuple[str, ...] = ()) -> n.UnaryTests:
    """The tree of a decision-table input entry."""
    parser = _Parser(tokenize(source, known))
    tests = parser.unary_tests()
    parser.expect_end()
    return tests


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end"
    if token.kind == "string":
        return f'"{token.text}"'
    return repr(token.text)


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.uses_input = False  # whether ``?`` was read (unary tests)

    # ---- token helpers ----

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def at(self, text: str, kind: str = "op") -> bool:
        return self.token.kind == kind and self.token.text == text

    def at_word(self, word: str) -> bool:
        return self.at(word, "name")

    def fail(self, expected: str, token: Token | None = None) -> ExpressionError:
        token = token or self.token
        return ExpressionError(
            f"is not valid FEEL: expected {expected} at column {token.column}, "
            f"found {_describe(token)}"
        )

    def expect(self, text: str, kind: str = "op") -> Token:
        if not self.at(text, kind):
            raise self.fail(repr(text))
        return self.advance()

    def expect_end(self) -> None:
        if self.token.kind != "end":
            raise self.fail("an operator or the end")

    def name(self, what: str = "a name") -> str:
        """A (possibly multi-word) name: adjacent name tokens joined."""
        if self.token.kind != "name" or self.token.text in RESERVED:
            raise self.fail(what)
        words = [self.advance().text]
        while self.token.kind == "name" and not self._stops_name():
            words.append(self.advance().text)
        return " ".join(words)

    def _stops_name(self) -> bool:
        text = self.token.text
        if text in RESERVED:
            return True
        return text == "instance" and self.peek().kind == "name" and self.peek().text == "of"

    # ---- expressions ----

    def expression(self, min_binding: int = 0, range_end: bool = False) -> n.Node:
        """An expression whose operators bind tighter than ``min_binding``;
        ``range_end``: a ``[`` after it closes a range (``[1..10[``), not a filter."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                f"nests more than {MAX_DEPTH} levels deep (column {self.token.column})"
            )
        entered = self.depth
        try:
            left = self.prefix()
            while True:
                token = self.token
                op = token.text if token.kind in ("op", "name") else ""
                binding = _BINDING.get(op, 0)
                if op == "instance" and not (
                    self.peek().kind == "name" and self.peek().text == "of"
                ):
                    binding = 0
                if binding <= min_binding or (range_end and op == "["):
                    return left
                # a chain (1 + 1 + ...) deepens the tree as nesting does
                self.depth += 1
                if self.depth > MAX_DEPTH:
                    raise ExpressionError(
                        f"nests more than {MAX_DEPTH} levels deep (column {token.column})"
                    )
                left = self.infix(left, op)
        finally:
            self.depth = entered - 1

    def infix(self, left: n.Node, op: str) -> n.Node:
        token = self.advance()
        column = left.column
        if op in ("or", "and"):
            return n.Logic(column, op, left, self.expression(_BINDING[op]))
        if op in COMPARISONS:
            return n.Compare(column, op, left, self.expression(30))
        if op == "between":
            low = self.expression(30)
            if not self.at_word("and"):
                raise self.fail("'and' (between ... and ...)")
            self.advance()
            return n.Between(column, left, low, self.expression(30))
        if op == "in":
            return n.In(column, left, self.in_tests())
        if op == "instance":
            self.advance()  # of
            return n.InstanceOf(column, left, self.type_name())
        if op in ("+", "-", "*", "/", "**"):
            return n.Arithmetic(token.column, op, left, self.expression(_BINDING[op]))
        if op == ".":
            return n.Path(column, left, self.name("a name after '.'"))
        if op == "[":
            condition = self.expression()
            self.expect("]")
            return n.Filter(column, left, condition)
        if op == "(":
            return self.call(left)
        raise self.fail("an operator", token)  # pragma: no cover - bindings cover every op

    def type_name(self) -> str:
        start = self.token
        text = self.name("a type name")
        if self.at("<"):
            raise ExpressionError(
                f"uses a parameterised type ({text}<...>) at column {start.column}, "
                "which Baton's FEEL does not support"
            )
        return text

    def call(self, callee: n.Node) -> n.Node:
        args: list[n.Node] = []
        named: list[tuple[str, n.Node]] = []
        if not self.at(")"):
            while True:
                if self._named_argument():
                    key = self.name()
                    self.expect(":")
                    named.append((key, self.expression()))
                elif named:
                    raise self.fail("a named argument (arguments are all named or all positional)")
                else:
                    args.append(self.expression())
                if not self.at(","):
                    break
                self.advance()
        self.expect(")")
        if args and named:
            raise self.fail("only positional or only named arguments")
        return n.Call(callee.column, callee, tuple(args), tuple(named))

    def _named_argument(self) -> bool:
        ahead = 0
        while self.peek(ahead).kind == "name" and self.peek(ahead).text not in RESERVED:
            ahead += 1
        return ahead > 0 and self.peek(ahead).kind == "op" and self.peek(ahead).text == ":"

    def prefix(self) -> n.Node:
        token = self.token
        column = token.column
        if token.kind == "number":
            self.advance()
            try:
                return n.Literal(column, DECIMAL.create_decimal(token.text))
            except (InvalidOperation, ArithmeticError):
                raise ExpressionError(
                    f"has a number out of FEEL's range at column {column}"
                ) from None
        if token.kind == "string":
            self.advance()
            return n.Literal(column, token.text)
        if token.kind == "name":
            return self.word()
        if token.kind == "op":
            text = token.text
            if text == "-":
                self.advance()
                return n.Negate(column, self.expression(_NEGATION))
            if text == "@":
                self.advance()
                return self.at_literal(column)
            if text == "(":
                return self.parenthesised()
            if text == "[":
                return self.bracketed()
            if text == "]":
                self.advance()
                return self.range_rest(column, False)
            if text == "{":
                return self.context()
        if token.kind == "end":
            raise self.fail("an expression")
        raise self.fail("an expression")

    def word(self) -> n.Node:
        token = self.token
        column = token.column
        text = token.text
        if text in ("true", "false"):
            self.advance()
            return n.Literal(column, text == "true")
        if text == "null":
            self.advance()
            return n.Literal(column, None)
        if text == "if":
            self.advance()
            condition = self.expression()
            self._keyword("then")
            then = self.expression()
            self._keyword("else")
            return n.If(column, condition, then, self.expression())
        if text == "for":
            self.advance()
            iterations = self.iterations()
            self._keyword("return")
            return n.For(column, iterations, self.expression())
        if text in ("some", "every"):
            self.advance()
            iterations = self.iterations()
            self._keyword("satisfies")
            return n.Quantified(column, text == "every", iterations, self.expression())
        if text == "function":
            self.advance()
            return self.function_definition(column)
        if text == "?":
            self.advance()
            self.uses_input = True
            return n.Name(column, "?")
        return n.Name(column, self.name())

    def _keyword(self, word: str) -> None:
        if not self.at_word(word):
            raise self.fail(repr(word))
        self.advance()

    def iterations(self) -> tuple[n.Iteration, ...]:
        found = []
        while True:
            column = self.token.column
            name = self.name("a variable name")
            self._keyword("in")
            domain = self.expression()
            until = None
            if self.at(".."):
                self.advance()
                until = self.expression()
            found.append(n.Iteration(column, name, domain, until))
            if not self.at(","):
                return tuple(found)
            self.advance()

    def function_definition(self, column: int) -> n.Node:
        self.expect("(")
        params: list[str] = []
        if not self.at(")"):
            while True:
                params.append(self.name("a parameter name"))
                if self.at(":"):
                    self.advance()
                    self.type_name()
                if not self.at(","):
                    break
                self.advance()
        self.expect(")")
        if self.at_word("external"):
            raise ExpressionError(
                f"defines an external function at column {column}, which Baton's FEEL refuses "
                "(it would call Java or PMML)"
            )
        return n.FunctionDef(column, tuple(params), self.expression())

    def at_literal(self, column: int) -> n.Node:
        if self.token.kind != "string":
            raise self.fail('a string after @ (@"2020-01-01")')
        text = self.advance().text
        value = (
            parse_duration(text)
            if text.startswith(("P", "-P"))
            else parse_date_time(text)
            if "T" in text
            else parse_date(text)
            if text.count("-") >= 2
            else parse_time(text)
        )
        if value is None:
            # valid syntax; an error when evaluated (as FEEL's date("...") is null)
            return n.BadLiteral(column, text)
        return n.Literal(column, value)

    def parenthesised(self) -> n.Node:
        column = self.advance().column
        if self.token.kind == "op" and self.token.text in COMPARISONS:
            test = self.comparison_test()
            self.expect(")")
            return test
        first = self.expression()
        if self.at(".."):
            self.advance()
            return self.range_rest(column, False, first)
        self.expect(")")
        return first

    def comparison_test(self) -> n.Node:
        """``< 10`` as a value: a range unbounded on one side (``=`` and
        ``!=`` keep their test form)."""
        token = self.advance()
        endpoint = self.expression(30)
        op = token.text
        if op in ("<", "<="):
            return n.RangeOf(token.column, None, endpoint, False, op == "<=")
        if op in (">", ">="):
            return n.RangeOf(token.column, endpoint, None, op == ">=", False)
        return n.TestCompare(token.column, op, endpoint)

    def bracketed(self) -> n.Node:
        column = self.advance().column
        if self.at("]"):
            self.advance()
            return n.ListOf(column, ())
        first = self.expression()
        if self.at(".."):
            self.advance()
            return self.range_rest(column, True, first)
        items = [first]
        while self.at(","):
            self.advance()
            items.append(self.expression())
        self.expect("]")
        return n.ListOf(column, tuple(items))

    def range_rest(self, column: int, start_included: bool, start: n.Node | None = None) -> n.Node:
        """The rest of a range after its opening bracket (and its start)."""
        if start is None:
            start = self.expression()
            self.expect("..")
        end = self.expression(range_end=True)
        closing = self.token
        if closing.kind == "op" and closing.text in ("]", ")", "["):
            self.advance()
            return n.RangeOf(column, start, end, start_included, closing.text == "]")
        raise self.fail("']', ')' or '[' to close the range")

    def context(self) -> n.Node:
        column = self.advance().column
        entries: list[tuple[str, n.Node]] = []
        keys: set[str] = set()
        if not self.at("}"):
            while True:
                key_token = self.token
                if key_token.kind == "string":
                    key = self.advance().text
                else:
                    key = self.name("a key (a name or a string)")
                if key in keys:
                    raise ExpressionError(
                        f"has the key {key!r} twice in a context (column {key_token.column})"
                    )
                keys.add(key)
                self.expect(":")
                entries.append((key, self.expression()))
                if not self.at(","):
                    break
                self.advance()
        self.expect("}")
        return n.ContextOf(column, tuple(entries))

    # ---- unary tests ----

    def in_tests(self) -> n.UnaryTests:
        """The right side of ``in``: one positive unary test, or several
        in parentheses."""
        column = self.token.column
        if self.at("("):
            start = self.pos
            self.advance()
            if self.token.kind == "op" and self.token.text in COMPARISONS or self._list_ahead():
                tests = self.positive_tests()
                self.expect(")")
                return n.UnaryTests(column, tuple(tests))
            self.pos = start
        return n.UnaryTests(column, (self.positive_test(30),))

    def _list_ahead(self) -> bool:
        """Whether the parenthesised group at the cursor holds a top-level comma."""
        level = 0
        for token in self.tokens[self.pos :]:
            if token.kind == "op" and token.text in "([{":
                level += 1
            elif token.kind == "op" and token.text in ")]}":
                if level == 0:
                    return False
                level -= 1
            elif token.kind == "op" and token.text == "," and level == 0:
                return True
            elif token.kind == "end":
                return False
        return False

    def unary_tests(self) -> n.UnaryTests:
        column = self.token.column
        if self.at("-") and self.peek().kind == "end":
            self.advance()
            return n.UnaryTests(column, (), anything=True)
        if self.at_word("not") and self.peek().kind == "op" and self.peek().text == "(":
            start = self.pos
            self.advance()
            self.advance()
            tests = self.positive_tests()
            self.expect(")")
            if self.token.kind == "end":
                return n.UnaryTests(column, tuple(tests), negated=True)
            self.pos = start  # not(x) = y: an expression that starts with not(...)
        return n.UnaryTests(column, tuple(self.positive_tests()))

    def positive_tests(self) -> list[n.Node]:
        tests = [self.positive_test()]
        while self.at(","):
            self.advance()
            tests.append(self.positive_test())
        return tests

    def positive_test(self, binding: int = 0) -> n.Node:
        token = self.token
        if token.kind == "op" and token.text in COMPARISONS:
            self.advance()
            return n.TestCompare(token.column, token.text, self.expression(30))
        self.uses_input = False
        expression = self.expression(binding)
        if isinstance(expression, n.RangeOf):
            return expression
        return n.TestExpression(token.column, expression, self.uses_input)
