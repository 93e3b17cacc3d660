"""Reading DMN XML into the compiled decision model: every DMN version's
namespace, and every problem named by element type, id and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from baton.decisions import FORMAT, evaluate_decision
from baton.definitions.dmn import read_dmn, read_dmn_file
from baton.errors import DefinitionError

from .models import NAMESPACES, definitions, table

SIMPLE = table([([">= 18"], ['"adult"']), (["< 18"], ['"minor"'])])


@pytest.mark.parametrize("version", sorted(NAMESPACES))
def test_every_dmn_version_reads(version: str) -> None:
    model = read_dmn(definitions(SIMPLE, version), "t.dmn")
    assert model["format"] == FORMAT
    assert [d["name"] for d in model["decisions"]] == ["Decision"]
    assert evaluate_decision(model, "Decision", {"Age": 20}).value == "adult"


def test_the_compiled_model_is_plain_json() -> None:
    model = read_dmn(definitions(SIMPLE), "t.dmn")
    again = json.loads(json.dumps(model))
    assert again == model
    assert evaluate_decision(again, None, {"Age": 3}).value == "minor"
    rule = model["decisions"][0]["logic"]["rules"][0]
    assert rule == {
        "id": "r1",
        "line": rule["line"],
        "inputs": [">= 18"],
        "outputs": [{"text": '"adult"', "language": "feel"}],
        "annotations": [],
    }


def _problems(document: bytes) -> str:
    with pytest.raises(DefinitionError) as caught:
        read_dmn(document, "bad.dmn")
    return str(caught.value)


def test_malformed_xml_gives_line_and_column() -> None:
    text = _problems(b"<definitions>\n  <decision>\n</definitions>")
    assert "bad.dmn: line 3, column" in text and "not well-formed XML" in text


def test_a_doctype_is_refused() -> None:
    document = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><definitions/>'
    assert "DOCTYPE is not allowed" in _problems(document)


def test_a_root_that_is_not_dmn_is_named() -> None:
    text = _problems(b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')
    assert "line 1: the root is definitions in http://www.omg.org/spec/BPMN" in text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "line 2, definitions 'defs': the model has no decision"),
        (
            table([(["1"], ["1"])], hit_policy="SOMETIMES"),
            "decisionTable 'table_Decision': has the hit policy 'SOMETIMES'",
        ),
        (
            table([(["1"], ["1"])], hit_policy="FIRST", aggregation="SUM"),
            "aggregates (SUM) with the hit policy FIRST; only COLLECT aggregates",
        ),
        (
            table([(["1", "2"], ["1"])]),
            "line 3, rule 1 'r1': has 2 input entries for 1 inputs",
        ),
        (
            table([(["> (1"], ["1"])]),
            "rule 1 'r1': input entry 1 `> (1` is not valid FEEL: expected ')' at column 5",
        ),
        (
            table([(["1"], ["1 +"])]),
            "rule 'r1': (rule 1) output entry 1 `1 +` is not valid FEEL: expected an expression",
        ),
        (
            table([(["1"], ["now()"])]),
            "calls now() at column 1, which reads the clock",
        ),
        (
            table([(["1"], ["1"])], hit_policy="PRIORITY"),
            "has no output with outputValues, which the PRIORITY hit policy orders by",
        ),
        (
            table([(["1"], ["1", "2"])], outputs=[("A", None, None), ("A", None, None)]),
            "output 'out_1': repeats the output name 'A'",
        ),
        (
            table(
                [(["1"], ["1"])],
                hit_policy="COLLECT",
                aggregation="SUM",
                outputs=[("A", None, None), ("B", None, None)],
            ),
            "aggregates (SUM) several outputs; DMN aggregates one",
        ),
        (
            '<decision id="d" name="D"/>',
            "decision 'd': has no decision logic",
        ),
        (
            '<decision id="d" name="D"><informationRequirement id="ir">'
            '<requiredDecision href="#nowhere"/></informationRequirement>'
            "<literalExpression><text>1</text></literalExpression></decision>",
            "informationRequirement 'ir': requires #nowhere, which is not an element of the model",
        ),
        (
            '<decision id="a" name="A"><informationRequirement><requiredDecision href="#b"/>'
            "</informationRequirement><literalExpression><text>B</text></literalExpression>"
            '</decision><decision id="b" name="B"><informationRequirement>'
            '<requiredDecision href="#a"/></informationRequirement>'
            "<literalExpression><text>A</text></literalExpression></decision>",
            "decision 'a': is part of a cycle of requirements: A → B → A",
        ),
        (
            '<decision id="a" name="Same"><literalExpression><text>1</text></literalExpression>'
            '</decision><inputData id="b" name="Same"/>',
            "decision 'a': has the name 'Same' of the inputData on line 3",
        ),
        (
            '<decision id="d" name="D"><literalExpression id="le" expressionLanguage="javascript">'
            "<text>1</text></literalExpression></decision>",
            "literalExpression 'le': is written in 'javascript'; Baton evaluates FEEL and JUEL",
        ),
        (
            '<import namespace="x" locationURI="other.dmn" importType="dmn"/>'
            '<decision id="d" name="D"><literalExpression><text>1</text></literalExpression>'
            "</decision>",
            "import: imports another model; Baton reads one file",
        ),
        (
            '<businessKnowledgeModel id="k" name="K"><encapsulatedLogic id="el" kind="Java">'
            "<literalExpression><text>1</text></literalExpression></encapsulatedLogic>"
            '</businessKnowledgeModel><decision id="d" name="D"><literalExpression><text>K()'
            "</text></literalExpression></decision>",
            "encapsulatedLogic 'el': is a Java function, which Baton refuses",
        ),
        (
            '<decision id="d" name="D"><iterator id="it"/></decision>',
            "iterator 'it': is a boxed iterator, which Baton does not evaluate yet",
        ),
    ],
)
def test_problems_name_element_type_id_and_line(body: str, expected: str) -> None:
    text = _problems(definitions(body))
    assert expected in text, text
    assert "bad.dmn: line " in text
    assert "Traceback" not in text


def test_every_problem_is_reported_at_once() -> None:
    body = table([(["> (1"], ["1 +"]), (["1", "2"], ["1"])])
    issues = _problems(definitions(body)).splitlines()
    assert len(issues) == 3


def test_a_missing_file_is_a_definition_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="cannot read the file"):
        read_dmn_file(tmp_path / "nowhere.dmn")


CAMUNDA_7 = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dish" name="Dish"
    namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="dish-decision" name="Dish Decision">
    <decisionTable id="decisionTable" hitPolicy="FIRST">
      <input id="input1" label="Season">
        <inputExpression id="ie1" typeRef="string" expressionLanguage="juel">
          <text>${season}</text>
        </inputExpression>
      </input>
      <input id="input2" label="How many guests">
        <inputExpression id="ie2" typeRef="integer"><text>guestCount</text></inputExpression>
      </input>
      <output id="output1" label="Dish" name="desiredDish" typeRef="string"/>
      <rule id="row-1">
        <description>Winter stew</description>
        <inputEntry id="e1"><text>"Winter"</text></inputEntry>
        <inputEntry id="e2"><text>&lt;= 8</text></inputEntry>
        <outputEntry id="o1"><text>"Stew"</text></outputEntry>
      </rule>
      <rule id="row-2">
        <inputEntry id="e3"><text></text></inputEntry>
        <inputEntry id="e4"><text></text></inputEntry>
        <outputEntry id="o2"><text>"Salad"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def test_a_camunda_7_table_with_juel_and_empty_cells_runs() -> None:
    model = read_dmn(CAMUNDA_7.encode(), "dish.dmn")
    table_logic = model["decisions"][0]["logic"]
    assert table_logic["inputs"][0]["language"] == "juel"
    assert table_logic["inputs"][1]["type"] == "number"  # integer is a FEEL number
    assert table_logic["rules"][1]["inputs"] == ["-", "-"]
    winter = evaluate_decision(model, "dish-decision", {"season": "Winter", "guestCount": 4})
    assert winter.value == "Stew"
    line = CAMUNDA_7.splitlines().index('      <rule id="row-1">') + 1
    assert winter.matched[0]["rules"] == [
        {"index": 1, "id": "row-1", "line": line, "annotations": ["Winter stew"]}
    ]
    assert evaluate_decision(model, None, {"season": "Summer", "guestCount": 4}).value == "Salad"
