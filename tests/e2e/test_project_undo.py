"""Projects that undo everything and say where their result is: failed and
cancelled phases are removed, gates hold the phases after them, a re-run
reuses what was merged, cancel reaches the agent at once, output is visible
while an agent works. A stand-in agent program (tests/support/project_agent.py)
replaces a real LLM agent CLI, which cannot run here."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from baton import AgentType
from baton.cli import render
from baton.testing import until
from tests.cli.test_cli import baton_cli
from tests.e2e.test_projects import AGENT, _alive, _started, agents, git, new_repo, spec, start

pytestmark = pytest.mark.asyncio(loop_scope="session")


def branches(repo: Path, project_id: str) -> list[str]:
    return git(repo, "branch", "--list", f"baton/{project_id}/*").split()


def worktrees(repo: Path) -> str:
    return git(repo, "worktree", "list")


def log_lines(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


alive = _alive


async def test_failed_phase_and_project_worktree_are_undone(worker_factory, tmp_path):
    repo = new_repo(tmp_path)
    baton_file = agents(AGENT_FAIL="Feature B")
    project = spec(["Feature A", "Feature B"])
    home = tmp_path / "home"
    async with worker_factory(baton_file) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=home,
            repository=str(repo),
            automatic_testing=False,
            phase_retries=0,
        )
        result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPENSATED"
    compensated = {c["step_id"] for c in result["compensations"]}
    assert "phase_2_feature-b" in compensated  # failed, yet undone
    # nothing left but the project branch, which keeps what was merged
    assert branches(repo, project.project_id) == [f"baton/{project.project_id}/project"]
    assert str(home) not in worktrees(repo)
    assert not (home / "workspaces" / project.project_id / "_project").exists()
    assert result["cleanup"] == {"status": "DONE", "error": None}


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


async def test_a_gate_holds_the_phases_after_it(worker_factory, tmp_path):
    repo = new_repo(tmp_path)
    log = tmp_path / "agents.log"
    baton_file = agents(AGENT_LOG=str(log))
    project = spec(
        ["Backend API", "Frontend", "Docs"],
        approval_gates=["Backend API"],
    )
    async with worker_factory(baton_file) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=tmp_path / "home",
            repository=str(repo),
            approvers=["lead"],
            automatic_testing=False,
            max_parallel_agents=3,
            independent_phases=["Docs"],
        )
        gate_id = f"{run.workflow_id}.gate_backend-api"

        async def rejected() -> bool:
            outcome = await env.client.submit_decision(gate_id, "lead", "reject", "no")
            return bool(outcome["accepted"])

        await until(rejected, timeout=60)
        result = await asyncio.wait_for(run.result(), 120)
    started = {line[1] for line in log_lines(log) if line[0] == "start"}
    assert "phase_1_backend-api" in started
    assert "phase_2_frontend" not in started  # held by the gate, then skipped
    assert "phase_3_docs" in started  # declared independent of the gate
    steps = {s["step_id"]: s for s in result["steps"]}
    assert steps["phase_2_frontend"]["status"] == "SKIPPED"
    assert branches(repo, project.project_id) == [f"baton/{project.project_id}/project"]


async def test_a_rerun_reuses_phases_already_merged(worker_factory, tmp_path):
    repo = new_repo(tmp_path)
    log = tmp_path / "agents.log"
    project = spec(["Feature A", "Feature B"])
    async with worker_factory(agents(AGENT_LOG=str(log), AGENT_FAIL="Feature B")) as env:
        first = await start(
            env,
            project,
            agents(AGENT_LOG=str(log), AGENT_FAIL="Feature B"),
            home=tmp_path / "home",
            repository=str(repo),
            automatic_testing=False,
            parallel_execution=False,
            phase_retries=0,
        )
        assert (await asyncio.wait_for(first.result(), 120))["status"] == "COMPENSATED"
    async with worker_factory(agents(AGENT_LOG=str(log))) as env:
        second = await start(
            env,
            project,
            agents(AGENT_LOG=str(log)),
            home=tmp_path / "home",
            repository=str(repo),
            automatic_testing=False,
            parallel_execution=False,
        )
        result = await asyncio.wait_for(second.result(), 120)
    assert result["status"] == "COMPLETED", result["failure"]
    starts = [line[1] for line in log_lines(log) if line[0] == "start"]
    assert starts.count("phase_1_feature-a") == 1  # reused, not redone
    assert starts.count("phase_2_feature-b") == 2
    steps = {s["step_id"]: s for s in result["steps"]}
    assert steps["phase_1_feature-a"]["output"]["summary"].startswith("reused")
    merges = git(repo, "log", "--merges", "--format=%s", f"baton/{project.project_id}/project")
    assert merges.count("Merge phase Feature A") == 1


async def test_cancel_stops_the_agent_within_seconds_and_output_is_visible(
    worker_factory, tmp_path
):
    """A cancel is delivered to an activity in the answer to a heartbeat, and
    the SDK sends heartbeats at most every 0.8 x the heartbeat timeout unless
    the worker's throttle says otherwise. With the 30 s timeout used here the
    agent ran on for ~22 s without Baton's 1 s throttle; the bound below is a
    correctness bound, not a benchmark. The cancelled phase is then undone."""
    repo = new_repo(tmp_path)
    home = tmp_path / "home"
    log = tmp_path / "agents.log"
    baton_file = agents(AGENT_LOG=str(log), AGENT_SLEEP="60", AGENT_CHATTER="1")
    project = spec(["Feature A"])
    async with worker_factory(baton_file, home=home) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=home,
            repository=str(repo),
            automatic_testing=False,
            heartbeat_timeout_seconds=30,
        )
        await until(lambda: _said(env, run.workflow_id), timeout=60)
        code, out, err = await baton_cli(env.settings, "logs", run.workflow_id, "feature-a")
        assert code == 0 and "working on phase_1_feature-a step 0" in out, err
        code, out, _ = await baton_cli(env.settings, "status", run.workflow_id)
        assert "phase_1_feature-a says" in out and "working on phase_1_feature-a" in out
        pid = int(next(line for line in log_lines(log) if line[0] == "start")[3])
        cancelled_at = time.monotonic()
        await run.cancel()
        while alive(pid) and time.monotonic() - cancelled_at < 30:
            await asyncio.sleep(0.05)
        stopped_after = time.monotonic() - cancelled_at
        result = await asyncio.wait_for(run.result(), 60)
    assert not alive(pid)
    assert stopped_after < 8, f"the agent ran on for {stopped_after:.1f}s after the cancel"
    print(f"agent stopped {stopped_after:.2f}s after the cancel")
    assert result["status"] == "CANCELLED"
    # the cancelled phase is undone like a completed one, and the project's
    # own worktree is gone; the project branch stays
    assert [c["step_id"] for c in result["compensations"]] == ["phase_1_feature-a"]
    assert branches(repo, project.project_id) == [f"baton/{project.project_id}/project"]
    assert str(home) not in worktrees(repo)
    assert not (home / "workspaces" / project.project_id / "_project").exists()
    assert not (home / "workspaces" / project.project_id / "phase_1_feature-a").exists()


async def _said(env: Any, workflow_id: str) -> bool:
    return bool((await env.client.running_output(workflow_id)).get("phase_1_feature-a"))


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


async def test_undo_after_the_worker_died_stops_its_orphaned_agent(server_env, tmp_path):
    """kill -9 the worker while an agent works, cancel the run, start another
    worker: the phase is not run again, yet undoing it stops the orphaned
    agent (its process group id is in the pid file the first worker wrote)
    before its worktree is removed."""
    import yaml

    from baton import start_multi_agent_project
    from tests.e2e.test_durability import WorkerProcess

    repo = new_repo(tmp_path)
    home = tmp_path / "home"
    log = tmp_path / "agents.log"
    config_file = tmp_path / "baton.yaml"
    agent = {
        "command": [sys.executable, AGENT, "{prompt}"],
        "env": {"AGENT_LOG": str(log), "AGENT_SLEEP": "60"},
    }
    config_file.write_text(yaml.safe_dump({"agents": {"CLAUDE": agent, "AIDER": agent}}))
    settings = replace(
        server_env.settings, task_queue=f"proj-orphan-{os.urandom(3).hex()}", home=home
    )
    client = type(server_env.client)(
        settings, temporal=server_env.client.temporal, baton_file=agents()
    )
    project = spec(["Feature A"])
    first = WorkerProcess(settings, BATON_CONFIG=str(config_file))
    await first.start()
    run = await start_multi_agent_project(
        project_spec=project,
        config={
            "repository": str(repo),
            "automatic_testing": False,
            "heartbeat_timeout_seconds": 2,
        },
        client=client,
    )
    await until(lambda: _started(log), timeout=60)
    orphan = int(log_lines(log)[0][3])
    await first.kill9()
    await run.cancel()
    second = WorkerProcess(settings, BATON_CONFIG=str(config_file))
    await second.start()
    try:
        result = await asyncio.wait_for(run.result(), 120)
        orphan_alive = alive(orphan)
    finally:
        await second.stop()
        if alive(orphan):
            os.killpg(orphan, signal.SIGKILL)
    assert result["status"] == "CANCELLED", result["failure"]
    assert [line[1] for line in log_lines(log) if line[0] == "start"] == ["phase_1_feature-a"]
    assert [c["step_id"] for c in result["compensations"]] == ["phase_1_feature-a"]
    assert not orphan_alive, "undoing the phase left the first worker's agent running"
    assert branches(repo, project.project_id) == [f"baton/{project.project_id}/project"]
    assert str(home) not in worktrees(repo)
    assert not list((home / "workspaces" / project.project_id).glob("*.agent.pid"))


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


async def test_a_planner_agent_marks_a_phase_independent_of_gates(worker_factory, tmp_path):
    """The planner agent's answer (a stand-in planner program here) may say
    that a phase does not build on what an earlier gate reviews."""
    from baton.config import AgentConfig

    answer = {
        "phases": [
            {"id": "api", "title": "Backend API"},
            {"id": "ui", "title": "Frontend", "depends_on": []},
            {"id": "docs", "title": "Docs", "independent_of_gates": True},
        ]
    }
    planner = str(Path(AGENT).parent / "stand_in_planner.py")
    baton_file = agents()
    baton_file.agents["planner"] = AgentConfig(
        "planner", [sys.executable, planner], {"PLANNER_OUTPUT": json.dumps(answer)}
    )
    project = spec(["Backend API", "Frontend", "Docs"], approval_gates=["Backend API"])
    async with worker_factory(baton_file) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=tmp_path / "home",
            approvers=["lead"],
            automatic_testing=False,
            planner_agent="planner",
        )
        gate_id = f"{run.workflow_id}.gate_backend-api"

        async def rejected() -> bool:
            outcome = await env.client.submit_decision(gate_id, "lead", "reject", "no")
            return bool(outcome["accepted"])

        await until(rejected, timeout=60)
        result = await asyncio.wait_for(run.result(), 60)
    assert result["notes"] == ["phases planned by planner"]
    steps = {s["step_id"]: s for s in result["steps"]}
    assert steps["phase_api"]["depends_on"] == []
    assert steps["phase_ui"]["depends_on"] == ["gate_backend-api"]
    assert steps["phase_docs"]["depends_on"] == []
    assert steps["phase_ui"]["status"] == "SKIPPED"
    assert steps["phase_docs"]["status"] == "COMPLETED"


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
