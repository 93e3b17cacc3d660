"""The parsed document, indexed once for every constraint check: BPMN
elements by id, sequence flows by source and target, references resolved
the way BPMN resolves them (a QName whose prefix names another namespace
points into an imported document and is not checked here), and the one
way every check names an element (``line 12, sequenceFlow 'Flow_3'``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ....errors import Issue

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

Element = Any  # an lxml element (etree._Element); lxml's stubs are not precise enough

START, END = "startEvent", "endEvent"
CATCH, THROW, BOUNDARY = "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"
EVENTS = frozenset({START, END, CATCH, THROW, BOUNDARY, "implicitThrowEvent"})
TASKS = frozenset(
    {
        "task",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "userTask",
        "manualTask",
        "businessRuleTask",
        "scriptTask",
    }
)
SUB_PROCESSES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
ACTIVITIES = TASKS | SUB_PROCESSES | {"callActivity"}
GATEWAYS = frozenset(
    {
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
GLOBAL_TASKS = frozenset(
    {
        "globalTask",
        "globalUserTask",
        "globalManualTask",
        "globalScriptTask",
        "globalBusinessRuleTask",
    }
)
CHOREOGRAPHY_ACTIVITIES = frozenset({"choreographyTask", "subChoreography", "callChoreography"})
FLOW_NODES = EVENTS | ACTIVITIES | GATEWAYS
ARTIFACTS = frozenset({"association", "group", "textAnnotation"})
EVENT_DEFINITIONS = frozenset(
    {
        "cancelEventDefinition",
        "compensateEventDefinition",
        "conditionalEventDefinition",
        "errorEventDefinition",
        "escalationEventDefinition",
        "linkEventDefinition",
        "messageEventDefinition",
        "signalEventDefinition",
        "terminateEventDefinition",
        "timerEventDefinition",
    }
)
# the elements that hold data (BPMN's ItemAwareElement)
ITEM_AWARE = frozenset(
    {
        "dataObject",
        "dataObjectReference",
        "dataStore",
        "dataStoreReference",
        "dataInput",
        "dataOutput",
        "property",
    }
)
# the containers of flow elements: a process and its sub-processes
SCOPES = frozenset({"process"}) | SUB_PROCESSES


def local(el: Element) -> str:
    """The element's local name (``sequenceFlow``), or '' for a non-element."""
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def is_bpmn(el: Element) -> bool:
    return isinstance(el.tag, str) and el.tag.startswith(f"{{{BPMN}}}")


def line(el: Element) -> int:
    return int(getattr(el, "sourceline", 0) or 0)


def where(el: Element) -> str:
    """How an issue names the element: ``line 12, sequenceFlow 'Flow_3'``."""
    ident = el.get("id")
    return f"line {line(el)}, {local(el)}" + (f" {ident!r}" if ident else "")


def a(word: str) -> str:
    """The word with its indefinite article: ``a task``, ``an outputSet``."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def describe(el: Element) -> str:
    """``'Data_1', a dataObject`` — what a reference turned out to name."""
    return f"{el.get('id')!r}, {a(local(el))}"


def issue(el: Element, constraint: str, text: str) -> Issue:
    return Issue(where(el), f"{constraint}: {text}")


def children(el: Element, *kinds: str) -> list[Element]:
    """The element's BPMN children of the given kinds (all of them if none given)."""
    return [c for c in el if is_bpmn(c) and (not kinds or local(c) in kinds)]


def texts(el: Element, kind: str) -> list[str]:
    """The texts of the element's children of one kind (``dataInputRefs``…)."""
    return [(c.text or "").strip() for c in children(el, kind)]


def flag(el: Element, name: str, default: bool) -> bool:
    """A boolean attribute (``isCollection``) with its XSD default."""
    value = el.get(name)
    return default if value is None else value.strip() == "true"


class Document:
    """One BPMN document: its elements by id, its sequence flows by end."""

    def __init__(self, root: Element) -> None:
        self.root = root
        self.target_namespace = root.get("targetNamespace")
        self.elements: list[Element] = [el for el in root.iter() if is_bpmn(el)]
        self.by_id: dict[str, Element] = {}
        self.by_kind: dict[str, list[Element]] = {}
        for el in self.elements:
            self.by_kind.setdefault(local(el), []).append(el)
            ident = el.get("id")
            if ident is not None:
                self.by_id.setdefault(ident, el)
        self.flows = self.all("sequenceFlow")
        self.flows_from: dict[str, list[Element]] = {}
        self.flows_to: dict[str, list[Element]] = {}
        for flow in self.flows:
            for attribute, index in (("sourceRef", self.flows_from), ("targetRef", self.flows_to)):
                ref = self.ref_id(flow, flow.get(attribute))
                if ref is not None:
                    index.setdefault(ref, []).append(flow)

    def all(self, *kinds: str) -> list[Element]:
        """The elements of these kinds, in document order."""
        if len(kinds) == 1:
            return list(self.by_kind.get(kinds[0], ()))
        return [el for el in self.elements if local(el) in kinds]

    def ref_id(self, el: Element, value: str | None) -> str | None:
        """The local id a reference names, or None when it is empty or names
        an element of another namespace (an imported document)."""
        value = (value or "").strip()
        if not value:
            return None
        if ":" in value:
            prefix, name = value.split(":", 1)
            namespace = el.nsmap.get(prefix)
            if namespace is not None and namespace not in (self.target_namespace, BPMN):
                return None
            return name
        return value

    def resolve(self, el: Element, value: str | None) -> Element | None:
        ident = self.ref_id(el, value)
        return None if ident is None else self.by_id.get(ident)

    def incoming(self, node: Element) -> list[Element]:
        return self.flows_to.get(node.get("id") or "", []) if node.get("id") else []

    def outgoing(self, node: Element) -> list[Element]:
        return self.flows_from.get(node.get("id") or "", []) if node.get("id") else []

    def definitions(self, event: Element) -> list[tuple[str, Element]]:
        """An event's event definitions, inline or by ``eventDefinitionRef``,
        as (kind, element) pairs; a reference that names no event definition
        is left to the reference checks."""
        found = []
        for child in children(event):
            kind = local(child)
            if kind in EVENT_DEFINITIONS:
                found.append((kind, child))
            elif kind == "eventDefinitionRef":
                target = self.resolve(child, child.text)
                if target is not None and local(target) in EVENT_DEFINITIONS:
                    found.append((local(target), target))
        return found

    def executable(self, el: Element) -> bool:
        """Whether the element belongs to a process marked isExecutable="true"
        or to a global task (which has no such flag: it is there to be called)."""
        process = self.process_of(el)
        if process is not None:
            return flag(process, "isExecutable", False)
        return any(
            is_bpmn(ancestor) and local(ancestor) in GLOBAL_TASKS
            for ancestor in _ancestors_or_self(el)
        )

    def process_of(self, el: Element) -> Element | None:
        for ancestor in _ancestors_or_self(el):
            if is_bpmn(ancestor) and local(ancestor) == "process":
                return ancestor
        return None

    def scope_of(self, el: Element) -> Element | None:
        """The process or sub-process whose flow element this is."""
        parent = el.getparent()
        while parent is not None and not (is_bpmn(parent) and local(parent) in SCOPES):
            parent = parent.getparent()
        return parent

    def item(self, el: Element) -> Element | None:
        """The itemDefinition of an item-aware element (a data object
        reference's through its data object), if it names one here."""
        if local(el) == "dataObjectReference":
            target = self.resolve(el, el.get("dataObjectRef"))
            el = target if target is not None else el
        elif local(el) == "dataStoreReference":
            target = self.resolve(el, el.get("dataStoreRef"))
            el = target if target is not None else el
        found = self.resolve(el, el.get("itemSubjectRef"))
        return found if found is not None and local(found) == "itemDefinition" else None


def same_item(one: Element | None, other: Element | None) -> bool | None:
    """Whether two itemDefinitions describe the same data: the same element,
    or the same structureRef and collection-ness. None when either is
    unknown (then no check can tell)."""
    if one is None or other is None:
        return None
    if one is other:
        return True
    if flag(one, "isCollection", False) != flag(other, "isCollection", False):
        return False
    return bool(one.get("structureRef")) and one.get("structureRef") == other.get("structureRef")


def _ancestors_or_self(el: Element) -> Iterator[Element]:
    while el is not None:
        yield el
        el = el.getparent()
