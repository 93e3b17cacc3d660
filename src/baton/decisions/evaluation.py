"""Evaluating a decision of a compiled model: its required decisions first
(the requirements graph, read acyclic), then its own logic — a decision
table (:mod:`.tables`) or a boxed expression — with one step budget for the
whole evaluation.

Names a decision's expressions see: every input given (declared input data
converted to their types, undeclared ones as JSON gives them, declared but
missing ones null), the results of the decisions evaluated so far (its
requirements), and every business knowledge model as a function.

A decision's result is checked against its declared type as DMN says: a
one-item list is unwrapped for a non-list type, a value is wrapped for a
list type, and a value of another type becomes null (with a warning).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import localcontext
from typing import Any

from ..expressions import ExpressionError, juel
from ..expressions.feel import Budget, evaluate_value, from_json, to_json
from ..expressions.feel.evaluator import Evaluator
from ..expressions.feel.limits import DECIMAL, MAX_CALL_DEPTH
from ..expressions.feel.values import TYPE_TESTS, Function, type_name
from .model import DecisionError, Index, find_decision, index
from .tables import TableRun
from .types import TypeMismatch, to_type


def _short(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= 60 else one_line[:57] + "..."


class Evaluation:
    """One call of :func:`evaluate_decision_values`: results (FEEL values)
    of every decision evaluated, the rules that matched, warnings."""

    def __init__(self, found: Index, inputs: Mapping[str, Any]) -> None:
        self.found = found
        self.budget = Budget()
        self.results: dict[str, Any] = {}
        self.matched: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        self.depth = 0
        self.target = ""  # the name of the decision asked for
        self.inputs = self._inputs(inputs)
        self.functions = {
            name: self._knowledge(bkm) for name, bkm in found.knowledge.items() if bkm.get("logic")
        }

    # ---- inputs ----

    def _inputs(self, given: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, value in given.items():
            declared = self.found.inputs.get(name)
            if declared is None:
                try:
                    values[name] = from_json(value)
                except ExpressionError as exc:
                    raise DecisionError(f"input {name!r} {exc}") from None
                continue
            try:
                values[name] = to_type(value, declared.get("type"), self.found.types)
            except (TypeMismatch, ExpressionError) as exc:
                raise DecisionError(
                    f"input {name!r} {exc} (the model declares it {declared.get('type')} "
                    f"on line {declared.get('line')})"
                ) from None
        for name in self.found.inputs:
            values.setdefault(name, None)
        return values

    # ---- the requirements graph ----

    def decision(self, decision: Mapping[str, Any]) -> Any:
        name = decision["name"]
        if name in self.results:
            return self.results[name]
        for required in decision["requires"]["decisions"]:
            self.decision(self.found.decisions[required])
        where = f"decision {name!r} (line {decision.get('line')})"
        scope = {**self.inputs, **self.results, **self.functions}
        value = self.logic(decision["logic"], scope, where, name)
        value = self._conform(value, decision.get("type"), where)
        self.results[name] = value
        return value

    def _knowledge(self, bkm: Mapping[str, Any]) -> Function:
        function = bkm["logic"]
        params = [p["name"] for p in function["params"]]
        where = f"business knowledge model {bkm['name']!r} (line {bkm.get('line')})"

        def call(*args: Any) -> Any:
            self.depth += 1
            if self.depth > MAX_CALL_DEPTH:
                raise DecisionError(f"{where}: invoked more than {MAX_CALL_DEPTH} deep")
            try:
                bound = dict(zip(params, [*args, *[None] * (len(params) - len(args))], strict=True))
                scope = {**self.functions, **bound}
                return self.logic(function["logic"], scope, where, bkm["name"])
            finally:
                self.depth -= 1

        return Function(bkm["name"], params, call=call, signatures=((tuple(params), 0),))

    def _conform(self, value: Any, type_ref: str | None, where: str) -> Any:
        if value is None or type_ref is None or type_ref == "Any":
            return value
        spec = self.found.types.get(type_ref)
        collection = bool(spec and spec.get("collection")) or type_ref == "list"
        if collection and not isinstance(value, list):
            return [value]
        if not collection and isinstance(value, list) and len(value) == 1:
            value = value[0]
        base = type_ref
        while spec is not None and not spec.get("collection") and not spec.get("components"):
            base = spec.get("type") or "Any"
            spec = self.found.types.get(base)
        test = TYPE_TESTS.get(base) if spec is None else None
        if test is not None and not test(value):
            self.warnings.append(
                f"{where}: the result is a {type_name(value)}, not a {base}; it is null"
            )
            return None
        return value

    # ---- decision logic ----

    def expression(self, text: str, language: str, scope: Mapping[str, Any]) -> Any:
        if language == "juel":
            plain = {k: to_json(v) for k, v in scope.items() if not isinstance(v, Function)}
            return from_json(juel.evaluate(text, plain))
        return evaluate_value(text, scope, self.budget)

    def logic(
        self, logic: Mapping[str, Any], scope: Mapping[str, Any], where: str, owner: str
    ) -> Any:
        kind = logic["kind"]
        if kind == "literal":
            try:
                return self.expression(logic["text"], logic["language"], scope)
            except ExpressionError as exc:
                raise DecisionError(
                    f"{where}: the expression `{_short(logic['text'])}` {exc}"
                ) from None
        if kind == "table":
            value, audit = TableRun(logic, where, self.expression, self.budget).run(scope)
            self.matched.append({"decision": owner, **audit})
            return value
        if kind == "context":
            entries: dict[str, Any] = {}
            for entry in logic["entries"]:
                inner = {**scope, **entries}
                value = self.logic(entry["logic"], inner, where, owner)
                if entry["name"] is None:
                    return value
                entries[entry["name"]] = self._conform(value, entry.get("type"), where)
            return entries
        if kind == "list":
            return [self.logic(item, scope, where, owner) for item in logic["items"]]
        if kind == "relation":
            return [
                {
                    col: self.logic(cell, scope, where, owner)
                    for col, cell in zip(logic["columns"], row, strict=True)
                }
                for row in logic["rows"]
            ]
        if kind == "invocation":
            return self._invoke(logic, scope, where, owner)
        if kind == "function":
            return self._function(logic, scope, where, owner)
        if kind == "conditional":
            branch = "then" if self.logic(logic["if"], scope, where, owner) is True else "else"
            return self.logic(logic[branch], scope, where, owner)
        raise DecisionError(
            f"{where}: the model holds {kind!r} logic, which this Baton does not know"
        )

    def _invoke(
        self, logic: Mapping[str, Any], scope: Mapping[str, Any], where: str, owner: str
    ) -> Any:
        try:
            function = evaluate_value(logic["function"], scope, self.budget)
        except ExpressionError as exc:
            raise DecisionError(f"{where}: the invocation of `{logic['function']}` {exc}") from None
        if not isinstance(function, Function):
            raise DecisionError(f"{where}: `{logic['function']}` is not a function to invoke")
        named = {
            b["name"]: (self.logic(b["logic"], scope, where, owner) if b["logic"] else None)
            for b in logic["bindings"]
        }
        try:
            with localcontext(DECIMAL):
                return Evaluator(self.budget).invoke(function, [], named)
        except ExpressionError as exc:
            raise DecisionError(f"{where}: invoking {logic['function']} {exc}") from None

    def _function(
        self, logic: Mapping[str, Any], scope: Mapping[str, Any], where: str, owner: str
    ) -> Function:
        params = [p["name"] for p in logic["params"]]

        def call(*args: Any) -> Any:
            bound = dict(zip(params, [*args, *[None] * (len(params) - len(args))], strict=True))
            return self.logic(logic["logic"], {**scope, **bound}, where, owner)

        return Function("function", params, call=call, signatures=((tuple(params), 0),))


def evaluate_decision_values(
    model: Mapping[str, Any], decision: str | None, inputs: Mapping[str, Any]
) -> tuple[Any, Evaluation]:
    """The FEEL value of ``decision`` (id or name; None: the model's top
    decision) and the evaluation's record. Inputs are JSON or FEEL values."""
    found = index(model)
    target = find_decision(found, decision)
    with localcontext(DECIMAL):
        run = Evaluation(found, inputs)
        run.target = target["name"]
        try:
            value = run.decision(target)
        except RecursionError:
            raise DecisionError(
                f"decision {target['name']!r}: evaluation nested too deeply"
            ) from None
        except ExpressionError as exc:  # a bound exceeded outside any one cell
            raise DecisionError(f"decision {target['name']!r}: {exc}") from None
    return value, run
