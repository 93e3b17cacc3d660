"""Baton's tree of a BPMN model: processes of flow nodes and sequence
flows. Each element keeps its line, so a message can name it as
``exclusiveGateway 'Gateway_1' (line 42)``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


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
    # each event definition's attributes and child texts (timeDuration, name, …)
    event_fields: dict[str, dict[str, str]] = field(default_factory=dict)
    incoming: list[str] = field(default_factory=list)  # sequence flow ids
    outgoing: list[str] = field(default_factory=list)
    default: str | None = None  # a gateway's or activity's default flow
    attached_to: str | None = None  # a boundary event's activity
    script: str | None = None  # a script task's script
    script_format: str | None = None
    # standardLoopCharacteristics or multiInstanceLoopCharacteristics, if any
    loop: str | None = None
    loop_attributes: dict[str, str] = field(default_factory=dict)
    # a sub-process's own flow nodes and flows
    nodes: dict[str, FlowNode] = field(default_factory=dict)
    flows: dict[str, SequenceFlow] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)  # vendor attributes (camunda:topic, …)

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


@dataclass
class Model:
    """A ``definitions`` document: its processes, in document order."""

    processes: list[Process]
    # `error` elements: id -> errorCode (its id when it has none)
    errors: dict[str, str] = field(default_factory=dict)
    target_namespace: str | None = None
    exporter: str | None = None  # the tool that wrote it (exporter attribute)
