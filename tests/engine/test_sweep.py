"""Sweeps on a real dev server: bounded parallelism, continue-as-new with a
bounded history per run, early stopping, failures, status, the policy."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus

from baton.config import BatonFile
from baton.engine.names import SWEEP_WORKFLOW_NAME
from baton.errors import DefinitionError
from baton.plan.sweep import SweepInput, SweepSpec
from baton.policy import ExecutionPolicy
from baton.testing import until
from tests.support.sweeps import max_overlap

pytestmark = pytest.mark.asyncio(loop_scope="session")

SUPPORT = BatonFile(policy=ExecutionPolicy(python_modules=("tests.support",)))
XS = [round(i * 0.05, 2) for i in range(20)]  # 0.0 .. 0.95
YS = [round(i * 0.1, 1) for i in range(10)]  # 0.0 .. 0.9


def sweep(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "kind": "sweep",
        "name": "score-grid",
        "trial": {"function": "tests.support.sweeps:score"},
        "space": {"grid": {"x": XS, "y": YS}},
        "metric": "score",
        "goal": "maximize",
        "parallelism": 8,
        "trials_per_run": 50,
    }
    document.update(changes)
    return document


async def runs_of(client: Any, workflow_id: str) -> list[Any]:
    temporal = client.temporal
    return [wf async for wf in temporal.list_workflows(f"WorkflowId = '{workflow_id}'")]


async def test_200_trials_with_parallelism_8_continue_as_new_with_small_histories(
    worker_factory: Any, tmp_path: Path
):
    log = tmp_path / "calls.log"
    document = sweep(trial={"function": "tests.support.sweeps:score", "kwargs": {"log": str(log)}})
    async with worker_factory(SUPPORT) as env:
        run = await env.client.start_sweep(document, workflow_id="sweep-200")
        result = await asyncio.wait_for(run.result(), 180)

        assert result["status"] == "COMPLETED"
        assert result["trials"] == {
            "total": 200,
            "completed": 200,
            "failed": 0,
            "in_flight": 0,
            "not_started": 0,
        }
        assert result["stopped_early"] is False
        assert result["generation"] == 4  # 200 trials / 50 per run
        assert result["best"]["params"] == {"x": 0.3, "y": 0.7}
        assert result["best"]["metric"] == pytest.approx(1.0)
        assert [t["metric"] for t in result["top"]] == sorted(
            (t["metric"] for t in result["top"]), reverse=True
        )
        assert len(result["top"]) == 5

        # continue-as-new happened: four runs under one workflow id, each
        # with a bounded history
        runs = await runs_of(env.client, "sweep-200")
        assert len(runs) == 4
        assert sum(r.status == WorkflowExecutionStatus.CONTINUED_AS_NEW for r in runs) == 3
        for listed in runs:
            handle = env.client.temporal.get_workflow_handle("sweep-200", run_id=listed.run_id)
            history = await handle.fetch_history()
            assert 150 < len(history.events) < 1_000, len(history.events)

    lines = log.read_text().splitlines()
    assert len(lines) == 200  # every trial ran once
    assert 2 <= max_overlap(str(log)) <= 8


async def test_a_trial_reaching_the_threshold_stops_the_sweep(worker_factory: Any):
    # x ascending, y fastest: the threshold 0.99 is met near (0.25..0.35, 0.7)
    document = sweep(parallelism=4, trials_per_run=40, early_stop={"threshold": 0.99}, top_k=3)
    async with worker_factory(SUPPORT) as env:
        run = await env.client.start_sweep(document)
        result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPLETED"
    assert result["stopped_early"] is True
    assert "reached score" in result["stop_reason"]
    done = result["trials"]["completed"] + result["trials"]["failed"]
    assert done < 200
    assert result["trials"]["not_started"] == 200 - done
    assert result["best"]["metric"] >= 0.99
    assert result["generation"] >= 2  # the threshold comes after the first 40


async def test_patience_stops_a_random_sweep_minimizing_a_bare_number(worker_factory: Any):
    document = {
        "kind": "sweep",
        "name": "lr-search",
        "trial": {"function": "tests.support.sweeps:loss"},
        "space": {
            "random": {
                "samples": 300,
                "seed": 11,
                "ranges": {
                    "lr": {"low": 1e-5, "high": 1.0, "log": True},
                    "layers": {"choices": [0, 1, 2]},
                },
            }
        },
        "metric": "loss",
        "goal": "minimize",
        "parallelism": 1,
        "trials_per_run": 100,
        "early_stop": {"patience": 10},
    }
    async with worker_factory(SUPPORT) as env:
        result = await asyncio.wait_for((await env.client.start_sweep(document)).result(), 120)
    assert result["stopped_early"] is True
    assert "patience" in result["stop_reason"]
    completed = result["trials"]["completed"]
    assert completed < 300
    # with one trial at a time, the stop comes exactly 10 trials after the best
    assert result["best"]["index"] == completed - 1 - 10
    assert result["best"]["params"]["layers"] == 0
    assert all(t["metric"] >= result["best"]["metric"] for t in result["top"])


async def test_failed_trials_are_counted_and_kept_and_a_sweep_without_success_fails(
    worker_factory: Any,
):
    document = sweep(
        name="picky",
        trial={"function": "tests.support.sweeps:picky"},
        space={"grid": {"x": [-1, 1, -2, 2], "y": [0, 10]}},
        parallelism=2,
        trials_per_run=3,
    )
    nothing = sweep(
        name="no-metric",
        trial={"function": "tests.support.sweeps:no_metric"},
        space={"grid": {"x": [1, 2]}},
        parallelism=2,
    )
    async with worker_factory(SUPPORT) as env:
        result = await asyncio.wait_for((await env.client.start_sweep(document)).result(), 120)
        failed = await asyncio.wait_for((await env.client.start_sweep(nothing)).result(), 120)
    assert result["status"] == "COMPLETED"
    assert (result["trials"]["completed"], result["trials"]["failed"]) == (4, 4)
    assert result["best"]["params"] == {"x": 2, "y": 10}
    assert result["generation"] == 3  # 8 trials, 3 per run
    assert len(result["failures"]) == 4
    assert "x must not be negative" in result["failures"][0]["error"]
    assert failed["status"] == "FAILED"
    assert failed["best"] is None
    assert "no numeric 'score'" in failed["failures"][0]["error"]


async def test_large_outputs_are_left_out_of_what_runs_carry(worker_factory: Any):
    document = sweep(
        name="bulky",
        trial={"function": "tests.support.sweeps:bulky"},
        space={"grid": {"x": list(range(30))}},
        parallelism=4,
        trials_per_run=10,
        top_k=20,
    )
    async with worker_factory(SUPPORT) as env:
        result = await asyncio.wait_for((await env.client.start_sweep(document)).result(), 60)
    assert result["best"]["params"] == {"x": 29}
    assert result["best"]["output"] is None
    assert result["best"]["output_omitted_bytes"] > 20_000
    assert len(result["top"]) == 20 and all(t["output"] is None for t in result["top"])


async def test_status_while_running_shows_progress(worker_factory: Any):
    document = sweep(
        name="slow",
        trial={"function": "tests.support.sweeps:slow", "kwargs": {"delay": 0.4}},
        space={"grid": {"x": list(range(12))}},
        parallelism=3,
        trials_per_run=6,
    )
    async with worker_factory(SUPPORT) as env:
        run = await env.client.start_sweep(document, workflow_id="sweep-slow")
        seen: list[dict[str, Any]] = []
        while True:
            state = await env.client.status("sweep-slow")
            seen.append(state)
            if len(seen) == 3:  # the health check reads a running sweep too
                health = await env.client.health("sweep-slow")
            if state.get("closed_at"):
                break
            await asyncio.sleep(0.1)
        result = await run.result()
    running = [s for s in seen if s["status"] == "RUNNING"]
    assert running, seen
    assert health["workflow_id"] == "sweep-slow", health
    assert all(s["kind"] == "sweep" and s["trials"]["in_flight"] <= 3 for s in running)
    assert any(s["trials"]["in_flight"] > 0 for s in running)
    assert any(s["generation"] == 2 for s in running)  # status follows the new run
    assert result["best"]["params"] == {"x": 11}
    listed = await env.client.list_runs(query="WorkflowId = 'sweep-slow'")
    assert [(r["kind"], r["name"], r["status"]) for r in listed] == [("sweep", "slow", "COMPLETED")]


async def test_the_client_refuses_a_trial_the_policy_refuses(worker_factory: Any):
    async with worker_factory() as env:  # no python module allowed
        with pytest.raises(DefinitionError) as info:
            await env.client.start_sweep(sweep())
    assert "trial.function: python function tests.support.sweeps:score is not in an allowed" in str(
        info.value
    )


async def test_the_worker_refuses_trials_the_policy_refuses(worker_factory: Any):
    """Started past the client's check (from MCP, where python is denied):
    each trial is refused on the worker, so the sweep fails."""
    spec = SweepSpec(
        name="sneaky",
        function="tests.support.sweeps:score",
        metric="score",
        grid={"x": [0.1, 0.2], "y": [0.5]},
        parallelism=2,
        origin="mcp",
    )
    async with worker_factory(SUPPORT) as env:
        handle = await env.client.temporal.start_workflow(
            SWEEP_WORKFLOW_NAME,
            SweepInput(spec),
            id="sweep-sneaky",
            task_queue=env.settings.task_queue,
        )
        result = await asyncio.wait_for(handle.result(), 60)
    assert result["status"] == "FAILED"
    assert result["trials"]["failed"] == 2
    assert "refused by the execution policy" in result["failures"][0]["error"]


async def test_the_digits_example_sweep_finds_a_model_above_its_threshold(worker_factory: Any):
    pytest.importorskip("sklearn")
    example = Path(__file__).resolve().parents[2] / "examples" / "ml" / "sweep.yaml"
    ml = BatonFile(policy=ExecutionPolicy(python_modules=("examples.ml",)))
    async with worker_factory(ml) as env:
        run = await env.client.start_sweep(example)
        result = await asyncio.wait_for(run.result(), 180)
    assert result["status"] == "COMPLETED"
    assert result["stopped_early"] is True
    assert result["best"]["metric"] >= 0.95
    assert result["trials"]["completed"] < 28  # 7 learning rates x 4 alphas
    assert result["generation"] >= 2, result
    assert set(result["best"]["params"]) == {"learning_rate", "alpha"}


async def test_between_equal_metrics_the_lower_index_is_best(worker_factory: Any):
    """x = 3..6 tie at 3; the higher x, the sooner it finishes, so the first
    to finish with 3 is not the lowest index."""
    document = sweep(
        name="tie",
        trial={"function": "tests.support.sweeps:capped"},
        space={"grid": {"x": [1, 2, 3, 4, 5, 6]}},
        parallelism=6,
        trials_per_run=6,
        top_k=3,
    )
    async with worker_factory(SUPPORT) as env:
        result = await asyncio.wait_for((await env.client.start_sweep(document)).result(), 60)
    assert result["best"]["index"] == 2
    assert result["best"]["params"] == {"x": 3}
    assert [t["index"] for t in result["top"]] == [2, 3, 4]


async def test_a_cancelled_sweep_ends_cancelled_and_starts_no_more_trials(
    worker_factory: Any, tmp_path: Path
):
    log = tmp_path / "calls.log"
    document = sweep(
        name="cancelled",
        trial={
            "function": "tests.support.sweeps:score",
            "kwargs": {"log": str(log), "delay": 0.3},
        },
        parallelism=2,
        trials_per_run=10,
    )
    async with worker_factory(SUPPORT) as env:
        run = await env.client.start_sweep(document, workflow_id="sweep-cancelled")
        await until(lambda: _completed_at_least(env.client, "sweep-cancelled", 2))
        effect = await env.client.cancel(run.workflow_id)
        state = await asyncio.wait_for(env.client.wait("sweep-cancelled", poll_seconds=0.2), 30)
        await asyncio.sleep(1.0)  # what was running has ended; nothing new starts
        ran = len(log.read_text().splitlines())
        await asyncio.sleep(1.0)
        history = await env.client.temporal.get_workflow_handle("sweep-cancelled").fetch_history()
    cancel_requests = [
        e for e in history.events if e.HasField("activity_task_cancel_requested_event_attributes")
    ]
    assert len(cancel_requests) == 2  # the two trials in flight
    assert (state["kind"], state["status"]) == ("sweep", "CANCELED")
    assert effect.startswith("no new trial starts and the trials running are cancelled")
    assert ran == len(log.read_text().splitlines()) < 10


async def _completed_at_least(client: Any, workflow_id: str, count: int) -> bool:
    state = await client.status(workflow_id)
    return int(state.get("trials", {}).get("completed", 0)) >= count
