"""DMN decisions, evaluated: the requirements graph, decision tables with
every hit policy, and boxed expressions in FEEL — pure and deterministic
(no clock, no I/O, bounded work), so a workflow may evaluate a decision in
its own code and a replay gets the same answer.

    from baton.definitions.dmn import read_dmn_file      # outside workflow code
    from baton.decisions import evaluate_decision        # anywhere

    model = read_dmn_file("approval.dmn")                # a JSON-able dict
    result = evaluate_decision(model, "Approval Status", {"Age": 20, "Risk": "Low"})
    result.value        # JSON: "Approved"
    result.matched      # the rules that matched, per decision table
    result.to_dict()    # {"decision", "result", "decisions", "matched", "warnings"}

The model dict is described in :mod:`.model`; values cross into and out of
FEEL as :mod:`baton.expressions.feel.convert` says. Plain standard library
(and Baton's expression evaluators): imported by workflow code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..expressions.feel import to_json
from .evaluation import Evaluation, evaluate_decision_values
from .model import FORMAT, DecisionError

__all__ = [
    "FORMAT",
    "DecisionError",
    "DecisionResult",
    "Evaluation",
    "evaluate_decision",
    "evaluate_decision_values",
]


@dataclass(frozen=True)
class DecisionResult:
    """What a decision came to.

    ``value``: the decision's result as JSON. ``decisions``: every decision
    evaluated on the way (its requirements), by name, as JSON.
    ``matched``: per decision table evaluated, in order — the decision, the
    table's id, its hit policy, the rules that matched (1-based index, id,
    line, annotations) and whether the default outputs stood in.
    ``warnings``: results that did not fit their declared type (now null)."""

    decision: str
    value: Any
    decisions: dict[str, Any] = field(default_factory=dict)
    matched: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "result": self.value,
            "decisions": self.decisions,
            "matched": self.matched,
            "warnings": self.warnings,
        }


def evaluate_decision(
    model: Mapping[str, Any], decision: str | None = None, inputs: Mapping[str, Any] | None = None
) -> DecisionResult:
    """Evaluate ``decision`` (its id or name; None: the one decision no
    other requires) of a compiled model with JSON ``inputs``. Raises
    :class:`DecisionError` naming the decision (and rule) when it cannot."""
    value, run = evaluate_decision_values(model, decision, inputs or {})
    name = run.target
    try:
        return DecisionResult(
            decision=name,
            value=to_json(value),
            decisions={k: to_json(v) for k, v in run.results.items()},
            matched=run.matched,
            warnings=run.warnings,
        )
    except ValueError as exc:  # a function has no JSON form
        raise DecisionError(f"decision {name!r} {exc}") from None
