"""A v1 plan (what in-flight runs and the committed histories carry) is
upgraded to v2 in place: the agent-phase limit becomes a resource pool."""

from __future__ import annotations

from baton.plan.migrations import upgrade
from baton.plan.model import PLAN_FORMAT_VERSION, Plan, PlanOptions, PlanStep


def test_v1_project_plan_becomes_pools() -> None:
    plan = Plan(
        kind="project",
        id="p",
        name="p",
        steps=[
            PlanStep(id="prepare", name="prepare", action={"type": "workspace_prepare"}),
            PlanStep(id="phase_1", name="one", action={"type": "agent_phase"}),
        ],
        options=PlanOptions(max_parallel=2),
        format_version=1,
    )
    upgraded = upgrade(plan)
    assert upgraded.format_version == PLAN_FORMAT_VERSION == 4
    assert upgraded.options.pool_limits == {"agents": 2}
    assert [s.pool for s in upgraded.steps] == [None, "agents"]
    assert upgrade(upgraded) is upgraded and upgraded.options.pool_limits == {"agents": 2}
