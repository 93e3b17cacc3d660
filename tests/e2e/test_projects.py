"""Multi-agent projects end to end: a stand-in agent program (a real LLM agent
cannot run here) editing real git repositories in temporary directories, on a
real Temporal dev server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from baton import AgentType, DefinitionError, ProjectSpec, start_multi_agent_project
from baton.config import AgentConfig, BatonFile
from baton.runtime import TemporalWorkflowClient
from baton.testing import until

pytestmark = pytest.mark.asyncio(loop_scope="session")
AGENT = str(Path(__file__).resolve().parents[1] / "support" / "project_agent.py")


def agents(**env: str) -> BatonFile:
    command = [sys.executable, AGENT, "{prompt}"]
    return BatonFile(
        agents={
            name: AgentConfig(name, command, {"AGENT_NAME": name.lower(), **env})
            for name in ("CLAUDE", "AIDER", "CODEX")
        }
    )


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def new_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("project\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    return repo


def spec(requirements: list[str], **extra: Any) -> ProjectSpec:
    fields: dict[str, Any] = {
        "project_id": f"proj-{os.urandom(3).hex()}",
        "name": "Test Project",
        "description": "Test project workflow",
        "requirements": requirements,
        "constraints": {"timeline": "1 week"},
        "success_criteria": ["All features working"],
        "estimated_duration_hours": 20,
        "agents_required": [AgentType.CLAUDE, AgentType.AIDER],
    }
    return ProjectSpec(**{**fields, **extra})


async def start(env, project: ProjectSpec, baton_file: BatonFile, **config: Any):
    client = TemporalWorkflowClient(  # as if baton.yaml said so
        replace(env.client.settings, home=Path(config.pop("home"))),
        temporal=env.client.temporal,
        baton_file=baton_file,
    )
    return await start_multi_agent_project(project_spec=project, config=config, client=client)


async def test_parallel_phases_merge_into_the_project_branch(worker_factory, tmp_path):
    repo = new_repo(tmp_path)
    log = tmp_path / "agents.log"
    baton_file = agents(AGENT_LOG=str(log), AGENT_SLEEP="1.5")
    project = spec(
        ["Feature A", "Feature B", "Feature C"],
        success_criteria=["`test -f phase_1_feature-a.txt`"],
    )
    async with worker_factory(baton_file) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=tmp_path / "home",
            repository=str(repo),
            max_parallel_agents=2,
            automatic_testing=True,
        )
        result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPLETED", result["failure"]
    # at most two agents at once, and two did overlap
    events = sorted(
        (float(t), kind)
        for kind, _, t, _ in (line.split() for line in log.read_text().splitlines())
    )
    running = peak = 0
    for _, kind in events:
        running += 1 if kind == "start" else -1
        peak = max(peak, running)
    assert peak == 2
    branch = f"baton/{project.project_id}/project"
    files = git(repo, "ls-tree", "--name-only", branch).split()
    assert {
        "phase_1_feature-a.txt",
        "phase_2_feature-b.txt",
        "phase_3_feature-c.txt",
        "phase_testing.txt",
    } <= set(files)
    # merged phase branches and worktrees are cleaned up
    assert git(repo, "branch", "--list", f"baton/{project.project_id}/phase_*") == ""
    steps = {s["step_id"]: s for s in result["steps"]}
    assert steps["phase_1_feature-a"]["output"]["agent"] == "CLAUDE"
    assert steps["phase_2_feature-b"]["output"]["agent"] == "AIDER"
    assert steps["phase_1_feature-a"]["output"]["changed_files"] == ["phase_1_feature-a.txt"]
    assert steps["verify_success_criteria"]["status"] == "COMPLETED"
    assert result["estimated_duration_hours"] == 20


async def test_gate_rejection_stops_and_undoes_unmerged_work(worker_factory, tmp_path):
    repo = new_repo(tmp_path)
    baton_file = agents()
    project = spec(["Backend API", "Frontend"], approval_gates=["Backend API"])
    async with worker_factory(baton_file) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=tmp_path / "home",
            repository=str(repo),
            approvers=["lead"],
            automatic_testing=False,
            parallel_execution=False,
        )
        gate_id = f"{run.workflow_id}.gate_backend-api"

        async def rejected() -> bool:
            outcome = await env.client.submit_decision(
                gate_id, "lead", "reject", "API design is wrong"
            )
            return bool(outcome["accepted"])

        await until(rejected, timeout=60)
        result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPENSATED"
    assert "REJECTED" in result["failure"]
    steps = {s["step_id"]: s for s in result["steps"]}
    assert steps["phase_2_frontend"]["status"] == "SKIPPED"
    assert git(repo, "branch", "--list", f"baton/{project.project_id}/phase_*") == ""
    assert [c["step_id"] for c in result["compensations"]] == ["phase_1_backend-api"]


async def test_gate_approval_lets_the_project_continue(worker_factory, tmp_path):
    baton_file = agents()
    project = spec(["Backend API", "Frontend"], approval_gates=["deployment"])
    async with worker_factory(baton_file) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=tmp_path / "home",
            approvers=["lead"],
            automatic_testing=False,
            deployment_strategy="rolling",
        )
        gate_id = f"{run.workflow_id}.gate_deployment"
        rows = await until(lambda: _pending(env, gate_id), timeout=60)
        assert rows["may_decide"] == ["lead"]
        status = await env.client.status(run.workflow_id)
        assert status["progress"]["completed"] == 2
        await env.client.submit_decision(gate_id, "lead", "approve")
        result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED"
    workspace = Path(result["steps"][-1]["output"]["workspace"])
    assert (workspace / "phase_deployment.txt").read_text() == "Deployment (rolling)\n"


async def _pending(env, approval_id: str) -> Any:
    rows = await env.client.list_approvals(pending=True, as_user="lead")
    return next((r for r in rows if r["approval_id"] == approval_id), None)


async def test_merge_conflict_names_the_files(worker_factory, tmp_path):
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
    assert result["status"] == "COMPENSATED"
    assert "conflicts in: shared.txt" in result["failure"]
    assert git(repo, "branch", "--list", f"baton/{project.project_id}/phase_*") == ""


async def test_failing_phase_is_retried_then_reported_with_agent_output(worker_factory, tmp_path):
    baton_file = agents(AGENT_FAIL="Feature B")
    project = spec(["Feature A", "Feature B"])
    async with worker_factory(baton_file) as env:
        run = await start(
            env,
            project,
            baton_file,
            home=tmp_path / "home",
            automatic_testing=False,
            phase_retries=1,
        )
        result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPENSATED"
    failed = next(s for s in result["steps"] if s["step_id"] == "phase_2_feature-b")
    assert failed["attempts"] == 2
    assert "the build is broken" in failed["error"]


async def test_missing_agent_program_is_refused_before_start(baton, tmp_path):
    client = TemporalWorkflowClient(
        baton.settings,
        temporal=baton.client.temporal,
        baton_file=BatonFile(
            agents={"CLAUDE": AgentConfig("CLAUDE", ["no-such-agent-cli", "{prompt}"])}
        ),
    )
    with pytest.raises(DefinitionError) as info:
        await start_multi_agent_project(
            project_spec=spec(["A"]).model_copy(update={"agents_required": ["CLAUDE"]}),
            config={},
            client=client,
        )
    assert "agent CLAUDE: program 'no-such-agent-cli' is not installed" in str(info.value)


async def test_worker_killed_mid_phase_the_phase_runs_again(server_env, tmp_path):
    """kill -9 the worker while an agent works; a new worker re-runs the phase
    in a clean worktree, stopping the orphaned agent first (its process group
    id is in the pid file the first worker wrote), and the project ends."""
    from tests.support.workers import WorkerProcess

    repo = new_repo(tmp_path)
    log = tmp_path / "agents.log"
    config_file = tmp_path / "baton.yaml"
    import yaml

    agent = {
        "command": [sys.executable, AGENT, "{prompt}"],
        # the first run would work for a minute: only a kill ends it early
        "env": {"AGENT_LOG": str(log), "AGENT_SLEEP_ONCE": "60", "AGENT_SLEEP": "0.5"},
    }
    config_file.write_text(yaml.safe_dump({"agents": {"CLAUDE": agent, "AIDER": agent}}))
    settings = replace(
        server_env.settings, task_queue=f"proj-crash-{os.urandom(3).hex()}", home=tmp_path / "home"
    )
    client = TemporalWorkflowClient(
        settings, temporal=server_env.client.temporal, baton_file=agents()
    )
    first = WorkerProcess(settings, BATON_CONFIG=str(config_file))
    await first.start()
    run = await start_multi_agent_project(
        project_spec=spec(["Feature A"]),
        config={
            "repository": str(repo),
            "automatic_testing": False,
            "heartbeat_timeout_seconds": 2,
        },
        client=client,
    )
    await until(lambda: _started(log), timeout=60)
    await first.kill9()
    second = WorkerProcess(settings, BATON_CONFIG=str(config_file))
    await second.start()
    try:
        result = await asyncio.wait_for(run.result(), 120)
    finally:
        await second.stop()
    assert result["status"] == "COMPLETED", result["failure"]
    assert any(e["event"] == "forward_attempt_lost" for e in result["audit"])
    assert log.read_text().count("start phase_1_feature-a") == 2
    orphan = int(log.read_text().splitlines()[0].split()[3])
    assert not _alive(orphan), "the first worker's agent is still running"
    branch = f"baton/{result['plan_id']}/project"
    assert "phase_1_feature-a.txt" in git(repo, "ls-tree", "--name-only", branch).split()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


async def _started(log: Path) -> bool:
    return log.exists() and "start" in log.read_text()
