"""Plans written by older Baton versions, brought up to the current format.
A run keeps the plan it started with (it is the workflow's input), so the
interpreter upgrades it in memory when it starts — and on every replay, the
same way: pure and deterministic. One function per format version."""

from __future__ import annotations

from .model import PLAN_FORMAT_VERSION, Plan


def _v1_to_v2(plan: Plan) -> None:
    """v2 made the agent-phase limit a resource pool on the step."""
    if plan.options.max_parallel is not None:
        plan.options.pool_limits.setdefault("agents", plan.options.max_parallel)
    for step in plan.steps:
        if step.action.get("type") == "agent_phase" and step.pool is None:
            step.pool = "agents"


def _v2_to_v3(plan: Plan) -> None:
    """v3 added control nodes, data mappings and the run's output. Every new
    field defaults to what a v2 plan meant (an action node, join "all", no
    routes, no output), so there is nothing to change."""


def _v3_to_v4(plan: Plan) -> None:
    """v4 added triggers (events while a node runs), throw nodes and decide
    nodes; a v3 plan has none, so there is nothing to change."""


MIGRATIONS = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}


def upgrade(plan: Plan) -> Plan:
    """``plan`` in the current format (changed in place; returned)."""
    while plan.format_version < PLAN_FORMAT_VERSION:
        MIGRATIONS[plan.format_version](plan)
        plan.format_version += 1
    return plan
