"""Evaluating decisions: every hit policy, required decisions, knowledge
models, input and output values, types, the audit of matched rules — and
that evaluation is pure, deterministic, bounded and plain standard library."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import pytest

from baton.decisions import DecisionError, evaluate_decision
from baton.definitions.dmn import read_dmn

from .models import definitions, table

RULES = [
    (["< 18"], ['"minor"']),
    (["[18..65)"], ['"adult"']),
    ([">= 60"], ['"senior"']),
]


def model_of(body: str) -> dict[str, Any]:
    return read_dmn(definitions(body), "test.dmn")


def decide(body: str, inputs: dict[str, Any], decision: str | None = None) -> Any:
    return evaluate_decision(model_of(body), decision, inputs)


def test_unique_gives_the_one_match_and_refuses_two() -> None:
    assert decide(table(RULES), {"Age": 30}).value == "adult"
    assert decide(table(RULES), {"Age": None}).value is None  # no rule matches null
    with pytest.raises(DecisionError) as caught:
        decide(table(RULES), {"Age": 62})
    assert str(caught.value) == (
        "decision 'Decision' (line 3): rules 2, 3 all match; the UNIQUE hit policy allows one"
    )


def test_first_gives_the_first_match() -> None:
    result = decide(table(RULES, hit_policy="FIRST"), {"Age": 62})
    assert result.value == "adult"
    assert [r["index"] for r in result.matched[0]["rules"]] == [2]


def test_priority_orders_by_output_values() -> None:
    body = table(
        RULES, hit_policy="PRIORITY", outputs=[("Result", '"senior","adult","minor"', None)]
    )
    result = decide(body, {"Age": 62})
    assert result.value == "senior"
    assert [r["index"] for r in result.matched[0]["rules"]] == [3]


def test_any_needs_equal_outputs() -> None:
    rules = [([">= 18"], ['"yes"']), ([">= 21"], ['"yes"']), ([">= 65"], ['"no"'])]
    assert decide(table(rules, hit_policy="ANY"), {"Age": 30}).value == "yes"
    with pytest.raises(DecisionError, match="rules 1 and 3 match with different outputs"):
        decide(table(rules, hit_policy="ANY"), {"Age": 70})


@pytest.mark.parametrize(
    ("hit_policy", "aggregation", "age", "expected"),
    [
        ("COLLECT", None, 62, ["adult", "senior"]),
        ("RULE ORDER", None, 62, ["adult", "senior"]),
        ("COLLECT", None, None, []),
    ],
)
def test_multiple_hits(hit_policy: str, aggregation: str | None, age: Any, expected: Any) -> None:
    body = table(RULES, hit_policy=hit_policy, aggregation=aggregation)
    assert decide(body, {"Age": age}).value == expected


def test_output_order_sorts_by_output_values() -> None:
    body = table(
        RULES, hit_policy="OUTPUT ORDER", outputs=[("Result", '"senior","adult","minor"', None)]
    )
    assert decide(body, {"Age": 62}).value == ["senior", "adult"]


NUMBERS = [([">= 1"], ["10"]), ([">= 2"], ["5"]), ([">= 3"], ["20"])]


@pytest.mark.parametrize(
    ("aggregation", "age", "expected"),
    [
        ("SUM", 3, 35),
        ("MIN", 3, 5),
        ("MAX", 3, 20),
        ("COUNT", 3, 3),
        ("COUNT", 0, 0),
        ("SUM", 0, None),
        ("SUM", 1.5, 10),
    ],
)
def test_collect_aggregations(aggregation: str, age: Any, expected: Any) -> None:
    body = table(NUMBERS, hit_policy="COLLECT", aggregation=aggregation)
    assert decide(body, {"Age": age}).value == expected


def test_several_outputs_give_a_context_per_rule() -> None:
    body = table(
        [([">= 18"], ['"ok"', "0.5"]), (["-"], ['"check"', "1"])],
        hit_policy="RULE ORDER",
        outputs=[("Status", None, None), ("Rate", None, None)],
    )
    assert decide(body, {"Age": 20}).value == [
        {"Status": "ok", "Rate": 0.5},
        {"Status": "check", "Rate": 1},
    ]


def test_default_outputs_stand_in_when_no_rule_matches() -> None:
    body = table(
        [([">= 18"], ['"ok"', "1"])],
        outputs=[("Status", None, '"refused"'), ("Rate", None, None)],
    )
    result = decide(body, {"Age": 5})
    assert result.value == {"Status": "refused", "Rate": None}
    assert result.matched[0]["default"] is True and result.matched[0]["rules"] == []


def test_input_values_and_output_values_are_checked() -> None:
    body = table(RULES, input_values={"Age": "[0..150]"})
    with pytest.raises(DecisionError) as caught:
        decide(body, {"Age": 200})
    assert "the input 'Age' is 200, which is not one of its input values ([0..150])" in str(
        caught.value
    )
    body = table([(["-"], ['"maybe"'])], outputs=[("Result", '"yes","no"', None)])
    with pytest.raises(DecisionError) as caught:
        decide(body, {"Age": 1})
    assert (
        "rule 1 gives 'Result' the value \"maybe\", which is not one of its output values"
        in str(caught.value)
    )


def test_inputs_take_their_declared_types() -> None:
    body = table(
        [(['< date("2024-01-01")'], ['"old"']), (["-"], ['"new"'])],
        hit_policy="FIRST",
        inputs=[("Since", "date")],
    )
    assert decide(body, {"Since": "2023-05-01"}).value == "old"
    with pytest.raises(DecisionError) as caught:
        decide(body, {"Since": "yesterday"})
    assert "input 'Since' 'yesterday' is not a date (ISO 8601)" in str(caught.value)
    with pytest.raises(DecisionError, match="input 'Age' is a string, not a number"):
        decide(table(RULES), {"Age": "30"})


def test_dates_and_durations_come_out_as_iso_text() -> None:
    body = (
        '<decision id="d" name="Due"><variable name="Due" typeRef="date"/>'
        '<informationRequirement><requiredInput href="#s"/></informationRequirement>'
        '<literalExpression><text>Start + duration("P1M")</text></literalExpression></decision>'
        '<inputData id="s" name="Start"><variable name="Start" typeRef="date"/></inputData>'
    )
    assert decide(body, {"Start": "2024-01-31"}).value == "2024-02-29"


DRG = (
    table([(["< 18"], ["true"]), ([">= 18"], ["false"])], name="Is Minor")
    + '<decision id="Greeting" name="Greeting">'
    '<informationRequirement><requiredDecision href="#Is_Minor"/></informationRequirement>'
    '<decisionTable id="t2" hitPolicy="UNIQUE">'
    '<input id="i2"><inputExpression typeRef="boolean"><text>Is Minor</text></inputExpression>'
    '</input><output id="o2" name="Greeting"/>'
    '<rule id="g1"><inputEntry><text>true</text></inputEntry><outputEntry><text>"Hi"</text>'
    "</outputEntry></rule>"
    '<rule id="g2"><inputEntry><text>false</text></inputEntry><outputEntry><text>"Hello"</text>'
    "</outputEntry></rule></decisionTable></decision>"
)


def test_required_decisions_are_evaluated_first() -> None:
    result = decide(DRG, {"Age": 12})
    assert result.decision == "Greeting" and result.value == "Hi"
    assert result.decisions == {"Is Minor": True, "Greeting": "Hi"}
    assert [(m["decision"], [r["id"] for r in m["rules"]]) for m in result.matched] == [
        ("Is Minor", ["r1"]),
        ("Greeting", ["g1"]),
    ]
    assert decide(DRG, {"Age": 12}, "Is_Minor").value is True  # by id
    assert decide(DRG, {"Age": 40}, "Is Minor").value is False  # by name
    with pytest.raises(DecisionError, match="the model has no decision 'Nope'"):
        decide(DRG, {}, "Nope")


KNOWLEDGE = (
    '<businessKnowledgeModel id="k" name="Fee"><encapsulatedLogic>'
    '<formalParameter name="amount" typeRef="number"/><formalParameter name="rate"/>'
    "<literalExpression><text>amount * rate</text></literalExpression>"
    "</encapsulatedLogic></businessKnowledgeModel>"
    '<decision id="d" name="Total">'
    '<knowledgeRequirement><requiredKnowledge href="#k"/></knowledgeRequirement>'
    '<context><contextEntry><variable name="base"/><literalExpression><text>100</text>'
    "</literalExpression></contextEntry>"
    '<contextEntry><variable name="fee"/><invocation><literalExpression><text>Fee</text>'
    '</literalExpression><binding><parameter name="amount"/><literalExpression><text>base'
    '</text></literalExpression></binding><binding><parameter name="rate"/><literalExpression>'
    "<text>0.1</text></literalExpression></binding></invocation></contextEntry>"
    "<contextEntry><literalExpression><text>base + fee + Fee(10, 2)</text></literalExpression>"
    "</contextEntry></context></decision>"
)


def test_knowledge_models_contexts_and_invocations() -> None:
    assert decide(KNOWLEDGE, {}).value == 130


BOXED = (
    '<decision id="d" name="Boxed"><variable name="Boxed"/>'
    '<informationRequirement><requiredInput href="#n"/></informationRequirement>'
    "<context>"
    '<contextEntry><variable name="kind"/><conditional><if><literalExpression><text>n &gt; 2'
    '</text></literalExpression></if><then><literalExpression><text>"many"</text>'
    '</literalExpression></then><else><literalExpression><text>"few"</text>'
    "</literalExpression></else></conditional></contextEntry>"
    '<contextEntry><variable name="items"/><list><literalExpression><text>n</text>'
    "</literalExpression><literalExpression><text>n * 2</text></literalExpression></list>"
    "</contextEntry>"
    '<contextEntry><variable name="rows"/><relation><column name="a"/><column name="b"/>'
    "<row><literalExpression><text>1</text></literalExpression><literalExpression>"
    "<text>items[2]</text></literalExpression></row></relation></contextEntry>"
    '<contextEntry><variable name="big"/><literalExpression expressionLanguage="juel">'
    "<text>${n gt 2}</text></literalExpression></contextEntry>"
    "</context></decision>"
    '<inputData id="n" name="n"><variable name="n" typeRef="number"/></inputData>'
)


def test_boxed_conditionals_lists_relations_and_juel() -> None:
    assert decide(BOXED, {"n": 3}).value == {
        "kind": "many",
        "items": [3, 6],
        "rows": [{"a": 1, "b": 6}],
        "big": True,
    }
    assert decide(BOXED, {"n": 1}).value["kind"] == "few"


def test_a_result_of_another_type_is_null_with_a_warning() -> None:
    body = (
        '<decision id="d" name="D"><variable name="D" typeRef="number"/>'
        '<literalExpression><text>"seven"</text></literalExpression></decision>'
    )
    result = decide(body, {})
    assert result.value is None
    assert result.warnings == [
        "decision 'D' (line 3): the result is a string, not a number; it is null"
    ]


def test_errors_name_the_decision_and_the_cell() -> None:
    body = table([(["> limit"], ['"over"'])], name="Check")
    with pytest.raises(DecisionError) as caught:
        decide(body, {"Age": 5})
    assert str(caught.value).startswith("decision 'Check' (line 3), rule 1 (line 3): input entry 1")
    assert "unknown name 'limit' at column 3 (known: Age)" in str(caught.value)


def test_evaluation_is_bounded() -> None:
    body = (
        '<decision id="d" name="Spin"><literalExpression><text>'
        "count(for i in 1..1000, j in 1..1000 return 1)</text></literalExpression></decision>"
    )
    with pytest.raises(DecisionError, match="evaluation steps|would build a list"):
        decide(body, {})


def test_evaluation_is_pure_and_deterministic() -> None:
    model = model_of(DRG)
    frozen = copy.deepcopy(model)
    inputs = {"Age": 12}
    first = evaluate_decision(model, None, inputs).to_dict()
    assert evaluate_decision(model, None, inputs).to_dict() == first
    assert model == frozen and inputs == {"Age": 12}
    assert json.loads(json.dumps(first)) == first


def test_a_model_of_another_format_is_refused() -> None:
    with pytest.raises(DecisionError, match="format 'baton.dmn/0'; this Baton reads 'baton.dmn/1'"):
        evaluate_decision({"format": "baton.dmn/0"}, None, {})


def test_several_top_decisions_need_a_name() -> None:
    body = table(RULES, name="A") + (
        '<decision id="b" name="B"><literalExpression><text>1</text></literalExpression></decision>'
    )
    with pytest.raises(DecisionError, match=r"several decisions no other requires \(A, B\)"):
        decide(body, {"Age": 1})


def test_decisions_and_feel_import_only_the_standard_library() -> None:
    """They run inside workflow code: no lxml, pydantic, YAML or I/O clients."""
    probe = (
        "import sys\n"
        "import baton.decisions, baton.expressions.feel, baton.expressions.juel\n"
        "heavy = ('lxml', 'pydantic', 'yaml', 'httpx', 'temporalio', 'rich', 'typer',\n"
        "         'baton.definitions', 'baton.config', 'baton.runtime')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
