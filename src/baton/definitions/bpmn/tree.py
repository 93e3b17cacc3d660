"""Baton's tree of a BPMN model: processes of flow nodes and sequence
flows. Each element keeps its line, so a message can name it as
``exclusiveGateway 'Gateway_1' (line 42)``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import Issue

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"  # the diagram: shapes and edges


@dataclass
class Extension:
    """A vendor's extension element (``zeebe:taskDefinition``,
    ``camunda:inputOutput``, …): its qualified tag, attributes, text and
    children, as written."""

    tag: str  # "{namespace}localName"
    attributes: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    children: list[Extension] = field(default_factory=list)

    @property
    def local(self) -> str:
        return self.tag.rsplit("}", 1)[-1]

    def find(self, local: str) -> Extension | None:
        """The first child (at any depth) with this local name."""
        for child in self.children:
            if child.local == local:
                return child
            found = child.find(local)
            if found is not None:
                return found
        return None


def find_extension(extensions: list[Extension], local: str) -> Extension | None:
    """The first extension element (at any depth) with this local name."""
    for extension in extensions:
        if extension.local == local:
            return extension
        found = extension.find(local)
        if found is not None:
            return found
    return None


@dataclass
class SequenceFlow:
    id: str
    source: str
    target: str
    line: int
    name: str | None = None
    condition: str | None = None  # the conditionExpression's text
    language: str | None = None  # its language attribute, if any


@dataclass
class FlowNode:
    """A flow node: an event, a task, a gateway, a sub-process. ``kind`` is
    the BPMN element's local name (``scriptTask``, ``exclusiveGateway``);
    ``events`` the event definitions' local names (``timerEventDefinition``)."""

    kind: str
    id: str
    line: int
    name: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)  # other attributes, by local name
    events: list[str] = field(default_factory=list)
    # each event definition's attributes and child texts (timeDuration, name, …),
    # by kind (the first of a kind) and all of them in order
    event_fields: dict[str, dict[str, str]] = field(default_factory=dict)
    definitions: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    incoming: list[str] = field(default_factory=list)  # sequence flow ids
    outgoing: list[str] = field(default_factory=list)
    default: str | None = None  # a gateway's or activity's default flow
    attached_to: str | None = None  # a boundary event's activity
    script: str | None = None  # a script task's script
    script_format: str | None = None
    # standardLoopCharacteristics or multiInstanceLoopCharacteristics, if any
    loop: str | None = None
    loop_attributes: dict[str, str] = field(default_factory=dict)
    # the loop's own extension elements (zeebe:loopCharacteristics inputCollection=…)
    loop_extensions: list[Extension] = field(default_factory=list)
    # a sub-process's own flow nodes and flows
    nodes: dict[str, FlowNode] = field(default_factory=dict)
    flows: dict[str, SequenceFlow] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)  # vendor attributes (camunda:topic, …)
    extension_elements: list[Extension] = field(default_factory=list)  # zeebe:taskDefinition, …
    # a sub-process's associations (source id, target id): a compensation
    # boundary event's handler
    associations: list[tuple[str, str]] = field(default_factory=list)
    # dataObject ids and names, and text annotations are not kept
    data_objects: dict[str, str | None] = field(default_factory=dict)
    # an activity's people (potentialOwner, humanPerformer, performer): the
    # role and its resourceAssignmentExpression's text (None without one)
    resources: list[tuple[str, str | None]] = field(default_factory=list)

    def label(self) -> str:
        return f"{self.kind} {self.id!r} (line {self.line})"


@dataclass
class Process:
    id: str
    line: int
    name: str | None = None
    executable: bool | None = None
    nodes: dict[str, FlowNode] = field(default_factory=dict)
    flows: dict[str, SequenceFlow] = field(default_factory=dict)
    associations: list[tuple[str, str]] = field(default_factory=list)
    data_objects: dict[str, str | None] = field(default_factory=dict)
    extension_elements: list[Extension] = field(default_factory=list)


@dataclass
class Message:
    """A ``message`` element: its name (what a catch waits for) and its
    extension elements (Zeebe's ``subscription correlationKey``)."""

    id: str
    name: str
    line: int
    extension_elements: list[Extension] = field(default_factory=list)


@dataclass
class MessageFlow:
    """A message flow of a collaboration: from a throw event, send task or
    participant to a catch event, receive task, start event or participant."""

    id: str
    source: str
    target: str
    message: str | None  # the messageRef
    line: int


@dataclass
class Model:
    """A ``definitions`` document: its processes, in document order."""

    processes: list[Process]
    # `error` elements: id -> errorCode (its id when it has none)
    errors: dict[str, str] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    signals: dict[str, str] = field(default_factory=dict)  # id -> name (its id when it has none)
    escalations: dict[str, str] = field(default_factory=dict)  # id -> escalationCode
    message_flows: list[MessageFlow] = field(default_factory=list)
    participants: dict[str, str] = field(default_factory=dict)  # participant id -> processRef
    # event definitions declared at the top (id -> kind, fields): what an
    # event's eventDefinitionRef or a multi-instance behavior names
    event_definitions: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    # data objects, their references, properties and data inputs: id -> the
    # variable they are (their name, else their id)
    data_names: dict[str, str] = field(default_factory=dict)
    # global tasks (globalScriptTask, …) a call activity may call, as flow nodes
    global_tasks: dict[str, FlowNode] = field(default_factory=dict)
    target_namespace: str | None = None
    # the definitions' expressionLanguage (Baton tells an expression's
    # language by its form, as Camunda does: modellers write XPath here and
    # JUEL in the conditions)
    expression_language: str | None = None
    # BPMN rules the model breaks that do not change what runs (see
    # constraints.ADVISORY): shown as warnings, not refused
    warnings: list[Issue] = field(default_factory=list)
    exporter: str | None = None  # the tool that wrote it (exporter attribute)
    # it has diagram information: a bpmndi:BPMNDiagram with at least one
    # BPMNShape (how the modeller laid it out; Baton does not read it)
    has_diagram: bool = False
