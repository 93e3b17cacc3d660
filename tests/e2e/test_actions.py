"""The script, python and task actions, run by a real worker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from baton.config import AgentConfig, BatonFile
from baton.policy import ExecutionPolicy
from baton.testing import assert_eventually
from tests.support.sagas import saga, script, step

pytestmark = pytest.mark.asyncio(loop_scope="session")
SUPPORT = Path(__file__).resolve().parents[1] / "support"
# python steps may call only modules the policy lists
SUPPORT_PYTHON = BatonFile(policy=ExecutionPolicy(python_modules=("tests.support",)))


async def test_script_json_stdout_is_the_output(baton):
    definition = saga(step("s", script('echo "{\\"rows\\": 3, \\"step\\": \\"$BATON_STEP_ID\\"}"')))
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPLETED"
    assert result["steps"][0]["output"] == {"rows": 3, "step": "s"}


async def test_script_plain_stdout_is_wrapped_and_feeds_placeholders(baton):
    definition = saga(
        step("make", script('echo \'{"token": "t-42"}\'')),
        step("use", script("echo using {token}; echo note >&2")),
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPLETED"
    assert result["steps"][1]["output"] == {
        "exit_code": 0,
        "stdout": "using t-42\n",
        "stderr": "note\n",
    }


async def test_script_failure_reports_the_end_of_stderr(baton):
    definition = saga(
        step("s", script("echo first >&2; echo 'disk full' >&2; exit 7"), retry_count=1)
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPENSATED"
    error = result["steps"][0]["error"]
    assert "script exited with 7" in error and "disk full" in error


async def test_a_silent_script_failure_says_it_printed_nothing(baton):
    result = await baton.run_saga(saga(step("s", script("exit 4"), retry_count=1)))
    assert "script exited with 4: (it printed nothing)" in result["steps"][0]["error"]
    assert result["steps"][0]["attempts"] == 2


async def test_script_timeout_kills_the_whole_process_group(baton, tmp_path):
    pid_file = tmp_path / "child.pid"
    text = f"sleep 300 & echo $! > {pid_file}; wait"
    definition = saga(step("s", script(text), timeout_minutes=0.03))
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPENSATED"
    assert (
        "timed out" in result["steps"][0]["error"]
        or "did not finish" in result["steps"][0]["error"]
    )
    child = int(pid_file.read_text())
    await assert_eventually(lambda: not running(child), timeout=10)  # killed with its group


def running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped has stopped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


async def test_python_sync_and_async_callables(worker_factory):
    definition = saga(
        step("add", {"type": "python", "function": "tests.support.pyfuncs:add", "args": [2, 3]}),
        step(
            "greet",
            {
                "type": "python",
                "function": "tests.support.pyfuncs:greet",
                "kwargs": {"name": "ada"},
            },
        ),
    )
    async with worker_factory(SUPPORT_PYTHON) as baton:
        result = await baton.run_saga(definition)
    assert result["status"] == "COMPLETED"
    assert [s["output"] for s in result["steps"]] == [{"sum": 5}, {"greeting": "hello ada"}]


async def test_python_errors_are_clear(worker_factory):
    definition = saga(
        step("boom", {"type": "python", "function": "tests.support.pyfuncs:boom"}, critical=False),
        step(
            "missing",
            {"type": "python", "function": "tests.support.nope:run"},
            critical=False,
            retry_count=3,
            dependencies=[],
        ),
    )
    async with worker_factory(SUPPORT_PYTHON) as baton:
        result = await baton.run_saga(definition)
    boom, missing = result["steps"]
    assert "raised ValueError: the callable failed on purpose" in boom["error"]
    assert "cannot import module 'tests.support.nope'" in missing["error"]
    assert missing["attempts"] == 1  # an import error is not retried


async def test_task_runs_the_configured_agent(worker_factory, tmp_path):
    # A stand-in program replaces a real LLM agent CLI, which cannot run here.
    agent = AgentConfig(
        name="CLAUDE",
        command=[sys.executable, str(SUPPORT / "stand_in_agent.py"), "{prompt}"],
        env={"AGENT_NAME": "stand-in"},
    )
    action = {
        "type": "task",
        "description": "Run database migrations",
        "database": "production",
        "cwd": str(tmp_path),
    }
    definition = saga(
        step("migrate", action, {**action, "description": "Rollback"}, agent_type="CLAUDE")
    )
    async with worker_factory(BatonFile(agents={"CLAUDE": agent})) as env:
        result = await env.run_saga(definition)
    assert result["status"] == "COMPLETED"
    assert result["steps"][0]["output"] == {
        "agent": "stand-in",
        "step": "migrate",
        "phase": "forward",
        "prompt_first_line": "Run database migrations",
    }
    prompt = (tmp_path / "migrate.forward.txt").read_text()
    assert '- database: "production"' in prompt


async def test_agent_whose_program_is_missing_is_a_clear_final_error(baton):
    definition = saga(
        step("migrate", {"type": "task", "description": "x"}, agent_type="AIDER", retry_count=3)
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPENSATED"
    migrate = result["steps"][0]
    assert migrate["attempts"] == 1
    assert "agent AIDER: program 'aider' is not installed on this machine" in migrate["error"]
    assert "agents.AIDER.command" in migrate["error"]
