"""The BPMN reader over every model of the corpora (MIWG reference and
vendor exports, betsy's semantic and constraint-violation models): each is
read or refused with a diagnostic naming the element and its line — never
another exception; and XML that is broken, or hostile, is refused before
anything else looks at it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from baton.definitions.bpmn import read_bpmn
from baton.errors import DefinitionError

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "bpmn"
pytestmark = pytest.mark.skipif(not CORPORA.is_dir(), reason=f"the corpus is not at {CORPORA}")

MINIMAL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <process id="p" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""


def outcome(path: Path) -> str:
    try:
        read_bpmn(path.read_bytes(), str(path))
    except DefinitionError as exc:
        assert exc.issues and exc.issues[0].path.startswith("line "), exc
        return "refused"
    return "read"


def counts(paths: list[Path]) -> dict[str, int]:
    return dict(Counter(outcome(p) for p in paths))


def test_every_model_of_the_corpora_is_read_or_refused_naming_its_line() -> None:
    semantic = [
        p
        for p in sorted((CORPORA / "betsy" / "models").glob("*/*.bpmn"))
        if "bpmn_constraints" not in str(p)
    ]
    # two of betsy's semantic models are meant to be refused: a startQuantity
    # and a completionQuantity of 0 (its "errors" group expects ERROR)
    assert counts(semantic) == {"read": 135, "refused": 2}
    assert counts(sorted((CORPORA / "miwg" / "Reference").glob("*.bpmn"))) == {"read": 21}
    # vendors' exports: 2 are not well-formed XML, 27 break BPMN's own rules
    # (test_bpmn_constraints.py and docs/bpmn.md name each with its rules;
    # 16 of those read break only advisory rules, and run with warnings)
    vendor = sorted((CORPORA / "miwg" / "vendor-sample").glob("*/*.bpmn"))
    assert counts(vendor) == {"read": 110, "refused": 29}
    # betsy's constraint violations: the constraint checks and the reader
    # refuse 254; the compiler refuses most of the rest (test_bpmn_constraints.py)
    violations = sorted((CORPORA / "betsy" / "models" / "bpmn_constraints").glob("*/*.bpmn"))
    assert counts(violations) == {"read": 47, "refused": 254}


def test_a_model_is_read_with_its_elements_flows_and_lines() -> None:
    path = CORPORA / "betsy" / "models" / "gateways" / "ExclusiveGateway.bpmn"
    model = read_bpmn(path.read_bytes(), str(path))
    process = model.processes[0]
    assert process.id == "ExclusiveGateway" and process.executable is True
    gateway = process.nodes["ExclusiveGateway_1"]
    assert gateway.kind == "exclusiveGateway" and gateway.line > 1
    assert len(gateway.outgoing) == 2
    conditions = [f.condition for f in process.flows.values() if f.source == gateway.id]
    assert any(c for c in conditions)
    assert process.nodes["start"].script == "CREATE_LOG_FILE"
    assert gateway.label().startswith("exclusiveGateway 'ExclusiveGateway_1' (line ")


def test_broken_or_hostile_xml_is_refused_before_anything_reads_it() -> None:
    with pytest.raises(DefinitionError) as refused:
        read_bpmn(MINIMAL.replace(b"</process>", b"</proces>"), "m.bpmn")
    assert "line 7, column" in str(refused.value) and "not well-formed XML" in str(refused.value)
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        + MINIMAL.split(b"?>", 1)[1].replace(b'id="d"', b'id="&b;"')
    )
    with pytest.raises(DefinitionError, match="a DOCTYPE is not allowed"):
        read_bpmn(laughs, "laughs.bpmn")
    with pytest.raises(DefinitionError, match="not BPMN 2.0 definitions"):
        read_bpmn(b"<process/>", "x.bpmn")


def test_structural_problems_name_the_element_and_its_line() -> None:
    twice = MINIMAL.replace(b'<endEvent id="end"/>', b'<endEvent id="end"/><task id="start"/>')
    with pytest.raises(DefinitionError) as refused:
        read_bpmn(twice, "m.bpmn")
    assert (
        "line 6, task 'start': EXT.002: the id 'start' is used twice "
        "(first by the startEvent at line 4)"
    ) in str(refused.value)
    dangling = MINIMAL.replace(b'targetRef="end"', b'targetRef="nowhere"')
    with pytest.raises(DefinitionError) as refused:
        read_bpmn(dangling, "m.bpmn")
    assert "line 5, sequenceFlow 'f1': REF: its targetRef 'nowhere' names nothing" in str(
        refused.value
    )
    assert read_bpmn(MINIMAL, "m.bpmn").processes[0].flows["f1"].target == "end"
