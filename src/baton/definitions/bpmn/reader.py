"""Reading a BPMN document into :mod:`.tree`: structure only — ids
present and unique, flows between flow nodes of the same scope, boundary
events on activities that exist. What Baton can run is decided when the
model is compiled, where an element outside the subset is refused by type,
id and line."""

from __future__ import annotations

from typing import Any

from lxml import etree

from ...errors import DefinitionError, Issue
from .constraints import check_constraints
from .tree import BPMN, FlowNode, Model, Process, SequenceFlow
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
    violations = check_constraints(root)  # BPMN's own rules, before anything reads the model
    if violations:
        raise DefinitionError(source, violations)
    reader = _Reader()
    processes = [reader.process(el) for el in root if el.tag == f"{{{BPMN}}}process"]
    reader.check_ids(root)
    if not processes:
        reader.problem(root, "the model has no process")
    if reader.issues:
        raise DefinitionError(source, reader.issues)
    errors = {
        str(el.get("id")): str(el.get("errorCode") or el.get("id"))
        for el in root
        if el.tag == f"{{{BPMN}}}error" and el.get("id")
    }
    return Model(
        processes=processes,
        errors=errors,
        target_namespace=root.get("targetNamespace"),
        exporter=root.get("exporter"),
    )


class _Reader:
    def __init__(self) -> None:
        self.issues: list[Issue] = []

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
        )
        self.scope(el, process.nodes, process.flows)
        return process

    def scope(
        self,
        container: etree._Element,
        nodes: dict[str, FlowNode],
        flows: dict[str, SequenceFlow],
    ) -> None:
        for el in container:
            if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{BPMN}}}"):
                continue  # a vendor's own element
            kind = _local(el)
            if kind == "sequenceFlow":
                flow = self.flow(el)
                flows[flow.id] = flow
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
                node.events.append(local)
                fields = {str(k): str(v) for k, v in child.attrib.items()}
                for part in child:
                    if isinstance(part.tag, str):
                        fields[_local(part)] = (part.text or "").strip()
                node.event_fields[local] = fields
            elif local == "script":
                node.script = child.text or ""
            elif local in ("standardLoopCharacteristics", "multiInstanceLoopCharacteristics"):
                node.loop = local
                node.loop_attributes = {str(k): str(v) for k, v in child.attrib.items()}
                for part in child:
                    if isinstance(part.tag, str) and part.tag.startswith(f"{{{BPMN}}}"):
                        # loopCondition, loopCardinality, completionCondition, loopDataInputRef…
                        node.loop_attributes[_local(part)] = (part.text or "").strip()
        if kind == "scriptTask":
            node.script_format = el.get("scriptFormat")
        if kind in SUB_PROCESSES:
            self.scope(el, node.nodes, node.flows)
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
