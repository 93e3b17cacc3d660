"""Ids and references: every id is unique (EXT.002), the elements Baton
names by id have one (EXT.003), and every reference names an element of
a kind BPMN allows there (REF) — a sourceRef a flow node, an errorRef an
error, a dataInputRefs a dataInput. A reference into an imported
document (a QName of another namespace) is not checked; a calledElement
or a structureRef only when it names an element of this document (Camunda
and Zeebe call processes deployed from other files; betsy's models give a
signal the structureRef "String")."""

from __future__ import annotations

from collections.abc import Iterator

from ....errors import Issue
from ._index import (
    ACTIVITIES,
    ARTIFACTS,
    CHOREOGRAPHY_ACTIVITIES,
    EVENT_DEFINITIONS,
    EVENTS,
    FLOW_NODES,
    GLOBAL_TASKS,
    ITEM_AWARE,
    SCOPES,
    SUB_PROCESSES,
    TASKS,
    Document,
    Element,
    a,
    describe,
    issue,
    line,
    local,
)

CALLABLE = GLOBAL_TASKS | {"process"}
# what a message flow may connect: pools and the flow nodes that send or receive
INTERACTION_NODES = frozenset({"participant"}) | TASKS | SUB_PROCESSES | {"callActivity"} | EVENTS

# (element kinds, attribute or child element, the kinds it may name, what that is)
# An "@name" is an attribute, a plain name a child element whose text is the reference.
REFERENCES: tuple[tuple[frozenset[str], str, frozenset[str], str], ...] = (
    (frozenset({"boundaryEvent"}), "@attachedToRef", ACTIVITIES, "an activity"),
    # (an artifact at either end is EXT.008/EXT.009, see collaborations)
    (
        frozenset({"messageFlow"}),
        "@sourceRef",
        INTERACTION_NODES | ARTIFACTS,
        "a pool or flow node",
    ),
    (
        frozenset({"messageFlow"}),
        "@targetRef",
        INTERACTION_NODES | ARTIFACTS,
        "a pool or flow node",
    ),
    (frozenset({"messageFlow"}), "@messageRef", frozenset({"message"}), "a message"),
    (frozenset({"sendTask", "receiveTask"}), "@messageRef", frozenset({"message"}), "a message"),
    (
        frozenset({"serviceTask", "sendTask", "receiveTask"}),
        "@operationRef",
        frozenset({"operation"}),
        "an operation",
    ),
    (frozenset({"messageEventDefinition"}), "@messageRef", frozenset({"message"}), "a message"),
    (
        frozenset({"messageEventDefinition"}),
        "operationRef",
        frozenset({"operation"}),
        "an operation",
    ),
    (frozenset({"errorEventDefinition"}), "@errorRef", frozenset({"error"}), "an error"),
    (
        frozenset({"escalationEventDefinition"}),
        "@escalationRef",
        frozenset({"escalation"}),
        "an escalation",
    ),
    (frozenset({"signalEventDefinition"}), "@signalRef", frozenset({"signal"}), "a signal"),
    (frozenset({"compensateEventDefinition"}), "@activityRef", ACTIVITIES, "an activity"),
    (
        EVENTS,
        "eventDefinitionRef",
        EVENT_DEFINITIONS,
        "an event definition",
    ),
    (
        frozenset({"linkEventDefinition"}),
        "source",
        frozenset({"linkEventDefinition"}),
        "a linkEventDefinition",
    ),
    (
        frozenset({"linkEventDefinition"}),
        "target",
        frozenset({"linkEventDefinition"}),
        "a linkEventDefinition",
    ),
    (
        frozenset({"dataObjectReference"}),
        "@dataObjectRef",
        frozenset({"dataObject"}),
        "a dataObject",
    ),
    (
        frozenset({"dataStoreReference"}),
        "@dataStoreRef",
        frozenset({"dataStore"}),
        "a dataStore",
    ),
    (
        frozenset({"dataObject", "dataInput", "dataOutput", "property", "dataStore"}),
        "@itemSubjectRef",
        frozenset({"itemDefinition"}),
        "an itemDefinition",
    ),
    (frozenset({"message"}), "@itemRef", frozenset({"itemDefinition"}), "an itemDefinition"),
    (frozenset({"participant"}), "@processRef", frozenset({"process"}), "a process"),
    (frozenset({"participant"}), "interfaceRef", frozenset({"interface"}), "an interface"),
    (frozenset({"participant"}), "endPointRef", frozenset({"endPoint"}), "an endPoint"),
    (
        CALLABLE,
        "supportedInterfaceRef",
        frozenset({"interface"}),
        "an interface",
    ),
    (
        frozenset({"process"}),
        "@definitionalCollaborationRef",
        frozenset({"collaboration", "globalConversation"}),
        "a collaboration",
    ),
    (
        frozenset({"collaboration", "globalConversation", "choreography"}),
        "choreographyRef",
        frozenset({"choreography", "globalChoreographyTask"}),
        "a choreography",
    ),
    (
        frozenset({"inputSet"}),
        "dataInputRefs",
        frozenset({"dataInput"}),
        "a dataInput",
    ),
    (
        frozenset({"inputSet"}),
        "optionalInputRefs",
        frozenset({"dataInput"}),
        "a dataInput",
    ),
    (
        frozenset({"inputSet"}),
        "whileExecutingInputRefs",
        frozenset({"dataInput"}),
        "a dataInput",
    ),
    (frozenset({"inputSet"}), "outputSetRefs", frozenset({"outputSet"}), "an outputSet"),
    (
        frozenset({"outputSet"}),
        "dataOutputRefs",
        frozenset({"dataOutput"}),
        "a dataOutput",
    ),
    (
        frozenset({"outputSet"}),
        "optionalOutputRefs",
        frozenset({"dataOutput"}),
        "a dataOutput",
    ),
    (
        frozenset({"outputSet"}),
        "whileExecutingOutputRefs",
        frozenset({"dataOutput"}),
        "a dataOutput",
    ),
    (frozenset({"outputSet"}), "inputSetRefs", frozenset({"inputSet"}), "an inputSet"),
    (
        frozenset({"dataInputAssociation", "dataOutputAssociation"}),
        "sourceRef",
        ITEM_AWARE,
        "a data element",
    ),
    (
        frozenset({"dataInputAssociation", "dataOutputAssociation"}),
        "targetRef",
        ITEM_AWARE,
        "a data element",
    ),
    (frozenset({"operation"}), "inMessageRef", frozenset({"message"}), "a message"),
    (frozenset({"operation"}), "outMessageRef", frozenset({"message"}), "a message"),
    (frozenset({"operation"}), "errorRef", frozenset({"error"}), "an error"),
    (frozenset({"ioBinding"}), "@operationRef", frozenset({"operation"}), "an operation"),
    (frozenset({"ioBinding"}), "@inputDataRef", frozenset({"dataInput"}), "a dataInput"),
    (frozenset({"ioBinding"}), "@outputDataRef", frozenset({"dataOutput"}), "a dataOutput"),
    (
        frozenset({"partnerEntity", "partnerRole"}),
        "participantRef",
        frozenset({"participant"}),
        "a participant",
    ),
    (
        frozenset({"correlationKey"}),
        "correlationPropertyRef",
        frozenset({"correlationProperty"}),
        "a correlationProperty",
    ),
    (
        frozenset({"correlationPropertyBinding"}),
        "@correlationPropertyRef",
        frozenset({"correlationProperty"}),
        "a correlationProperty",
    ),
    (
        frozenset({"correlationPropertyRetrievalExpression"}),
        "@messageRef",
        frozenset({"message"}),
        "a message",
    ),
    (
        frozenset({"correlationSubscription"}),
        "@correlationKeyRef",
        frozenset({"correlationKey"}),
        "a correlationKey",
    ),
    (frozenset({"group"}), "@categoryValueRef", frozenset({"categoryValue"}), "a categoryValue"),
    (
        frozenset({"performer", "humanPerformer", "potentialOwner", "resourceRole"}),
        "resourceRef",
        frozenset({"resource"}),
        "a resource",
    ),
    (
        frozenset({"resourceParameterBinding"}),
        "@parameterRef",
        frozenset({"resourceParameter"}),
        "a resourceParameter",
    ),
    (
        CHOREOGRAPHY_ACTIVITIES,
        "participantRef",
        frozenset({"participant"}),
        "a participant",
    ),
    (
        CHOREOGRAPHY_ACTIVITIES,
        "@initiatingParticipantRef",
        frozenset({"participant"}),
        "a participant",
    ),
    (
        frozenset({"choreographyTask"}),
        "messageFlowRef",
        frozenset({"messageFlow"}),
        "a messageFlow",
    ),
    (
        frozenset({"callConversation"}),
        "@calledCollaborationRef",
        frozenset({"collaboration", "globalConversation"}),
        "a collaboration",
    ),
)
LOCAL_ONLY = {
    "callActivity": ("calledElement", CALLABLE, "a process or a global task"),
    "error": ("structureRef", frozenset({"itemDefinition"}), "an itemDefinition"),
    "escalation": ("structureRef", frozenset({"itemDefinition"}), "an itemDefinition"),
    "signal": ("structureRef", frozenset({"itemDefinition"}), "an itemDefinition"),
}
# kinds whose id Baton needs to name a step or a flow
NEEDS_ID = FLOW_NODES | {"sequenceFlow", "process"}


def check_ids(doc: Document) -> Iterator[Issue]:
    """EXT.002: an id is used once; EXT.003: flow nodes, sequence flows and
    processes have one."""
    seen: dict[str, Element] = {}
    for el in doc.elements:
        ident = el.get("id")
        if ident is None:
            if local(el) in NEEDS_ID:
                yield issue(el, "EXT.003", f"{a(local(el))} needs an id")
            continue
        first = seen.setdefault(ident, el)
        if first is not el:
            yield issue(
                el,
                "EXT.002",
                f"the id {ident!r} is used twice (first by the {local(first)} at line {line(first)})",
            )


def check_references(doc: Document) -> Iterator[Issue]:
    """REF: each reference of the table above names an element of a kind it may name."""
    by_kind: dict[str, list[tuple[str, frozenset[str], str]]] = {}
    for kinds, field, allowed, what in REFERENCES:
        for kind in kinds:
            by_kind.setdefault(kind, []).append((field, allowed, what))
    for el in doc.elements:
        for field, allowed, what in by_kind.get(local(el), ()):
            if field.startswith("@"):
                values = [(el, el.get(field[1:]))] if el.get(field[1:]) is not None else []
            else:
                values = [(child, child.text) for child in el if local(child) == field]
            for holder, value in values:
                yield from _reference(doc, el, holder, field.lstrip("@"), value, allowed, what)
    # checked only when they name an element here: Camunda and Zeebe call processes of
    # other files by id; a structureRef may name a type of the type language ("String")
    for el in doc.all("callActivity", "error", "escalation", "signal"):
        field, allowed, what = LOCAL_ONLY[local(el)]
        target = doc.resolve(el, el.get(field))
        if target is not None and local(target) not in allowed:
            yield issue(
                el, "REF", f"{a(local(el))}'s {field} must be {what} (is {describe(target)})"
            )


def _reference(
    doc: Document,
    el: Element,
    holder: Element,
    field: str,
    value: str | None,
    allowed: frozenset[str],
    what: str,
) -> Iterator[Issue]:
    ident = doc.ref_id(holder, value)
    if ident is None:
        if not (value or "").strip():
            yield issue(el, "REF", f"its {field} is empty")
        return
    target = doc.by_id.get(ident)
    if target is None:
        yield issue(el, "REF", f"its {field} {ident!r} names nothing in the model")
    elif local(target) not in allowed:
        yield issue(el, "REF", f"{a(local(el))}'s {field} must be {what} (is {describe(target)})")


def check_scopes(doc: Document) -> Iterator[Issue]:
    """A boundary event is attached to an activity of its own process or
    sub-process; nothing else here (flows: see sequence_flows)."""
    for event in doc.all("boundaryEvent"):
        target = doc.resolve(event, event.get("attachedToRef"))
        if target is None or local(target) not in ACTIVITIES:
            continue  # the reference check says what it is
        if doc.scope_of(target) is not doc.scope_of(event):
            yield issue(
                event,
                "REF",
                f"a boundary event must be attached to an activity of its own "
                f"{_scope_name(doc.scope_of(event))} (is {describe(target)} of another)",
            )


def _scope_name(scope: Element | None) -> str:
    return "process" if scope is None or local(scope) not in SCOPES else local(scope)
