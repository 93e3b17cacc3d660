"""A BPMN run keeps its model's XML as the plan's diagram when the model has
diagram information (PlanOptions.diagram), so the dashboard can draw it as
modelled; node ids are the elements' ids, with a map for the few that are
not (plan/bpmn/diagram.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from baton.definitions.bpmn.reader import FLOW_NODES
from baton.errors import DefinitionError
from baton.plan.bpmn.diagram import element_of
from baton.plan.checks import check_plan
from baton.plan.compile import compile_file
from baton.plan.frontends import CompileContext, compile_document
from baton.plan.model import MAX_DIAGRAM_BYTES, Plan, RunInput
from baton.plan.wire import plan_from_wire, run_input_from_wire, to_wire

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "bpmn"
NS = (
    'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'
)
FLOW = (
    '<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
    '<scriptTask id="t" scriptFormat="jq"><script>.x = 1</script></scriptTask>'
    '<sequenceFlow id="f2" sourceRef="t" targetRef="e"/><endEvent id="e"/>'
)
SHAPES = (
    '<bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="100" y="100" width="36" '
    'height="36"/></bpmndi:BPMNShape>'
    '<bpmndi:BPMNShape id="t_di" bpmnElement="t"><dc:Bounds x="200" y="78" width="100" '
    'height="80"/></bpmndi:BPMNShape>'
)


def xml(body: str = FLOW, diagram: str | None = SHAPES, padding: str = "") -> str:
    di = (
        ""
        if diagram is None
        else '<bpmndi:BPMNDiagram id="d1"><bpmndi:BPMNPlane id="pl" bpmnElement="p">'
        f"{diagram}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{padding}<definitions {NS} id="defs">'
        f'<process id="p" isExecutable="true">{body}</process>{di}</definitions>'
    )


def compiled(text: str) -> Plan:
    plan = compile_document({"kind": "bpmn", "xml": text}, CompileContext(source="m.bpmn"))
    assert isinstance(plan, Plan)
    return plan


def test_a_model_with_a_diagram_keeps_its_xml_and_one_without_does_not():
    text = xml()
    assert compiled(text).options.diagram == text
    assert compiled(xml(diagram=None)).options.diagram is None
    # a diagram element without a shape draws nothing: not kept
    assert compiled(xml(diagram="")).options.diagram is None


def test_a_diagram_over_the_cap_is_not_kept_and_the_plan_says_so():
    big = xml(padding="<!-- " + "x" * MAX_DIAGRAM_BYTES + " -->")
    plan = compiled(big)
    assert plan.options.diagram is None and plan.options.diagram_ids == {}
    (warning,) = [w for w in plan.options.warnings if "diagram" in w]
    assert warning.startswith("m.bpmn: the model is ")
    assert "the run does not keep it (the dashboard draws the plan's graph instead)" in warning
    # at the cap it is kept (the cap counts UTF-8 bytes)
    room = MAX_DIAGRAM_BYTES - len(xml().encode()) - len("<!--  -->")
    assert compiled(xml(padding="<!-- " + "é" * (room // 2) + " -->")).options.diagram


def test_a_hand_built_plan_with_too_big_a_diagram_is_refused():
    plan = compiled(xml())
    check_plan(plan)
    plan.options.diagram = "x" * (MAX_DIAGRAM_BYTES + 1)
    with pytest.raises(DefinitionError, match="options.diagram: a diagram of at most"):
        check_plan(plan)


def test_the_diagram_travels_in_the_wire_form_and_old_plans_read_without_it():
    plan = compiled(xml())
    wire = json.loads(json.dumps(to_wire(RunInput(plan=plan, input={"a": 1}))))
    assert wire["plan"]["options"]["diagram"] == xml()
    assert run_input_from_wire(wire) == RunInput(plan=plan, input={"a": 1})
    # a plan written before the field: no diagram, no ids
    del wire["plan"]["options"]["diagram"], wire["plan"]["options"]["diagram_ids"]
    old = plan_from_wire(wire["plan"])
    assert old.options.diagram is None and old.options.diagram_ids == {}
    assert old.steps == plan.steps


def test_node_ids_are_element_ids_and_the_others_are_mapped():
    body = (
        '<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="gw"/>'
        '<eventBasedGateway id="gw"/>'
        '<sequenceFlow id="f2" sourceRef="gw" targetRef="wait"/>'
        '<sequenceFlow id="f3" sourceRef="gw" targetRef="late"/>'
        '<intermediateCatchEvent id="wait"><messageEventDefinition messageRef="m"/>'
        "</intermediateCatchEvent>"
        '<intermediateCatchEvent id="late"><timerEventDefinition><timeDuration>PT1H'
        "</timeDuration></timerEventDefinition></intermediateCatchEvent>"
        '<sequenceFlow id="f4" sourceRef="wait" targetRef="each"/>'
        '<sequenceFlow id="f5" sourceRef="late" targetRef="each"/>'
        '<scriptTask id="each" scriptFormat="jq"><multiInstanceLoopCharacteristics>'
        "<loopCardinality>2</loopCardinality></multiInstanceLoopCharacteristics>"
        "<script>.n = 1</script></scriptTask>"
        '<sequenceFlow id="f6" sourceRef="each" targetRef="e"/><endEvent id="e"/>'
    )
    text = xml(body).replace("<process ", '<message id="m" name="go"/><process ')
    plan = compiled(text)
    assert [s.id for s in plan.steps] == ["s", "gw", "wait", "late", "each", "e"]
    assert plan.options.diagram_ids == {
        "gw>wait": "wait",
        "gw>late": "late",
        "each/run": "each",
    }
    assert element_of("p/main") == "p" and element_of("t/start:other") == "t"


def test_a_called_process_does_not_carry_a_second_copy():
    body = (
        '<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="call"/>'
        '<callActivity id="call" calledElement="child"/>'
        '<sequenceFlow id="f2" sourceRef="call" targetRef="e"/><endEvent id="e"/>'
    )
    child = (
        '<process id="child"><startEvent id="cs"/>'
        '<sequenceFlow id="c1" sourceRef="cs" targetRef="ce"/><endEvent id="ce"/></process>'
    )
    text = xml(body).replace("<bpmndi:BPMNDiagram", child + "<bpmndi:BPMNDiagram")
    plan = compiled(text)
    assert plan.options.diagram == text
    (call,) = [s for s in plan.steps if s.id == "call"]
    assert call.subprocess is not None and call.subprocess.options.diagram is None


def _di_of(path: Path) -> tuple[set[str], set[str], set[str], set[str]]:
    root = etree.parse(str(path)).getroot()
    bpmn = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    di = "{http://www.omg.org/spec/BPMN/20100524/DI}"
    flows = {el.get("id") for el in root.iter(f"{bpmn}sequenceFlow")}
    nodes = {
        el.get("id")
        for process in root.iter(f"{bpmn}process", f"{bpmn}subProcess")
        for el in process
        if isinstance(el.tag, str) and el.tag.startswith(bpmn) and el.tag[len(bpmn) :] in FLOW_NODES
    }
    shapes = {el.get("bpmnElement") for el in root.iter(f"{di}BPMNShape")}
    edges = {
        el.get("bpmnElement")
        for el in root.iter(f"{di}BPMNEdge")
        if len(el.findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint")) >= 2
    }
    return nodes, flows, shapes, edges


@pytest.mark.parametrize(
    "path", ["order_routing.bpmn", "events_tour.bpmn", "order-approval/order.bpmn"]
)
def test_the_examples_are_drawn_whole(path: str):
    """Every flow node of the examples has a shape and every sequence flow
    an edge, so the dashboard draws them as modelled."""
    nodes, flows, shapes, edges = _di_of(EXAMPLES / path)
    assert nodes and nodes <= shapes
    assert flows and flows <= edges


def test_an_example_run_keeps_its_diagram():
    plan = compile_file(EXAMPLES / "order_routing.bpmn")
    assert isinstance(plan, Plan)
    assert plan.options.diagram == (EXAMPLES / "order_routing.bpmn").read_text()
    assert plan.options.diagram_ids == {}
