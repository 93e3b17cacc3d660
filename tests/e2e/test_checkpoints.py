"""Checkpointed steps on a real worker: progress in the status document, a
cancel that saves and stops at a step boundary, Temporal's own retry of a
``@checkpointed`` activity resuming from its checkpoint, and the checkpoint
store under the execution policy. (The ML example's SIGKILL test is
tests/e2e/test_ml_example.py.)"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.worker import Worker

from baton.checkpoints import Checkpoint, CheckpointStore, checkpointed
from baton.checkpoints.format import decode
from baton.checkpoints.running import checkpoint_key
from baton.config import BatonFile
from baton.errors import DefinitionError
from baton.policy import EntryPointRules, ExecutionPolicy
from baton.runtime import TemporalWorkflowClient
from baton.testing import until
from tests.e2e.test_execution_policy import forced
from tests.support.flaky_workflow import FlakyCountWorkflow
from tests.support.sagas import saga, step

pytestmark = pytest.mark.asyncio(loop_scope="session")
SUPPORT = BatonFile(policy=ExecutionPolicy(python_modules=("tests.support",)))


def counting(function: str, journal: Path, checkpoint: dict[str, Any], total: int = 400) -> dict:
    return {
        "type": "python",
        "function": f"tests.support.checkpointed_steps:{function}",
        "kwargs": {"total": total, "seconds": 0.05, "journal": str(journal)},
        "checkpoint": checkpoint,
    }


def journal_steps(journal: Path) -> list[int]:
    return [int(line.split()[0]) for line in journal.read_text().splitlines()]


@pytest.mark.parametrize("function", ["count", "count_async"])
async def test_progress_shows_in_status_and_a_cancel_saves_then_stops(
    worker_factory, tmp_path, function
):
    journal, store = tmp_path / "journal", tmp_path / "store"
    definition = saga(
        step("count", counting(function, journal, {"store": str(store), "every_steps": 1000})),
        saga_id="counting",
    )
    async with worker_factory(SUPPORT) as env:
        run = await env.client.start_saga(definition)
        seen: dict[str, Any] = {}

        async def reports_progress() -> bool:
            state = await env.client.status(run.workflow_id)
            progress = state["steps"][0].get("progress")
            if progress and progress["step"] >= 20 and progress["eta_seconds"] is not None:
                seen.update(progress)
                return True
            return False

        await until(reports_progress, timeout=60)
        assert seen["total"] == 400 and 0 < seen["percent"] < 100
        assert seen["metrics"]["n"] == seen["step"] and seen["rate"] > 0
        assert seen["checkpoint"] is None  # every 1,000 steps: none due yet
        await env.client.cancel(run.workflow_id)
        result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "CANCELLED"
    stopped_at = journal_steps(journal)[-1]
    await asyncio.sleep(0.5)
    assert journal_steps(journal)[-1] == stopped_at, "the step went on after its cancel"
    key = checkpoint_key(run.workflow_id, "count")
    opened = CheckpointStore.open(str(store))
    # the one checkpoint: saved by the cancel, at the step where it stopped
    assert opened.steps(key) == [stopped_at]
    saved = decode(opened.read(key, stopped_at))
    assert saved.state["count"] == stopped_at and len(saved.state["values"]) == stopped_at


async def test_a_completed_step_resumes_nothing_and_leaves_no_checkpoints(worker_factory, tmp_path):
    journal, store = tmp_path / "journal", tmp_path / "store"
    definition = saga(
        step(
            "count",
            counting("count", journal, {"store": str(store), "every_steps": 3, "keep": 2}, 10),
            heartbeat_timeout_seconds=4,
        ),
        saga_id="counting",
    )
    async with worker_factory(SUPPORT) as env:
        result = await env.run_saga(definition)
    assert result["status"] == "COMPLETED"
    assert result["steps"][0]["output"] == {"resumed_from": 0, "counted": 10}
    assert journal_steps(journal) == list(range(1, 11))
    assert not any(store.rglob("*.ckpt")) and not any(store.rglob("*.tmp"))


async def test_own_activity_is_retried_by_temporal_from_its_checkpoint(server_env, tmp_path):
    store = tmp_path / "store"

    @activity.defn(name="tests.flaky_count")
    @checkpointed(store=str(store), every_steps=3)
    async def flaky_count(args: dict[str, Any], *, checkpoint: Checkpoint) -> dict[str, Any]:
        start = checkpoint.step
        for n in range(start + 1, args["total"] + 1):
            if activity.info().attempt == 1 and n == args["fail_at"]:
                raise RuntimeError(f"failing at step {n} on purpose")
            await checkpoint.advance(n, state={"count": n}, total=args["total"])
        return {"resumed_from": start, "attempt": activity.info().attempt}

    queue = f"ckpt-{uuid.uuid4().hex[:8]}"
    client = server_env.client.temporal
    async with Worker(
        client, task_queue=queue, workflows=[FlakyCountWorkflow], activities=[flaky_count]
    ):
        result = await client.execute_workflow(
            "tests.FlakyCountWorkflow",
            {"total": 12, "fail_at": 8},
            id=f"flaky-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )
    # failed at 8 on attempt 1, after checkpoints at 3 and 6: attempt 2 resumed from 6
    assert result == {"resumed_from": 6, "attempt": 2}
    assert not any(store.rglob("*.ckpt"))  # completed: cleaned up


MCP_PYTHON = EntryPointRules(actions=None, networks=("public",))


async def test_stores_named_by_untrusted_definitions_must_be_listed(worker_factory, tmp_path):
    listed = tmp_path / "listed"
    policy = ExecutionPolicy(
        entry_points={"mcp": MCP_PYTHON},
        python_modules=("tests.support",),
        checkpoint_stores=(str(listed),),
    )
    journal = tmp_path / "journal"

    def definition(store: Path) -> dict:
        return saga(
            step("count", counting("count", journal, {"store": str(store), "every_steps": 2}, 4)),
            saga_id="counting",
        )

    async with worker_factory(BatonFile(policy=policy)) as env:
        as_mcp = TemporalWorkflowClient(
            env.settings,
            via="mcp",
            temporal=env.client.temporal,
            baton_file=BatonFile(policy=policy),
        )
        elsewhere = tmp_path / "elsewhere"
        with pytest.raises(
            DefinitionError, match=r"checkpoint\.store: checkpoint store .* may not"
        ):
            await as_mcp.start_saga(definition(elsewhere))
        escaping = listed / ".." / "elsewhere"
        with pytest.raises(DefinitionError, match="policy.checkpoint_stores"):
            await as_mcp.start_saga(definition(escaping))
        # a client that skips validation meets the same rule on the worker
        refused = await forced(env, definition(elsewhere), "mcp")
        assert refused["status"] == "COMPENSATED"
        assert "policy.checkpoint_stores" in refused["steps"][0]["error"]
        assert not elsewhere.exists() and not journal.exists()
        run = await as_mcp.start_saga(definition(listed / "team-a"))
        assert (await asyncio.wait_for(run.result(), 60))["status"] == "COMPLETED"


async def test_progress_reaches_the_cli_mcp_and_the_dashboard(worker_factory, tmp_path):
    """`baton status` renders it, MCP's get_status and the dashboard's run API
    carry it, all from the same heartbeat details."""
    import json

    from mcp import Client

    from baton.mcp.server import build_server
    from tests.support.cli import baton_cli
    from tests.support.dashboard import Page, dashboard

    journal = tmp_path / "journal"
    checkpoint = {"store": str(tmp_path / "store"), "every_steps": 10}
    definition = saga(step("count", counting("count", journal, checkpoint)), saga_id="shown")
    async with worker_factory(SUPPORT) as env:
        run = await env.client.start_saga(definition)

        async def past_a_checkpoint() -> bool:
            state = await env.client.status(run.workflow_id)
            progress = state["steps"][0].get("progress") or {}
            return bool(progress.get("checkpoint")) and progress.get("eta_seconds") is not None

        await until(past_a_checkpoint, timeout=60)
        code, out, err = await baton_cli(env.settings, "status", run.workflow_id)
        assert code == 0, err
        line = next(line for line in out.splitlines() if line.strip().startswith("count:"))
        assert "% (step " in line and "of 400)" in line and "n " in line
        assert "checkpoint at step " in line and "ETA " in line

        async with Client(build_server(lambda: TemporalWorkflowClient(env.settings))) as mcp:
            answer = await mcp.call_tool("get_status", {"workflow_id": run.workflow_id})
            shown = json.loads(answer.content[0].text)["steps"][0]["progress"]
            assert shown["total"] == 400 and shown["checkpoint"]["step"] % 10 == 0

        async with dashboard(env) as url, Page(url) as page:
            view = (await page.get(f"/api/runs/{run.workflow_id}")).json()
            assert view["status"]["steps"][0]["progress"]["step"] >= 10
        await env.client.cancel(run.workflow_id)
        assert (await asyncio.wait_for(run.result(), 60))["status"] == "CANCELLED"
