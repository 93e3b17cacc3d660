"""BPMN business-rule tasks as decide nodes: the DMN decision a task names
— Zeebe's ``zeebe:calledDecision decisionId resultVariable``, Camunda 7's
``camunda:decisionRef`` with ``camunda:resultVariable`` and
``camunda:mapDecisionResult`` — found in a ``.dmn`` file beside the model
(or on ``BATON_PROCESS_PATH``), read when the model is compiled and carried
in the plan. The decision's inputs are the process variables; its result
is stored in the result variable.

Where the compiler looks is set for the duration of one compile by
:func:`looking_in` (``compile_bpmn`` does it), so that every process of the
model compiled on the way — called ones too — looks in the same places.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar

from ...decisions.results import CAMUNDA_FORMS, VALUE
from ...definitions.bpmn import FlowNode
from ...definitions.bpmn.tree import find_extension
from ...definitions.dmn.files import DecisionFiles
from ..decide import by_decision
from ..model import NodeKind, PlanStep
from .base import CompilerBase
from .conditions import jq

# where a business-rule task's decision is looked for, while a model compiles
_FILES: ContextVar[DecisionFiles | None] = ContextVar("baton_bpmn_decision_files", default=None)
CAMUNDA_7 = "{http://camunda.org/schema/1.0/bpmn}"
# Camunda 7 attributes that implement a business-rule task some other way
OTHER_IMPLEMENTATIONS = ("class", "expression", "delegateExpression", "type", "topic")
BINDINGS = ("latest", "deployment")


@contextlib.contextmanager
def looking_in(files: DecisionFiles) -> Iterator[None]:
    """Business-rule tasks compiled inside look for decisions in ``files``."""
    token = _FILES.set(files)
    try:
        yield
    finally:
        _FILES.reset(token)


def _camunda(node: FlowNode, name: str) -> str | None:
    """A Camunda 7 attribute by its local name (``camunda:decisionRef``)."""
    return node.extensions.get(f"{CAMUNDA_7}{name}")


class BusinessRules(CompilerBase):
    """The business-rule task part of the compiler."""

    def business_rule(self, node: FlowNode, step: PlanStep) -> None:
        named = self._decision_ref(node)
        if named is None:
            return
        decision, variable, form = named
        files = _FILES.get() or DecisionFiles.for_source("<dict>")
        spec, why = by_decision(files, decision, inputs=jq("$context"), result=form)
        if spec is None:
            self.refuse(node, f"its decision {decision!r}: {why}")
            return
        step.kind = NodeKind.DECIDE
        step.decide = spec
        if variable:
            # the result is a process variable; the others stay as they were
            step.export = jq(f"$context + {{{json.dumps(variable)}: .}}")

    def _decision_ref(self, node: FlowNode) -> tuple[str, str | None, str] | None:
        """The decision's id, the result variable and the result form; None
        (refused) when the task names none, or implements itself otherwise."""
        zeebe = find_extension(node.extension_elements, "calledDecision")
        camunda = _camunda(node, "decisionRef")
        if zeebe is not None:
            decision = zeebe.attributes.get("decisionId", "")
            variable: str | None = zeebe.attributes.get("resultVariable")
            form = VALUE
        elif camunda is not None:
            decision, variable = camunda, _camunda(node, "resultVariable")
            form = _camunda(node, "mapDecisionResult") or "resultList"
            binding = _camunda(node, "decisionRefBinding") or "latest"
            if form not in CAMUNDA_FORMS:
                self.refuse(
                    node,
                    f"camunda:mapDecisionResult {form!r} is not one of {', '.join(CAMUNDA_FORMS)}",
                )
                return None
            if binding not in BINDINGS:
                self.refuse(
                    node,
                    f"camunda:decisionRefBinding {binding!r} is not supported: Baton uses the "
                    "decision it finds beside the model (latest or deployment)",
                )
                return None
        else:
            other = [n for n in OTHER_IMPLEMENTATIONS if _camunda(node, n) is not None]
            if find_extension(node.extension_elements, "taskDefinition") is not None:
                other.append("zeebe:taskDefinition")
            how = f" (it has {', '.join(other)}: a job or class Baton does not run here)"
            self.refuse(
                node,
                "a businessRuleTask names its DMN decision: zeebe:calledDecision decisionId "
                "or camunda:decisionRef" + (how if other else ""),
            )
            return None
        decision = decision.strip()
        if not decision or decision.startswith(("=", "${", "#{")):
            self.refuse(
                node,
                f"its decision id {decision!r} must be written out (an expression is not "
                "supported: the decision is found when the model is compiled)",
            )
            return None
        return decision, (variable or "").strip() or None, form
