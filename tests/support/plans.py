"""Builders for plans made by hand, as a front end makes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from baton.plan.model import Expr, Plan, PlanOptions, PlanStep


def call(function: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A python action calling ``tests.support.pyfuncs:<function>``."""
    return {
        "type": "python",
        "function": f"tests.support.pyfuncs:{function}",
        "args": list(args),
        "kwargs": kwargs,
    }


def note(log: Path, text: str) -> dict[str, Any]:
    return call("note", str(log), text)


def node(node_id: str, action: dict[str, Any] | None = None, **fields: Any) -> PlanStep:
    return PlanStep(id=node_id, name=node_id, action=action or {}, **fields)


def control(node_id: str, kind: str, **fields: Any) -> PlanStep:
    return PlanStep(id=node_id, name=node_id, action={}, kind=kind, **fields)


def plan(
    *steps: PlanStep, plan_id: str = "flow", output: str | None = None, **options: Any
) -> Plan:
    opts = PlanOptions(output=Expr(output) if output else None, **options)
    return Plan(kind="process", id=plan_id, name=plan_id, steps=list(steps), options=opts)


def lines(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def e(source: str) -> Expr:
    return Expr(source)
