"""Reading a BPMN document into :mod:`.tree`: structure only — ids
present and unique, flows between flow nodes of the same scope, boundary
events on activities that exist. What Baton can run is decided when the
model is compiled, where an element outside the subset is refused by type,
id and line."""

from __future__ import annotations

from typing import Any

from lxml import etree

from ...errors import DefinitionError, Issue
from .constraints import advisory, check_constraints
from .tree import (
    BPMN,
    BPMNDI,
    Extension,
    FlowNode,
    Message,
    MessageFlow,
    Model,
    Process,
    SequenceFlow,
)
from .xml import parse

EVENTS = (
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
)
ACTIVITIES = (
    "task",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "userTask",
    "manualTask",
    "businessRuleTask",
    "scriptTask",
    "callActivity",
)
SUB_PROCESSES = ("subProcess", "transaction", "adHocSubProcess")
GATEWAYS = (
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
)
FLOW_NODES = (*EVENTS, *ACTIVITIES, *SUB_PROCESSES, *GATEWAYS)
# an activity's resource roles: who may (or does) perform it
PEOPLE = ("potentialOwner", "humanPerformer", "performer")
# what a scope may hold besides flow nodes and sequence flows (read elsewhere or not needed to run)
OTHER_CONTENT = (
    "documentation",
    "extensionElements",
    "laneSet",
    "ioSpecification",
    "property",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "dataInputAssociation",
    "dataOutputAssociation",
    "textAnnotation",
    "association",
    "group",
    "auditing",
    "monitoring",
    "multiInstanceLoopCharacteristics",
    "standardLoopCharacteristics",
    "incoming",
    "outgoing",
    "supportedInterfaceRef",
    "resourceRole",
    "performer",
    "humanPerformer",
    "potentialOwner",
    "ioBinding",
    "correlationSubscription",
    "compensateEventDefinition",
    "completionCondition",  # an ad-hoc sub-process's (read with it)
)


def read_bpmn(data: bytes, source: str = "<bytes>") -> Model:
    """The model of a BPMN document, or a DefinitionError naming each
    problem by element type, id and line."""
    root = parse(data, source)
    if root.tag != f"{{{BPMN}}}definitions":
        raise DefinitionError(
            source,
            [
                Issue(
                    f"line {_line(root)}",
                    f"the root is {_local(root)}, not BPMN 2.0 definitions",
                )
            ],
        )
    # BPMN's own rules, before anything reads the model
    violations = check_constraints(root)
    errors = [v for v in violations if not advisory(v)]
    if errors:
        raise DefinitionError(source, errors)
    reader = _Reader()
    # event definitions declared once at the top and referenced by events
    reader.definitions = {
        str(el.get("id")): el
        for el in root
        if isinstance(el.tag, str) and el.tag.endswith("EventDefinition") and el.get("id")
    }
    processes = [reader.process(el) for el in root if el.tag == f"{{{BPMN}}}process"]
    global_tasks = {
        node.id: node
        for node in (
            reader.node(
                el, _local(el)[len("global") :][:1].lower() + _local(el)[len("global") + 1 :]
            )
            for el in root
            if isinstance(el.tag, str)
            and el.tag.startswith(f"{{{BPMN}}}global")
            and _local(el).endswith("Task")
        )
    }
    reader.check_ids(root)
    if not processes:
        reader.problem(root, "the model has no process")
    if reader.issues:
        raise DefinitionError(source, reader.issues)
    return Model(
        processes=processes,
        errors=_named(root, "error", "errorCode"),
        messages={
            str(el.get("id")): Message(
                id=str(el.get("id")),
                name=str(el.get("name") or el.get("id")),
                line=_line(el),
                extension_elements=_extensions(el),
            )
            for el in root
            if el.tag == f"{{{BPMN}}}message" and el.get("id")
        },
        signals=_named(root, "signal", "name"),
        escalations=_named(root, "escalation", "escalationCode"),
        message_flows=[
            MessageFlow(
                id=str(flow.get("id") or ""),
                source=str(flow.get("sourceRef") or ""),
                target=str(flow.get("targetRef") or ""),
                message=flow.get("messageRef"),
                line=_line(flow),
            )
            for collaboration in root.iterchildren(f"{{{BPMN}}}collaboration")
            for flow in collaboration.iterchildren(f"{{{BPMN}}}messageFlow")
        ],
        participants={
            str(part.get("id")): str(part.get("processRef"))
            for collaboration in root.iterchildren(f"{{{BPMN}}}collaboration")
            for part in collaboration.iterchildren(f"{{{BPMN}}}participant")
            if part.get("id") and part.get("processRef")
        },
        global_tasks=global_tasks,
        data_names=_data_names(root),
        event_definitions={
            ident: (_local(el), {str(k): str(v) for k, v in el.attrib.items()})
            for ident, el in reader.definitions.items()
        },
        target_namespace=root.get("targetNamespace"),
        expression_language=root.get("expressionLanguage"),
        exporter=root.get("exporter"),
        warnings=[v for v in violations if advisory(v)],
        has_diagram=_has_diagram(root),
    )


def _has_diagram(root: etree._Element) -> bool:
    """A BPMNDiagram at the top with at least one shape in it."""
    return any(
        next(diagram.iter(f"{{{BPMNDI}}}BPMNShape"), None) is not None
        for diagram in root.iterchildren(f"{{{BPMNDI}}}BPMNDiagram")
    )


def _data_names(root: etree._Element) -> dict[str, str]:
    """Data objects, properties and data inputs by id: the variable each is
    (its name, else its id); a data object reference is its object's."""
    names: dict[str, str] = {}
    kinds = ("dataObject", "property", "dataInput", "dataOutput")
    for el in root.iter(*(f"{{{BPMN}}}{kind}" for kind in kinds)):
        if el.get("id"):
            names[str(el.get("id"))] = str(el.get("name") or el.get("id"))
    for el in root.iter(f"{{{BPMN}}}dataObjectReference"):
        target = names.get(str(el.get("dataObjectRef")))
        if el.get("id"):
            names[str(el.get("id"))] = target or str(el.get("name") or el.get("id"))
    return names


def _named(root: etree._Element, kind: str, attribute: str) -> dict[str, str]:
    """Top-level ``kind`` elements: id -> their ``attribute`` (their id without one)."""
    return {
        str(el.get("id")): str(el.get(attribute) or el.get("id"))
        for el in root
        if el.tag == f"{{{BPMN}}}{kind}" and el.get("id")
    }


def _extensions(el: etree._Element) -> list[Extension]:
    """The children of ``el``'s extensionElements."""
    found: list[Extension] = []
    for holder in el.iterchildren(f"{{{BPMN}}}extensionElements"):
        found += [_extension(child) for child in holder if isinstance(child.tag, str)]
    return found


def _extension(el: etree._Element) -> Extension:
    return Extension(
        tag=str(el.tag),
        attributes={str(k): str(v) for k, v in el.attrib.items()},
        text=(el.text or "").strip() or None,
        children=[_extension(child) for child in el if isinstance(child.tag, str)],
    )


class _Reader:
    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.definitions: dict[str, etree._Element] = {}

    def problem(self, el: etree._Element, message: str) -> None:
        ident = el.get("id")
        where = f"line {_line(el)}" + (f", {_local(el)} {ident!r}" if ident else "")
        self.issues.append(Issue(where, message))

    def process(self, el: etree._Element) -> Process:
        executable = el.get("isExecutable")
        process = Process(
            id=el.get("id") or "",
            line=_line(el),
            name=el.get("name"),
            executable=None if executable is None else executable == "true",
            extension_elements=_extensions(el),
        )
        self.scope(el, process.nodes, process.flows, process.associations, process.data_objects)
        return process

    def scope(
        self,
        container: etree._Element,
        nodes: dict[str, FlowNode],
        flows: dict[str, SequenceFlow],
        associations: list[tuple[str, str]],
        data_objects: dict[str, str | None],
    ) -> None:
        for el in container:
            if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{BPMN}}}"):
                continue  # a vendor's own element
            kind = _local(el)
            if kind == "sequenceFlow":
                flow = self.flow(el)
                flows[flow.id] = flow
            elif kind == "association":
                associations.append((str(el.get("sourceRef")), str(el.get("targetRef"))))
            elif kind == "dataObject" and el.get("id"):
                data_objects[str(el.get("id"))] = el.get("name")
            elif kind in FLOW_NODES:
                node = self.node(el, kind)
                nodes[node.id] = node
            elif kind not in OTHER_CONTENT:
                self.problem(el, f"{kind} is not an element a process holds")
        for flow in flows.values():
            for end, ref in (("sourceRef", flow.source), ("targetRef", flow.target)):
                if ref not in nodes:
                    self.issues.append(
                        Issue(
                            f"line {flow.line}, sequenceFlow {flow.id!r}",
                            f"its {end} {ref!r} is no flow node of the same process or sub-process",
                        )
                    )
        for node in nodes.values():
            if node.kind == "boundaryEvent" and node.attached_to not in nodes:
                self.issues.append(
                    Issue(
                        f"line {node.line}, boundaryEvent {node.id!r}",
                        f"it is attached to {node.attached_to!r}, which is no activity here",
                    )
                )

    def node(self, el: etree._Element, kind: str) -> FlowNode:
        node = FlowNode(
            kind=kind,
            id=el.get("id") or "",
            line=_line(el),
            name=el.get("name"),
            default=el.get("default"),
            attached_to=el.get("attachedToRef"),
        )
        for key, raw in el.attrib.items():
            name, value = str(key), str(raw)
            if name.startswith("{"):
                node.extensions[name] = value
            elif name not in ("id", "name", "default", "attachedToRef"):
                node.attributes[name] = value
        for child in el:
            if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{BPMN}}}"):
                continue
            local = _local(child)
            if local == "incoming":
                node.incoming.append((child.text or "").strip())
            elif local == "outgoing":
                node.outgoing.append((child.text or "").strip())
            elif local.endswith("EventDefinition") or local == "eventDefinitionRef":
                if local == "eventDefinitionRef":
                    # a definition declared at the top: the event has it as its own
                    # (one that names nothing stays a reference, which nothing runs)
                    ref = (child.text or "").strip()
                    if ref in self.definitions:
                        child = self.definitions[ref]
                        local = _local(child)
                node.events.append(local)
                fields = {str(k): str(v) for k, v in child.attrib.items()}
                for part in child:
                    if isinstance(part.tag, str):
                        fields[_local(part)] = (part.text or "").strip()
                node.event_fields.setdefault(local, fields)
                node.definitions.append((local, fields))
            elif local == "extensionElements":
                node.extension_elements += [
                    _extension(part) for part in child if isinstance(part.tag, str)
                ]
            elif local == "script":
                node.script = child.text or ""
            elif local in ("activationCondition", "completionCondition"):
                # a complex gateway's; an ad-hoc sub-process's
                node.attributes[local] = (child.text or "").strip()
            elif local in PEOPLE:
                expressions = [
                    (part.text or "").strip()
                    for part in child.iter(f"{{{BPMN}}}formalExpression", f"{{{BPMN}}}expression")
                ]
                node.resources.append((local, expressions[0] if expressions else None))
            elif local in ("standardLoopCharacteristics", "multiInstanceLoopCharacteristics"):
                node.loop = local
                node.loop_attributes = {str(k): str(v) for k, v in child.attrib.items()}
                node.loop_extensions = _extensions(child)
                for part in child:
                    if isinstance(part.tag, str) and part.tag.startswith(f"{{{BPMN}}}"):
                        # loopCondition, loopCardinality, completionCondition, loopDataInputRef…
                        node.loop_attributes[_local(part)] = (part.text or "").strip()
                        if _local(part) in ("inputDataItem", "outputDataItem"):
                            # a data item's name (or id) is the variable's name
                            named = part.get("name") or part.get("id") or ""
                            node.loop_attributes[_local(part)] = named
        if kind == "scriptTask":
            node.script_format = el.get("scriptFormat")
        if kind in SUB_PROCESSES:
            self.scope(el, node.nodes, node.flows, node.associations, node.data_objects)
        return node

    def flow(self, el: etree._Element) -> SequenceFlow:
        condition = el.find(f"{{{BPMN}}}conditionExpression")
        return SequenceFlow(
            id=el.get("id") or "",
            source=el.get("sourceRef") or "",
            target=el.get("targetRef") or "",
            line=_line(el),
            name=el.get("name"),
            condition=(condition.text or "").strip() if condition is not None else None,
            language=condition.get("language") if condition is not None else None,
        )

    def check_ids(self, root: etree._Element) -> None:
        """Every BPMN element that needs an id has one, and no id is used twice."""
        seen: dict[str, int] = {}
        for el in root.iter():
            if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{BPMN}}}"):
                continue
            kind = _local(el)
            ident = el.get("id")
            if ident is None:
                if kind in (*FLOW_NODES, "sequenceFlow", "process"):
                    self.problem(el, f"a {kind} needs an id")
                continue
            if ident in seen:
                self.problem(el, f"the id {ident!r} is used twice (first at line {seen[ident]})")
            else:
                seen[ident] = _line(el)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _line(el: Any) -> int:
    """The element's line in the document (lxml's ``sourceline``)."""
    return int(getattr(el, "sourceline", 0) or 0)
