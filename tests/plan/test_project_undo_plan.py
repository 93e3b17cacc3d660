"""What the project compiler writes into the plan for undo, gates, re-runs
and landing (docs/projects.md): every phase is undone once it started, the
project's worktree is cleaned up at the end, a gate holds the phases after
it unless they are declared independent, merges carry what a re-run needs,
and the landing config is checked."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from baton import DefinitionError, ProjectSpec
from baton.config import BatonFile
from baton.definitions.project import ProjectConfig
from baton.plan import compile_file, compile_project
from baton.plan.model import Plan
from baton.plan.planner import validate_plan_output


def git_repo(tmp_path: Path) -> str:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    return str(repo.resolve())


def plan(tmp_path: Path, requirements: list[str], gates: list[str] = (), **config) -> Plan:
    spec = ProjectSpec(
        project_id="p", name="n", requirements=requirements, approval_gates=list(gates)
    )
    settings = {"approvers": ["lead"], "automatic_testing": False, **config}
    return compile_project(spec, ProjectConfig(**settings), workspace_root=tmp_path / "ws")


def test_every_phase_is_undone_once_it_started_and_the_worktree_is_cleaned_up(tmp_path):
    repo = git_repo(tmp_path)
    compiled = plan(tmp_path, ["A", "B"], automatic_testing=True, repository=repo)
    phases = [s for s in compiled.steps if s.action["type"] == "agent_phase"]
    assert [s.id for s in phases] == ["phase_1_a", "phase_2_b", "phase_testing"]
    for phase in phases:
        assert phase.compensate_attempted
        assert phase.compensation == {
            "type": "workspace_discard",
            "workspace": phase.action["workspace"],
            "repository": repo,
            "branch": phase.action["branch"],
        }
    # nothing else opts in: merges, the prepare step and gates keep the default
    assert not any(s.compensate_attempted for s in compiled.steps if s not in phases)
    assert compiled.options.cleanup == {
        "type": "workspace_cleanup",
        "repository": repo,
        "project_worktree": str(tmp_path / "ws" / "p" / "_project"),
    }
    # without a repository there is no project worktree to clean up
    assert plan(tmp_path, ["A"]).options.cleanup is None


@pytest.mark.parametrize("with_repository", [True, False])
def test_a_gate_holds_the_phases_after_it_unless_independent(tmp_path, with_repository):
    config = {"repository": git_repo(tmp_path)} if with_repository else {}
    compiled = plan(
        tmp_path,
        ["Backend API", "Frontend", "Docs"],
        gates=["Backend API"],
        independent_phases=["Docs"],
        **config,
    )
    gate = compiled.step("gate_backend-api")
    before_gate = "merge_phase_1_backend-api" if with_repository else "phase_1_backend-api"
    assert gate.after == [before_gate]
    assert "gate_backend-api" not in compiled.step("phase_1_backend-api").after
    assert "gate_backend-api" in compiled.step("phase_2_frontend").after
    assert "gate_backend-api" not in compiled.step("phase_3_docs").after
    if with_repository:  # merges stay in plan order, after the gate
        assert compiled.step("merge_phase_2_frontend").after == [
            "phase_2_frontend",
            "gate_backend-api",
        ]
        assert compiled.step("merge_phase_3_docs").after == [
            "phase_3_docs",
            "merge_phase_2_frontend",
        ]


def test_an_independent_phase_must_be_a_requirement(tmp_path):
    with pytest.raises(DefinitionError) as info:
        plan(tmp_path, ["A"], independent_phases=["Docs"])
    assert "config.independent_phases[0]: 'Docs' is not one of the requirements" in str(info.value)


def test_the_planner_agent_may_mark_a_phase_independent_of_gates():
    spec = ProjectSpec(project_id="p", name="n", requirements=["A"])
    answer = {
        "phases": [
            {"id": "api", "title": "API"},
            {"id": "docs", "title": "Docs", "independent_of_gates": True},
        ]
    }
    phases = validate_plan_output(answer, spec, BatonFile())
    assert [p.independent_of_gates for p in phases] == [False, True]
    with pytest.raises(ValueError, match="independent_of_gates"):
        validate_plan_output(
            {"phases": [{"id": "a", "title": "A", "independent_of_gates": "maybe"}]},
            spec,
            BatonFile(),
        )


def test_merges_carry_the_phase_and_its_digest(tmp_path):
    repo = git_repo(tmp_path)
    compiled = plan(tmp_path, ["A", "B"], repository=repo)
    phase, merge = compiled.step("phase_1_a"), compiled.step("merge_phase_1_a")
    assert merge.action["phase_id"] == "phase_1_a"
    assert merge.action["digest"] == phase.action["digest"] != ""
    # the same spec gives the same digests (a re-run can find its merges) ...
    again = plan(tmp_path, ["A", "B"], repository=repo)
    assert again.step("phase_1_a").action["digest"] == phase.action["digest"]
    # ... a changed requirement (in every phase's prompt) gives other ones
    changed = plan(tmp_path, ["A", "B, differently"], repository=repo)
    assert changed.step("phase_1_a").action["digest"] != phase.action["digest"]


def test_the_result_is_named_and_landing_is_off_by_default(tmp_path):
    repo = git_repo(tmp_path)
    compiled = plan(tmp_path, ["A"], repository=repo)
    assert compiled.options.result == {
        "repository": repo,
        "branch": "baton/p/project",
        "base": "{prepare_workspace.base}",
        "land": f"git -C {repo} checkout {{prepare_workspace.base}} && "
        f"git -C {repo} merge --no-ff baton/p/project",
    }
    assert not any(s.id == "land_result" for s in compiled.steps)


def test_landing_runs_last(tmp_path):
    repo = git_repo(tmp_path)
    merged = plan(tmp_path, ["A", "B"], gates=["release"], repository=repo, land="merge")
    last = merged.steps[-1]
    assert last.id == "land_result" and last.after == ["gate_release"]
    assert not last.critical  # a failed landing is reported, the project is not undone
    assert last.action == {
        "type": "workspace_land",
        "repository": repo,
        "project_branch": "baton/p/project",
        "base": "{prepare_workspace.base}",
    }
    command = plan(
        tmp_path,
        ["A"],
        repository=repo,
        land="command",
        land_command=["gh", "pr", "create", "--head", "{branch}", "--title", "{x}"],
    )
    script = command.steps[-1].action["script"]
    assert script == "gh pr create --head baton/p/project --title '{{x}}'"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"land": "merge"}, "config.land: landing the result needs config.repository"),
        (
            {"land": "command", "repository": "REPO"},
            "config.land_command: land: command needs the command",
        ),
        (
            {"land_command": ["gh"], "repository": "REPO"},
            "config.land_command: set land: command to run it",
        ),
    ],
)
def test_bad_landing_config_names_the_field(tmp_path, config, message):
    if config.get("repository") == "REPO":
        config = {**config, "repository": git_repo(tmp_path)}
    with pytest.raises(DefinitionError) as info:
        plan(tmp_path, ["A"], **config)
    assert message in str(info.value)


def test_an_unknown_landing_mode_names_the_field(tmp_path):
    path = tmp_path / "project.yaml"
    path.write_text("project_id: p\nname: n\nrequirements: [A]\nconfig: {land: push}\n")
    with pytest.raises(DefinitionError) as info:
        compile_file(path, workspace_root=tmp_path)
    expected = f"{path}: config.land: input should be 'none', 'merge' or 'command'"
    assert expected.lower() in str(info.value).lower()
