"""The deterministic project planner: phases, assignment, gates, testing,
deployment, parallelism; and the spec/config validation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from baton import AgentType, DefinitionError, ProjectSpec
from baton.config import AgentConfig, BatonFile, Settings
from baton.definitions.project import ProjectConfig
from baton.plan import compile_file, compile_project
from baton.runtime.documents import compile_for_run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def plan_for(tmp_path, spec=None, **config):
    spec = spec or ProjectSpec(
        project_id="web-app-project",
        name="E-commerce Web Application",
        description="Build a complete e-commerce solution",
        requirements=[
            "User authentication system",
            "Product catalog with search",
            "Shopping cart and checkout",
            "Admin dashboard",
        ],
        constraints={"timeline": "2 weeks", "budget": 10000},
        success_criteria=["All features functional", "`pytest -q`"],
        estimated_duration_hours=80,
        agents_required=[AgentType.CLAUDE, AgentType.AIDER],
        approval_gates=["Backend API", "deployment"],
    )
    return compile_project(
        spec, ProjectConfig(**{"approvers": ["lead"], **config}), workspace_root=tmp_path
    )


def test_seed_project_spec_and_agent_types():
    spec = ProjectSpec(
        project_id="p", name="n", requirements=["a"], agents_required=[AgentType.CLAUDE, "reviewer"]
    )
    assert spec.agents_required == ["CLAUDE", "reviewer"]
    assert [a.value for a in AgentType] == ["CLAUDE", "AIDER", "CODEX"]


def test_phases_per_requirement_assigned_round_robin(tmp_path):
    plan = plan_for(tmp_path, deployment_strategy="blue_green")
    phases = [s for s in plan.steps if s.action["type"] == "agent_phase"]
    assert [(s.id, s.agent_type) for s in phases] == [
        ("phase_1_user-authentication-syst", "CLAUDE"),
        ("phase_2_product-catalog-with-sea", "AIDER"),
        ("phase_3_shopping-cart-and-checko", "CLAUDE"),
        ("phase_4_admin-dashboard", "AIDER"),
        ("phase_testing", "CLAUDE"),
        ("phase_deployment", "CLAUDE"),
    ]
    assert plan.options.pool_limits == {"agents": 2} and plan.options.estimated_duration_hours == 80
    assert all(s.after == [] for s in phases[:4])  # parallel, nothing before them
    prompt = phases[1].action["prompt"]
    assert "Product catalog with search" in prompt and "- budget: 10000" in prompt


def test_gates_placement(tmp_path):
    plan = plan_for(tmp_path, deployment_strategy="rolling")
    after = {s.id: s.after for s in plan.steps}
    # "deployment" gate comes before the deployment phase; testing waits for implementation
    assert after["gate_deployment"] == ["verify_success_criteria"]
    assert after["phase_deployment"] == ["gate_deployment"]
    implementation = [s.id for s in plan.steps if s.id.startswith("phase_") and s.id[6].isdigit()]
    assert sorted(after["gate_backend-api"]) == sorted(implementation)  # no phase is named so
    assert after["phase_testing"] == ["gate_backend-api"]
    gates = [s for s in plan.steps if s.action["type"] == "approval"]
    assert [g.action["spec"]["stage"] for g in gates] == ["Backend API", "deployment"]
    assert gates[0].action["spec"]["stages"][0]["approvers"] == ["lead"]


def test_gate_named_after_a_phase_follows_it(tmp_path):
    spec = ProjectSpec(
        project_id="p",
        name="n",
        requirements=["Backend API", "Frontend"],
        approval_gates=["Backend API"],
    )
    plan = compile_project(
        spec, ProjectConfig(approvers=["lead"], automatic_testing=False), workspace_root=tmp_path
    )
    after = {s.id: s.after for s in plan.steps}
    assert after["gate_backend-api"] == ["phase_1_backend-api"]


def test_sequential_when_parallel_execution_is_off(tmp_path):
    plan = plan_for(tmp_path, parallel_execution=False, automatic_testing=False)
    phases = [s for s in plan.steps if s.action["type"] == "agent_phase"]
    assert phases[1].after == [phases[0].id]
    assert plan.options.pool_limits == {"agents": 1}
    assert "{phase_1_user-authentication-syst.summary}" in phases[1].action["prompt"]


def test_automatic_testing_verifies_command_criteria(tmp_path):
    plan = plan_for(tmp_path)
    verify = next(s for s in plan.steps if s.id == "verify_success_criteria")
    assert "pytest -q" in verify.action["script"] and "All features" not in verify.action["script"]
    assert not any(
        s.id == "verify_success_criteria" for s in plan_for(tmp_path, automatic_testing=False).steps
    )


def test_repository_adds_prepare_merges_and_discards(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    plan = plan_for(tmp_path / "ws", repository=str(repo), automatic_testing=False)
    ids = [s.id for s in plan.steps]
    assert ids[0] == "prepare_workspace"
    merges = [s for s in plan.steps if s.action["type"] == "workspace_merge"]
    assert len(merges) == 4
    # merges happen in plan order
    assert merges[1].after == [
        "phase_2_product-catalog-with-sea",
        "merge_phase_1_user-authentication-syst",
    ]
    phase = plan.step("phase_1_user-authentication-syst")
    assert phase.compensation["type"] == "workspace_discard"
    assert phase.action["branch"] == "baton/web-app-project/phase_1_user-authentication-syst"


def test_seed_example_file_plans(tmp_path):
    plan = compile_file(EXAMPLES / "ecommerce_project.yaml", workspace_root=tmp_path)
    assert plan.kind == "project" and plan.options.pool_limits == {"agents": 3}
    assert sum(1 for s in plan.steps if s.action["type"] == "approval") == 4


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"approvers": ["x"], "max_parallel": 3}, "config: unknown key 'max_parallel'"),
        (
            {"approvers": ["x"], "max_parallel_agents": 0},
            "config.max_parallel_agents: input should be greater than or equal to 1",
        ),
        ({}, "config.approvers: the project has approval_gates but nobody to decide them"),
        (
            {"approvers": ["x"], "repository": "/nonexistent"},
            "config.repository: /nonexistent is not a git repository",
        ),
        (
            {"approvers": ["x"], "sla_hours": 8, "sla_warning_hours": 9},
            "sla_warning_hours (9) must be less than sla_hours (8)",
        ),
        (
            {"approvers": ["x"], "phase_sla_warning_minutes": 9},
            "phase_sla_warning_minutes needs phase_sla_minutes",
        ),
    ],
)
def test_bad_config_is_rejected(tmp_path, config, message):
    data = {
        "project_id": "p",
        "name": "n",
        "requirements": ["a"],
        "approval_gates": ["deploy"],
        "config": config,
    }
    path = tmp_path / "project.yaml"
    import yaml

    path.write_text(yaml.safe_dump(data))
    from baton.definitions import read_document

    with pytest.raises(DefinitionError) as info:
        compile_for_run(
            read_document(path),
            settings=Settings.from_env({"BATON_HOME": str(tmp_path)}),
            baton_file=BatonFile(),
            source=str(path),
        )
    assert message in str(info.value)


def test_unknown_agent_is_rejected(tmp_path):
    spec = ProjectSpec(project_id="p", name="n", requirements=["a"], agents_required=["GPT9"])
    with pytest.raises(DefinitionError, match=r"agents_required\[0\]: unknown agent 'GPT9'"):
        compile_project(spec, ProjectConfig(), workspace_root=tmp_path)
    custom = BatonFile(agents={"GPT9": AgentConfig("GPT9", ["gpt9"])})
    assert compile_project(spec, ProjectConfig(), workspace_root=tmp_path, baton_file=custom).steps


def prepared(tmp_path, spec: ProjectSpec, config: ProjectConfig, baton_file: BatonFile):
    """The project as a run starts it: repository checked, planner agent run."""
    return compile_for_run(
        {**spec.model_dump(), "config": config.model_dump()},
        settings=Settings.from_env({"BATON_HOME": str(tmp_path)}),
        baton_file=baton_file,
        kind="project",
    )


def planner_file(**env: str) -> BatonFile:
    import sys

    command = [
        sys.executable,
        str(Path(__file__).resolve().parents[1] / "support" / "stand_in_planner.py"),
    ]
    return BatonFile(agents={"planner": AgentConfig("planner", command, env)})


def test_planner_agent_plans_the_phases(tmp_path):
    spec = ProjectSpec(
        project_id="p", name="n", requirements=["API", "UI"], agents_required=["CLAUDE", "AIDER"]
    )
    config = ProjectConfig(planner_agent="planner", automatic_testing=False)
    plan = prepared(tmp_path, spec, config, planner_file())
    phases = {s.id: s for s in plan.steps}
    assert list(phases) == ["phase_schema", "phase_r1", "phase_r2"]
    assert phases["phase_schema"].agent_type == "AIDER"
    assert phases["phase_r1"].after == ["phase_schema"]
    assert plan.options.notes == ["phases planned by planner"]


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("I could not do it", "no JSON object in its output"),
        ('{"phases": []}', "phases: List should have at least 1 item"),
        (
            '{"phases": [{"id": "a", "title": "A", "depends_on": ["b"]}, {"id": "b", "title": "B"}]}',
            "listed after it",
        ),
        ('{"phases": [{"id": "a", "title": "A", "agent": "GPT9"}]}', "unknown agent 'GPT9'"),
    ],
)
def test_invalid_planner_output_falls_back_and_is_recorded(tmp_path, output, reason):
    spec = ProjectSpec(project_id="p", name="n", requirements=["API", "UI"])
    config = ProjectConfig(planner_agent="planner", automatic_testing=False)
    plan = prepared(tmp_path, spec, config, planner_file(PLANNER_OUTPUT=output))
    assert [s.id for s in plan.steps] == ["phase_1_api", "phase_2_ui"]
    assert reason in plan.options.notes[0] and "deterministic planner" in plan.options.notes[0]


def test_planner_whose_program_is_missing_is_recorded(tmp_path):
    spec = ProjectSpec(project_id="p", name="n", requirements=["API"])
    config = ProjectConfig(planner_agent="CODEX", automatic_testing=False)
    plan = prepared(tmp_path, spec, config, BatonFile())
    assert "program 'codex' is not installed" in plan.options.notes[0]


def test_a_project_declares_its_sla_in_hours(tmp_path):
    plan = plan_for(tmp_path, sla_hours=100, sla_warning_hours=80)
    assert (plan.options.sla.duration_seconds, plan.options.sla.warning_seconds) == (360000, 288000)
    assert plan_for(tmp_path).options.sla is None


def test_a_projects_phases_share_an_sla_and_its_alerts_have_channels(tmp_path):
    plan = plan_for(
        tmp_path,
        phase_sla_minutes=30,
        phase_sla_warning_minutes=20,
        notification_channels=["json://127.0.0.1:9/hooks"],
        alert_on_failure=True,
    )
    phases = [s for s in plan.steps if s.agent_type is not None]
    assert phases and all(
        (s.sla.duration_seconds, s.sla.warning_seconds) == (1800, 1200) for s in phases
    )
    assert all(s.sla is None for s in plan.steps if s.agent_type is None)
    assert plan.options.notification_channels == ["json://127.0.0.1:9/hooks"]
    assert plan.options.alert_on_failure is True
