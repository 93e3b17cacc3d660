"""What every part of the BPMN compiler shares: the model and process
being compiled, the refusals collected, and the few operations each part
calls on the others (the compiler defines them)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from ...definitions.bpmn import FlowNode, Model, Process, SequenceFlow
from ...errors import Issue
from ..model import Expr, NodeKind, Plan, PlanStep
from .bindings import TaskBindings
from .conditions import expression

if TYPE_CHECKING:
    from ..frontends import ProcessCatalog

SUPPORTED = (
    "start events (none, and message, signal, timer or conditional ones as a run's or an event "
    "sub-process's), end events (none, terminate, error, escalation, signal, message, cancel, "
    "compensation), intermediate throw events (none, link, signal, escalation, message, "
    "compensation) and catch events (timer, link, message, signal, conditional), boundary "
    "events (error, timer, message, signal, escalation, conditional, cancel, compensation; "
    "interrupting or not), task, manualTask, scriptTask (jq), receiveTask, sendTask (a "
    "message, or a bound action), serviceTask (a bound action), userTask (an approval), "
    "businessRuleTask (a DMN decision), callActivity, embedded, event, transaction and ad-hoc "
    "sub-processes, standard loops and multi-instance, exclusive, parallel, inclusive, "
    "event-based and complex gateways, conditions in FEEL, JUEL or jq"
)


def _all_nodes(nodes: dict[str, FlowNode]) -> list[FlowNode]:
    found = []
    for node in nodes.values():
        found.append(node)
        found += _all_nodes(node.nodes)
    return found


class CompilerBase(ABC):
    def __init__(
        self,
        model: Model,
        process: Process,
        calling: tuple[str, ...] = (),
        catalog: ProcessCatalog | None = None,
        *,
        tasks: TaskBindings | None = None,
    ) -> None:
        self.model = model
        # where call activities find processes of other files (their directory, BATON_PROCESS_PATH)
        self.catalog = catalog
        self.process = process
        # what service, send and user tasks are bound to (bindings.py)
        self.tasks = tasks or TaskBindings()
        self.errors = model.errors  # error id -> errorCode
        # a sub-process's compensation event sub-process, compiled, by the
        # sub-process's id (it becomes the sub-process's undo_with)
        self.undo_scopes: dict[str, PlanStep] = {}
        self.issues: list[Issue] = []
        # processes that call (or start) this one, to refuse cycles
        self.calling = (*calling, process.id)
        # associations anywhere in the model: source id -> target ids (a
        # compensation boundary event's handler)
        self.associations: dict[str, list[str]] = {}
        for owner in model.processes:
            for source, target in owner.associations:
                self.associations.setdefault(source, []).append(target)
            for node in _all_nodes(owner.nodes):
                for source, target in node.associations:
                    self.associations.setdefault(source, []).append(target)

    def refuse(self, node: FlowNode | SequenceFlow, message: str) -> None:
        self.issues.append(Issue(self.where(node), message))

    @staticmethod
    def where(node: FlowNode | SequenceFlow) -> str:
        """How a message names an element: ``line 12, serviceTask 'charge'``."""
        kind = node.kind if isinstance(node, FlowNode) else "sequenceFlow"
        return f"line {node.line}, {kind} {node.id!r}"

    def unsupported(self, node: FlowNode, what: str | None = None) -> None:
        self.refuse(node, f"{what or node.kind} is not supported yet (Baton runs {SUPPORTED})")

    def expression(
        self,
        node: FlowNode | SequenceFlow,
        text: str,
        what: str,
        language: str | None = None,
    ) -> Expr | None:
        """An expression over the process variables (a flow's or a loop's
        condition, a loop's count, a conditional event's condition)."""
        made, problem = expression(text, what, language)
        if made is None:
            declared = self.model.expression_language
            if language is None and declared and "jq" not in declared and "FEEL" not in declared:
                problem += (
                    f" (the model declares expressionLanguage {declared!r}; Baton runs FEEL "
                    "(=...), JUEL (${...}) and jq)"
                )
            self.refuse(node, problem)
        return made

    @staticmethod
    def noop(node: FlowNode) -> PlanStep:
        return PlanStep(id=node.id, name=node.name or node.id, action={}, kind=NodeKind.NOOP)

    # ---- defined by the compiler (plan/bpmn/compiler.py) ------------------------

    @abstractmethod
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
        """The plan nodes of a scope's flow nodes and flows."""

    @abstractmethod
    def node(self, node: FlowNode, top: bool) -> PlanStep:
        """The plan node of one flow node."""

    @abstractmethod
    def called_plan(self, process: Process, model: Model | None = None) -> Plan | None:
        """The plan of a process a call activity calls or a throw starts (None: refused)."""
