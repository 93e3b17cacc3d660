"""BPMN 2.0's own rules (src/baton/definitions/bpmn/constraints/): a small
invalid model for each rule Baton checks, with the exact issue it gives —
and nothing else, so a check that fires where it should not fails here
too — plus valid models close to the invalid ones that must pass. Over
the corpora: which of betsy's 301 constraint-violation models are refused
where, which constraints are not checked and which modelling tools'
exports break which rules, as docs/bpmn.md says."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from baton.definitions.bpmn import read_bpmn
from baton.definitions.bpmn.constraints import check_constraints
from baton.definitions.bpmn.xml import parse
from baton.errors import DefinitionError
from baton.plan.bpmn import compile_bpmn

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "bpmn"
DOC = Path(__file__).resolve().parents[2] / "docs" / "bpmn.md"
corpus = pytest.mark.skipif(not CORPORA.is_dir(), reason=f"the corpus is not at {CORPORA}")
# how the constraint checks' issues begin (the reader's and the compiler's do not)
RULE = re.compile(r"^(EXT\.\d{3}(?:/EXT\.\d{3})*|REF): ")

NS = (
    'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def definitions(body: str) -> str:
    """``body`` from line 2 of a definitions document."""
    return f'<definitions {NS} id="defs" targetNamespace="urn:here">\n{body}\n</definitions>'


def process(body: str, executable: bool = True) -> str:
    """``body`` from line 3, in process 'p'."""
    flag = "true" if executable else "false"
    return definitions(f'<process id="p" isExecutable="{flag}">\n{body}\n</process>')


def in_process(body: str) -> str:
    """``body`` in process 'p', for definitions() (the process starts a line later)."""
    return f'<process id="p" isExecutable="true">\n{body}\n</process>'


# start 's' -> task 't' -> end 'e' (lines 3 to 7 in process())
FLOW = (
    '<startEvent id="s"/>\n<sequenceFlow id="f1" sourceRef="s" targetRef="t"/>\n'
    '<task id="t"/>\n<sequenceFlow id="f2" sourceRef="t" targetRef="e"/>\n<endEvent id="e"/>'
)
# the same, each flow listed at both of its ends
LISTED = (
    '<startEvent id="s"><outgoing>f1</outgoing></startEvent>\n'
    '<sequenceFlow id="f1" sourceRef="s" targetRef="t"/>\n'
    '<task id="t"><incoming>f1</incoming><outgoing>f2</outgoing></task>\n'
    '<sequenceFlow id="f2" sourceRef="t" targetRef="e"/>\n'
    '<endEvent id="e"><incoming>f2</incoming></endEvent>'
)
SUB_FLOW = (
    '<startEvent id="ss"/>\n<sequenceFlow id="sf" sourceRef="ss" targetRef="se"/>\n'
    '<endEvent id="se"/>'
)
MESSAGE = '<message id="m" name="m"/>'


def around(activity: str, extra: str = "") -> str:
    """start -> the activity (id 't', line 5) -> end, then ``extra`` from line 8."""
    return FLOW.replace('<task id="t"/>', activity) + (f"\n{extra}" if extra else "")


def caught(definition: str, kind: str = "intermediateCatchEvent") -> str:
    """start -> an intermediate event 'c' (line 5) with ``definition`` -> end."""
    return around(f'<{kind} id="c">{definition}</{kind}>').replace('"t"', '"c"')


def ending(definition: str) -> str:
    """start -> end 'e' (line 5) with ``definition``."""
    return (
        '<startEvent id="s"/>\n<sequenceFlow id="f1" sourceRef="s" targetRef="e"/>\n'
        f'<endEvent id="e">{definition}</endEvent>'
    )


def starting(definition: str) -> str:
    """start 's' (line 3) with ``definition`` -> end."""
    return (
        f'<startEvent id="s">{definition}</startEvent>\n'
        '<sequenceFlow id="f1" sourceRef="s" targetRef="e"/>\n<endEvent id="e"/>'
    )


def attached(definition: str, attributes: str = "", extra: str = "") -> str:
    """A boundary event 'b' (line 8) on task 't', leaving to end 'e2'."""
    return around(
        '<task id="t"/>',
        f'<boundaryEvent id="b" attachedToRef="t"{attributes}>{definition}</boundaryEvent>\n'
        '<sequenceFlow id="f3" sourceRef="b" targetRef="e2"/>\n<endEvent id="e2"/>' + extra,
    )


def sub_process(inner: str, attributes: str = "", kind: str = "subProcess") -> str:
    """A sub-process 't' (line 5) holding ``inner`` from line 6."""
    return around(f'<{kind} id="t"{attributes}>\n{inner}\n</{kind}>')


def event_sub_process(start: str, attributes: str = "") -> str:
    """FLOW and an event sub-process 'es' (line 8) whose start event 'ess' is line 9."""
    return (
        f'{FLOW}\n<subProcess id="es" triggeredByEvent="true"{attributes}>\n{start}\n'
        '<sequenceFlow id="ef" sourceRef="ess" targetRef="ese"/>\n<endEvent id="ese"/>\n'
        "</subProcess>"
    )


def pools(flows: str, more: str = "") -> str:
    """Pool 'a' (process 'p') and black-box pool 'b'; message flows on line 5."""
    return definitions(
        '<collaboration id="collab">\n<participant id="a" processRef="p"/>\n'
        f'<participant id="b"/>\n{flows}\n</collaboration>\n'
        f'<process id="p" isExecutable="true">\n{FLOW}\n{more}</process>'
    )


def io(inner: str) -> str:
    return f"<ioSpecification>{inner}</ioSpecification>"


def gateway(kind: str, attributes: str, incoming: int, outgoing: int) -> str:
    """A gateway 'g' with so many incoming flows (from a parallel fork) and
    outgoing ones (to end events)."""
    lines = ['<startEvent id="s"/>']
    if incoming > 1:
        lines.append('<sequenceFlow id="i0" sourceRef="s" targetRef="fork"/>')
        lines.append('<parallelGateway id="fork"/>')
        for i in range(incoming):
            lines.append(f'<sequenceFlow id="fi{i}" sourceRef="fork" targetRef="a{i}"/>')
            lines.append(f'<task id="a{i}"/>')
            lines.append(f'<sequenceFlow id="fa{i}" sourceRef="a{i}" targetRef="g"/>')
    else:
        lines.append('<sequenceFlow id="i0" sourceRef="s" targetRef="g"/>')
    lines.append(f'<{kind} id="g"{attributes}/>')
    for i in range(outgoing):
        lines.append(f'<sequenceFlow id="fo{i}" sourceRef="g" targetRef="z{i}"/>')
        lines.append(f'<endEvent id="z{i}"/>')
    return "\n".join(lines)


def event_gateway(targets: str, attributes: str = "") -> str:
    """start -> event-based gateway 'g' (line 6) -> ``targets`` from line 7 -> end 'e'."""
    return definitions(
        f'{MESSAGE}\n<process id="p" isExecutable="true">\n<startEvent id="s"/>\n'
        '<sequenceFlow id="f0" sourceRef="s" targetRef="g"/>\n'
        f'<eventBasedGateway id="g"{attributes}/>\n{targets}\n<endEvent id="e"/>\n</process>'
    )


def message_catch(i: int, condition: str = "") -> str:
    """Three lines: a flow from 'g' to catch event 'c<i>', the event, a flow to 'e'."""
    to_catch = f'<sequenceFlow id="g{i}" sourceRef="g" targetRef="c{i}"'
    to_catch += (
        f"><conditionExpression>{condition}</conditionExpression></sequenceFlow>"
        if (condition)
        else "/>"
    )
    return (
        f'{to_catch}\n<intermediateCatchEvent id="c{i}"><messageEventDefinition messageRef="m"/>'
        f'</intermediateCatchEvent>\n<sequenceFlow id="h{i}" sourceRef="c{i}" targetRef="e"/>'
    )


TWO_ITEMS = (
    '<itemDefinition id="text" structureRef="xs:string"/>\n'
    '<itemDefinition id="number" structureRef="xs:int"/>'
)
TIMER = "<timerEventDefinition><timeDuration>PT1M</timeDuration></timerEventDefinition>"
MULTI = "<multiInstanceLoopCharacteristics><loopCardinality>2</loopCardinality>"

# (the rule, the model, every issue it gives)
CASES: list[tuple[str, str, list[str]]] = [
    (
        "EXT.002",
        process(FLOW + '\n<task id="t"/>'),
        ["line 8, task 't': EXT.002: the id 't' is used twice (first by the task at line 5)"],
    ),
    (
        "EXT.003",
        process(FLOW + '\n<sequenceFlow sourceRef="t" targetRef="e"/>'),
        ["line 8, sequenceFlow: EXT.003: a sequenceFlow needs an id"],
    ),
    (
        "REF: a reference that names nothing",
        process(ending('<errorEventDefinition errorRef="nope"/>')),
        ["line 5, errorEventDefinition: REF: its errorRef 'nope' names nothing in the model"],
    ),
    (
        "REF: a reference to the wrong kind of element",
        definitions(MESSAGE + "\n" + in_process(ending('<errorEventDefinition errorRef="m"/>'))),
        [
            "line 6, errorEventDefinition: REF: an errorEventDefinition's errorRef must be an "
            "error (is 'm', a message)"
        ],
    ),
    (
        "REF: a local calledElement",
        process(around('<callActivity id="t" calledElement="f1"/>')),
        [
            "line 5, callActivity 't': REF: a callActivity's calledElement must be a process or "
            "a global task (is 'f1', a sequenceFlow)"
        ],
    ),
    (
        "REF: a boundary event on an activity of another level",
        process(
            around(
                '<subProcess id="t">\n<startEvent id="ss"/>\n'
                '<sequenceFlow id="sf" sourceRef="ss" targetRef="it"/>\n<task id="it"/>\n'
                '<sequenceFlow id="sf2" sourceRef="it" targetRef="se"/>\n<endEvent id="se"/>\n'
                "</subProcess>",
                f'<boundaryEvent id="b" attachedToRef="it">{TIMER}</boundaryEvent>\n'
                '<sequenceFlow id="f3" sourceRef="b" targetRef="e"/>',
            )
        ),
        [
            "line 14, boundaryEvent 'b': REF: a boundary event must be attached to an activity "
            "of its own process (is 'it', a task of another)"
        ],
    ),
    (
        "REF: a message flow's message",
        pools('<messageFlow id="mf" sourceRef="t" targetRef="b" messageRef="a"/>'),
        [
            "line 5, messageFlow 'mf': REF: a messageFlow's messageRef must be a message (is 'a', "
            "a participant)"
        ],
    ),
    (
        "REF: an input set's data",
        process(
            around(
                '<task id="t">'
                + io(
                    '<dataInput id="ti"/><inputSet><dataInputRefs>ti</dataInputRefs>'
                    "<dataInputRefs>s</dataInputRefs></inputSet><outputSet/>"
                )
                + "</task>"
            )
        ),
        [
            "line 5, inputSet: REF: an inputSet's dataInputRefs must be a dataInput (is 's', a "
            "startEvent)"
        ],
    ),
    (
        "REF: an eventDefinitionRef",
        process(starting("<eventDefinitionRef>f1</eventDefinitionRef>")),
        [
            "line 3, startEvent 's': REF: a startEvent's eventDefinitionRef must be an event "
            "definition (is 'f1', a sequenceFlow)"
        ],
    ),
    (
        "REF: a link's target",
        process(
            '<startEvent id="s"/>\n<sequenceFlow id="f1" sourceRef="s" targetRef="t"/>\n'
            '<intermediateThrowEvent id="t"><linkEventDefinition name="a"><target>e</target>'
            "</linkEventDefinition></intermediateThrowEvent>\n"
            '<intermediateCatchEvent id="c"><linkEventDefinition name="a"/>'
            "</intermediateCatchEvent>\n"
            '<sequenceFlow id="f2" sourceRef="c" targetRef="e"/>\n<endEvent id="e"/>'
        ),
        [
            "line 5, linkEventDefinition: REF: a linkEventDefinition's target must be a "
            "linkEventDefinition (is 'e', an endEvent)"
        ],
    ),
    (
        "REF: a default flow",
        process(FLOW.replace('<task id="t"/>', '<task id="t" default="e"/>')),
        ["line 5, task 't': REF: a task's default must be a sequence flow (is 'e', an endEvent)"],
    ),
    (
        "EXT.006",
        process(
            FLOW + '\n<sequenceFlow id="f3" sourceRef="t" targetRef="note"/>\n'
            '<textAnnotation id="note"/>'
        ),
        [
            "line 8, sequenceFlow 'f3': EXT.006: an artifact cannot be the targetRef of a sequence "
            "flow (is 'note', a textAnnotation)"
        ],
    ),
    (
        "EXT.007",
        process(
            FLOW + '\n<sequenceFlow id="f3" sourceRef="grp" targetRef="e"/>\n<group id="grp"/>'
        ),
        [
            "line 8, sequenceFlow 'f3': EXT.007: an artifact cannot be the sourceRef of a sequence "
            "flow (is 'grp', a group)"
        ],
    ),
    (
        "EXT.008",
        pools(
            '<messageFlow id="mf" sourceRef="b" targetRef="note"/>', '<textAnnotation id="note"/>\n'
        ),
        [
            "line 5, messageFlow 'mf': EXT.008: an artifact cannot be the target of a message flow "
            "(is 'note', a textAnnotation)"
        ],
    ),
    (
        "EXT.009",
        pools(
            '<messageFlow id="mf" sourceRef="note" targetRef="b"/>', '<textAnnotation id="note"/>\n'
        ),
        [
            "line 5, messageFlow 'mf': EXT.009: an artifact cannot be the source of a message flow "
            "(is 'note', a textAnnotation)"
        ],
    ),
    (
        "EXT.011",
        definitions(
            '<escalation id="x"/>\n'
            + in_process(ending('<escalationEventDefinition escalationRef="x"/>'))
        ),
        [
            "line 6, endEvent 'e': EXT.011: an escalation end or throw event in an executable "
            "process must name an escalation with an escalationCode"
        ],
    ),
    (
        "EXT.013",
        process(
            caught(
                '<timerEventDefinition><timeDuration xsi:type="tFormalExpression"/>'
                "</timerEventDefinition>"
            )
        ),
        [
            "line 5, timeDuration: EXT.013: a formal expression needs a body (the timeDuration is "
            "empty)"
        ],
    ),
    (
        "EXT.004",
        process(around('<task id="t"><documentation textFormat="plain">x</documentation></task>')),
        [
            "line 5, documentation: EXT.004: textFormat must be a MIME type such as text/plain "
            "(is 'plain')"
        ],
    ),
    (
        "EXT.010",
        process(FLOW + '\n<textAnnotation id="note" textFormat="html"/>'),
        [
            "line 8, textAnnotation 'note': EXT.010: textFormat must be a MIME type such as "
            "text/plain (is 'html')"
        ],
    ),
    (
        "EXT.014",
        process(
            FLOW.replace(
                '<sequenceFlow id="f2" sourceRef="t" targetRef="e"/>',
                '<sequenceFlow id="f2" sourceRef="t" targetRef="e"><conditionExpression '
                'language="a b">x</conditionExpression></sequenceFlow>\n'
                '<sequenceFlow id="f3" sourceRef="t" targetRef="e"/>',
            )
        ),
        ["line 6, conditionExpression: EXT.014: language must be a URI (is 'a b')"],
    ),
    (
        "EXT.017",
        process(gateway("exclusiveGateway", ' gatewayDirection="Converging" default="fo1"', 1, 2)),
        [
            "line 5, exclusiveGateway 'g': EXT.017: a converging gateway has at most one outgoing "
            "flow (has 2)"
        ],
    ),
    (
        "EXT.018",
        process(gateway("parallelGateway", ' gatewayDirection="Diverging"', 2, 1)),
        [
            "line 12, parallelGateway 'g': EXT.018: a diverging gateway has at most one incoming "
            "flow (has 2)"
        ],
    ),
    (
        "EXT.019",
        process(gateway("parallelGateway", ' gatewayDirection="Mixed"', 2, 1)),
        [
            "line 12, parallelGateway 'g': EXT.019: a mixed gateway has several incoming and "
            "several outgoing flows (has 2 in, 1 out)"
        ],
    ),
    (
        "EXT.020",
        definitions(
            '<itemDefinition id="list" isCollection="true"/>\n'
            + in_process(FLOW + '\n<dataObject id="do" itemSubjectRef="list"/>')
        ),
        [
            "line 9, dataObject 'do': EXT.020/EXT.077: isCollection is false but its "
            "itemDefinition 'list' says true"
        ],
    ),
    (
        "EXT.081",
        definitions(
            '<itemDefinition id="list" isCollection="true"/>\n'
            + in_process(
                around(
                    '<task id="t">'
                    + io(
                        '<dataInput id="ti" itemSubjectRef="list"/><inputSet><dataInputRefs>ti'
                        "</dataInputRefs></inputSet><outputSet/>"
                    )
                    + "</task>"
                )
            )
        ),
        [
            "line 6, dataInput 'ti': EXT.020/EXT.081: isCollection is false but its "
            "itemDefinition 'list' says true"
        ],
    ),
    (
        "EXT.083",
        definitions(
            '<itemDefinition id="one"/>\n'
            + in_process(
                around(
                    '<task id="t">'
                    + io(
                        '<dataOutput id="to" itemSubjectRef="one" isCollection="true"/>'
                        "<inputSet/><outputSet><dataOutputRefs>to</dataOutputRefs></outputSet>"
                    )
                    + "</task>"
                )
            )
        ),
        [
            "line 6, dataOutput 'to': EXT.020/EXT.083: isCollection is true but its "
            "itemDefinition 'one' says false"
        ],
    ),
    (
        "EXT.021",
        process(
            event_sub_process('<startEvent id="ess"><messageEventDefinition/></startEvent>')
            + '\n<sequenceFlow id="f3" sourceRef="es" targetRef="e"/>'
        ),
        [
            "line 13, sequenceFlow 'f3': EXT.021/EXT.057: an event sub-process cannot be the "
            "sourceRef of a sequence flow (is 'es', a subProcess)"
        ],
    ),
    (
        "EXT.022",
        process(
            event_sub_process('<startEvent id="ess"><messageEventDefinition/></startEvent>')
            + '\n<sequenceFlow id="f3" sourceRef="t" targetRef="es"/>'
        ),
        [
            "line 13, sequenceFlow 'f3': EXT.022/EXT.057: an event sub-process cannot be the "
            "targetRef of a sequence flow (is 'es', a subProcess)"
        ],
    ),
    (
        "EXT.023: a listed flow that does not end there",
        process(
            LISTED.replace(
                "<incoming>f1</incoming>", "<incoming>f1</incoming><incoming>f2</incoming>"
            )
        ),
        [
            "line 5, task 't': EXT.023: its incoming 'f2' is no sequence flow whose targetRef is "
            "this task"
        ],
    ),
    (
        "EXT.023: a flow not listed",
        process(LISTED.replace("<outgoing>f2</outgoing>", "")),
        ["line 5, task 't': EXT.023: the sequence flow 'f2' is not among its outgoing flows"],
    ),
    (
        "EXT.025",
        process(
            FLOW.replace(
                '<sequenceFlow id="f2" sourceRef="t" targetRef="e"/>',
                '<sequenceFlow id="f2" sourceRef="t" targetRef="e"><conditionExpression>.ok'
                "</conditionExpression></sequenceFlow>",
            )
        ),
        [
            "line 6, sequenceFlow 'f2': EXT.025: a conditional flow cannot be the only flow out of "
            "an activity ('t', a task)"
        ],
    ),
    (
        "EXT.026",
        process(FLOW.replace('<task id="t"/>', '<task id="t" default="f1"/>')),
        [
            "line 5, task 't': EXT.026: its default flow 'f1' must start at it (its sourceRef is "
            "'s')"
        ],
    ),
    (
        "EXT.027",
        definitions(
            '<choreography id="c1"><choreographyRef>c2</choreographyRef></choreography>\n'
            '<choreography id="c2"/>\n' + in_process(FLOW)
        ),
        ["line 2, choreography 'c1': EXT.027: a choreography cannot reference a choreography"],
    ),
    (
        "EXT.028",
        definitions(
            in_process(FLOW + '\n<sequenceFlow id="f3" sourceRef="t" targetRef="q_e"/>')
            + '\n<process id="q">\n<startEvent id="q_s"/>\n'
            '<sequenceFlow id="q_f" sourceRef="q_s" targetRef="q_e"/>\n<endEvent id="q_e"/>\n'
            "</process>"
        ),
        [
            "line 8, sequenceFlow 'f3': EXT.028: a sequence flow cannot leave its pool: its "
            "targetRef is 'q_e', an endEvent of another process"
        ],
    ),
    (
        "EXT.029",
        definitions(
            '<collaboration id="c">\n<participant id="a" processRef="p"><participantMultiplicity'
            ' minimum="-1"/></participant>\n</collaboration>\n' + in_process(FLOW)
        ),
        [
            "line 3, participant 'a': EXT.029: a participant multiplicity's minimum cannot be "
            "negative (is -1)"
        ],
    ),
    (
        "EXT.030",
        definitions(
            '<collaboration id="c">\n<participant id="a" processRef="p"><participantMultiplicity'
            ' minimum="3" maximum="2"/></participant>\n</collaboration>\n' + in_process(FLOW)
        ),
        [
            "line 3, participant 'a': EXT.030: a participant multiplicity's maximum must be 1 or "
            "more and at least its minimum (is 2, minimum 3)"
        ],
    ),
    (
        "EXT.031",
        pools('<messageFlow id="mf" sourceRef="a" targetRef="t"/>'),
        [
            "line 5, messageFlow 'mf': EXT.031: a message flow must join two different pools ('a',"
            " a participant and 't', a task are in the same one)"
        ],
    ),
    (
        "EXT.032",
        definitions(
            '<globalConversation id="gc">\n<participant id="a"/>\n<conversation id="cv"/>\n'
            "</globalConversation>\n" + in_process(FLOW)
        ),
        [
            "line 4, conversation 'cv': EXT.032: a global conversation cannot hold a conversation "
            "(no conversation nodes, their associations or artifacts)"
        ],
    ),
    (
        "EXT.033",
        definitions(
            '<choreography id="ch" isClosed="true"/>\n<collaboration id="c"><participant id="a" '
            'processRef="p"/><choreographyRef>ch</choreographyRef></collaboration>\n'
            + in_process(FLOW)
        ),
        [
            "line 3, collaboration 'c': EXT.033: a collaboration and the choreography it "
            "references ('ch', a choreography) must agree on isClosed"
        ],
    ),
    (
        "EXT.035",
        definitions(
            f'<process id="p" isExecutable="true" processType="Public">\n{FLOW}\n</process>'
        ),
        ["line 2, process 'p': EXT.035: a public process cannot be marked executable"],
    ),
    (
        "EXT.036",
        process(FLOW + '\n<choreographyTask id="ct"/>'),
        [
            "line 8, choreographyTask 'ct': EXT.036: a choreography activity cannot stand in a "
            "process"
        ],
    ),
    (
        "EXT.037",
        process(FLOW.replace('<task id="t"/>', '<task id="t" startQuantity="0"/>')),
        ["line 5, task 't': EXT.037: startQuantity must be 1 or more (is '0')"],
    ),
    (
        "EXT.038",
        process(FLOW.replace('<task id="t"/>', '<task id="t" completionQuantity="-1"/>')),
        ["line 5, task 't': EXT.038: completionQuantity must be 1 or more (is '-1')"],
    ),
    (
        "EXT.039",
        definitions(
            '<resource id="r"/>\n'
            + in_process(
                around(
                    '<userTask id="t"><potentialOwner><resourceRef>r</resourceRef>'
                    "<resourceAssignmentExpression><formalExpression>x</formalExpression>"
                    "</resourceAssignmentExpression></potentialOwner></userTask>"
                )
            )
        ),
        [
            "line 6, potentialOwner: EXT.039: a resource role names a resourceRef or has a "
            "resourceAssignmentExpression, not both"
        ],
    ),
    (
        "EXT.040",
        definitions(
            '<resource id="r"><resourceParameter id="rp"/></resource>\n'
            + in_process(
                around(
                    '<userTask id="t"><performer><resourceParameterBinding parameterRef="rp">'
                    "<formalExpression>x</formalExpression></resourceParameterBinding>"
                    "</performer></userTask>"
                )
            )
        ),
        [
            "line 6, performer: EXT.040: parameter bindings of a resource role need the "
            "resourceRef they bind"
        ],
    ),
    (
        "EXT.041",
        process(
            around(
                f'<task id="t"><standardLoopCharacteristics/>{MULTI}'
                "</multiInstanceLoopCharacteristics></task>"
            )
        ),
        [
            "line 5, task 't': EXT.041: an activity has a loop marker or a multi-instance marker, "
            "not both"
        ],
    ),
    (
        "EXT.054",
        process(
            sub_process(
                f"{SUB_FLOW}\n<standardLoopCharacteristics/>\n{MULTI}"
                "</multiInstanceLoopCharacteristics>"
            )
        ),
        [
            "line 5, subProcess 't': EXT.054/EXT.055: an activity has a loop marker or a "
            "multi-instance marker, not both"
        ],
    ),
    (
        "EXT.042",
        definitions(
            '<message id="m"/>\n<interface id="i" name="i"><operation id="op" name="op">'
            "<inMessageRef>m</inMessageRef></operation></interface>\n"
            + in_process(around('<serviceTask id="t" operationRef="op"/>'))
        ),
        [
            "line 7, serviceTask 't': EXT.042: a service task with an operation needs exactly one "
            "inputSet (has 0)"
        ],
    ),
    (
        "EXT.043",
        definitions(
            '<message id="m"/>\n<interface id="i" name="i"><operation id="op" name="op">'
            "<inMessageRef>m</inMessageRef></operation></interface>\n"
            + in_process(
                around(
                    '<serviceTask id="t" operationRef="op">'
                    + io("<inputSet/><outputSet/><outputSet/>")
                    + "</serviceTask>"
                )
            )
        ),
        [
            "line 7, serviceTask 't': EXT.043: a service task with an operation has at most one "
            "outputSet"
        ],
    ),
    (
        "EXT.046",
        definitions(
            MESSAGE
            + "\n"
            + in_process(
                around(
                    '<sendTask id="t" messageRef="m">'
                    + io("<inputSet/><inputSet/><outputSet/>")
                    + "</sendTask>"
                )
            )
        ),
        ["line 6, sendTask 't': EXT.046: a sendTask with a message has one inputSet at most"],
    ),
    (
        "EXT.047",
        definitions(
            MESSAGE
            + "\n"
            + in_process(
                around(
                    '<sendTask id="t" messageRef="m">'
                    + io(
                        '<dataInput id="i1"/><dataInput id="i2"/><inputSet><dataInputRefs>i1'
                        "</dataInputRefs><dataInputRefs>i2</dataInputRefs></inputSet><outputSet/>"
                    )
                    + "</sendTask>"
                )
            )
        ),
        ["line 6, sendTask 't': EXT.047: a sendTask with a message has one dataInput at most"],
    ),
    (
        "EXT.049",
        definitions(
            MESSAGE
            + "\n"
            + in_process(around('<receiveTask id="t" messageRef="m" instantiate="true"/>'))
        ),
        [
            "line 6, receiveTask 't': EXT.049: an instantiating receive task cannot have incoming "
            "sequence flows"
        ],
    ),
    (
        "EXT.050",
        definitions(
            MESSAGE
            + "\n"
            + in_process(
                around(
                    '<receiveTask id="t" messageRef="m">'
                    + io("<inputSet/><outputSet/><outputSet/>")
                    + "</receiveTask>"
                )
            )
        ),
        [
            "line 6, receiveTask 't': EXT.050: a receiveTask with a message has one outputSet at "
            "most"
        ],
    ),
    (
        "EXT.051",
        definitions(
            MESSAGE
            + "\n"
            + in_process(
                around(
                    '<receiveTask id="t" messageRef="m">'
                    + io(
                        '<dataOutput id="o1"/><dataOutput id="o2"/><inputSet/><outputSet>'
                        "<dataOutputRefs>o1</dataOutputRefs><dataOutputRefs>o2</dataOutputRefs>"
                        "</outputSet>"
                    )
                    + "</receiveTask>"
                )
            )
        ),
        [
            "line 6, receiveTask 't': EXT.051: a receiveTask with a message has one dataOutput at "
            "most"
        ],
    ),
    (
        "EXT.056",
        process(sub_process(SUB_FLOW + '\n<choreographyTask id="ct"/>')),
        [
            "line 9, choreographyTask 'ct': EXT.056: a choreography activity cannot stand in a "
            "subProcess"
        ],
    ),
    (
        "EXT.058",
        process(
            FLOW + '\n<subProcess id="es" triggeredByEvent="true">\n<task id="x"/>\n</subProcess>'
        ),
        [
            "line 8, subProcess 'es': EXT.058: an event sub-process needs exactly one start event "
            "(has 0)"
        ],
    ),
    (
        "EXT.059: no definition",
        process(event_sub_process('<startEvent id="ess"/>')),
        [
            "line 9, startEvent 'ess': EXT.059: an event sub-process's start event needs an event "
            "definition (compensate, conditional, error, escalation, message, signal, timer)"
        ],
    ),
    (
        "EXT.059: a link",
        process(
            event_sub_process('<startEvent id="ess"><linkEventDefinition name="l"/></startEvent>')
        ),
        [
            "line 9, startEvent 'ess': EXT.059: an event sub-process's start event cannot have a "
            "linkEventDefinition (only compensate, conditional, error, escalation, message, "
            "signal, timer)"
        ],
    ),
    (
        "EXT.059: a non-interrupting error",
        process(
            event_sub_process(
                '<startEvent id="ess" isInterrupting="false"><errorEventDefinition/></startEvent>'
            )
        ),
        [
            "line 9, startEvent 'ess': EXT.059: a non-interrupting start event of an event "
            "sub-process cannot have an errorEventDefinition (only conditional, escalation, "
            "message, signal, timer)"
        ],
    ),
    (
        "EXT.060",
        process(sub_process(SUB_FLOW, ' method="a b"', "transaction")),
        [
            "line 5, transaction 't': EXT.060: a transaction's method must be ##Compensate, "
            "##Store, ##Image or a URI (is 'a b')"
        ],
    ),
    (
        "EXT.061",
        process(around('<adHocSubProcess id="t"/>')),
        [
            "line 5, adHocSubProcess 't': EXT.061: an ad-hoc sub-process must hold at least one "
            "activity"
        ],
    ),
    (
        "EXT.062",
        process(
            around(
                '<adHocSubProcess id="t">\n<task id="x"/>\n<endEvent id="xe"/>\n</adHocSubProcess>'
            )
        ),
        ["line 7, endEvent 'xe': EXT.062: an ad-hoc sub-process cannot hold an endEvent"],
    ),
    (
        "EXT.063",
        definitions(
            TWO_ITEMS
            + "\n"
            + in_process(
                around(
                    '<callActivity id="t" calledElement="q">'
                    + io(
                        '<dataInput id="ci" itemSubjectRef="number"/><inputSet><dataInputRefs>ci'
                        "</dataInputRefs></inputSet><outputSet/>"
                    )
                    + "</callActivity>"
                )
            )
            + '\n<process id="q">\n'
            + io(
                '<dataInput id="qi" itemSubjectRef="text"/><inputSet><dataInputRefs>qi'
                "</dataInputRefs></inputSet><outputSet/>"
            )
            + "\n</process>"
        ),
        [
            "line 7, callActivity 't': EXT.063: its dataInputs must match those of the process 'q' "
            "it calls, one for one and of the same items (it has 1, that has 1)"
        ],
    ),
    (
        "EXT.064",
        definitions(
            '<interface id="i" name="i"/>\n<process id="p" isExecutable="true">\n'
            f"<supportedInterfaceRef>i</supportedInterfaceRef>\n{FLOW}\n</process>"
        ),
        [
            "line 3, process 'p': EXT.064: an element exposed as a service (supportedInterfaceRef)"
            " needs an ioBinding"
        ],
    ),
    (
        "EXT.065",
        definitions(
            TWO_ITEMS + '\n<message id="m" itemRef="text"/>\n<interface id="i" name="i">'
            '<operation id="op" name="op"><inMessageRef>m</inMessageRef></operation>'
            '</interface>\n<process id="p" isExecutable="true">\n'
            "<supportedInterfaceRef>i</supportedInterfaceRef>\n"
            + io(
                '<dataInput id="pi" itemSubjectRef="number"/><inputSet><dataInputRefs>pi'
                "</dataInputRefs></inputSet><outputSet/>"
            )
            + f'\n<ioBinding operationRef="op" inputDataRef="pi"/>\n{FLOW}\n</process>'
        ),
        [
            "line 6, process 'p': EXT.065: its ioBinding binds 'pi', a dataInput, whose item is "
            "not that of the operation's message 'm'"
        ],
    ),
    (
        "EXT.067",
        process(around('<task id="t"><multiInstanceLoopCharacteristics/></task>')),
        [
            "line 5, task 't': EXT.067: a multi-instance activity needs a loopCardinality or a "
            "loopDataInputRef"
        ],
    ),
    (
        "EXT.068",
        definitions(
            '<itemDefinition id="list" isCollection="true"/>\n'
            + in_process(
                around(
                    '<task id="t"><multiInstanceLoopCharacteristics><loopDataInputRef>list'
                    "</loopDataInputRef></multiInstanceLoopCharacteristics></task>"
                )
            )
        ),
        [
            "line 6, task 't': EXT.068: a multi-instance task's loopDataInputRef must name one of "
            "its data inputs (is 'list', an itemDefinition)"
        ],
    ),
    (
        "EXT.069",
        definitions(
            '<itemDefinition id="list" isCollection="true" structureRef="xs:string"/>\n'
            + in_process(
                around(
                    '<task id="t">'
                    + io(
                        '<dataOutput id="to" itemSubjectRef="list" isCollection="true"/><inputSet/>'
                        "<outputSet><dataOutputRefs>to</dataOutputRefs></outputSet>"
                    )
                    + f"{MULTI}<loopDataOutputRef>to</loopDataOutputRef><outputDataItem id='it' "
                    "itemSubjectRef='list' isCollection='true'/></multiInstanceLoopCharacteristics>"
                    "</task>"
                )
            )
        ),
        [
            "line 6, task 't': EXT.069: its outputDataItem must hold one item of the "
            "loopDataOutputRef's collection (is 'list', an itemDefinition)"
        ],
    ),
    (
        "EXT.070",
        definitions(
            '<itemDefinition id="list" isCollection="true" structureRef="xs:string"/>\n'
            '<itemDefinition id="one" structureRef="xs:int"/>\n'
            + in_process(
                around(
                    '<task id="t">'
                    + io(
                        '<dataInput id="ti" itemSubjectRef="list" isCollection="true"/><inputSet>'
                        "<dataInputRefs>ti</dataInputRefs></inputSet><outputSet/>"
                    )
                    + "<multiInstanceLoopCharacteristics><loopDataInputRef>ti</loopDataInputRef>"
                    '<inputDataItem id="it" itemSubjectRef="one"/></multiInstanceLoopCharacteristics>'
                    "</task>"
                )
            )
        ),
        [
            "line 7, task 't': EXT.070: its inputDataItem must hold one item of the "
            "loopDataInputRef's collection (is 'one', an itemDefinition)"
        ],
    ),
    (
        "EXT.071",
        process(
            around(
                f"<task id='t'>{MULTI}<completionCondition>23</completionCondition>"
                "</multiInstanceLoopCharacteristics></task>"
            )
        ),
        [
            "line 5, task 't': EXT.071: its completionCondition must be a boolean expression (is "
            "the number 23)"
        ],
    ),
    (
        "EXT.072",
        process(
            around(
                f"<task id='t'>{MULTI}<complexBehaviorDefinition><condition>1"
                "</condition></complexBehaviorDefinition>"
                "</multiInstanceLoopCharacteristics></task>"
            )
        ),
        ["line 5, task 't': EXT.072: its condition must be a boolean expression (is the number 1)"],
    ),
    (
        "EXT.078",
        definitions('<property id="x"/>\n' + in_process(FLOW)),
        [
            "line 2, property 'x': EXT.078: a property cannot stand directly in definitions (only "
            "root elements: process, collaboration, message, …)"
        ],
    ),
    (
        "EXT.079",
        process(sub_process(SUB_FLOW + "\n" + io("<inputSet/><outputSet/>"))),
        ["line 5, subProcess 't': EXT.079: a sub-process cannot have an ioSpecification"],
    ),
    (
        "EXT.080",
        definitions(
            '<process id="p" isExecutable="true">\n'
            + io(
                '<dataInput id="pi"/><inputSet><dataInputRefs>pi</dataInputRefs></inputSet>'
                "<outputSet/>"
            )
            + "\n"
            + around(
                '<task id="t">'
                + io(
                    '<dataOutput id="to"/><inputSet/><outputSet><dataOutputRefs>to'
                    "</dataOutputRefs></outputSet>"
                )
                + '<dataOutputAssociation id="da"><sourceRef>to</sourceRef><targetRef>pi'
                "</targetRef></dataOutputAssociation></task>"
            )
            + "\n</process>"
        ),
        [
            "line 6, dataOutputAssociation 'da': EXT.080: a data output association cannot write "
            "a data input (its target is 'pi', a dataInput)"
        ],
    ),
    (
        "EXT.082",
        definitions(
            '<process id="p" isExecutable="true">\n'
            + io(
                '<dataOutput id="po"/><inputSet/><outputSet><dataOutputRefs>po</dataOutputRefs>'
                "</outputSet>"
            )
            + "\n"
            + around(
                '<task id="t">'
                + io(
                    '<dataInput id="ti"/><inputSet><dataInputRefs>ti</dataInputRefs>'
                    "</inputSet><outputSet/>"
                )
                + '<dataInputAssociation id="da"><sourceRef>po</sourceRef><targetRef>ti'
                "</targetRef></dataInputAssociation></task>"
            )
            + "\n</process>"
        ),
        [
            "line 6, dataInputAssociation 'da': EXT.082: a data input association cannot read a "
            "data output (its source is 'po', a dataOutput)"
        ],
    ),
    (
        "EXT.084",
        process(
            around('<task id="t">' + io('<dataInput id="ti"/><inputSet/><outputSet/>') + "</task>")
        ),
        [
            "line 5, dataInput 'ti': EXT.084: a dataInput must be listed by an inputSet of its "
            "element (dataInputRefs)"
        ],
    ),
    (
        "EXT.088",
        process(
            around('<task id="t">' + io('<dataOutput id="to"/><inputSet/><outputSet/>') + "</task>")
        ),
        [
            "line 5, dataOutput 'to': EXT.088: a dataOutput must be listed by an outputSet of its "
            "element (dataOutputRefs)"
        ],
    ),
    (
        "EXT.085",
        process(
            around(
                '<task id="t">'
                + io(
                    '<dataInput id="ti"/><inputSet><optionalInputRefs>ti</optionalInputRefs></inputSet>'
                    "<inputSet><dataInputRefs>ti</dataInputRefs></inputSet><outputSet/>"
                )
                + "</task>"
            )
        ),
        [
            "line 5, inputSet: EXT.085: its optionalInputRefs 'ti' must also be one of its "
            "dataInputRefs"
        ],
    ),
    (
        "EXT.086",
        process(
            around(
                '<task id="t">'
                + io(
                    '<dataInput id="ti"/><inputSet><whileExecutingInputRefs>ti</whileExecutingInputRefs>'
                    "</inputSet><inputSet><dataInputRefs>ti</dataInputRefs></inputSet><outputSet/>"
                )
                + "</task>"
            )
        ),
        [
            "line 5, inputSet: EXT.086: its whileExecutingInputRefs 'ti' must also be one of its "
            "dataInputRefs"
        ],
    ),
    (
        "EXT.087",
        process(
            around(
                '<task id="t">'
                + io(
                    '<inputSet id="is"><outputSetRefs>os</outputSetRefs></inputSet><outputSet id="os"/>'
                )
                + "</task>"
            )
        ),
        [
            "line 5, inputSet 'is': EXT.087: its outputSetRefs names 'os', an outputSet, whose "
            "inputSetRefs do not name it back"
        ],
    ),
    (
        "EXT.089",
        process(
            around(
                '<task id="t">'
                + io(
                    '<dataOutput id="to"/><inputSet/><outputSet><optionalOutputRefs>to'
                    "</optionalOutputRefs></outputSet><outputSet><dataOutputRefs>to</dataOutputRefs>"
                    "</outputSet>"
                )
                + "</task>"
            )
        ),
        [
            "line 5, outputSet: EXT.089: its optionalOutputRefs 'to' must also be one of its "
            "dataOutputRefs"
        ],
    ),
    (
        "EXT.090",
        process(
            around(
                '<task id="t">'
                + io(
                    '<dataOutput id="to"/><inputSet/><outputSet><whileExecutingOutputRefs>to'
                    "</whileExecutingOutputRefs></outputSet><outputSet><dataOutputRefs>to"
                    "</dataOutputRefs></outputSet>"
                )
                + "</task>"
            )
        ),
        [
            "line 5, outputSet: EXT.090: its whileExecutingOutputRefs 'to' must also be one of its "
            "dataOutputRefs"
        ],
    ),
    (
        "EXT.092",
        process(
            around(
                '<task id="t">'
                + io(
                    '<dataInput id="ti"/><inputSet><dataInputRefs>ti</dataInputRefs></inputSet>'
                    "<outputSet/>"
                )
                + '<dataInputAssociation id="da"><sourceRef>d1</sourceRef><sourceRef>d2</sourceRef>'
                "<targetRef>ti</targetRef></dataInputAssociation></task>",
                '<dataObject id="d1"/>\n<dataObject id="d2"/>',
            )
        ),
        [
            "line 5, dataInputAssociation 'da': EXT.092: a data association without a "
            "transformation has one sourceRef (has 2)"
        ],
    ),
    (
        "EXT.093",
        definitions(
            '<message id="m"/>\n<signal id="g"/>\n'
            + in_process(
                starting(
                    '<dataOutput id="so"/><outputSet><dataOutputRefs>so</dataOutputRefs></outputSet>'
                    '<messageEventDefinition messageRef="m"/><signalEventDefinition signalRef="g"/>'
                )
            )
        ),
        [
            "line 5, startEvent 's': EXT.093: an event with dataOutputs has one per event "
            "definition (has 1 for 2)"
        ],
    ),
    (
        "EXT.094",
        definitions(
            TWO_ITEMS
            + '\n<message id="m" itemRef="text"/>\n'
            + in_process(
                starting(
                    '<dataOutput id="so" itemSubjectRef="number"/><outputSet><dataOutputRefs>so'
                    '</dataOutputRefs></outputSet><messageEventDefinition messageRef="m"/>'
                )
            )
        ),
        [
            "line 6, startEvent 's': EXT.094: its dataOutput 'so' must hold the item of its "
            "messageEventDefinition ('text')"
        ],
    ),
    (
        "EXT.095",
        definitions(
            MESSAGE
            + "\n"
            + in_process(
                starting("<eventDefinitionRef>md</eventDefinitionRef>").replace(
                    '<endEvent id="e"/>',
                    '<endEvent id="e"><messageEventDefinition id="md" messageRef="m"/></endEvent>',
                )
            )
        ),
        [
            "line 4, startEvent 's': EXT.095: its eventDefinitionRef names the definition of "
            "another throw event ('e', an endEvent)"
        ],
    ),
    (
        "EXT.096",
        process(FLOW + '\n<sequenceFlow id="f3" sourceRef="t" targetRef="s"/>'),
        ["line 3, startEvent 's': EXT.096: a start event cannot be the target of a sequence flow"],
    ),
    (
        "EXT.097",
        process(
            '<task id="t"/>\n<sequenceFlow id="f1" sourceRef="t" targetRef="e"/>\n'
            '<endEvent id="e"/>'
        ),
        [
            "line 5, endEvent 'e': EXT.097: a level with an end event needs a start event (process "
            "'p' has none)"
        ],
    ),
    (
        "EXT.098",
        definitions(
            '<error id="x" errorCode="x"/>\n'
            + in_process(starting('<errorEventDefinition errorRef="x"/>'))
        ),
        [
            "line 4, startEvent 's': EXT.098: a top-level start event cannot have an "
            "errorEventDefinition (only conditional, message, signal, timer)"
        ],
    ),
    (
        "EXT.099",
        definitions(
            MESSAGE
            + "\n"
            + in_process(around('<callActivity id="t" calledElement="q"/>'))
            + '\n<process id="q">\n<startEvent id="q_s"><messageEventDefinition messageRef="m"/>'
            '</startEvent>\n<sequenceFlow id="q_f" sourceRef="q_s" targetRef="q_e"/>\n'
            '<endEvent id="q_e"/>\n</process>'
        ),
        ["line 6, callActivity 't': EXT.099: the process 'q' it calls needs a none start event"],
    ),
    (
        "EXT.100",
        process(
            sub_process(
                SUB_FLOW.replace(
                    '<startEvent id="ss"/>', f'<startEvent id="ss">{TIMER}</startEvent>'
                )
            )
        ),
        [
            "line 6, startEvent 'ss': EXT.100: a sub-process's start event cannot have a "
            "timerEventDefinition (a sub-process starts at a none start event)"
        ],
    ),
    (
        "EXT.101",
        process('<startEvent id="s0"/>\n' + FLOW),
        ["line 3, startEvent 's0': EXT.101: a start event must be the source of a sequence flow"],
    ),
    (
        "EXT.102",
        pools('<messageFlow id="mf" sourceRef="s" targetRef="b"/>'),
        ["line 5, messageFlow 'mf': EXT.102: a start event cannot send a message flow"],
    ),
    (
        "EXT.103",
        pools('<messageFlow id="mf" sourceRef="b" targetRef="s"/>'),
        [
            "line 5, messageFlow 'mf': EXT.103: a start event that receives a message flow needs "
            "a message definition"
        ],
    ),
    (
        "EXT.104",
        process(FLOW + '\n<sequenceFlow id="f3" sourceRef="e" targetRef="t"/>'),
        ["line 7, endEvent 'e': EXT.104: an end event cannot be the source of a sequence flow"],
    ),
    (
        "EXT.105",
        process(
            '<startEvent id="s"/>\n<sequenceFlow id="f1" sourceRef="s" targetRef="t"/>\n'
            '<task id="t"/>'
        ),
        [
            "line 3, startEvent 's': EXT.105: a level with a start event needs an end event "
            "(process 'p' has none)"
        ],
    ),
    (
        "EXT.106",
        process(ending("<cancelEventDefinition/>")),
        ["line 5, endEvent 'e': EXT.106: a cancel end event is allowed only in a transaction"],
    ),
    (
        "EXT.107",
        process(FLOW + '\n<endEvent id="e0"/>'),
        ["line 8, endEvent 'e0': EXT.107: an end event must be the target of a sequence flow"],
    ),
    (
        "EXT.108",
        pools('<messageFlow id="mf" sourceRef="b" targetRef="e"/>'),
        ["line 5, messageFlow 'mf': EXT.108: an end event cannot receive a message flow"],
    ),
    (
        "EXT.109",
        pools('<messageFlow id="mf" sourceRef="e" targetRef="b"/>'),
        [
            "line 5, messageFlow 'mf': EXT.109: an end event that sends a message flow needs a "
            "message definition"
        ],
    ),
    (
        "EXT.110: a terminate definition",
        process(attached("<terminateEventDefinition/>")),
        [
            "line 8, boundaryEvent 'b': EXT.110: a boundary event cannot have a "
            "terminateEventDefinition (only cancel, compensate, conditional, error, escalation, "
            "message, signal, timer)"
        ],
    ),
    (
        "EXT.110: no definition",
        process(attached("")),
        [
            "line 8, boundaryEvent 'b': EXT.110: a boundary event needs an event definition "
            "(cancel, compensate, conditional, error, escalation, message, signal, timer)"
        ],
    ),
    (
        "EXT.110: a non-interrupting error",
        process(attached("<errorEventDefinition/>", ' cancelActivity="false"')),
        [
            "line 8, boundaryEvent 'b': EXT.110: a non-interrupting boundary event cannot have an "
            "errorEventDefinition (only conditional, escalation, message, signal, timer)"
        ],
    ),
    (
        "EXT.111",
        process(attached("<cancelEventDefinition/>")),
        [
            "line 8, boundaryEvent 'b': EXT.111: a cancel boundary event must be attached to a "
            "transaction (is 't', a task)"
        ],
    ),
    (
        "EXT.112",
        process(attached(TIMER, extra='\n<sequenceFlow id="f4" sourceRef="s" targetRef="b"/>')),
        [
            "line 8, boundaryEvent 'b': EXT.112: a boundary event cannot be the target of a "
            "sequence flow"
        ],
    ),
    (
        "EXT.113",
        process(
            around(
                '<task id="t"/>', f'<boundaryEvent id="b" attachedToRef="t">{TIMER}</boundaryEvent>'
            )
        ),
        [
            "line 8, boundaryEvent 'b': EXT.113: a boundary event must be the source of a sequence "
            "flow"
        ],
    ),
    (
        "EXT.114",
        process(
            attached(
                "<compensateEventDefinition/>",
                extra='\n<association id="as" sourceRef="b" targetRef="h"/>\n'
                '<task id="h" isForCompensation="true"/>',
            )
        ),
        [
            "line 8, boundaryEvent 'b': EXT.114: a compensation boundary event cannot be the "
            "source of a sequence flow (it is associated with its compensation activity)"
        ],
    ),
    (
        "EXT.115",
        process(
            FLOW + '\n<intermediateThrowEvent id="x"/>\n'
            '<sequenceFlow id="f3" sourceRef="x" targetRef="e"/>'
        ),
        [
            "line 8, intermediateThrowEvent 'x': EXT.115: an intermediate event must be the target "
            "of a sequence flow"
        ],
    ),
    (
        "EXT.116",
        process(
            FLOW + '\n<sequenceFlow id="f3" sourceRef="t" targetRef="x"/>\n'
            '<intermediateThrowEvent id="x"/>'
        ),
        [
            "line 9, intermediateThrowEvent 'x': EXT.116: an intermediate event must be the source "
            "of a sequence flow"
        ],
    ),
    (
        "EXT.117",
        process(
            around(
                '<intermediateThrowEvent id="t"><linkEventDefinition name="l"/>'
                "</intermediateThrowEvent>"
            )
            + '\n<intermediateCatchEvent id="c"><linkEventDefinition name="l"/>'
            '</intermediateCatchEvent>\n<sequenceFlow id="f3" sourceRef="c" targetRef="e"/>'
        ),
        [
            "line 5, intermediateThrowEvent 't': EXT.117: a link throw event cannot be the source "
            "of a sequence flow"
        ],
    ),
    (
        "EXT.118",
        process(
            '<startEvent id="s"/>\n<sequenceFlow id="f1" sourceRef="s" targetRef="t"/>\n'
            '<intermediateThrowEvent id="t"><linkEventDefinition id="lt" name="a"><target>lc'
            "</target></linkEventDefinition></intermediateThrowEvent>\n"
            '<intermediateCatchEvent id="c"><linkEventDefinition id="lc" name="a"><source>other'
            "</source></linkEventDefinition></intermediateCatchEvent>\n"
            '<sequenceFlow id="f2" sourceRef="c" targetRef="e"/>\n<endEvent id="e"/>\n'
            '<intermediateThrowEvent id="o"><linkEventDefinition id="other" name="b"><target>lc'
            "</target></linkEventDefinition></intermediateThrowEvent>\n"
            '<sequenceFlow id="f3" sourceRef="s" targetRef="o"/>'
        ),
        [
            "line 5, intermediateThrowEvent 't': EXT.118: its link target 'lc' does not list it "
            "among its sources"
        ],
    ),
    (
        "EXT.119",
        pools(
            '<messageFlow id="mf" sourceRef="c" targetRef="b"/>',
            '<sequenceFlow id="f3" sourceRef="s" targetRef="c"/>\n<intermediateCatchEvent id="c">'
            "<messageEventDefinition/></intermediateCatchEvent>\n"
            '<sequenceFlow id="f4" sourceRef="c" targetRef="e"/>\n',
        ),
        [
            "line 5, messageFlow 'mf': EXT.119: an intermediate catch event cannot send a message "
            "flow"
        ],
    ),
    (
        "EXT.123",
        process(caught("<conditionalEventDefinition><condition/></conditionalEventDefinition>")),
        [
            "line 5, intermediateCatchEvent 'c': EXT.123: a conditional event in an executable "
            "process needs a condition"
        ],
    ),
    (
        "EXT.124",
        process(
            FLOW + '\n<intermediateCatchEvent id="c"><linkEventDefinition name="nowhere"/>'
            '</intermediateCatchEvent>\n<sequenceFlow id="f3" sourceRef="c" targetRef="e"/>'
        ),
        [
            "line 8, intermediateCatchEvent 'c': EXT.124: a link catch event needs a source: a link"
            " throw event (by source, or of the same name on its level)"
        ],
    ),
    (
        "EXT.125",
        process(
            FLOW + '\n<sequenceFlow id="f3" sourceRef="s" targetRef="x"/>\n'
            '<intermediateThrowEvent id="x"><linkEventDefinition name="nowhere"/>'
            "</intermediateThrowEvent>"
        ),
        [
            "line 9, intermediateThrowEvent 'x': EXT.125: a link throw event needs exactly one "
            "target: a link catch event (by target, or of the same name on its level; it has 0)"
        ],
    ),
    (
        "EXT.126",
        process(
            '<startEvent id="s"/>\n<sequenceFlow id="f1" sourceRef="s" targetRef="t"/>\n'
            '<subProcess id="t">\n' + SUB_FLOW + '\n<sequenceFlow id="sf2" sourceRef="ss" '
            'targetRef="x"/>\n<intermediateThrowEvent id="x"><linkEventDefinition id="lt" '
            'name="a"><target>lc</target></linkEventDefinition></intermediateThrowEvent>\n'
            '</subProcess>\n<sequenceFlow id="f2" sourceRef="t" targetRef="e"/>\n'
            '<intermediateCatchEvent id="c"><linkEventDefinition id="lc" name="a"><source>lt'
            "</source></linkEventDefinition></intermediateCatchEvent>\n"
            '<sequenceFlow id="f3" sourceRef="c" targetRef="e"/>\n<endEvent id="e"/>'
        ),
        [
            "line 10, intermediateThrowEvent 'x': EXT.126: a link's target must be on the same "
            "process level (is 'c', an intermediateCatchEvent elsewhere)"
        ],
    ),
    (
        "EXT.131",
        process(
            caught(
                "<timerEventDefinition><timeDuration>PT1M</timeDuration><timeCycle>R2/PT1M"
                "</timeCycle></timerEventDefinition>"
            )
        ),
        [
            "line 5, intermediateCatchEvent 'c': EXT.131: a timer has one of timeDate, "
            "timeDuration and timeCycle (has timeDuration, timeCycle)"
        ],
    ),
    (
        "EXT.132",
        process(
            caught("<timerEventDefinition><timeDate>tomorrow</timeDate></timerEventDefinition>")
        ),
        [
            "line 5, intermediateCatchEvent 'c': EXT.132: timeDate must be an ISO 8601 date and "
            "time or an expression (is 'tomorrow')"
        ],
    ),
    (
        "EXT.133",
        process(
            caught("<timerEventDefinition><timeCycle>R2/often</timeCycle></timerEventDefinition>")
        ),
        [
            "line 5, intermediateCatchEvent 'c': EXT.133: timeCycle must be an ISO 8601 repeating "
            "interval (or cron) or an expression (is 'R2/often')"
        ],
    ),
    (
        "EXT.134",
        process(
            caught(
                "<timerEventDefinition><timeDuration>5 minutes</timeDuration>"
                "</timerEventDefinition>"
            )
        ),
        [
            "line 5, intermediateCatchEvent 'c': EXT.134: timeDuration must be an ISO 8601 "
            "duration or an expression (is '5 minutes')"
        ],
    ),
    (
        "EXT.135",
        process(FLOW.replace('<task id="t"/>', '<exclusiveGateway id="t"/>')),
        [
            "line 5, exclusiveGateway 't': EXT.135: a gateway must split or join: several "
            "incoming or several outgoing flows (has 1 in, 1 out)"
        ],
    ),
    (
        "EXT.136",
        event_gateway(message_catch(1)).replace(
            '<sequenceFlow id="f0" sourceRef="s" targetRef="g"/>',
            '<sequenceFlow id="f0" sourceRef="s" targetRef="g"/>\n'
            '<sequenceFlow id="f00" sourceRef="s" targetRef="g"/>',
        ),
        [
            "line 7, eventBasedGateway 'g': EXT.136: an event-based gateway needs two or more "
            "outgoing flows (has 1)"
        ],
    ),
    (
        "EXT.137",
        event_gateway(message_catch(1) + "\n" + message_catch(2, ".x")),
        [
            "line 10, sequenceFlow 'g2': EXT.137: a flow out of an event-based gateway cannot have "
            "a condition"
        ],
    ),
    (
        "EXT.138",
        event_gateway(
            message_catch(1) + '\n<sequenceFlow id="g2" sourceRef="g" targetRef="t"/>'
            '\n<task id="t"/>\n<sequenceFlow id="h2" sourceRef="t" targetRef="e"/>'
        ),
        [
            "line 10, sequenceFlow 'g2': EXT.138: an event-based gateway leads only to receive "
            "tasks and message, signal, timer or conditional catch events (is 't', a task)"
        ],
    ),
    (
        "EXT.139",
        event_gateway(
            message_catch(1) + '\n<sequenceFlow id="g2" sourceRef="g" targetRef="r"/>'
            '\n<receiveTask id="r" messageRef="m"/>\n'
            '<sequenceFlow id="h2" sourceRef="r" targetRef="e"/>'
        ),
        [
            "line 6, eventBasedGateway 'g': EXT.139: an event-based gateway waits on receive tasks "
            "or on message events, not both"
        ],
    ),
    (
        "EXT.140",
        event_gateway(
            '<sequenceFlow id="g1" sourceRef="g" targetRef="r1"/>\n<receiveTask id="r1" '
            'messageRef="m"/>\n<sequenceFlow id="h1" sourceRef="r1" targetRef="e"/>\n'
            '<sequenceFlow id="g2" sourceRef="g" targetRef="r2"/>\n<receiveTask id="r2" '
            'messageRef="m"/>\n<sequenceFlow id="h2" sourceRef="r2" targetRef="e"/>\n'
            f'<boundaryEvent id="b" attachedToRef="r2">{TIMER}</boundaryEvent>\n'
            '<sequenceFlow id="h3" sourceRef="b" targetRef="e"/>'
        ),
        [
            "line 11, receiveTask 'r2': EXT.140: a receive task after an event-based gateway "
            "cannot have boundary events"
        ],
    ),
    (
        "EXT.141",
        event_gateway(
            message_catch(1)
            + "\n"
            + message_catch(2)
            + '\n<sequenceFlow id="x2" sourceRef="s" targetRef="c2"/>'
        ),
        [
            "line 11, intermediateCatchEvent 'c2': EXT.141: a target of an event-based gateway has"
            " no other incoming flow (has 1 more)"
        ],
    ),
    (
        "EXT.142",
        event_gateway(message_catch(1) + "\n" + message_catch(2), ' instantiate="true"'),
        [
            "line 6, eventBasedGateway 'g': EXT.142: an instantiating event-based gateway cannot "
            "have incoming flows"
        ],
    ),
    (
        "EXT.143",
        process(
            around(
                '<task id="t"/>',
                '<boundaryEvent id="b" attachedToRef="t">'
                "<compensateEventDefinition/></boundaryEvent>",
            )
        ),
        [
            "line 8, boundaryEvent 'b': EXT.143: a compensation boundary event must be associated "
            "with a compensation activity"
        ],
    ),
    (
        "EXT.144",
        process(
            around(
                '<task id="t"/>',
                '<boundaryEvent id="b" attachedToRef="t"><compensateEventDefinition/></boundaryEvent>'
                '\n<association id="as" sourceRef="b" targetRef="h"/>\n<task id="h"/>',
            )
        ),
        [
            "line 8, boundaryEvent 'b': EXT.144: its compensation activity 'h', a task must be "
            'marked isForCompensation="true"',
            # not marked, it is no compensation activity, so it stands in the flow:
            "line 10, task 'h': EXT.150: with a start event in process 'p', every activity and "
            "gateway there must be the target of a sequence flow",
            "line 10, task 'h': EXT.151: with an end event in process 'p', every activity and "
            "gateway there must be the source of a sequence flow",
        ],
    ),
    (
        "EXT.146",
        process(ending(TIMER)),
        [
            "line 5, endEvent 'e': EXT.146: an end event cannot have a timerEventDefinition (only "
            "cancel, compensate, error, escalation, message, signal, terminate)"
        ],
    ),
    (
        "EXT.148",
        process(caught("<errorEventDefinition/>")),
        [
            "line 5, intermediateCatchEvent 'c': EXT.148: an intermediate catch event cannot have "
            "an errorEventDefinition (only conditional, link, message, signal, timer)"
        ],
    ),
    (
        "EXT.148: no definition",
        process(caught("")),
        [
            "line 5, intermediateCatchEvent 'c': EXT.148: an intermediate catch event needs an "
            "event definition (conditional, link, message, signal, timer)"
        ],
    ),
    (
        "EXT.149",
        process(
            caught(
                "<conditionalEventDefinition><condition>.x</condition>"
                "</conditionalEventDefinition>",
                "intermediateThrowEvent",
            )
        ),
        [
            "line 5, intermediateThrowEvent 'c': EXT.149: an intermediate throw event cannot have "
            "a conditionalEventDefinition (only compensate, escalation, link, message, signal)"
        ],
    ),
    (
        "EXT.150",
        process(FLOW + '\n<task id="x"/>\n<sequenceFlow id="f3" sourceRef="x" targetRef="e"/>'),
        [
            "line 8, task 'x': EXT.150: with a start event in process 'p', every activity and "
            "gateway there must be the target of a sequence flow"
        ],
    ),
    (
        "EXT.151",
        process(FLOW + '\n<sequenceFlow id="f3" sourceRef="s" targetRef="x"/>\n<task id="x"/>'),
        [
            "line 9, task 'x': EXT.151: with an end event in process 'p', every activity and "
            "gateway there must be the source of a sequence flow"
        ],
    ),
    (
        "EXT.152",
        process(sub_process(SUB_FLOW) + '\n<sequenceFlow id="f3" sourceRef="ss" targetRef="e"/>'),
        [
            "line 12, sequenceFlow 'f3': EXT.152: a sequence flow cannot cross a sub-process "
            "boundary: its sourceRef is 'ss', a startEvent of another level"
        ],
    ),
]

# valid models close to the invalid ones: none of them may give an issue
VALID: list[tuple[str, str]] = [
    ("a start, a task and an end", process(FLOW)),
    ("flows listed at both ends", process(LISTED)),
    (
        "an empty formal expression outside an executable process",
        process(
            caught(
                '<timerEventDefinition><timeDuration xsi:type="tFormalExpression"/>'
                "</timerEventDefinition>"
            ),
            executable=False,
        ),
    ),
    (
        "a message flow between two pools",
        pools('<messageFlow id="mf" sourceRef="b" targetRef="t"/>'),
    ),
    (
        "an event sub-process started by a timer",
        process(event_sub_process(f'<startEvent id="ess">{TIMER}</startEvent>')),
    ),
    (
        "a compensation boundary event and its handler",
        process(
            around(
                '<task id="t"/>',
                '<boundaryEvent id="b" attachedToRef="t">'
                '<compensateEventDefinition/></boundaryEvent>\n<association id="as" '
                'sourceRef="b" targetRef="h"/>\n<task id="h" isForCompensation="true"/>',
            )
        ),
    ),
    (
        "Camunda's multi-instance over a collection",
        definitions(
            '<process xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="p" '
            'isExecutable="true">\n'
            + around(
                '<task id="t"><multiInstanceLoopCharacteristics '
                'camunda:collection="${items}"/></task>'
            )
            + "\n</process>"
        ),
    ),
    (
        "timers as ISO 8601, cron and expressions",
        process(
            '<startEvent id="s"/>\n<sequenceFlow id="f1" sourceRef="s" targetRef="c1"/>\n'
            '<intermediateCatchEvent id="c1"><timerEventDefinition><timeDate>2030-01-01T09:00:00Z'
            "</timeDate></timerEventDefinition></intermediateCatchEvent>\n"
            '<sequenceFlow id="f2" sourceRef="c1" targetRef="c2"/>\n'
            '<intermediateCatchEvent id="c2"><timerEventDefinition><timeCycle>0 0/5 * * * ?'
            "</timeCycle></timerEventDefinition></intermediateCatchEvent>\n"
            '<sequenceFlow id="f3" sourceRef="c2" targetRef="c3"/>\n'
            '<intermediateCatchEvent id="c3"><timerEventDefinition><timeDuration>${wait}'
            "</timeDuration></timerEventDefinition></intermediateCatchEvent>\n"
            '<sequenceFlow id="f4" sourceRef="c3" targetRef="c4"/>\n'
            '<intermediateCatchEvent id="c4"><timerEventDefinition><timeCycle>'
            "R/2030-01-01T00:00:00Z/P1D</timeCycle></timerEventDefinition>"
            "</intermediateCatchEvent>\n"
            '<sequenceFlow id="f5" sourceRef="c4" targetRef="e"/>\n<endEvent id="e"/>'
        ),
    ),
    (
        "a process of another file, a message of an imported namespace",
        definitions(
            '<process xmlns:other="urn:other" xmlns:here="urn:here" id="p" isExecutable="true">\n'
            + around('<callActivity id="t" calledElement="invoice"/>')
            + '\n<intermediateThrowEvent id="x"><messageEventDefinition messageRef="other:Invoice"/>'
            '</intermediateThrowEvent>\n<sequenceFlow id="f3" sourceRef="s" targetRef="x"/>\n'
            '<sequenceFlow id="f4" sourceRef="x" targetRef="here:e"/>\n</process>'
        ),
    ),
    (
        "link events paired by name",
        process(
            around(
                '<intermediateThrowEvent id="t"><linkEventDefinition name="l"/>'
                "</intermediateThrowEvent>"
            ).replace(
                '<sequenceFlow id="f2" sourceRef="t" targetRef="e"/>',
                '<intermediateCatchEvent id="c"><linkEventDefinition name="l"/>'
                '</intermediateCatchEvent>\n<sequenceFlow id="f2" sourceRef="c" targetRef="e"/>',
            )
        ),
    ),
]


def issues(xml: str) -> list[str]:
    return [str(i) for i in check_constraints(parse(xml.encode(), "m.bpmn"))]


@pytest.mark.parametrize(("rule", "xml", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_refuses_its_model_with_exactly_this_issue(
    rule: str, xml: str, expected: list[str]
) -> None:
    assert issues(xml) == expected


@pytest.mark.parametrize(("name", "xml"), VALID, ids=[v[0] for v in VALID])
def test_valid_models_give_no_issue(name: str, xml: str) -> None:
    assert issues(xml) == []


def test_read_bpmn_refuses_a_model_with_every_violation_before_reading_it() -> None:
    xml = process(
        FLOW.replace('<task id="t"/>', '<task id="t" startQuantity="0"/>') + '\n<endEvent id="e0"/>'
    )
    with pytest.raises(DefinitionError) as refused:
        read_bpmn(xml.encode(), "m.bpmn")
    assert [str(i) for i in refused.value.issues] == [
        "line 5, task 't': EXT.037: startQuantity must be 1 or more (is '0')",
        "line 8, endEvent 'e0': EXT.107: an end event must be the target of a sequence flow",
    ]
    assert str(refused.value).startswith("m.bpmn: line 5, task 't': EXT.037:")


def stage(path: Path) -> str:
    """Where Baton refuses a model: by the constraint "checks", by the
    "reader" or by the "compiler" — or "warned" (the checks found only
    advisory rules broken: it is read, with warnings), or "accepted"."""
    try:
        model = read_bpmn(path.read_bytes(), str(path))
    except DefinitionError as exc:
        return "checks" if any(RULE.match(i.message) for i in exc.issues) else "reader"
    if model.warnings:
        return "warned"
    try:
        compile_bpmn(model, str(path))
    except DefinitionError:
        return "compiler"
    return "accepted"


def rules_broken(path: Path) -> str:
    """The constraints a model breaks that refuse it ("EXT.037, REF"), or ""
    when it is read."""
    try:
        read_bpmn(path.read_bytes(), str(path))
    except DefinitionError as exc:
        found = {m.group(1) for i in exc.issues if (m := RULE.match(i.message))}
        return ", ".join(sorted(found))
    return ""


def rules_warned(path: Path) -> str:
    """The advisory rules a model that is read breaks ("EXT.023")."""
    try:
        model = read_bpmn(path.read_bytes(), str(path))
    except DefinitionError:
        return ""
    found = {m.group(1) for i in model.warnings if (m := RULE.match(i.message))}
    return ", ".join(sorted(found))


def documented(marker: str) -> list[list[str]]:
    """The rows of the table between <!-- marker --> and <!-- /marker --> in docs/bpmn.md."""
    text = DOC.read_text()
    table = text.split(f"<!-- {marker} -->")[1].split(f"<!-- /{marker} -->")[0]
    rows = [line.strip().strip("|").split("|") for line in table.strip().splitlines()]
    return [[cell.strip() for cell in row] for row in rows[2:]]


def prose() -> str:
    return " ".join(DOC.read_text().split())


@corpus
def test_betsys_constraint_models_are_refused_where_docs_bpmn_md_says() -> None:
    listing = yaml.safe_load((CORPORA / "betsy" / "bpmn-constraints.yaml").read_text())
    stages = {
        folder: {Path(f).stem: stage(CORPORA / "betsy" / f) for f in files}
        for folder, files in listing["constraints"].items()
    }
    totals = Counter(s for models in stages.values() for s in models.values())
    assert totals == {"checks": 254, "compiler": 22, "warned": 12, "accepted": 13}
    warned = [m for models in stages.values() for m, s in models.items() if s == "warned"]
    accepted = [m for models in stages.values() for m, s in models.items() if s == "accepted"]
    text = prose()
    refused = totals["checks"] + totals["compiler"]
    assert f"Baton refuses {refused} of them — {totals['checks']} by the constraint checks" in text
    assert f"{totals['compiler']} by the compiler, for using elements outside" in text
    assert f"The checks warn about {totals['warned']} models that break only advisory" in text
    assert f"It accepts {totals['accepted']}:" in text
    assert all(f"`{m}`" in text for m in accepted + warned)
    # a folder whose every model the checks refuse (or warn about) is a
    # constraint Baton checks
    not_checked = {
        folder: f"{list(models.values()).count('checks')} of {len(models)}"
        for folder, models in stages.items()
        if not set(models.values()) <= {"checks", "warned"}
    }
    assert {row[0]: row[1] for row in documented("constraints-not-checked")} == not_checked
    assert f"Every model of {len(stages) - len(not_checked)} of the {len(stages)} folders" in text


@corpus
def test_the_corpora_models_refused_are_those_docs_bpmn_md_names_with_their_rules() -> None:
    semantic = [
        p
        for p in sorted((CORPORA / "betsy" / "models").glob("*/*.bpmn"))
        if "bpmn_constraints" not in str(p)
    ]
    broken = {f"{p.parent.name}/{p.stem}": rules_broken(p) for p in semantic}
    assert {model: rules for model, rules in broken.items() if rules} == {
        "errors/Token_CompletionQuantity_Zero": "EXT.038",
        "errors/Token_StartQuantity_Zero": "EXT.037",
    }
    assert not any(rules_broken(p) for p in (CORPORA / "miwg" / "Reference").glob("*.bpmn"))
    vendor = sorted((CORPORA / "miwg" / "vendor-sample").glob("*/*.bpmn"))
    exports = {(p.parent.name, p.name): rules_broken(p) for p in vendor}
    breaking = {export: rules for export, rules in exports.items() if rules}
    assert {(r[0], r[1]): r[2] for r in documented("vendor-exports-refused")} == breaking
    assert f"the other {len(breaking)} break the rules in the table" in prose()
    warned = {
        export: rules
        for export, rules in (
            (e, rules_warned(CORPORA / "miwg" / "vendor-sample" / e[0] / e[1])) for e in exports
        )
        if rules
    }
    assert {(r[0], r[1]): r[2] for r in documented("vendor-exports-warned")} == warned
