"""BPMN events on the plan: start, end, intermediate and boundary events,
event sub-processes and event-based gateways.

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
- Boundary events are triggers of their activity (interrupting or not), but
  error and cancel ones, which catch its failure.
- An event sub-process is a trigger (or, for an error one, a catch) of the
  rest of its scope, which becomes an inner scope ``<owner>/main``.
- An event-based gateway is a race: a scope whose body waits for each of its
  events; the first to come decides where the token goes.
"""

from __future__ import annotations

import json
from copy import deepcopy
from dataclasses import replace

from ...definitions.bpmn import FlowNode, Process
from ...definitions.bpmn.tree import find_extension
from ...errors import Issue
from ..model import (
    Catch,
    ErrorSpec,
    EventFilter,
    Expr,
    Join,
    NodeKind,
    PlanStep,
    Route,
    ThrowSpec,
    Trigger,
    WaitSpec,
)
from .base import CompilerBase
from .conditions import INPUT_VARIABLES, MERGE_EVENT_DATA, TRUE, jq
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
UNDO_KINDS = (NodeKind.ACTION, NodeKind.SET, NodeKind.NOOP)
ESP_TRIGGERS = (*CATCHING, "errorEventDefinition", "escalationEventDefinition")
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
            if len(start.events) != 1 or start.events[0] not in ESP_TRIGGERS:
                self.refuse(
                    start,
                    "an event sub-process's start event needs one of: "
                    + ", ".join(d.removesuffix("EventDefinition") for d in ESP_TRIGGERS)
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
                step.wait = WaitSpec(seconds=(timer.wait.seconds or 0) * timer.repeat)
                step.triggers = (
                    [
                        Trigger(
                            to=f"{node.id}/tick",
                            interrupting=False,
                            wait=timer.wait,
                            repeat=timer.repeat - 1,
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
            return Trigger(to=to, interrupting=interrupting, wait=timer.wait, repeat=repeat)
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

    @staticmethod
    def is_compensation(node: FlowNode) -> bool:
        """A compensation handler (``isForCompensation``) or the boundary
        event that names it: neither is part of the flow."""
        if node.attributes.get("isForCompensation") == "true":
            return True
        return node.kind == "boundaryEvent" and node.events == ["compensateEventDefinition"]

    def compensations(self, nodes: dict[str, FlowNode], steps: dict[str, PlanStep]) -> None:
        """A compensation boundary event's handler (the activity its
        association leads to) undoes the activity it is attached to — when
        a compensation throw event in its scope asks, when its transaction
        is cancelled or fails, and when the run fails or is cancelled."""
        for node in nodes.values():
            if node.kind != "boundaryEvent" or node.events != ["compensateEventDefinition"]:
                continue
            targets = [t for t in self.associations.get(node.id, []) if t in nodes]
            handlers = [nodes[t] for t in targets if self.is_compensation(nodes[t])]
            if len(handlers) != 1:
                self.refuse(
                    node,
                    "a compensation boundary event needs one association to an activity "
                    f"marked isForCompensation (it has {len(handlers)})",
                )
                continue
            activity = steps.get(node.attached_to or "")
            if activity is None:
                continue
            handler = self.node(
                replace(
                    handlers[0],
                    attributes={
                        k: v for k, v in handlers[0].attributes.items() if k != "isForCompensation"
                    },
                ),
                False,
            )
            if handler.kind not in UNDO_KINDS:
                self.refuse(
                    handlers[0],
                    "a compensation handler is a task, script task or service task here "
                    f"(not a {handlers[0].kind})",
                )
                continue
            activity.undo_with = handler

    def boundaries(self, nodes: dict[str, FlowNode], steps: dict[str, PlanStep]) -> None:
        """Boundary events: an error one catches its activity's error (of its
        code; without one, any error), a cancel one its transaction's cancel;
        the others are triggers of the activity. Either way the token leaves
        by the boundary event's flows."""
        caught: dict[str, list[Catch]] = {}
        for node in nodes.values():
            if node.kind != "boundaryEvent" or node.attached_to not in steps:
                continue
            if len(node.events) != 1 or node.events[0] not in BOUNDARY:
                continue  # refused as a node
            activity = steps[node.attached_to]
            boundary = steps[node.id]
            if activity.id not in boundary.after:
                boundary.after.append(activity.id)
            interrupting = node.attributes.get("cancelActivity", "true") != "false"
            definition = node.events[0]
            if definition == "signalEventDefinition" and self.thrown_by_instances(
                nodes[node.attached_to], node
            ):
                interrupting = False  # a multi-instance behavior's events never interrupt it
            boundary.join = Join.ANY if interrupting else Join.EACH
            if definition in ("errorEventDefinition", "cancelEventDefinition"):
                if not interrupting:
                    self.refuse(node, f"a boundary event with {definition} always interrupts")
                    continue
                if definition == "cancelEventDefinition":
                    if nodes[node.attached_to].kind != "transaction":
                        self.refuse(node, "a cancel boundary event belongs on a transaction")
                        continue
                    catch = Catch(type=CANCEL_TYPE, to=node.id)
                else:
                    code = self.error_code(node)
                    catch = Catch(type=ERROR_TYPE + code if code else None, to=node.id)
                caught.setdefault(activity.id, []).append(catch)
                continue
            trigger = self.trigger(node, node.id, interrupting)
            if trigger is not None:
                activity.triggers.append(trigger)
        for activity_id, catches in caught.items():
            # the errors of a code before any error
            steps[activity_id].catch = sorted(catches, key=lambda c: c.type is None)

    def thrown_by_instances(self, activity: FlowNode, boundary: FlowNode) -> bool:
        """Whether ``boundary`` catches the signal ``activity``'s instances throw."""
        spec = activity.loop_attributes
        ref = spec.get("noneBehaviorEventRef") or spec.get("oneBehaviorEventRef")
        kind, fields = self.model.event_definitions.get(ref or "", ("", {}))
        mine = boundary.event_fields.get("signalEventDefinition", {})
        return kind == "signalEventDefinition" and fields.get("signalRef") == mine.get("signalRef")

    # ---- links, event-based gateways, timer cycles ---------------------------

    def links(self, nodes: dict[str, FlowNode], steps: dict[str, PlanStep]) -> None:
        """A link throw event goes on at the link catch event of its name."""

        def name(node: FlowNode) -> str | None:
            return node.event_fields.get("linkEventDefinition", {}).get("name")

        catches = {
            name(n): n
            for n in nodes.values()
            if n.kind == "intermediateCatchEvent" and "linkEventDefinition" in n.events
        }
        for node in nodes.values():
            if node.kind != "intermediateThrowEvent" or "linkEventDefinition" not in node.events:
                continue
            target = catches.get(name(node))
            if target is None:
                self.refuse(node, f"no link catch event named {name(node)!r} in its scope")
                continue
            steps[node.id].routes = [Route(to=target.id)]
            if node.id not in steps[target.id].after:
                steps[target.id].after.append(node.id)

    def event_gateways(
        self, nodes: dict[str, FlowNode], steps: dict[str, PlanStep]
    ) -> list[PlanStep]:
        """An event-based gateway becomes a race: a scope (``complete_on:
        first``) whose body waits for each of the events after it; the first
        to come ends the others, and the gateway routes to its event, which
        passes the token on."""
        for node in nodes.values():
            if node.kind != "eventBasedGateway":
                continue
            gateway = steps[node.id]
            if node.attributes.get("instantiate") == "true":
                self.refuse(
                    node, "an event-based gateway that starts the process is not supported yet"
                )
                continue
            racers: list[PlanStep] = []
            for route in gateway.routes:
                event = nodes.get(route.to)
                target = steps.get(route.to)
                if event is None or target is None or target.kind != NodeKind.WAIT or target.loop:
                    self.refuse(
                        node,
                        f"an event-based gateway leads to catch events and receive tasks only "
                        f"({route.to!r} is not one)",
                    )
                    break
                waiting = deepcopy(target)
                waiting.id = f"{node.id}>{target.id}"
                waiting.name = target.name
                waiting.after, waiting.routes, waiting.join = [], [], Join.ALL
                waiting.output = jq(f'{{"fired": {json.dumps(target.id)}, "events": .}}')
                if target.export is not None:
                    waiting.export = jq(f".events | {target.export.source}")
                racers.append(waiting)
                # the event itself now only passes the token on
                target.kind, target.wait, target.export, target.triggers = (
                    NodeKind.NOOP,
                    None,
                    None,
                    [],
                )
                route.when = jq(f".fired == {json.dumps(target.id)}")
            else:
                gateway.kind, gateway.body, gateway.complete_on = NodeKind.SCOPE, racers, "first"
                gateway.route_mode = "first"
        return list(steps.values())

    def timer_cycles(self, nodes: dict[str, FlowNode], ordered: list[PlanStep]) -> list[PlanStep]:
        """An intermediate timer with a cycle of n firings passes a token on
        at each: it waits n intervals, and its trigger sends the first n-1
        tokens to ``<id>/tick``, which goes on as the event does."""
        by_id = {step.id: step for step in ordered}
        added: list[PlanStep] = []
        for step in ordered:
            ticks = [t for t in step.triggers if t.to == f"{step.id}/tick"]
            if (
                not ticks
                or nodes.get(step.id) is None
                or nodes[step.id].kind != "intermediateCatchEvent"
            ):
                continue
            tick = PlanStep(
                id=f"{step.id}/tick",
                name=f"{step.name} (each firing)",
                action={},
                kind=NodeKind.NOOP,
                after=[step.id],
                join=Join.EACH,
                routes=[Route(to=r.to, when=r.when) for r in step.routes],
                route_mode=step.route_mode,
            )
            for route in step.routes:
                target = by_id.get(route.to)
                if target is not None:
                    target.after.append(tick.id)
                    target.join = Join.EACH  # one token from each firing
            added.append(tick)
        return ordered + added

    # ---- event sub-processes --------------------------------------------------

    def with_event_subprocesses(
        self, owner: str, ordered: list[PlanStep], handlers: dict[str, FlowNode], top: bool
    ) -> list[PlanStep]:
        """The scope's flow in an inner scope ``<owner>/main`` whose triggers
        (and catches, for error start events) start the event sub-processes
        beside it: an interrupting one stops the flow, a non-interrupting
        one runs alongside; the scope ends when all of them have."""
        main = PlanStep(
            id=f"{owner}/main",
            name=f"{owner} (its flow)",
            action={},
            kind=NodeKind.SCOPE,
            body=ordered,
        )
        made = [main]
        catches: list[Catch] = []
        for esp in handlers.values():
            body = self.scope(
                esp.nodes, esp.flows, esp.label(), owner=esp.id, top=False, started_by_event=True
            )
            starts = [n for n in esp.nodes.values() if n.kind == "startEvent"]
            if len(starts) != 1 or len(starts[0].events) != 1:
                continue  # refused by the scope's start check
            start = starts[0]
            interrupting = start.attributes.get("isInterrupting", "true") != "false"
            step = PlanStep(
                id=esp.id,
                name=esp.name or esp.id,
                action={},
                kind=NodeKind.SCOPE,
                body=body,
                after=[main.id],
                join=Join.ANY if interrupting else Join.EACH,
            )
            made.append(step)
            definition = start.events[0]
            if definition == "errorEventDefinition":
                if not interrupting:
                    self.refuse(start, "an error start event always interrupts")
                code = self.error_code(start)
                catches.append(Catch(type=ERROR_TYPE + code if code else None, to=esp.id))
            elif definition in ESP_TRIGGERS:
                trigger = self.trigger(start, esp.id, interrupting)
                if trigger is not None:
                    main.triggers.append(trigger)
        main.catch = sorted(catches, key=lambda c: c.type is None)
        return made

    # ---- processes a throw starts -------------------------------------------

    def started_by(self, kind: str, name: str) -> list[Process]:
        """The model's other processes whose start event takes this message
        or signal (or that a receive task instantiates, for a message)."""
        found = []
        for process in self.model.processes:
            if process.id in self.calling:
                continue
            for node in process.nodes.values():
                if self.takes(node, kind, name):
                    found.append(process)
                    break
        return found

    def takes(self, node: FlowNode, kind: str, name: str) -> bool:
        if kind == "message" and self.instantiates(node):
            ref = node.attributes.get("messageRef")
            return (
                bool(ref)
                and self.model.messages.get(ref or "") is not None
                and self.model.messages[ref or ""].name == name
            )
        if node.kind != "startEvent" or len(node.events) != 1:
            return False
        definition = node.events[0]
        fields = node.event_fields.get(definition, {})
        if kind == "message" and definition == "messageEventDefinition":
            message = self.model.messages.get(fields.get("messageRef") or "")
            return message is not None and message.name == name
        if kind == "signal" and definition == "signalEventDefinition":
            ref = fields.get("signalRef")
            return bool(ref) and self.model.signals.get(ref or "", ref) == name
        return False

    def starts(self, ordered: list[PlanStep]) -> list[PlanStep]:
        """After each throw of a message or signal, a detached sub-process
        for each process of the model that it starts."""
        added: list[PlanStep] = []
        for step in list(ordered):
            specs = (
                [step.throw] if step.throw is not None else [s.throw for s in step.body if s.throw]
            )
            started: list[Process] = []
            for spec in specs:
                if spec is not None and spec.kind in ("message", "signal"):
                    started += [
                        p for p in self.started_by(spec.kind, spec.name) if p not in started
                    ]
            for process in started:
                plan = self.started_plan(process)
                if plan is None:
                    continue
                node = PlanStep(
                    id=f"{step.id}/start:{process.id}",
                    name=f"start {process.name or process.id}",
                    action={},
                    kind=NodeKind.SUBPROCESS,
                    subprocess=plan,
                    detached=True,
                    after=[step.id],
                    join=Join.ANY,
                )
                if step.routes:
                    for route in step.routes:
                        route.when = route.when or TRUE
                step.routes.append(Route(to=node.id, when=TRUE))
                step.route_mode = "all"
                added.append(node)
        return ordered + added
