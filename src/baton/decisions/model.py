"""The compiled decision model: the plain, JSON-able dict that
:func:`baton.definitions.dmn.read_dmn` produces and :func:`.evaluate_decision`
evaluates — small enough to ride in a workflow's input, versioned so a run
keeps evaluating the model it started with.

Format ``baton.dmn/1``::

    {
      "format": "baton.dmn/1",
      "name": str | None, "namespace": str | None, "source": str,
      "types": {name: Type},        # item definitions
      "inputs": [{"id", "name", "type", "line"}],
      "knowledge": [{"id", "name", "line", "requires", "logic": Function}],
      "decisions": [{"id", "name", "type", "line", "requires", "logic": Logic}],
    }
    Type     = {"type": str | None, "collection": bool,
                "components": {name: Type} | None, "allowed": unary tests | None}
    requires = {"decisions": [name], "inputs": [name], "knowledge": [name]}

Every ``Logic`` has ``kind``, ``id``, ``line`` and ``type`` (a canonical type
name, :mod:`.types`), and by kind:

    literal      "text", "language" ("feel" or "juel")
    table        "hit_policy", "aggregation" (None, SUM, MIN, MAX, COUNT),
                 "inputs": [{"id", "label", "text", "language", "type", "values", "line"}],
                 "outputs": [{"id", "name", "label", "type", "values", "default", "line"}],
                 "annotations": [column name],
                 "rules": [{"id", "line", "inputs": [unary tests],
                            "outputs": [{"text", "language"}], "annotations": [text]}]
    context      "entries": [{"name": str | None, "type", "logic"}]  (no name: the result)
    list         "items": [Logic]
    relation     "columns": [name], "rows": [[Logic]]
    invocation   "function": FEEL text naming it, "bindings": [{"name", "logic": Logic | None}]
    function     "params": [{"name", "type"}], "logic": Logic
    conditional  "if", "then", "else": Logic

``values`` (input and output values) and ``allowed`` are FEEL unary-test
text; ``default`` is a FEEL expression. The model has been checked when it
was read (names, requirements, cycles, syntax): the evaluator trusts its
structure but not its size or its inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import BatonError

FORMAT = "baton.dmn/1"
HIT_POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")


class DecisionError(BatonError):
    """A decision could not be evaluated: a hit policy violated, an input of
    the wrong type, an expression that failed. The message names the
    decision (and the rule or cell)."""

    label = "decision failed:"


@dataclass(frozen=True)
class Index:
    """A compiled model's elements by name and by id."""

    model: Mapping[str, Any]
    decisions: dict[str, Mapping[str, Any]]
    decision_ids: dict[str, Mapping[str, Any]]
    inputs: dict[str, Mapping[str, Any]]
    knowledge: dict[str, Mapping[str, Any]]
    types: Mapping[str, Any]


def index(model: Mapping[str, Any]) -> Index:
    """The model's elements, once its format is one this Baton reads."""
    if not isinstance(model, Mapping) or model.get("format") != FORMAT:
        found = model.get("format") if isinstance(model, Mapping) else type(model).__name__
        raise DecisionError(
            f"the decision model has the format {found!r}; this Baton reads {FORMAT!r} "
            "(read the .dmn file again with this version)"
        )
    decisions = list(model.get("decisions") or [])
    return Index(
        model=model,
        decisions={d["name"]: d for d in decisions},
        decision_ids={d["id"]: d for d in decisions if d.get("id")},
        inputs={i["name"]: i for i in model.get("inputs") or []},
        knowledge={k["name"]: k for k in model.get("knowledge") or []},
        types=model.get("types") or {},
    )


def find_decision(found: Index, key: str | None) -> Mapping[str, Any]:
    """A decision by id or name; without a key, the model's only decision
    or the one no other decision requires."""
    if key is not None:
        decision = found.decision_ids.get(key) or found.decisions.get(key)
        if decision is None:
            raise DecisionError(
                f"the model has no decision {key!r} (decisions: {', '.join(found.decisions)})"
            )
        return decision
    required = {name for d in found.decisions.values() for name in d["requires"]["decisions"]}
    tops = [d for name, d in found.decisions.items() if name not in required]
    if len(tops) == 1:
        return tops[0]
    raise DecisionError(
        "the model has several decisions no other requires ("
        + ", ".join(d["name"] for d in tops)
        + "); name the one to evaluate"
    )
