"""The interpreter's opt-in undo fields, on a plan built by hand (as a front
end builds one): ``compensate_attempted`` and the plan's ``cleanup`` action.
Their defaults keep a plan behaving as before: a step that did not complete
is not compensated, and nothing runs at the end."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path
from typing import Any

import pytest

from baton.plan.model import Plan, PlanOptions, PlanStep, RetrySpec
from baton.testing import until

pytestmark = pytest.mark.asyncio(loop_scope="session")


def note(log: Path, text: str, exit_code: int = 0) -> dict[str, Any]:
    """A script action that appends ``text`` to ``log`` (then exits)."""
    return {
        "type": "script",
        "script": f"echo {text} >> {shlex.quote(str(log))}; exit {exit_code}",
    }


def attempted_undo_plan(log: Path) -> Plan:
    """a completes; three steps after it fail: one asks to be undone when
    attempted, one does not, and one stops the run; a cleanup runs last
    (also recorded for the replay tests: tests/histories/record.py)."""
    return Plan(
        kind="saga",
        id="undo-attempted",
        name="undo attempted",
        steps=[
            PlanStep(id="a", name="a", action=note(log, "a"), compensation=note(log, "undo-a")),
            PlanStep(
                id="partial",
                name="partial work, then a failure",
                action=note(log, "partial", exit_code=3),
                compensation=note(log, "undo-partial"),
                after=["a"],
                critical=False,
                compensate_attempted=True,
            ),
            PlanStep(
                id="plain",
                name="fails, default undo",
                action=note(log, "plain", exit_code=4),
                compensation=note(log, "undo-plain"),
                after=["a"],
                critical=False,
            ),
            PlanStep(id="stop", name="stops the run", action=note(log, "stop", 5), after=["a"]),
        ],
        options=PlanOptions(cleanup=note(log, "cleanup")),
    )


async def test_attempted_steps_are_undone_only_when_they_ask_and_cleanup_runs_last(baton, tmp_path):
    log = tmp_path / "log"
    plan = attempted_undo_plan(log)
    run = await baton.client.start_plan(plan)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPENSATED", result
    steps = {s["step_id"]: s["status"] for s in result["steps"]}
    assert steps == {"a": "COMPLETED", "partial": "FAILED", "plain": "FAILED", "stop": "FAILED"}
    # reverse order of ending: the failed step that asks to be undone, then a;
    # the one that does not ask is left alone (the default, as before)
    assert [c["step_id"] for c in result["compensations"]] == ["partial", "a"]
    undo = [
        line for line in log.read_text().split() if line.startswith("undo") or line == "cleanup"
    ]
    assert undo == ["undo-partial", "undo-a", "cleanup"]
    assert result["cleanup"] == {"status": "DONE", "error": None}
    assert [e["event"] for e in result["audit"]][-2:] == ["cleanup_done", "run_finished"]


async def test_cleanup_runs_after_success_and_a_failed_cleanup_is_recorded(baton, tmp_path):
    log = tmp_path / "log"
    plan = Plan(
        kind="saga",
        id="cleanup-fails",
        name="cleanup fails",
        steps=[PlanStep(id="a", name="a", action=note(log, "a"))],
        options=PlanOptions(cleanup=note(log, "cleanup", exit_code=7)),
    )
    run = await baton.client.start_plan(plan)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED"  # the cleanup's failure is recorded, not fatal
    assert result["cleanup"]["status"] == "FAILED"
    assert result["cleanup"]["error"].startswith("script exited with 7")
    assert log.read_text().split().count("cleanup") == 3  # three attempts

    plain = Plan(kind="saga", id="no-cleanup", name="no cleanup", steps=plan.steps)
    result = await asyncio.wait_for((await baton.client.start_plan(plain)).result(), 60)
    assert result["cleanup"] is None
    assert not any(e["event"].startswith("cleanup") for e in result["audit"])


def cancel_in_backoff_plan(workdir: Path) -> Plan:
    """a completes, then the run fails; a's compensation fails once and is
    retried after 5 s (time for a cancel to arrive); a cleanup runs last."""
    log = workdir / "log"
    undo_once_failing = {
        "type": "script",
        "script": f"cd {shlex.quote(str(workdir))}; "
        "if [ -e undo-tried ]; then echo undo-a >> log; else touch undo-tried; exit 1; fi",
    }
    return Plan(
        kind="saga",
        id="cancel-in-backoff",
        name="cancel in backoff",
        steps=[
            PlanStep(id="a", name="a", action=note(log, "a"), compensation=undo_once_failing),
            PlanStep(id="stop", name="stops the run", action=note(log, "stop", 5), after=["a"]),
        ],
        options=PlanOptions(
            compensation_retry=RetrySpec(max_attempts=3, initial_interval_seconds=5),
            cleanup=note(log, "cleanup"),
        ),
    )


async def cancel_while_waiting_to_retry(run: Any) -> None:
    async def waiting_to_retry() -> bool:
        state = await run.status()
        return any(e["event"] == "compensation_attempt_failed" for e in state["audit"])

    await until(waiting_to_retry, timeout=30)
    await run.cancel()


async def test_a_cancel_while_compensation_waits_to_retry_does_not_stop_it(baton, tmp_path):
    """Compensation (and the end-of-run cleanup) goes on when a cancel
    arrives between two of its attempts, as it does during one (the history is
    committed for the replay tests: tests/histories/record.py)."""
    run = await baton.client.start_plan(cancel_in_backoff_plan(tmp_path))
    await cancel_while_waiting_to_retry(run)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "CANCELLED"
    assert [(c["step_id"], c["status"], c["attempts"]) for c in result["compensations"]] == [
        ("a", "COMPENSATED", 2)
    ]
    assert (tmp_path / "log").read_text().split()[-2:] == ["undo-a", "cleanup"]
    details = [e.get("detail") or "" for e in result["audit"] if e["event"] == "cancel_requested"]
    assert details == ["during compensation; compensation continues"]
