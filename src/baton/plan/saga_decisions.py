"""Saga steps whose forward action is a DMN decision (``{"type":
"decision", "file": ..., "decision": ..., "inputs": {...}}``) as decide
nodes: the file is read when the saga is compiled (relative to the saga's
file, then to ``BATON_PROCESS_PATH``), the inputs' ``{placeholders}`` are
filled when the step runs, as an action's are (without ``inputs``, the
saga's context is the inputs), and the decision's result is the step's
output, for later steps' placeholders like any step's."""

from __future__ import annotations

import json

from ..definitions.decision import DecisionAction
from ..definitions.dmn.files import DecisionFiles
from ..definitions.saga import SagaStep
from ..errors import Issue
from .decide import from_file
from .model import DecisionSpec, Expr, NodeKind, PlanStep

CONTEXT = Expr("context")  # the saga's context, as the inputs


def saga_decisions(
    steps: list[SagaStep], files: DecisionFiles, issues: list[Issue]
) -> dict[str, DecisionSpec]:
    """Each decision step's spec, by step id; problems go to ``issues``
    named by the step's field (``steps[2].forward_action.file``)."""
    found: dict[str, DecisionSpec] = {}
    for index, step in enumerate(steps):
        action = step.forward_action
        if not isinstance(action, DecisionAction):
            continue
        where = f"steps[{index}]"
        if step.compensation_action is not None:
            issues.append(
                Issue(
                    f"{where}.compensation_action",
                    "a decision step changes nothing, so it has nothing to undo",
                )
            )
        spec, problems = from_file(
            files,
            action.file,
            action.decision,
            inputs=CONTEXT if action.inputs is None else None,
            template=action.inputs,
            result=action.result,
        )
        field_of = {"template": "inputs", "model": "file"}
        issues += [
            Issue(f"{where}.forward_action.{field_of.get(name, name)}", problem)
            for name, problem in problems
        ]
        if spec is not None:
            found[step.step_id] = spec
    return found


def as_decide_node(node: PlanStep, spec: DecisionSpec, action: DecisionAction) -> PlanStep:
    """``node`` (a saga step's plan node) made a decide node: a decision is
    evaluated once (it gives the same answer every time: no retries)."""
    node.kind = NodeKind.DECIDE
    node.action = {}
    node.decide = spec
    node.retry.max_attempts = 1
    if action.result_key is not None:
        node.output = Expr(f"{{{json.dumps(action.result_key)}: output}}")
    return node
