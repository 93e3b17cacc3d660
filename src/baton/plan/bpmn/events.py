"""BPMN events as plan nodes: start, end, intermediate throw and catch
events, and what fires a boundary event or an event sub-process (a
trigger). Boundary events themselves are in :mod:`.boundaries`; links,
event-based gateways, timer cycles, event sub-processes and started
processes in :mod:`.event_flows`.

- Catching a message or a signal is waiting for an event of that name sent
  to the run (``baton send --type NAME``; a signal's wait is shared, so every
  catch that waits for it takes it); its data (an object) is merged into the
  process variables. A message's Zeebe ``correlationKey`` must equal the
  event's ``subject``.
- Throwing a signal hands it to every wait of the run and of every other
  run that waits for it; throwing a message sends it to the runs waiting for
  it and starts the model's processes whose start event (or instantiating
  receive task) takes that message — as a signal does for signal start
  events; an escalation goes to the innermost activity with a boundary
  event (or event sub-process) for it.
"""

from __future__ import annotations

import json

from ...definitions.bpmn import FlowNode
from ...definitions.bpmn.tree import find_extension
from ...errors import Issue
from ..model import (
    ErrorSpec,
    EventFilter,
    Expr,
    NodeKind,
    PlanStep,
    ThrowSpec,
    Trigger,
    WaitSpec,
)
from .base import CompilerBase
from .conditions import INPUT_VARIABLES, MERGE_EVENT_DATA, jq
from .timers import read_timer

ERROR_TYPE = "bpmn:error:"  # the type of an error an error end event throws, then its code
CANCEL_TYPE = "bpmn:cancel"  # a cancel end event's: its transaction is cancelled
# what each kind of event may be defined as (() is none)
CATCHING = (
    "messageEventDefinition",
    "signalEventDefinition",
    "timerEventDefinition",
    "conditionalEventDefinition",
)
THROWING = (
    "signalEventDefinition",
    "escalationEventDefinition",
    "messageEventDefinition",
    "compensateEventDefinition",
)
# what may undo an activity: a task, a script task, an action
UNDO_KINDS = (NodeKind.ACTION, NodeKind.SET, NodeKind.NOOP, NodeKind.SCOPE)
ESP_TRIGGERS = (*CATCHING, "errorEventDefinition", "escalationEventDefinition")
# what an event sub-process's start event may be: a trigger, or compensation
ESP_STARTS = (*ESP_TRIGGERS, "compensateEventDefinition")
BOUNDARY = (
    *CATCHING,
    "errorEventDefinition",
    "escalationEventDefinition",
    "cancelEventDefinition",
)


class Events(CompilerBase):
    """The event part of the compiler."""

    # ---- starts ---------------------------------------------------------------

    @staticmethod
    def is_event_subprocess(node: FlowNode) -> bool:
        return node.kind == "subProcess" and node.attributes.get("triggeredByEvent") == "true"

    def check_starts(
        self, nodes: dict[str, FlowNode], where: str, *, top: bool, started_by_event: bool
    ) -> None:
        """One start event a scope (a process may instead begin at a receive
        task that instantiates it); a process's may have a trigger (whatever
        starts the run is it), an event sub-process's must, a sub-process's
        must not."""
        starts = [n for n in nodes.values() if n.kind == "startEvent"]
        if not starts and top:
            starts = [n for n in nodes.values() if self.instantiates(n)]
        if len(starts) != 1:
            self.issues.append(
                Issue(where, f"exactly one start event is needed here (there are {len(starts)})")
            )
            return
        start = starts[0]
        if start.kind != "startEvent":
            return
        if started_by_event:
            if len(start.events) != 1 or start.events[0] not in ESP_STARTS:
                self.refuse(
                    start,
                    "an event sub-process's start event needs one of: "
                    + ", ".join(d.removesuffix("EventDefinition") for d in ESP_STARTS)
                    + (f" (it has {', '.join(start.events)})" if start.events else ""),
                )
        elif start.events and (not top or len(start.events) > 1 or start.events[0] not in CATCHING):
            place = "a process's start event" if top else "a sub-process's start event"
            self.refuse(
                start,
                f"{place} with {', '.join(start.events)} is not supported "
                + (
                    "(one message, signal, timer or conditional definition is)"
                    if top
                    else "(a none start event is)"
                ),
            )

    @staticmethod
    def instantiates(node: FlowNode) -> bool:
        return node.kind == "receiveTask" and node.attributes.get("instantiate") == "true"

    # ---- events as nodes ------------------------------------------------------

    def event_node(self, node: FlowNode, step: PlanStep, top: bool) -> None:
        """What a start, end, intermediate or boundary event does (a
        boundary event itself only passes its token on: :meth:`boundaries`)."""
        kind, events = node.kind, node.events
        if kind == "startEvent":
            if top:
                step.export = INPUT_VARIABLES  # the run's input: the first process variables
            elif set(events) & {"messageEventDefinition", "signalEventDefinition"}:
                step.export = MERGE_EVENT_DATA  # an event sub-process's event
        elif kind == "endEvent":
            self.end_event(node, step)
        elif kind == "intermediateThrowEvent":
            if events and events != ["linkEventDefinition"]:
                self.throws(node, step)
        elif kind == "intermediateCatchEvent":
            self.catch_event(node, step)
        elif kind == "boundaryEvent":
            bad = [d for d in events if d not in BOUNDARY]
            if bad or len(events) != 1:
                self.refuse(
                    node,
                    "a boundary event needs one of: "
                    + ", ".join(d.removesuffix("EventDefinition") for d in BOUNDARY)
                    + f" (it has {', '.join(events) or 'none'})",
                )
            elif events[0] in ("messageEventDefinition", "signalEventDefinition"):
                step.export = MERGE_EVENT_DATA

    def end_event(self, node: FlowNode, step: PlanStep) -> None:
        events = node.events
        if not events or events == ["terminateEventDefinition"]:
            return
        if len(events) > 1:
            self.throws(node, step)
            return
        definition = events[0]
        if definition == "errorEventDefinition":
            # the enclosing scope fails with this error
            code = self.error_code(node)
            step.kind = NodeKind.RAISE
            step.error = ErrorSpec(
                type=ERROR_TYPE + code,
                title=f"BPMN error {code or '(no code)'} thrown by {node.id}",
            )
        elif definition == "cancelEventDefinition":
            step.kind = NodeKind.RAISE
            step.error = ErrorSpec(type=CANCEL_TYPE, title=f"transaction cancelled by {node.id}")
        else:
            self.throws(node, step)

    def throws(self, node: FlowNode, step: PlanStep) -> None:
        """A throw event (or several definitions: each is thrown)."""
        specs = [s for s in (self.throw_spec(node, d, f) for d, f in node.definitions) if s]
        if len(specs) != len(node.events):
            return
        if len(specs) == 1:
            step.kind, step.throw = NodeKind.THROW, specs[0]
            return
        step.kind = NodeKind.SCOPE
        step.body = [
            PlanStep(
                id=f"{node.id}/{index + 1}",
                name=f"{node.name or node.id} ({spec.kind} {spec.name})",
                action={},
                kind=NodeKind.THROW,
                throw=spec,
            )
            for index, spec in enumerate(specs)
        ]

    def throw_spec(
        self, node: FlowNode, definition: str, fields: dict[str, str]
    ) -> ThrowSpec | None:
        if definition == "signalEventDefinition":
            return ThrowSpec(kind="signal", name=self.signal_name(node, fields))
        if definition == "escalationEventDefinition":
            ref = fields.get("escalationRef")
            return ThrowSpec(
                kind="escalation", name=self.model.escalations.get(ref, ref) if ref else ""
            )
        if definition == "messageEventDefinition":
            name = self.message_name(node, fields.get("messageRef"))
            return ThrowSpec(kind="message", name=name, data=jq("$context")) if name else None
        if definition == "compensateEventDefinition":
            if fields.get("waitForCompletion", "true") == "false":
                self.refuse(
                    node, 'waitForCompletion="false" is not supported (compensation is waited for)'
                )
                return None
            return ThrowSpec(kind="compensate", name=fields.get("activityRef", ""))
        self.refuse(
            node,
            f"a {node.kind} with {definition} is not supported yet (signal, escalation and "
            "message and compensation ones are; end events also error, terminate and cancel)",
        )
        return None

    def catch_event(self, node: FlowNode, step: PlanStep) -> None:
        events = node.events
        if events == ["linkEventDefinition"]:
            return
        if not events or any(d not in CATCHING for d in events):
            self.refuse(
                node,
                "an intermediate catch event needs a message, signal, timer, conditional or "
                f"link definition (it has {', '.join(events) or 'none'})",
            )
            return
        if len(events) == 1 and events[0] == "timerEventDefinition":
            timer, problem = read_timer(node.event_fields.get("timerEventDefinition", {}))
            if timer is None:
                self.refuse(node, problem or "")
                return
            step.kind, step.wait = NodeKind.WAIT, timer.wait
            if timer.cycle:
                if timer.repeat is None:
                    self.refuse(
                        node, "a timer cycle without an end on an intermediate event never ends"
                    )
                    return
                step.loop = None
                # it waits for its last firing; its trigger passes the earlier ones on
                if timer.last is not None:
                    step.wait = WaitSpec(at=jq(json.dumps(timer.last)))
                else:
                    step.wait = WaitSpec(seconds=(timer.wait.seconds or 0) * timer.repeat)
                step.triggers = (
                    [
                        Trigger(
                            to=f"{node.id}/tick",
                            interrupting=False,
                            wait=timer.wait,
                            repeat=timer.repeat - 1,
                            every=timer.every,
                        )
                    ]
                    if timer.repeat > 1
                    else []
                )
            return
        if len(events) == 1 and events[0] == "conditionalEventDefinition":
            condition = self.conditional(node)
            if condition is not None:
                step.kind, step.wait = NodeKind.WAIT, WaitSpec(condition=condition)
            return
        if "timerEventDefinition" in events or "conditionalEventDefinition" in events:
            self.refuse(
                node, "a catch event with several definitions takes messages and signals only"
            )
            return
        filters = [self.event_filter(node, d, f) for d, f in node.definitions]
        if any(f is None for f in filters):
            return
        every = node.attributes.get("parallelMultiple") == "true"
        step.kind = NodeKind.WAIT
        step.wait = WaitSpec(
            events=[f for f in filters if f is not None],
            mode="all" if every else "any",
            shared="signalEventDefinition" in events,
        )
        step.export = MERGE_EVENT_DATA

    def event_filter(
        self,
        node: FlowNode,
        definition: str,
        fields: dict[str, str] | None = None,
        message_ref: str | None = None,
    ) -> EventFilter | None:
        """What a message or signal catch waits for: an event of its name
        (a message's Zeebe correlationKey: its ``subject``)."""
        fields = node.event_fields.get(definition, {}) if fields is None else fields
        if definition == "signalEventDefinition":
            return EventFilter(type=self.signal_name(node, fields))
        ref = message_ref or fields.get("messageRef") or node.attributes.get("messageRef")
        name = self.message_name(node, ref)
        if name is None:
            return None
        message = self.model.messages.get(ref or "")
        subscription = (
            find_extension(message.extension_elements, "subscription") if message else None
        )
        key = subscription.attributes.get("correlationKey") if subscription else None
        if not key:
            return EventFilter(type=name)
        path = key.strip().removeprefix("=").strip()
        if not path.replace(".", "").replace("_", "").isalnum() or path[:1].isdigit():
            self.refuse(
                node,
                f"the correlationKey {key!r} of message {name!r} is not supported yet "
                "(a variable name or path such as =orderId is)",
            )
            return None
        value = jq(f'$context | .{path} | if type == "string" then . else tojson end')
        return EventFilter(type=name, correlate={"subject": value})

    def signal_name(self, node: FlowNode, fields: dict[str, str]) -> str:
        ref = fields.get("signalRef")
        if ref and ref in self.model.signals:
            return self.model.signals[ref]
        if ref:
            return ref
        self.refuse(node, "a signal event needs a signalRef (the signal's name is what is sent)")
        return node.id

    def message_name(self, node: FlowNode, ref: str | None) -> str | None:
        if not ref:
            self.refuse(
                node, "a message event needs a messageRef (the message's name is what is sent)"
            )
            return None
        message = self.model.messages.get(ref)
        if message is None:
            self.refuse(node, f"its messageRef {ref!r} is no message of the model")
            return None
        return message.name

    def error_code(self, node: FlowNode) -> str:
        ref = node.event_fields.get("errorEventDefinition", {}).get("errorRef")
        return self.errors.get(ref, ref) if ref else ""

    def conditional(self, node: FlowNode) -> Expr | None:
        fields = node.event_fields.get("conditionalEventDefinition", {})
        text = fields.get("condition", "")
        if not text:
            self.refuse(node, "a conditional event needs a condition")
            return None
        return self.expression(node, text, "condition")

    # ---- triggers -------------------------------------------------------------

    def trigger(self, node: FlowNode, to: str, interrupting: bool) -> Trigger | None:
        """What fires a boundary event or an event sub-process's start event."""
        definition = node.events[0]
        fields = node.event_fields.get(definition, {})
        if definition == "timerEventDefinition":
            timer, problem = read_timer(fields)
            if timer is None:
                self.refuse(node, problem or "")
                return None
            repeat = timer.repeat if not interrupting else 1
            return Trigger(
                to=to, interrupting=interrupting, wait=timer.wait, repeat=repeat, every=timer.every
            )
        if definition in ("messageEventDefinition", "signalEventDefinition"):
            wanted = self.event_filter(node, definition)
            if wanted is None:
                return None
            shared = definition == "signalEventDefinition"
            return Trigger(
                to=to, interrupting=interrupting, wait=WaitSpec(events=[wanted], shared=shared)
            )
        if definition == "escalationEventDefinition":
            ref = fields.get("escalationRef")
            code = self.model.escalations.get(ref, ref) if ref else ""
            return Trigger(to=to, interrupting=interrupting, escalation=code)
        if definition == "conditionalEventDefinition":
            condition = self.conditional(node)
            if condition is None:
                return None
            return Trigger(to=to, interrupting=interrupting, condition=condition)
        self.refuse(node, f"{definition} cannot start a path while an activity runs")
        return None
