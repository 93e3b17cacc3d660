"""A decide node's result forms: DMN's own value, and Camunda 7's
mapDecisionResult shapes (resultList, singleResult, singleEntry,
collectEntries), each with the errors Camunda gives."""

from __future__ import annotations

from typing import Any

import pytest

from baton.decisions import DecisionError, evaluate_decision
from baton.decisions.results import rule_results, shape_result
from baton.definitions.dmn import read_dmn
from tests.decisions.models import definitions, table

ONE_OUTPUT = table([([">= 18"], ['"adult"']), (["[0..18)"], ['"minor"'])])
TWO_OUTPUTS = table(
    [([">= 18"], ['"adult"', "100"]), (["< 18"], ['"minor"', "10"])],
    outputs=[("Group", None, None), ("Limit", None, None)],
)
COLLECT = table(
    [([">= 18"], ['"vote"']), ([">= 16"], ['"drive"']), ([">= 0"], ['"play"'])],
    hit_policy="COLLECT",
)
COUNT = table(
    [([">= 18"], ['"vote"']), ([">= 16"], ['"drive"'])], hit_policy="COLLECT", aggregation="COUNT"
)
LITERAL = (
    '<decision id="Decision" name="Decision"><literalExpression><text>Age * 2</text>'
    '</literalExpression></decision><inputData id="age" name="Age"/>'
)


def shaped(body: str, age: int, form: str) -> Any:
    model = read_dmn(definitions(body))
    result = evaluate_decision(model, None, {"Age": age})
    return shape_result(model, result.decision, result.value, form)


@pytest.mark.parametrize(
    ("body", "age", "form", "expected"),
    [
        (ONE_OUTPUT, 30, "value", "adult"),
        (ONE_OUTPUT, 30, "resultList", [{"Result": "adult"}]),
        (ONE_OUTPUT, 30, "singleResult", {"Result": "adult"}),
        (ONE_OUTPUT, 30, "singleEntry", "adult"),
        (ONE_OUTPUT, 30, "collectEntries", ["adult"]),
        (ONE_OUTPUT, -1, "resultList", []),  # no rule matched
        (ONE_OUTPUT, -1, "singleResult", None),
        (ONE_OUTPUT, -1, "singleEntry", None),
        (TWO_OUTPUTS, 30, "value", {"Group": "adult", "Limit": 100}),
        (TWO_OUTPUTS, 30, "resultList", [{"Group": "adult", "Limit": 100}]),
        (TWO_OUTPUTS, 30, "singleResult", {"Group": "adult", "Limit": 100}),
        (COLLECT, 17, "value", ["drive", "play"]),
        (COLLECT, 17, "resultList", [{"Result": "drive"}, {"Result": "play"}]),
        (COLLECT, 17, "collectEntries", ["drive", "play"]),
        (COLLECT, 5, "singleEntry", "play"),
        (COUNT, 20, "singleEntry", 2),
        (LITERAL, 4, "resultList", [{"Decision": 8}]),
        (LITERAL, 4, "singleEntry", 8),
    ],
)
def test_each_form_shapes_the_result_as_camunda_does(body, age, form, expected):
    assert shaped(body, age, form) == expected


@pytest.mark.parametrize(
    ("body", "age", "form", "message"),
    [
        (COLLECT, 30, "singleResult", "decision 'Decision' gave 3 results; singleResult needs"),
        (COLLECT, 30, "singleEntry", "gave 3 results; singleEntry needs at most one"),
        (TWO_OUTPUTS, 30, "singleEntry", "the outputs Group, Limit; singleEntry needs exactly"),
        (TWO_OUTPUTS, 30, "collectEntries", "collectEntries needs one output per result"),
        (ONE_OUTPUT, 30, "firstResult", "unknown result form 'firstResult'"),
    ],
)
def test_a_result_that_does_not_fit_its_form_is_an_error(body, age, form, message):
    with pytest.raises(DecisionError, match=message):
        shaped(body, age, form)


def test_rule_results_of_a_decision_named_by_its_id():
    model = read_dmn(definitions(TWO_OUTPUTS))
    assert rule_results(model, "Decision", {"Group": "minor", "Limit": 10}) == [
        {"Group": "minor", "Limit": 10}
    ]
