"""The BPMN compiler's core: a scope's flow nodes become plan nodes (each
with the element's id), its sequence flows edges (``after``) and routes,
and its gateways joins and route modes. What each kind of element does is
in :mod:`.events` and :mod:`.activities`.

Gateways map onto the plan's joins and routes: a diverging exclusive
gateway takes the first flow whose condition holds (else its default); a
parallel gateway takes every flow, an inclusive one every flow whose
condition holds (else its default); a converging parallel gateway waits for
all its incoming flows (``join: all``), an inclusive one for those that can
still come (``join: any``), anything else goes on once per arriving token
(``join: each`` — an activity after an exclusive merge runs once per token).
"""

from __future__ import annotations

import re
from dataclasses import replace

from ...definitions.bpmn import FlowNode, Model, Process, SequenceFlow
from ...definitions.bpmn.reader import EVENTS
from ..model import END, EXIT, Expr, Join, NodeKind, Plan, PlanOptions, PlanStep, Route, SlaSpec
from .activities import Activities
from .base import SUPPORTED
from .bindings import binds_send_task
from .conditions import TRUE, jq
from .extensions import MAPPED_ELSEWHERE, unrun_extensions

GATEWAYS = (
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
)
# a complex gateway's activation condition Baton runs: the first token
FIRST_TOKEN = re.compile(r"^\s*activationCount\s*(>=\s*1|>\s*0)\s*$")
__all__ = ["SUPPORTED", "Compiler"]


class Compiler(Activities):
    """Compiles one process of a model; ``issues`` collects every refusal."""

    def plan(self) -> Plan:
        name = self.process.name or self.process.id
        settings = self.tasks.process([self.process.id, " ".join(name.split())])
        sla = settings.sla() if settings is not None else None
        return Plan(
            kind="bpmn",
            id=self.process.id,
            name=name,
            steps=self.steps(),
            options=PlanOptions(
                output=Expr("$context", "jq"),
                failed_status="FAILED",
                notes=[f"BPMN process {self.process.id!r}"],
                sla=SlaSpec(*sla) if sla is not None else None,
                notification_channels=list(settings.notification_channels) if settings else [],
                alert_on_failure=settings.alert_on_failure if settings else False,
            ),
        )

    def called_plan(self, process: Process, model: Model | None = None) -> Plan | None:
        """The plan of another process of the model — or of ``model``, a
        file the catalog found — (a call activity's, or one a throw starts);
        its refusals are this model's."""
        child = Compiler(
            model or self.model, process, self.calling, catalog=self.catalog, tasks=self.tasks
        )
        plan = child.plan()
        self.issues += child.issues
        return None if child.issues else plan

    def node(self, node: FlowNode, top: bool) -> PlanStep:
        if node.loop is not None:
            # the activity itself, run again (standard loop) or once per instance
            return self.looped(node, self.node(replace(node, loop=None), top))
        step = self.noop(node)
        mapped = node.kind in MAPPED_ELSEWHERE and (
            node.kind != "sendTask" or binds_send_task(self, node)
        )
        for what in unrun_extensions(node, mapped):
            self.refuse(node, f"{what} is not supported yet")
        if node.kind in EVENTS:
            self.event_node(node, step, top)
        elif node.kind not in GATEWAYS:
            self.activity_node(node, step, top)
        return step

    def steps(self) -> list[PlanStep]:
        where = f"line {self.process.line}, process {self.process.id!r}"
        return self.scope(
            self.process.nodes, self.process.flows, where, owner=self.process.id, top=True
        )

    def scope(
        self,
        nodes: dict[str, FlowNode],
        flows: dict[str, SequenceFlow],
        where: str,
        *,
        owner: str,
        top: bool,
        started_by_event: bool = False,
        ad_hoc: bool = False,
    ) -> list[PlanStep]:
        """The nodes of a process (``top``), a sub-process, an event
        sub-process (``started_by_event``: its start event is its trigger)
        or an ad-hoc sub-process (no start event: what no flow reaches
        starts)."""
        undo_esps = [n for n in nodes.values() if self.undoes_its_scope(n)]
        handlers = {
            n.id: n for n in nodes.values() if self.is_event_subprocess(n) and n not in undo_esps
        }
        # compensation handlers and their boundary events are not in the flow
        undoing = {i for i, n in nodes.items() if self.is_compensation(n)}
        flowing = {
            i: n
            for i, n in nodes.items()
            if i not in handlers and i not in undoing and n not in undo_esps
        }
        if undo_esps:
            self.compensation_event_subprocess(owner, undo_esps, top)
        if not ad_hoc:
            self.check_starts(flowing, where, top=top, started_by_event=started_by_event)
        steps = {node.id: self.node(node, top) for node in flowing.values()}
        incoming: dict[str, list[SequenceFlow]] = {n: [] for n in flowing}
        outgoing: dict[str, list[SequenceFlow]] = {n: [] for n in flowing}
        pairs: dict[tuple[str, str], str] = {}
        for flow in flows.values():
            if (flow.source, flow.target) in pairs:
                self.refuse(
                    flow,
                    f"a second sequence flow from {flow.source!r} to {flow.target!r} (the first "
                    f"is {pairs[flow.source, flow.target]!r}) is not supported: Baton carries "
                    "one edge between two elements",
                )
                continue
            pairs[flow.source, flow.target] = flow.id
            if flow.source in flowing and flow.target in flowing:
                outgoing[flow.source].append(flow)
                incoming[flow.target].append(flow)
            else:
                self.refuse(flow, "a sequence flow cannot go into or out of an event sub-process")
        for node in flowing.values():
            step = steps[node.id]
            step.join = self.join(node, incoming[node.id])
            if step.tokens_in > 1:
                step.join = Join.EACH  # the tokens counted may come by any flow
            step.routes, step.route_mode = self.routes(node, outgoing[node.id], top)
            for route in step.routes:
                if route.to in steps and node.id not in steps[route.to].after:
                    steps[route.to].after.append(node.id)
            if node.kind == "startEvent" and incoming[node.id]:
                self.refuse(node, "a start event has no incoming sequence flow")
        self.links(flowing, steps)
        self.boundaries(flowing, steps)
        self.compensations(nodes, steps)
        ordered = self.event_gateways(flowing, steps)
        ordered = self.timer_cycles(flowing, ordered)
        ordered = self.starts(ordered)
        if handlers:
            ordered = self.with_event_subprocesses(owner, ordered, handlers, top)
        return ordered

    def compensation_event_subprocess(self, owner: str, esps: list[FlowNode], top: bool) -> None:
        """A compensation event sub-process undoes its sub-process in place
        of undoing what completed in it (it may do that itself, with a
        compensation throw): it becomes the sub-process's ``undo_with``."""
        if top:
            self.refuse(
                esps[0],
                "a compensation event sub-process at a process's top level is not supported "
                "(nothing compensates a whole process; put it in a sub-process)",
            )
            return
        if len(esps) > 1:
            self.refuse(esps[1], "a sub-process has one compensation event sub-process at most")
            return
        esp = esps[0]
        self.undo_scopes[owner] = PlanStep(
            id=esp.id,
            name=esp.name or esp.id,
            action={},
            kind=NodeKind.SCOPE,
            body=self.scope(
                esp.nodes,
                esp.flows,
                self.where(esp),
                owner=esp.id,
                top=False,
                started_by_event=True,
            ),
        )

    def join(self, node: FlowNode, incoming: list[SequenceFlow]) -> str:
        """A parallel join waits for all its flows, an inclusive one for
        those that can still come; a node with one incoming flow runs once
        per token and, passed over, passes the dead path on (so a join
        further on knows not to wait for it); an exclusive merge runs once
        per token that reaches it."""
        if len(incoming) > 1 and node.kind == "parallelGateway":
            return Join.ALL
        if len(incoming) > 1 and node.kind == "complexGateway":
            # the first token goes on; the others of the round are absorbed
            if not FIRST_TOKEN.match(node.attributes.get("activationCondition", "")):
                self.refuse(
                    node,
                    "a converging complexGateway runs with activationCondition "
                    "'activationCount >= 1' (the first token goes on); "
                    f"{node.attributes.get('activationCondition') or 'none'!r} is not supported",
                )
            return Join.FIRST
        if len(incoming) > 1 and node.kind != "inclusiveGateway":
            return Join.EACH
        return Join.ANY

    def routes(
        self, node: FlowNode, outgoing: list[SequenceFlow], top: bool
    ) -> tuple[list[Route], str]:
        if node.kind == "endEvent":
            if outgoing:
                self.refuse(node, "an end event has no outgoing sequence flow")
            if "terminateEventDefinition" in node.events:
                # the process ends; in a sub-process, that sub-process
                return [Route(to=END if top else EXIT)], "first"
            return [], "first"
        routes: list[Route] = []
        default: Route | None = None
        many = len(outgoing) > 1
        for flow in outgoing:
            if flow.id == node.default:
                default = Route(to=flow.target)
            elif node.kind in ("parallelGateway", "eventBasedGateway"):
                routes.append(Route(to=flow.target, when=TRUE))  # conditions are not read
            elif flow.condition is not None and flow.condition.strip():
                routes.append(Route(to=flow.target, when=self.condition(flow)))
            elif node.kind in ("exclusiveGateway", "inclusiveGateway", "complexGateway") and many:
                self.refuse(
                    flow,
                    f"a flow out of {node.kind} {node.id!r} needs a condition, "
                    "unless it is the gateway's default",
                )
            else:
                # several flows out of an activity or event: each is taken
                routes.append(Route(to=flow.target, when=TRUE if many else None))
        if node.default is not None and default is None:
            self.refuse(node, f"its default flow {node.default!r} is not one of its outgoing flows")
        mode = "first" if node.kind == "exclusiveGateway" else "all"
        if default is not None:
            conditional = [r.when for r in routes if r.when is not None and r.when is not TRUE]
            if mode == "all" and len(conditional) < len(routes):
                # flows that are always taken do not count: the default is
                # taken when no conditional flow's condition holds
                held = " or ".join(f"({c.source})" for c in conditional if c is not None)
                default.when = jq(f"({held}) | not") if held else TRUE
            routes.append(default)  # in the plan, the route without a condition is the default
        return routes, mode

    def condition(self, flow: SequenceFlow) -> Expr | None:
        return self.expression(flow, flow.condition or "", "condition", flow.language)
