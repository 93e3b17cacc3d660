"""Builders for plans made by hand, as a front end makes them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from baton.plan.checks import plan_issues
from baton.plan.model import Expr, Join, NodeKind, Plan, PlanOptions, PlanStep, WaitSpec


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


# ---- small nodes and checks for tests of hand-built plans -------------------


def sleep(node_id: str, seconds: float, **fields: Any) -> PlanStep:
    """A wait node: a timer of ``seconds``."""
    return control(node_id, NodeKind.WAIT, wait=WaitSpec(seconds=seconds), **fields)


def mark(node_id: str, after: list[str], join: str = Join.ALL, **fields: Any) -> PlanStep:
    """A set node whose output is its own id."""
    return control(node_id, NodeKind.SET, after=after, value=e(f"'{node_id}'"), join=join, **fields)


def statuses(result: dict[str, Any]) -> dict[str, str]:
    """Each node instance's status in a status document."""
    return {s["step_id"]: s["status"] for s in result["steps"]}


def audit(result: dict[str, Any], kind: str) -> list[str]:
    """The details of a status document's audit entries of one kind."""
    return [str(a.get("detail")) for a in result["audit"] if a["event"] == kind]


async def finish(baton: Any, the_plan: Plan, timeout: float = 60, **kwargs: Any) -> dict[str, Any]:
    """Check ``the_plan``, run it, and give its status document."""
    assert not plan_issues(the_plan), plan_issues(the_plan)
    run = await baton.client.start_plan(the_plan, **kwargs)
    return dict(await asyncio.wait_for(run.result(), timeout))
