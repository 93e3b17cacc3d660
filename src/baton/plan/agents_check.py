"""Before a plan starts: every agent it uses must be runnable here."""

from __future__ import annotations

from ..agents import missing_program_message, resolve_agent
from ..config import BatonFile
from ..errors import DefinitionError, Issue
from .model import Plan

AGENT_ACTIONS = ("agent_phase", "task")


def check_agent_programs(plan: Plan, baton_file: BatonFile) -> None:
    """Raise a DefinitionError naming each agent whose program is missing
    (checked on the machine that starts the run; workers need it too)."""
    issues: list[Issue] = []
    seen: set[str] = set()
    for step in plan.steps:
        if step.agent_type is None or step.agent_type in seen:
            continue
        if step.action.get("type") not in AGENT_ACTIONS or plan.kind != "project":
            continue
        seen.add(step.agent_type)
        agent = resolve_agent(step.agent_type, baton_file)
        message = (
            f"agent {step.agent_type!r} is not configured"
            if agent is None
            else missing_program_message(agent, baton_file)
        )
        if message:
            issues.append(Issue(f"agents_required ({step.id})", message))
    if issues:
        raise DefinitionError(plan.id, issues)
