"""Where a project's result is and what people see: the result branch named
by `baton run` and `baton status`, landing it (merge or a command), `baton
logs -f`, the task an agent is given, failures named once. A stand-in agent
program (tests/support/project_agent.py) replaces a real LLM agent CLI, which
cannot run here."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from baton import AgentType
from baton.cli import render
from baton.testing import until
from tests.e2e.test_project_undo import branches, log_lines, worktrees
from tests.e2e.test_projects import AGENT, agents, git, new_repo, spec, start
from tests.support.cli import baton_cli

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_completed_project_names_its_result_branch_and_lands_it(worker_factory, tmp_path):
    repo = new_repo(tmp_path)
    baton_file = agents()
    project = spec(["Feature A"])
    async with worker_factory(baton_file) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=tmp_path / "home",
            repository=str(repo),
            automatic_testing=False,
            land="merge",
        )
        result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPLETED", result["failure"]
    branch = f"baton/{project.project_id}/project"
    assert result["result"]["branch"] == branch and result["result"]["base"] == "main"
    assert result["result"]["land"].endswith(f"merge --no-ff {branch}")
    assert (repo / "phase_1_feature-a.txt").exists()  # landed into main, checked out
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    console = Console(record=True, width=200)
    render.print_status(console, result)
    text = console.export_text()
    assert f"result:   branch {branch}" in text and "land it:" in text


async def test_land_command_runs_with_the_branch(worker_factory, tmp_path):
    repo = new_repo(tmp_path)
    marker = tmp_path / "landed.txt"
    baton_file = agents()
    project = spec(["Feature A"])
    async with worker_factory(baton_file) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=tmp_path / "home",
            repository=str(repo),
            automatic_testing=False,
            land="command",
            land_command=["sh", "-c", f'echo "$0 $1" > {marker}', "{branch}", "{base}"],
        )
        result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPLETED", result["failure"]
    assert marker.read_text() == f"baton/{project.project_id}/project main\n"


async def test_failed_criterion_and_conflict_are_named_once(worker_factory, tmp_path):
    repo = new_repo(tmp_path)
    baton_file = agents(AGENT_CONFLICT="hello")
    project = spec(["Feature A", "Feature B"])
    async with worker_factory(baton_file) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=tmp_path / "home",
            repository=str(repo),
            automatic_testing=False,
        )
        result = await asyncio.wait_for(run.result(), 120)
    console = Console(record=True, width=300)
    render.print_status(console, result)
    assert console.export_text().count("conflicts in: shared.txt") == 1
    live = Console(record=True, width=300)
    render.LiveProgress(live)(result)
    assert live.export_text().count("conflicts in: shared.txt") == 1

    (tmp_path / "second").mkdir()
    repo2 = new_repo(tmp_path / "second")
    criteria = spec(["Feature A"], success_criteria=["`test -f phase_1_feature-a.txt`", "`false`"])
    async with worker_factory(agents()) as env:
        run = await start(
            env,
            criteria,
            agents(),
            home=tmp_path / "home",
            repository=str(repo2),
            automatic_testing=True,
        )
        result = await asyncio.wait_for(run.result(), 120)
    verify = next(s for s in result["steps"] if s["step_id"] == "verify_success_criteria")
    assert "success criterion `false` failed (exit 1)" in verify["error"]
    assert AgentType.CLAUDE  # the seed's names stay importable
    assert os.path.exists(repo2)


async def test_baton_run_names_the_result_and_logs_follow_a_phase(worker_factory, tmp_path):
    """`baton run` (as a user runs it) ends by naming the result branch and
    how to land it; `baton logs -f` prints an agent's output as it comes, up
    to the end of the phase. The project's worktree is gone, its branch stays."""
    import yaml

    repo = new_repo(tmp_path)
    home = tmp_path / "home"
    project = spec(["Feature A"])
    agent_log = tmp_path / "agents.log"
    agent_env = {"AGENT_SLEEP": "3", "AGENT_CHATTER": "1", "AGENT_LOG": str(agent_log)}
    command = [sys.executable, AGENT, "{prompt}"]
    (tmp_path / "baton.yaml").write_text(  # the CLI's agents: the same stand-in
        yaml.safe_dump({"agents": {"CLAUDE": {"command": command, "env": agent_env}}})
    )
    definition = tmp_path / "project.yaml"
    fields = {"project_id": project.project_id, "name": project.name}
    config = {"repository": str(repo), "automatic_testing": False}
    definition.write_text(
        yaml.safe_dump({**fields, "requirements": ["Feature A"], "config": config})
    )
    workflow_id = f"{project.project_id}-cli"
    async with worker_factory(agents(**agent_env), home=home) as env:
        running = asyncio.create_task(
            baton_cli(env.settings, "run", str(definition), "--id", workflow_id, cwd=tmp_path)
        )
        log = home / "logs" / workflow_id / "phase_1_feature-a.log"
        await until(lambda: _exists(log), timeout=60)
        follow_from = time.time()
        code, followed, err = await baton_cli(
            env.settings, "logs", workflow_id, "feature-a", "-f", cwd=tmp_path
        )
        assert code == 0, err
        code, out, err = await running
    assert code == 0, out + err
    # followed to the end of the phase, which was still running when it began
    ended = float(next(line for line in log_lines(agent_log) if line[0] == "end")[2])
    assert ended > follow_from
    lines = followed.splitlines()
    assert lines[:15] == [f"working on phase_1_feature-a step {n}" for n in range(15)]
    assert lines[-1].startswith("claude finished Feature A")
    branch = f"baton/{project.project_id}/project"
    assert f"result:   branch {branch} in {repo} (from main)" in out
    assert f"land it:  git -C {repo} checkout main && git -C {repo} merge --no-ff {branch}" in out
    assert branches(repo, project.project_id) == [branch]
    assert str(home) not in worktrees(repo)
    assert not (home / "workspaces" / project.project_id / "_project").exists()


async def _exists(path: Path) -> bool:
    return path.exists()


async def test_a_refused_landing_keeps_the_result_and_says_how_to_land_it(worker_factory, tmp_path):
    """land: merge only merges into a checked-out, clean base branch; when it
    cannot, the finished work is not undone: the run completes, names the
    result, and the landing step says why and how to land by hand."""
    repo = new_repo(tmp_path)
    git(repo, "checkout", "-q", "-b", "elsewhere")
    baton_file = agents()
    project = spec(["Feature A"])
    async with worker_factory(baton_file) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=tmp_path / "home",
            repository=str(repo),
            base_branch="main",
            automatic_testing=False,
            land="merge",
        )
        result = await asyncio.wait_for(run.result(), 120)
    branch = f"baton/{project.project_id}/project"
    assert result["status"] == "COMPLETED", result["failure"]
    assert result["compensations"] == []
    land = next(s for s in result["steps"] if s["step_id"] == "land_result")
    assert land["status"] == "FAILED"
    assert f"cannot merge {branch} into main: {repo} has elsewhere checked out" in land["error"]
    assert f"land it yourself: git -C {repo} checkout main" in land["error"]
    assert result["result"]["branch"] == branch
    assert "phase_1_feature-a.txt" in git(repo, "ls-tree", "--name-only", branch).split()
    assert git(repo, "rev-parse", "main") == git(repo, "rev-parse", "elsewhere")  # untouched


async def test_the_task_an_agent_receives_is_the_documented_one(worker_factory, tmp_path):
    """The task JSON (stdin and BATON_TASK) has exactly the fields the table in
    docs/projects.md lists, with the values it describes."""
    repo = new_repo(tmp_path)
    given_file = tmp_path / "given.json"
    baton_file = agents(AGENT_TASK_FILE=str(given_file))
    project = spec(["Feature A"], constraints={"timeline": "1 week"})
    async with worker_factory(baton_file) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=tmp_path / "home",
            repository=str(repo),
            automatic_testing=False,
        )
        result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPLETED", result["failure"]
    given = json.loads(given_file.read_text())
    task = given["stdin"]
    assert given["BATON_TASK"] == task
    assert sorted(task) == sorted(_documented_task_fields())
    workspace = str(tmp_path / "home" / "workspaces" / project.project_id / "phase_1_feature-a")
    assert task["workflow_id"] == run.workflow_id
    assert task["phase_id"] == "phase_1_feature-a" and task["title"] == "Feature A"
    assert task["prompt"].startswith("You are working on the project 'Test Project'")
    assert task["workspace"] == workspace == given["env"]["BATON_WORKSPACE"] == given["cwd"]
    assert task["context"] == {
        "project_id": project.project_id,
        "constraints": {"timeline": "1 week"},
    }
    env = given["env"]
    assert env["BATON_WORKFLOW_ID"] == run.workflow_id and env["BATON_PHASE"] == "forward"
    assert env["BATON_STEP_ID"] == "phase_1_feature-a" and env["BATON_ATTEMPT"] == "1"
    assert env["BATON_IDEMPOTENCY_KEY"]


def _documented_task_fields() -> list[str]:
    """The first column of the task table in docs/projects.md."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "projects.md").read_text()
    table = text.split("| field | meaning |", 1)[1].split("\n\n", 1)[0]
    return [row.split("`")[1] for row in table.splitlines() if row.startswith("| `")]
