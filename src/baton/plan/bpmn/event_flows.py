"""Events that shape a scope's flow: link events, event-based gateways (a
race of waits), timer cycles on intermediate events, event sub-processes
(triggers of the rest of their scope) and the processes a message or signal
throw starts."""

from __future__ import annotations

import json
from copy import deepcopy

from ...definitions.bpmn import FlowNode, Process
from ..model import Catch, Join, NodeKind, PlanStep, Route
from .boundaries import Boundaries
from .conditions import INPUT_VARIABLES, TRUE, jq
from .events import ERROR_TYPE, ESP_TRIGGERS


class EventFlows(Boundaries):
    """Links, event-based gateways, timer cycles, event sub-processes and
    started processes (mixed into the compiler)."""

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
        if top:
            # the run's input becomes the variables before the triggers look
            # at them (a conditional event sub-process's condition)
            first = PlanStep(
                id=f"{owner}/start",
                name=f"{owner} (its input)",
                action={},
                kind=NodeKind.NOOP,
                export=INPUT_VARIABLES,
            )
            main.after = [first.id]
            made = [first, main]
        catches: list[Catch] = []
        for esp in handlers.values():
            body = self.scope(
                esp.nodes,
                esp.flows,
                self.where(esp),
                owner=esp.id,
                top=False,
                started_by_event=True,
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
                plan = self.called_plan(process)
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
