"""What a decide node does: evaluate a DMN decision of the model the plan
carries, in workflow code — pure and deterministic (no activity, no I/O,
bounded work), so a replay gets the same answer from the same plan.

The inputs are an object (``DecisionSpec.inputs``, an expression; or
``template``, with ``{placeholders}`` filled as an action's; else the
node's input). The output is the decision's result, shaped by
``DecisionSpec.result``. The rules that matched are recorded in the audit
(``decision_evaluated``); a decision that cannot be evaluated fails the
node with error type ``decision``, which a catch can match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ..decisions import DecisionError, DecisionResult, evaluate_decision
    from ..decisions.results import shape_result
    from ..plan.model import PlanStep
    from .failures import DECISION, StepFailed, problem
    from .frames import Frame
    from .placeholders import PlaceholderError, resolve
    from .vocabulary import EventKind

if TYPE_CHECKING:
    from .flow import Flow

MAX_DETAIL = 2_000  # characters of the audit entry that says what matched


def decide(flow: Flow, frame: Frame, node: PlanStep, key: str, data: Any) -> Any:
    """The node's output: its decision evaluated with its inputs."""
    spec = node.decide
    assert spec is not None
    inputs = _inputs(flow, frame, node, key, data)
    try:
        result = evaluate_decision(spec.model, spec.decision, inputs)
        output = shape_result(spec.model, result.decision, result.value, spec.result)
    except DecisionError as exc:
        raise failed(str(exc)) from None
    flow.run.record(EventKind.DECISION_EVALUATED, key, detail=describe(result))
    return output


def failed(message: str) -> StepFailed:
    return StepFailed(message, False, error=problem(DECISION, message))


def _inputs(flow: Flow, frame: Frame, node: PlanStep, key: str, data: Any) -> dict[str, Any]:
    spec = node.decide
    assert spec is not None
    if spec.inputs is not None:
        given = flow.evaluate_field(spec.inputs, frame, "decide.inputs", input=data)
    elif spec.template is not None:
        names = None if frame is flow.root else {**frame.names, **frame.chain_outputs()}
        scopes, named = flow.steps.placeholder_scopes(key, "forward", names)
        try:
            given = resolve(spec.template, scopes, named)
        except PlaceholderError as exc:
            raise failed(f"the decision's inputs: {exc}") from None
    else:
        given = data
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise failed(f"the decision's inputs must be an object, got {given!r}"[:300])
    return given


def describe(result: DecisionResult) -> str:
    """Which rules matched, per decision table, for the audit trail:
    ``'Risk Category' UNIQUE: rule 1 (risk_low, line 22: good score)``."""
    parts = []
    for table in result.matched:
        rules = table.get("rules") or []
        if table.get("default"):
            what = "no rule; the default outputs"
        elif not rules:
            what = "no rule"
        else:
            what = ", ".join(_rule(rule) for rule in rules)
        parts.append(f"{table.get('decision')!r} {table.get('hit_policy')}: {what}")
    text = f"decision {result.decision!r}" + (f"; {'; '.join(parts)}" if parts else "")
    if result.warnings:
        text += "; warnings: " + "; ".join(result.warnings)
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def _rule(rule: dict[str, Any]) -> str:
    where = ", ".join(str(x) for x in (rule.get("id"), f"line {rule.get('line')}") if x)
    notes = "; ".join(str(a) for a in rule.get("annotations") or [] if a)
    return f"rule {rule.get('index')} ({where}{': ' + notes if notes else ''})"
