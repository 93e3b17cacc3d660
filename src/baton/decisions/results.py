"""What a decide node hands on: the decision's result as DMN defines it
(``value``), or one of the shapes Camunda 7 maps a decision's result to
(``camunda:mapDecisionResult`` on a business-rule task).

Camunda sees a decision's result as a list of *rule results*, each an
object of output name to value: one per matching rule of a decision table
(one for a single-hit table, or for an aggregation), one holding the value
under the decision's name for any other logic. Then:

    resultList      the list of rule results (Camunda's default)
    singleResult    the one rule result (null when none; more is an error)
    singleEntry     the one value of the one rule result (null when none;
                    more rules or more outputs are an error)
    collectEntries  the list of each rule result's one value (a rule result
                    with several outputs is an error)

Plain standard library: imported by workflow code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import DecisionError, find_decision, index

VALUE = "value"
CAMUNDA_FORMS = ("resultList", "singleResult", "singleEntry", "collectEntries")
RESULT_FORMS = (VALUE, *CAMUNDA_FORMS)
SINGLE_HIT = ("UNIQUE", "ANY", "FIRST", "PRIORITY")


def shape_result(model: Mapping[str, Any], decision: str, value: Any, form: str) -> Any:
    """``value`` (the JSON result of ``decision``, its name) in ``form``."""
    if form == VALUE:
        return value
    if form not in CAMUNDA_FORMS:
        raise DecisionError(f"unknown result form {form!r}; one of {', '.join(RESULT_FORMS)}")
    rules = rule_results(model, decision, value)
    where = f"decision {decision!r}"
    if form == "resultList":
        return rules
    if form == "collectEntries":
        wide = [r for r in rules if len(r) != 1]
        if wide:
            raise DecisionError(
                f"{where} gave a result with the outputs {', '.join(wide[0])}; "
                "collectEntries needs one output per result"
            )
        return [next(iter(r.values())) for r in rules]
    if len(rules) > 1:
        raise DecisionError(
            f"{where} gave {len(rules)} results; {form} needs at most one (use resultList "
            "or collectEntries, or a single-hit table)"
        )
    if not rules:
        return None
    if form == "singleResult":
        return rules[0]
    if len(rules[0]) != 1:
        raise DecisionError(
            f"{where} gave a result with the outputs {', '.join(rules[0])}; "
            "singleEntry needs exactly one (use singleResult)"
        )
    return next(iter(rules[0].values()))


def rule_results(model: Mapping[str, Any], decision: str, value: Any) -> list[dict[str, Any]]:
    """The decision's result as Camunda's list of rule results."""
    found = find_decision(index(model), decision)
    logic = found.get("logic") or {}
    if logic.get("kind") != "table":
        return [{found["name"]: value}]
    outputs = logic.get("outputs") or []
    names = [str(o.get("name") or o.get("label") or o.get("id") or "") for o in outputs]
    multiple = logic.get("hit_policy") not in SINGLE_HIT and not logic.get("aggregation")
    if value is None:
        return []
    items = value if multiple and isinstance(value, list) else [value]
    if len(names) == 1:
        return [{names[0]: item} for item in items]
    return [dict(item) if isinstance(item, dict) else {found["name"]: item} for item in items]
