"""Decision tables: which rules match, and what the hit policy makes of
them (DMN 1.5 §8.2.10–8.3).

A rule matches when every input entry passes (a test that cannot be told —
a comparison with null, or across types — does not pass). Then:

    UNIQUE        at most one rule may match; more is an error
    ANY           rules may overlap if their outputs are equal; else an error
    FIRST         the first match in rule order
    PRIORITY      the match whose outputs come first in the output values
                  (compared column by column; a column without output
                  values does not take part)
    COLLECT       every match, in rule order; with SUM, MIN, MAX or COUNT
                  the sum, least, greatest or number of the outputs
    RULE ORDER    every match, in rule order
    OUTPUT ORDER  every match, by the output values' order (ties in rule order)

A rule gives one value per output column: the value itself for a single
output, a context ``{output name: value}`` for several. When no rule
matches, the default output entries stand in for a matching rule if the
table has any; otherwise a single-hit table gives null, COLLECT COUNT 0,
the other aggregations null, and the multiple-hit tables an empty list.

Input values and output values are checked as DMN says: an input whose
value (other than null) is not among its input values, or an output entry
whose value is not among its output values, is an error naming the table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..expressions import ExpressionError
from ..expressions.feel import Budget, first_passing, unary_test_value
from ..expressions.feel.functions.conversion import to_text
from ..expressions.feel.operators import compare, equal
from .model import DecisionError

Evaluate = Callable[[str, str, Mapping[str, Any]], Any]  # (text, language, scope) -> value


def _show(value: Any) -> str:
    return str(to_text(value, True))


class TableRun:
    """One evaluation of one decision table."""

    def __init__(
        self,
        table: Mapping[str, Any],
        where: str,
        evaluate: Evaluate,
        budget: Budget,
    ) -> None:
        self.table = table
        self.where = where  # "decision 'X' (line 3)"
        self.evaluate = evaluate
        self.budget = budget

    def fail(
        self, message: str, rule: Mapping[str, Any] | None = None, index: int = 0
    ) -> DecisionError:
        at = f", rule {index} (line {rule['line']})" if rule is not None else ""
        return DecisionError(f"{self.where}{at}: {message}")

    def run(self, scope: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The table's result and the audit record of what matched."""
        table = self.table
        values = [self._input(column, scope) for column in table["inputs"]]
        matched: list[tuple[int, Mapping[str, Any]]] = []
        for index, rule in enumerate(table["rules"], start=1):
            if self._matches(rule, index, values, scope):
                matched.append((index, rule))
        policy = table["hit_policy"]
        if policy == "UNIQUE" and len(matched) > 1:
            numbers = ", ".join(str(i) for i, _ in matched)
            raise self.fail(f"rules {numbers} all match; the UNIQUE hit policy allows one")
        if policy == "FIRST":
            matched = matched[:1]
        audit = {
            "table": table.get("id"),
            "hit_policy": policy + (f" {table['aggregation']}" if table.get("aggregation") else ""),
            "rules": [
                {
                    "index": i,
                    "id": r.get("id"),
                    "line": r.get("line"),
                    "annotations": r.get("annotations") or [],
                }
                for i, r in matched
            ],
            "default": False,
        }
        single = policy in ("UNIQUE", "ANY", "FIRST", "PRIORITY")
        outputs = [(i, self._outputs(rule, i, scope)) for i, rule in matched]
        if not outputs:
            default = self._default(scope)
            if default is None:
                return self._empty(single), audit
            audit["default"] = True
            outputs = [(0, default)]
        if policy == "ANY":
            first = outputs[0][1]
            for i, other in outputs[1:]:
                if equal(self._value(first), self._value(other)) is not True:
                    raise self.fail(
                        f"rules {outputs[0][0]} and {i} match with different outputs "
                        f"({_show(self._value(first))} and {_show(self._value(other))}); "
                        "the ANY hit policy needs them equal"
                    )
            outputs = outputs[:1]
        if policy in ("PRIORITY", "OUTPUT ORDER"):
            outputs = sorted(outputs, key=lambda pair: self._priority(pair[1], scope))
            if policy == "PRIORITY":
                outputs = outputs[:1]
        if policy == "PRIORITY" and audit["rules"]:
            audit["rules"] = [r for r in audit["rules"] if r["index"] == outputs[0][0]]
        results = [self._value(o) for _, o in outputs]
        if single:
            return results[0], audit
        aggregation = table.get("aggregation")
        if aggregation:
            return self._aggregate(aggregation, results), audit
        return results, audit

    def _input(self, column: Mapping[str, Any], scope: Mapping[str, Any]) -> Any:
        try:
            value = self.evaluate(column["text"], column["language"], scope)
        except ExpressionError as exc:
            raise self.fail(f"the input expression `{column['text']}` {exc}") from None
        allowed = column.get("values")
        if allowed and value is not None:
            if unary_test_value(allowed, value, scope, self.budget) is not True:
                raise self.fail(
                    f"the input {column.get('label') or column['text']!r} is {_show(value)}, "
                    f"which is not one of its input values ({allowed})"
                )
        return value

    def _matches(
        self, rule: Mapping[str, Any], index: int, values: list[Any], scope: Mapping[str, Any]
    ) -> bool:
        for position, (test, value) in enumerate(zip(rule["inputs"], values, strict=True), start=1):
            if test == "-":
                continue
            try:
                passed = unary_test_value(test, value, scope, self.budget)
            except ExpressionError as exc:
                raise self.fail(f"input entry {position} `{test}` {exc}", rule, index) from None
            if passed is not True:
                return False
        return True

    def _outputs(self, rule: Mapping[str, Any], index: int, scope: Mapping[str, Any]) -> list[Any]:
        results = []
        for position, (entry, column) in enumerate(
            zip(rule["outputs"], self.table["outputs"], strict=True), start=1
        ):
            try:
                value = self.evaluate(entry["text"], entry["language"], scope)
            except ExpressionError as exc:
                raise self.fail(
                    f"output entry {position} `{entry['text']}` {exc}", rule, index
                ) from None
            self._check_output(column, value, scope, f"rule {index}")
            results.append(value)
        return results

    def _check_output(
        self, column: Mapping[str, Any], value: Any, scope: Mapping[str, Any], who: str
    ) -> None:
        allowed = column.get("values")
        if allowed and value is not None:
            if unary_test_value(allowed, value, scope, self.budget) is not True:
                name = column.get("name") or column.get("label") or "the output"
                raise self.fail(
                    f"{who} gives {name!r} the value {_show(value)}, which is not one of its "
                    f"output values ({allowed})"
                )

    def _default(self, scope: Mapping[str, Any]) -> list[Any] | None:
        columns = self.table["outputs"]
        if not any(column.get("default") for column in columns):
            return None
        results = []
        for column in columns:
            text = column.get("default")
            try:
                value = self.evaluate(text, "feel", scope) if text else None
            except ExpressionError as exc:
                raise self.fail(f"the default output `{text}` {exc}") from None
            self._check_output(column, value, scope, "the default output")
            results.append(value)
        return results

    def _value(self, outputs: list[Any]) -> Any:
        columns = self.table["outputs"]
        if len(columns) == 1:
            return outputs[0]
        return {column["name"]: value for column, value in zip(columns, outputs, strict=True)}

    def _priority(self, outputs: list[Any], scope: Mapping[str, Any]) -> tuple[int, ...]:
        key = []
        for column, value in zip(self.table["outputs"], outputs, strict=True):
            allowed = column.get("values")
            if not allowed:
                continue  # a column without output values does not order the rules
            position = first_passing(allowed, value, scope, self.budget)
            key.append(10**9 if position is None else position)
        return tuple(key)

    def _empty(self, single: bool) -> Any:
        if single:
            return None
        aggregation = self.table.get("aggregation")
        if aggregation == "COUNT":
            return Decimal(0)
        return None if aggregation else []

    def _aggregate(self, aggregation: str, results: list[Any]) -> Any:
        if aggregation == "COUNT":
            return Decimal(len(results))
        present = [r for r in results if r is not None]
        if aggregation == "SUM":
            if not all(isinstance(r, Decimal) for r in present):
                raise self.fail(
                    "COLLECT SUM needs number outputs; got " + ", ".join(map(_show, present))
                )
            total = Decimal(0)
            try:
                for r in present:
                    total += r
            except ArithmeticError:
                raise self.fail("COLLECT SUM overflows FEEL's numbers") from None
            return total if present else None
        best = None
        for r in present:
            if best is None:
                best = r
                continue
            order = compare(r, best)
            if order is None:
                raise self.fail(f"COLLECT {aggregation} cannot order {_show(r)} and {_show(best)}")
            if (order < 0) == (aggregation == "MIN") and order != 0:
                best = r
        return best
