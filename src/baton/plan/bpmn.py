"""Compile a BPMN 2.0 process (read by :mod:`baton.definitions.bpmn`) into a
:class:`~baton.plan.model.Plan`: each flow node a plan node with the node's
id, each sequence flow an edge (``after`` and a route).

The first subset (issue 12 grows it): none start event (one), none and
terminate end events, tasks and manual tasks (they pass the token on),
script tasks in jq, exclusive, parallel and inclusive gateways, and
conditional and default sequence flows. Process variables are the run's
``context``: the start event takes the run's input as the first variables,
a jq script task's result is the new variables, a condition is jq over them,
and the run's output is the variables at the end. Anything else is refused
before the run, each element by type, id and line.

Gateways map onto the plan's joins and routes: a diverging exclusive
gateway takes the first flow whose condition holds (else its default); a
parallel gateway takes every flow, an inclusive one every flow whose
condition holds (else its default); a converging parallel gateway waits for
all its incoming flows (``join: all``), an inclusive one for those that can
still come (``join: any``), anything else goes on once per arriving token
(``join: each`` — an activity after an exclusive merge runs once per token).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..definitions.bpmn import FlowNode, Model, Process, SequenceFlow, read_bpmn
from ..errors import DefinitionError, Issue
from ..expressions import check
from .durations import duration_seconds
from .model import (
    END,
    EXIT,
    Catch,
    ErrorSpec,
    Expr,
    Join,
    LoopSpec,
    NodeKind,
    Plan,
    PlanOptions,
    PlanStep,
    Route,
    WaitSpec,
)

if TYPE_CHECKING:
    from .frontends import CompileContext

PASS_ON = ("task", "manualTask")  # no work of their own: the token goes on
GATEWAYS = ("exclusiveGateway", "parallelGateway", "inclusiveGateway")
EVENTS_OK = {
    "startEvent": ((),),
    "endEvent": ((), ("terminateEventDefinition",), ("errorEventDefinition",)),
    "boundaryEvent": (("errorEventDefinition",), ("timerEventDefinition",)),
    "intermediateThrowEvent": ((), ("linkEventDefinition",)),
    "intermediateCatchEvent": (("timerEventDefinition",), ("linkEventDefinition",)),
}
SUPPORTED = (
    "none start events, none and terminate end events, task, manualTask, scriptTask "
    "(scriptFormat jq), embedded subProcess, standard loops and multi-instance by a count, "
    "intermediate none and link throw events, timer and link catch events, error end "
    "events, interrupting error and timer boundary events, "
    "exclusive, parallel and inclusive gateways, "
    "sequence flows with jq conditions"
)
SCRIPT_FORMATS = ("jq",)
TRUE = Expr("true", "jq")
ERROR_TYPE = "bpmn:error:"  # the type of an error an error end event throws, then its code
TIMEOUT = "timeout"  # the engine's error type for a node past its deadline
VARIABLES = Expr(
    'if type == "object" then . else error("a script gives the variables: an object") end', "jq"
)
CONDITION_LANGUAGES = (None, "", "jq")


def compile_bpmn(model: Model, source: str = "<bytes>", process_id: str | None = None) -> Plan:
    """The plan of one process of ``model`` (``process_id``, else the
    model's only executable process, else its only process)."""
    process = _choose(model, source, process_id)
    compiler = _Compiler(process, model.errors)
    steps = compiler.steps()
    if compiler.issues:
        raise DefinitionError(source, compiler.issues)
    return Plan(
        kind="bpmn",
        id=process.id,
        name=process.name or process.id,
        steps=steps,
        options=PlanOptions(
            output=Expr("$context", "jq"),
            failed_status="FAILED",
            notes=[f"BPMN process {process.id!r}"],
        ),
    )


def _choose(model: Model, source: str, process_id: str | None) -> Process:
    ids = [p.id for p in model.processes]
    if process_id is not None:
        for process in model.processes:
            if process.id == process_id:
                return process
        raise DefinitionError(
            source, [Issue("", f"no process {process_id!r}; the model has {', '.join(ids)}")]
        )
    executable = [p for p in model.processes if p.executable]
    if len(executable) == 1:
        return executable[0]
    if len(model.processes) == 1:
        return model.processes[0]
    raise DefinitionError(
        source,
        [
            Issue(
                "",
                f"the model has {len(model.processes)} processes ({', '.join(ids)}) and "
                f"{len(executable)} marked executable; say which one (--process ID)",
            )
        ],
    )


class _Compiler:
    def __init__(self, process: Process, errors: dict[str, str]) -> None:
        self.process = process
        self.errors = errors  # error id -> errorCode
        self.issues: list[Issue] = []

    def refuse(self, node: FlowNode | SequenceFlow, message: str) -> None:
        kind = node.kind if isinstance(node, FlowNode) else "sequenceFlow"
        self.issues.append(Issue(f"line {node.line}, {kind} {node.id!r}", message))

    def steps(self) -> list[PlanStep]:
        where = f"line {self.process.line}, process {self.process.id!r}"
        return self.scope(self.process.nodes, self.process.flows, where, top=True)

    def scope(
        self,
        nodes: dict[str, FlowNode],
        flows: dict[str, SequenceFlow],
        where: str,
        *,
        top: bool,
    ) -> list[PlanStep]:
        """The nodes of a process (``top``) or of an embedded sub-process."""
        starts = [n for n in nodes.values() if n.kind == "startEvent"]
        if len(starts) != 1:
            self.issues.append(
                Issue(where, f"exactly one start event is needed here (there are {len(starts)})")
            )
        steps = {node.id: self.node(node, top) for node in nodes.values()}
        incoming: dict[str, list[SequenceFlow]] = {n: [] for n in nodes}
        outgoing: dict[str, list[SequenceFlow]] = {n: [] for n in nodes}
        for flow in flows.values():
            outgoing[flow.source].append(flow)
            incoming[flow.target].append(flow)
        for node in nodes.values():
            step = steps[node.id]
            step.join = self.join(node, incoming[node.id])
            step.routes, step.route_mode = self.routes(node, outgoing[node.id], top)
            for route in step.routes:
                if route.to in steps and node.id not in steps[route.to].after:
                    steps[route.to].after.append(node.id)
            if node.kind == "startEvent" and incoming[node.id]:
                self.refuse(node, "a start event has no incoming sequence flow")
        self.links(nodes, steps)
        self.boundaries(nodes, steps)
        return list(steps.values())

    def node(self, node: FlowNode, top: bool) -> PlanStep:
        if node.loop is not None:
            # the activity itself, run again (standard loop) or once per instance
            return self.looped(node, self.node(replace(node, loop=None), top))
        step = PlanStep(id=node.id, name=node.name or node.id, action={}, kind=NodeKind.NOOP)
        kind = node.kind
        if kind in EVENTS_OK:
            if tuple(node.events) not in EVENTS_OK[kind]:
                shown = ", ".join(node.events)
                article = "an" if kind[0] in "aeiou" else "a"
                self.refuse(
                    node,
                    f"{article} {kind} with {shown} is not supported yet (Baton runs {SUPPORTED})",
                )
            if kind == "startEvent" and top:
                # the run's input becomes the first process variables
                step.export = Expr('if type == "object" then . else {} end', "jq")
            if "timerEventDefinition" in node.events and kind != "boundaryEvent":
                self.timer(node, step)
            if kind == "endEvent" and "errorEventDefinition" in node.events:
                # an error end event: the enclosing scope fails with this error
                code = self.error_code(node)
                step.kind = NodeKind.RAISE
                step.error = ErrorSpec(
                    type=ERROR_TYPE + code,
                    title=f"BPMN error {code or '(no code)'} thrown by {node.id}",
                )
            if kind == "boundaryEvent" and node.attributes.get("cancelActivity") == "false":
                self.refuse(node, "a non-interrupting boundary event is not supported yet")
        elif kind == "scriptTask":
            self.script(node, step)
        elif kind == "subProcess" and node.attributes.get("triggeredByEvent") != "true":
            # an embedded sub-process: a scope, done when nothing runs in it
            step.kind = NodeKind.SCOPE
            step.body = self.scope(node.nodes, node.flows, node.label(), top=False)
        elif kind not in (*PASS_ON, *GATEWAYS):
            self.refuse(node, f"{kind} is not supported yet (Baton runs {SUPPORTED})")
        for attribute in ("startQuantity", "completionQuantity"):
            if node.attributes.get(attribute, "1") != "1":
                self.refuse(
                    node,
                    f"{attribute}={node.attributes[attribute]!r} is not supported "
                    "(an activity starts once per token and completes with one)",
                )
        for attribute in ("isForCompensation",):
            if node.attributes.get(attribute) == "true":
                self.refuse(node, f"{attribute} is not supported yet")
        return step

    def error_code(self, node: FlowNode) -> str:
        ref = node.event_fields.get("errorEventDefinition", {}).get("errorRef")
        return self.errors.get(ref, ref) if ref else ""

    def boundaries(self, nodes: dict[str, FlowNode], steps: dict[str, PlanStep]) -> None:
        """Interrupting boundary events: an error one catches its activity's
        error (of its code; without one, any error), a timer one gives the
        activity a deadline and catches its timeout; either way the token
        leaves by the boundary event's flows."""
        caught: dict[str, list[Catch]] = {}
        for node in nodes.values():
            if node.kind != "boundaryEvent" or node.attached_to not in steps:
                continue
            activity = steps[node.attached_to]
            if "errorEventDefinition" in node.events:
                code = self.error_code(node)
                catch = Catch(type=ERROR_TYPE + code if code else None, to=node.id)
            else:
                fields = node.event_fields.get("timerEventDefinition", {})
                seconds, problem = duration_seconds(fields.get("timeDuration", ""))
                if seconds is None:
                    self.refuse(node, f"a boundary timer needs a timeDuration here ({problem})")
                    continue
                activity.deadline_seconds = seconds
                catch = Catch(type=TIMEOUT, to=node.id)
            caught.setdefault(activity.id, []).append(catch)
            if activity.id not in steps[node.id].after:
                steps[node.id].after.append(activity.id)
        for activity_id, catches in caught.items():
            # the errors of a code before any error
            steps[activity_id].catch = sorted(catches, key=lambda c: c.type is None)

    def timer(self, node: FlowNode, step: PlanStep) -> None:
        """A timer catch event: a durable timer for ``timeDuration`` (ISO
        8601) or until ``timeDate`` (an ISO 8601 moment with a time zone)."""
        fields = node.event_fields.get("timerEventDefinition", {})
        step.kind = NodeKind.WAIT
        if fields.get("timeDuration"):
            seconds, problem = duration_seconds(fields["timeDuration"])
            if seconds is None:
                self.refuse(node, f"timeDuration: {problem}")
                return
            step.wait = WaitSpec(seconds=seconds)
        elif fields.get("timeDate"):
            step.wait = WaitSpec(at=Expr(json.dumps(fields["timeDate"]), "jq"))
        else:
            self.refuse(
                node, "a timer with a timeCycle is not supported yet (timeDuration, timeDate are)"
            )
            step.kind = NodeKind.NOOP

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

    def looped(self, node: FlowNode, inner: PlanStep) -> PlanStep:
        """A loop node whose body is the activity: a standard loop repeats it
        while ``loopCondition`` holds (checked after each run unless
        ``testBefore``; at most ``loopMaximum`` runs); a multi-instance
        activity runs it ``loopCardinality`` times, at once unless
        ``isSequential``, until ``completionCondition`` holds."""
        spec = node.loop_attributes
        step = PlanStep(id=node.id, name=node.name or node.id, action={}, kind=NodeKind.LOOP)
        inner.id = f"{node.id}/run"  # each run of the activity: loop[i]/<id>/run
        step.body = [inner]
        if node.loop == "standardLoopCharacteristics":
            condition = spec.get("loopCondition")
            maximum = spec.get("loopMaximum")
            if not condition and not maximum:
                self.refuse(node, "a standard loop needs a loopCondition or a loopMaximum")
                return step
            holds = self.expression(node, condition, "loopCondition") if condition else TRUE
            if maximum and not maximum.isdigit():
                self.refuse(node, f"loopMaximum {maximum!r} is not a whole number")
            elif maximum and holds is not None:
                # at most loopMaximum runs: then the loop ends (it does not fail)
                holds = Expr(f"({holds.source}) and ($runs < {int(maximum)})", "jq")
            step.loop = LoopSpec(
                condition=holds, test_before=spec.get("testBefore") == "true", index="runs"
            )
            return step
        if (
            spec.get("loopDataInputRef")
            or spec.get("inputDataItem")
            or any(k.endswith("}collection") for k in node.extensions)
        ):
            self.refuse(node, "a multi-instance activity over a collection is not supported yet")
            return step
        cardinality = spec.get("loopCardinality")
        if not cardinality:
            self.refuse(node, "a multi-instance activity needs a loopCardinality here")
            return step
        completion = spec.get("completionCondition")
        step.loop = LoopSpec(
            times=self.expression(node, cardinality, "loopCardinality"),
            parallel=spec.get("isSequential") != "true",
            complete_when=self.expression(node, completion, "completionCondition")
            if completion
            else None,
        )
        return step

    def expression(self, node: FlowNode | SequenceFlow, text: str, what: str) -> Expr | None:
        """A jq expression over the process variables (a flow's or a loop's
        condition, a loop's count)."""
        if text.startswith(("=", "${", "#{")):
            self.refuse(node, f"the {what} {text!r} is FEEL or JUEL; not supported yet (jq is)")
            return None
        problem = check(text, "jq")
        if problem:
            self.refuse(node, f"the {what} {text!r} {problem}")
            return None
        return Expr(f"$context | ({text})", "jq")

    def script(self, node: FlowNode, step: PlanStep) -> None:
        """A jq script: its value (over the variables) is the new variables."""
        if node.script_format not in SCRIPT_FORMATS:
            self.refuse(
                node,
                f"scriptFormat {node.script_format!r} is not supported "
                f"(Baton runs {', '.join(SCRIPT_FORMATS)} scripts here)",
            )
            return
        source = (node.script or "").strip() or "."
        problem = check(source, "jq")
        if problem:
            self.refuse(node, f"the script {source!r} {problem}")
            return
        # tokens carry the variables; the script's value is the new ones
        step.kind = NodeKind.SET
        step.value = Expr(f"$context | ({source})", "jq")
        step.export = VARIABLES

    def join(self, node: FlowNode, incoming: list[SequenceFlow]) -> str:
        """A parallel join waits for all its flows, an inclusive one for
        those that can still come; a node with one incoming flow runs once
        per token and, passed over, passes the dead path on (so a join
        further on knows not to wait for it); an exclusive merge runs once
        per token that reaches it."""
        if len(incoming) > 1 and node.kind == "parallelGateway":
            return Join.ALL
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
            elif node.kind == "parallelGateway":
                routes.append(Route(to=flow.target, when=TRUE))  # conditions are not read
            elif flow.condition is not None and flow.condition.strip():
                routes.append(Route(to=flow.target, when=self.condition(flow)))
            elif node.kind in ("exclusiveGateway", "inclusiveGateway") and many:
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
                default.when = Expr(f"({held}) | not", "jq") if held else TRUE
            routes.append(default)  # in the plan, the route without a condition is the default
        return routes, mode

    def condition(self, flow: SequenceFlow) -> Expr | None:
        text = (flow.condition or "").strip()
        if flow.language not in CONDITION_LANGUAGES and not str(flow.language).endswith("/jq"):
            self.refuse(flow, f"conditions in {flow.language!r} are not supported yet (jq is)")
            return None
        return self.expression(flow, text, "condition")


class _BpmnFrontend:
    """A BPMN 2.0 model (``.bpmn``): the document is ``{"kind": "bpmn",
    "xml": <the model>}`` (what the loader gives for a ``.bpmn`` file)."""

    kind = "bpmn"

    def recognises(self, data: dict[str, Any]) -> bool:
        return isinstance(data.get("xml"), str) and "BPMN/20100524/MODEL" in data["xml"][:4096]

    def compile(self, data: dict[str, Any], ctx: CompileContext) -> Plan:
        xml = data.get("xml")
        if not isinstance(xml, str):
            raise DefinitionError(
                ctx.source, [Issue("xml", "a BPMN document needs 'xml': the model")]
            )
        model = read_bpmn(xml.encode(), ctx.source)
        process_id = (ctx.config or {}).get("process")
        return compile_bpmn(model, ctx.source, process_id if isinstance(process_id, str) else None)


BPMN = _BpmnFrontend()
