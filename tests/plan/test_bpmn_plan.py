"""BPMN models outside what Baton runs are refused when they are
compiled, each element by type, id and line."""

from __future__ import annotations

import pytest

from baton.errors import DefinitionError
from baton.plan.frontends import CompileContext, compile_document


def model(body: str) -> dict[str, str]:
    xml = (
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        f'<process id="p" isExecutable="true">{body}</process></definitions>'
    )
    return {"kind": "bpmn", "xml": xml}


def test_elements_outside_the_subset_are_refused_by_type_id_and_line():
    outside = model(
        '<startEvent id="s"/>\n<sequenceFlow id="a" sourceRef="s" targetRef="pay"/>\n'
        '<serviceTask id="pay"/>\n<sequenceFlow id="b" sourceRef="pay" targetRef="g"/>\n'
        '<exclusiveGateway id="g" default="f"/>\n'
        '<sequenceFlow id="c" sourceRef="g" targetRef="e">'
        '<conditionExpression language="javascript">x &gt; 1'
        '</conditionExpression></sequenceFlow>\n<endEvent id="e"/>'
        '<sequenceFlow id="f" sourceRef="g" targetRef="e"/>'
    )
    with pytest.raises(DefinitionError) as refused:
        compile_document(outside, CompileContext(source="m.bpmn"))
    text = str(refused.value)
    assert "line 3, serviceTask 'pay': no binding for it (add bpmn.bindings.pay to" in text
    assert (
        "line 6, sequenceFlow 'c': the condition is in 'javascript', which Baton does not run"
        in text
    )
