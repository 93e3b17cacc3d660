"""Resource pools shared by runs and workers (docs/pools.md), on a real dev
server: FIFO waiting across runs, the distributed-training saga's
compensation order, idempotent acquires, a cancelled run's leases, and the
pool freeing what an ended run still holds."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.actions.pools import release_in_pool
from baton.config import BatonFile, PoolConfig
from baton.engine.pools import (
    AcquireAnswer,
    AcquireRequest,
    PoolInput,
    PoolWorkflow,
    pool_workflow_id,
)
from baton.policy import ExecutionPolicy
from baton.runtime.pools import pool_status
from baton.testing import until
from tests.support.sagas import EXAMPLES, saga, step

pytestmark = pytest.mark.asyncio(loop_scope="session")


def pool_file(pool: str, capacity: int, check_seconds: float = 30.0) -> BatonFile:
    return BatonFile(
        policy=ExecutionPolicy(python_modules=("examples.ml",)),
        pools={pool: PoolConfig(capacity, check_seconds)},
    )


def distributed(pool: str, tmp: Path, **context: Any) -> dict[str, Any]:
    """examples/ml/distributed_training.yaml on pool ``pool``, its files in ``tmp``."""
    definition: dict[str, Any] = yaml.safe_load(
        (EXAMPLES / "ml" / "distributed_training.yaml").read_text()
    )
    for item in definition["steps"]:
        for key in ("forward_action", "compensation_action"):
            if item.get(key, {}).get("pool") == "gpus":
                item[key]["pool"] = pool
    definition["context"].update(
        nodes_dir=str(tmp / "nodes"), emergency_store=str(tmp / "emergency"), **context
    )
    return definition


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def holder(pool: str, count: int) -> dict[str, Any]:
    """A saga that takes ``count`` of ``pool`` and holds it (until cancelled)."""
    return saga(
        step(
            "take",
            {"type": "acquire", "pool": pool, "count": count},
            {"type": "release", "pool": pool},
        ),
        step("hold", {"type": "script", "script": "sleep 120"}),
        saga_id="holder",
    )


def unique_pool() -> str:
    # pool workflows are server-wide: each test its own pool
    return f"gpus-{uuid.uuid4().hex[:8]}"


async def test_a_second_run_waits_until_the_first_releases(worker_factory, tmp_path):
    pool = unique_pool()
    async with worker_factory(pool_file(pool, 3)) as env:
        first = await env.client.start_saga(
            distributed(pool, tmp_path / "a", steps=12, step_seconds=0.25)
        )
        await until(lambda: _in_use(env, pool, 2), timeout=30)
        second = await env.client.start_saga(
            distributed(pool, tmp_path / "b", steps=2, step_seconds=0.05)
        )

        async def second_queued() -> bool:
            state = await pool_status(env.client.temporal, pool)
            return state is not None and [w.count for w in state.queue] == [2]

        await until(second_queued, timeout=30)
        one, two = await asyncio.gather(
            asyncio.wait_for(first.result(), 120), asyncio.wait_for(second.result(), 120)
        )
        final = await pool_status(env.client.temporal, pool)
    assert one["status"] == two["status"] == "COMPLETED"
    first_steps = {s["step_id"]: s for s in one["steps"]}
    second_steps = {s["step_id"]: s for s in two["steps"]}
    # 2 + 2 > 3: the second run's GPUs came only after the first gave its back
    assert (
        at(second_steps["acquire_gpus"]["completed_at"])
        >= at(first_steps["release_gpus"]["completed_at"]) - _clock_slack()
    )
    assert at(second_steps["train"]["started_at"]) > at(first_steps["train"]["completed_at"])
    assert second_steps["acquire_gpus"]["output"]["waited_seconds"] > 1.0
    assert first_steps["release_gpus"]["output"] == {"pool": pool, "released": 2}
    assert final is not None and final.in_use == 0 and final.queue == [] and final.capacity == 3


def _clock_slack() -> Any:
    from datetime import timedelta

    # the step's completed_at is the workflow's clock when it saw the
    # activity's result; the pool granted (in its own workflow) a moment before
    return timedelta(seconds=1)


async def _in_use(env: Any, pool: str, count: int) -> bool:
    state = await pool_status(env.client.temporal, pool)
    return state is not None and state.in_use == count


async def test_a_failed_training_saves_healthy_nodes_then_releases(worker_factory, tmp_path):
    from baton.checkpoints import CheckpointStore
    from baton.checkpoints.format import decode

    pool = unique_pool()
    async with worker_factory(pool_file(pool, 3)) as env:
        result = await env.run_saga(
            distributed(pool, tmp_path, steps=20, step_seconds=0.02, fail_at_step=7)
        )
        final = await pool_status(env.client.temporal, pool)
    assert result["status"] == "COMPENSATED", result
    compensations = sorted(result["compensations"], key=lambda c: c["order"])
    assert [c["step_id"] for c in compensations] == ["nodes_ready", "acquire_gpus"]
    assert all(c["status"] == "COMPENSATED" for c in compensations)
    saved, released = compensations[0], compensations[1]
    assert at(saved["completed_at"]) <= at(released["started_at"])
    assert released["output"] == {"pool": pool, "released": 2}
    assert saved["output"]["saved"] is True and saved["output"]["healthy_nodes"] == ["0"]
    # node 0 was healthy at step 7: its state at step 7 is the emergency checkpoint
    opened = CheckpointStore.open(str(tmp_path / "emergency"))
    key = saved["output"]["key"]
    assert key == "emergency/" + result["workflow_id"].replace(":", "_")
    assert opened.steps(key) == [7]
    state = decode(opened.read(key, 7)).state
    assert list(state["nodes"]) == ["0"] and state["nodes"]["0"]["step"] == 7
    journal = (tmp_path / "nodes" / result["workflow_id"] / "journal.log").read_text().splitlines()
    assert [line.split(" ", 1)[1].split(" step")[0] for line in journal][-2:] == [
        "train node 1 lost at",
        "emergency_checkpoint",
    ]
    assert final is not None and final.in_use == 0 and final.leases == []


async def test_asking_again_for_the_same_holder_never_takes_twice(worker_factory):
    pool = unique_pool()
    definition = saga(
        step("take", {"type": "acquire", "pool": pool, "count": 2}),
        step("hold", {"type": "script", "script": "sleep 3"}),
        saga_id="hold-two",
    )
    async with worker_factory(pool_file(pool, 3)) as env:
        run = await env.client.start_saga(definition)
        await until(lambda: _in_use(env, pool, 2), timeout=30)
        # what a retried or re-delivered attempt of `take` sends
        handle = env.client.temporal.get_workflow_handle(pool_workflow_id(pool))
        again: AcquireAnswer = await handle.execute_update(
            PoolWorkflow.acquire,
            AcquireRequest(
                holder=f"{run.workflow_id}:take", run=run.workflow_id, count=2, capacity=3
            ),
        )
        assert again.granted and again.in_use == 2
        # another holder asking for 2 waits (2 + 2 > 3) and is answered "not yet"
        other = await handle.execute_update(
            PoolWorkflow.acquire,
            AcquireRequest(
                holder="someone:else", run="someone", count=2, capacity=3, wait_seconds=1
            ),
        )
        assert not other.granted and other.position == 1 and other.in_use == 2
        assert await release_in_pool(env.client.temporal, pool, "someone") == 0
        result = await asyncio.wait_for(run.result(), 60)
        assert result["status"] == "COMPLETED"
        state = await pool_status(env.client.temporal, pool)
        assert state is not None and state.queue == []  # `someone` was withdrawn


async def test_leases_of_a_run_that_ended_without_releasing_are_freed(worker_factory):
    pool = unique_pool()
    definition = saga(step("take", {"type": "acquire", "pool": pool, "count": 3}), saga_id="leak")
    async with worker_factory(pool_file(pool, 3, check_seconds=1)) as env:
        result = await env.run_saga(definition)
        assert result["status"] == "COMPLETED"
        state = await pool_status(env.client.temporal, pool)
        assert state is not None and state.in_use in (0, 3)
        await until(lambda: _in_use(env, pool, 0), timeout=30)


async def test_a_cancelled_run_gives_its_leases_back(worker_factory, tmp_path):
    pool = unique_pool()
    async with worker_factory(pool_file(pool, 3)) as env:
        run = await env.client.start_saga(distributed(pool, tmp_path, steps=400, step_seconds=0.05))

        async def training() -> bool:
            state = await env.client.status(run.workflow_id)
            return any(s["step_id"] == "train" and s["status"] == "RUNNING" for s in state["steps"])

        await until(training, timeout=30)
        assert await _in_use(env, pool, 2)
        await env.client.cancel(run.workflow_id)
        result = await asyncio.wait_for(run.result(), 60)
        final = await pool_status(env.client.temporal, pool)
    assert result["status"] == "CANCELLED"
    undone = {c["step_id"]: c for c in result["compensations"]}
    assert undone["acquire_gpus"]["status"] == "COMPENSATED"
    assert undone["acquire_gpus"]["output"] == {"pool": pool, "released": 2}
    assert final is not None and final.in_use == 0


async def test_a_cancel_while_waiting_leaves_nothing_queued(worker_factory):
    pool = unique_pool()
    hold = saga(
        step(
            "take",
            {"type": "acquire", "pool": pool, "count": 3},
            {"type": "release", "pool": pool},
        ),
        step("hold", {"type": "script", "script": "sleep 120"}),
        saga_id="holder",
    )
    wait = saga(step("take", {"type": "acquire", "pool": pool, "count": 1}), saga_id="waiter")
    async with worker_factory(pool_file(pool, 3)) as env:
        holder = await env.client.start_saga(hold)
        await until(lambda: _in_use(env, pool, 3), timeout=30)
        waiter = await env.client.start_saga(wait)

        async def queued() -> bool:
            state = await pool_status(env.client.temporal, pool)
            return state is not None and len(state.queue) == 1

        await until(queued, timeout=30)
        await env.client.cancel(waiter.workflow_id)
        await asyncio.wait_for(waiter.result(), 60)

        async def queue_empty() -> bool:
            state = await pool_status(env.client.temporal, pool)
            return state is not None and state.queue == [] and state.in_use == 3

        # the cancelled acquire withdrew itself (the pool's own check of
        # ended runs would take check_seconds, 30 s here)
        await until(queue_empty, timeout=5)
        await env.client.cancel(holder.workflow_id)
        await asyncio.wait_for(holder.result(), 60)
        await until(lambda: _in_use(env, pool, 0), timeout=5)


async def test_an_unknown_pool_or_one_too_small_fails_with_what_to_do(worker_factory):
    pool = unique_pool()
    async with worker_factory(pool_file(pool, 3)) as env:
        unknown = await env.run_saga(
            saga(step("take", {"type": "acquire", "pool": "tpus", "count": 1}), saga_id="u")
        )
        too_many = await env.run_saga(
            saga(step("take", {"type": "acquire", "pool": pool, "count": 4}), saga_id="t")
        )
    # nothing completed before the failing step, so nothing to undo
    assert unknown["status"] == too_many["status"] == "COMPENSATED"
    assert "pool 'tpus' is not configured on this worker" in unknown["steps"][0]["error"]
    assert "pools: {tpus: {capacity: N}}" in unknown["steps"][0]["error"]
    assert "its capacity is 3" in too_many["steps"][0]["error"]


async def test_the_pool_continues_as_new_with_its_leases_and_queue(worker_factory):
    pool = unique_pool()
    async with worker_factory(pool_file(pool, 3)) as env:
        temporal = env.client.temporal
        handle = await temporal.start_workflow(
            PoolWorkflow.run,
            PoolInput(name=pool, capacity=3, events_per_run=40),
            id=pool_workflow_id(pool),
            task_queue=env.settings.task_queue,
        )
        first_run = handle.result_run_id

        def ask(holder: str, count: int) -> AcquireRequest:
            return AcquireRequest(holder, holder, count, capacity=3, wait_seconds=1)

        pool_handle = temporal.get_workflow_handle(pool_workflow_id(pool))
        await pool_handle.execute_update(PoolWorkflow.acquire, ask("kept", 2))
        await pool_handle.execute_update(PoolWorkflow.acquire, ask("queued", 2))
        for index in range(15):  # enough history for several runs
            await pool_handle.execute_update(PoolWorkflow.acquire, ask(f"brief-{index}", 1))
            await release_in_pool(temporal, pool, f"brief-{index}")
        # the queue is FIFO: "queued" (2) is before each brief holder, so
        # none of them was granted, and none stays queued after its release
        state = await pool_status(temporal, pool)
        description = await pool_handle.describe()
    assert description.run_id != first_run, "the pool never continued as new"
    assert state is not None
    assert [(lease.holder, lease.count) for lease in state.leases] == [("kept", 2)]
    assert [(waiter.holder, waiter.count) for waiter in state.queue] == [("queued", 2)]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("gpus: 4", "pools.gpus: expected {capacity: N}"),
        ("gpus: {capacity: 0}", "pools.gpus.capacity: expected a whole number >= 1, got 0"),
        ("'a/b': {capacity: 1}", "pools.a/b: a pool name is letters, digits"),
        ("gpus: {capacity: 2, check_seconds: 0}", "pools.gpus.check_seconds: expected a number"),
    ],
)
def test_bad_pools_in_baton_yaml_are_named(tmp_path, section, message):
    from baton.config import load_baton_file
    from baton.errors import ConfigError

    path = tmp_path / "baton.yaml"
    path.write_text(f"pools:\n  {section}\n")
    with pytest.raises(ConfigError) as raised:
        load_baton_file(path)
    assert str(raised.value).startswith(f"{path}: ") and message in str(raised.value)


def test_the_example_worker_config_has_the_gpus_pool():
    from baton.config import load_baton_file

    assert load_baton_file(EXAMPLES / "ml" / "baton.yaml").pools == {"gpus": PoolConfig(4)}


async def test_baton_pools_shows_capacity_leases_and_queue(worker_factory):
    import json

    from tests.support.cli import baton_cli

    pool = unique_pool()
    hold = holder(pool, 2)
    async with worker_factory(pool_file(pool, 3)) as env:
        first = await env.client.start_saga(hold)
        second = await env.client.start_saga(hold)

        async def one_waits() -> bool:
            state = await pool_status(env.client.temporal, pool)
            return state is not None and state.in_use == 2 and len(state.queue) == 1

        await until(one_waits, timeout=30)
        code, out, err = await baton_cli(env.settings, "pools", pool, "--json")
        assert code == 0, err
        shown = json.loads(out)
        code, text, _ = await baton_cli(env.settings, "pools")
        missing = await baton_cli(env.settings, "pools", "no-such-pool")
        listed = await env.client.pools()
        for run in (first, second):
            await env.client.cancel(run.workflow_id)
            assert (await asyncio.wait_for(run.result(), 60))["status"] == "CANCELLED"
    assert shown["capacity"] == 3 and shown["in_use"] == 2 and shown["free"] == 1
    holders = {first.workflow_id, second.workflow_id}
    assert len(shown["leases"]) == 1 and shown["leases"][0]["run"] in holders
    assert len(shown["queue"]) == 1 and shown["queue"][0]["count"] == 2
    assert shown["leases"][0]["since"] and shown["queue"][0]["since"]
    assert code == 0 and f"{pool}: 2 of 3 in use, 1 free, 1 waiting" in text
    assert missing[0] == 1 and "no pool 'no-such-pool' in use" in missing[2]
    assert pool in [p["name"] for p in listed]


async def test_an_agent_sees_the_pools_over_mcp(worker_factory):
    """MCP's get_pools answers from the same client call as `baton pools`."""
    import json

    from mcp import Client

    from baton.mcp.server import build_server
    from baton.runtime import TemporalWorkflowClient

    pool = unique_pool()
    hold = holder(pool, 1)
    async with worker_factory(pool_file(pool, 2)) as env:
        run = await env.client.start_saga(hold)

        async def held() -> bool:
            state = await pool_status(env.client.temporal, pool)
            return state is not None and state.in_use == 1

        await until(held, timeout=30)
        server = build_server(lambda: TemporalWorkflowClient(env.settings))
        async with Client(server) as client:
            one = await client.call_tool("get_pools", {"name": pool})
            every = await client.call_tool("get_pools", {})
            missing = await client.call_tool("get_pools", {"name": "no-such-pool"})
        await env.client.cancel(run.workflow_id)
        await asyncio.wait_for(run.result(), 60)
    shown = json.loads(one.content[0].text)
    assert (
        shown["capacity"] == 2
        and shown["in_use"] == 1
        and shown["leases"][0]["run"] == (run.workflow_id)
    )
    assert pool in [p["name"] for p in json.loads(every.content[0].text)["pools"]]
    assert missing.is_error and "no pool 'no-such-pool' in use" in missing.content[0].text


def test_validate_warns_of_a_pool_this_machine_does_not_configure():
    from baton.config import Settings
    from baton.plan.compile import compile_definition
    from baton.runtime.preflight import definition_warnings

    plan = compile_definition(
        saga(
            step(
                "take",
                {"type": "acquire", "pool": "tpus", "count": 1},
                {"type": "release", "pool": "tpus"},
            ),
            saga_id="needs-tpus",
        )
    )
    said = definition_warnings(plan, Settings.from_env({}), pool_file("gpus", 2))
    assert said == [
        "pool 'tpus' is not under pools: in this machine's baton.yaml: the workers that run "
        "its acquire steps need it, with a capacity (docs/pools.md)"
    ]
    assert definition_warnings(plan, Settings.from_env({}), pool_file("tpus", 2)) == []
