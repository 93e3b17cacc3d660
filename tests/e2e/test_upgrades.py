"""A run started on version 1 of a user's workflow finishes on version 2's
code (examples/upgrades): `workflow.patched` keeps it on the path it began
while new runs take the new one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from baton.testing import until
from examples.upgrades import v1, v2, v2_unpatched
from tests.support.upgrades import (
    build_ids,
    example_client,
    set_current_build,
    waiting_to_ship,
    worker_running,
)
from tests.support.workers import WorkerProcess

# the synchronous settings test at the end has no asyncio mark
in_session_loop = pytest.mark.asyncio(loop_scope="session")
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "upgrades"


@in_session_loop
async def test_a_v1_run_in_flight_finishes_on_patched_v2_code(server_env):
    client = example_client(server_env)
    async with worker_running(client, v1.ShipOrder):
        old = await client.start_workflow(
            v1.ShipOrder, "order-1", workflow_id=f"old-{client.settings.task_queue}"
        )
        await waiting_to_ship(old)
    # version 1's worker is gone; the run waits for its signal, recorded as
    # reserve_stock then charge_payment

    async with worker_running(client, v2.ShipOrder):
        new = await client.start_workflow(
            v2.ShipOrder, "order-2", workflow_id=f"new-{client.settings.task_queue}"
        )
        await waiting_to_ship(new)
        await old.signal(v2.ShipOrder.ship)
        await new.signal(v2.ShipOrder.ship)
        old_result, new_result = await asyncio.wait_for(
            asyncio.gather(old.result(), new.result()), 60
        )

    # finished by version 2's code (version 1 returns no `charged_first`),
    # on version 1's path
    assert old_result == {
        "order_id": "order-1",
        "steps": ["reserve_stock", "charge_payment", "ship_order"],
        "charged_first": False,
    }
    assert new_result == {
        "order_id": "order-2",
        "steps": ["charge_payment", "reserve_stock", "ship_order"],
        "charged_first": True,
    }


@in_session_loop
async def test_baton_worker_upgraded_from_v1_to_v2_finishes_the_run_in_flight(server_env):
    """The same, as an operator deploys it: `baton worker --workflows
    examples.upgrades.v1:ShipOrder` stopped, then `baton worker --workflows
    examples.upgrades.v2:ShipOrder` started (from the repository's root)."""
    client = example_client(server_env)
    env = {
        "BATON_CONFIG": str(EXAMPLE / "baton.yaml"),
        "BATON_METRICS_LISTEN": "off",
        "WORKFLOW_MONITORING_ENABLED": "false",
    }
    first = WorkerProcess(
        client.settings, "--workflows", "examples.upgrades.v1:ShipOrder", cwd=ROOT, **env
    )
    await first.start()
    try:
        run = await client.temporal.start_workflow(
            "ShipOrder",
            "order-3",
            id=f"deployed-{client.settings.task_queue}",
            task_queue=client.settings.task_queue,
        )
        await waiting_to_ship(run)
    finally:
        await first.stop()
    second = WorkerProcess(
        client.settings, "--workflows", "examples.upgrades.v2:ShipOrder", cwd=ROOT, **env
    )
    await second.start()
    try:
        await run.signal("ship")
        result = await asyncio.wait_for(run.result(), 60)
    finally:
        await second.stop()
    assert result == {
        "order_id": "order-3",
        "steps": ["reserve_stock", "charge_payment", "ship_order"],
        "charged_first": False,
    }


@in_session_loop
async def test_pinned_runs_stay_on_the_build_they_started_on(server_env):
    """Worker Versioning, no patch: with BATON_WORKER_VERSIONING=pinned a
    run started on build b1 is finished by b1's worker (version 1's code,
    even the incompatible change deployed as b2) while new runs go to b2
    once it is current."""
    client = example_client(server_env)
    pinned = {"worker_versioning": "pinned"}
    async with worker_running(client, v1.ShipOrder, build_id="b1", **pinned):
        await set_current_build(client, "b1")

        # `baton run` and `baton health` see a versioned worker as any other
        async def one_worker_seen() -> bool:
            return await client.workers_polling() == 1

        await until(one_worker_seen, timeout=30)
        old = await client.start_workflow(
            v1.ShipOrder, "order-4", workflow_id=f"pinned-old-{client.settings.task_queue}"
        )
        await waiting_to_ship(old)
        async with worker_running(client, v2_unpatched.ShipOrder, build_id="b2", **pinned):
            await set_current_build(client, "b2")
            new = await client.start_workflow(
                v1.ShipOrder, "order-5", workflow_id=f"pinned-new-{client.settings.task_queue}"
            )
            await waiting_to_ship(new)
            await old.signal(v1.ShipOrder.ship)
            await new.signal(v1.ShipOrder.ship)
            old_result, new_result = await asyncio.wait_for(
                asyncio.gather(old.result(), new.result()), 60
            )
    assert old_result == {
        "order_id": "order-4",
        "steps": ["reserve_stock", "charge_payment", "ship_order"],
    }
    assert new_result == {
        "order_id": "order-5",
        "steps": ["charge_payment", "reserve_stock", "ship_order"],
    }
    assert build_ids(await old.fetch_history()) == {"b1"}
    assert build_ids(await new.fetch_history()) == {"b2"}


@in_session_loop
async def test_a_build_id_alone_is_recorded_without_routing(server_env):
    """BATON_BUILD_ID without versioning: tasks go to any worker as before,
    and each workflow task records the build that completed it."""
    client = example_client(server_env)
    async with worker_running(client, v1.ShipOrder, build_id="2024.06.1"):
        run = await client.start_workflow(
            v1.ShipOrder, "order-6", workflow_id=f"build-{client.settings.task_queue}"
        )
        await waiting_to_ship(run)
        await run.signal(v1.ShipOrder.ship)
        await asyncio.wait_for(run.result(), 60)
    assert build_ids(await run.fetch_history()) == {"2024.06.1"}


def test_versioning_settings_are_checked():
    from baton.config import Settings
    from baton.errors import ConfigError
    from baton.runtime.worker import deployment_config

    assert deployment_config(Settings.from_env({})) is None
    config = deployment_config(
        Settings.from_env(
            {
                "BATON_BUILD_ID": "b7",
                "BATON_DEPLOYMENT_NAME": "shop",
                "BATON_WORKER_VERSIONING": "Auto-Upgrade",
            }
        )
    )
    assert config is not None
    assert (config.version.deployment_name, config.version.build_id) == ("shop", "b7")
    assert config.use_worker_versioning
    assert config.default_versioning_behavior.name == "AUTO_UPGRADE"
    unversioned = deployment_config(Settings.from_env({"BATON_BUILD_ID": "b7"}))
    assert unversioned is not None and not unversioned.use_worker_versioning
    assert unversioned.version.deployment_name == "baton"  # the task queue
    with pytest.raises(ConfigError, match="BATON_WORKER_VERSIONING=pinned needs BATON_BUILD_ID"):
        Settings.from_env({"BATON_WORKER_VERSIONING": "pinned"})
    with pytest.raises(ConfigError, match="must be one of off, pinned, auto-upgrade, got 'sticky'"):
        Settings.from_env({"BATON_WORKER_VERSIONING": "sticky", "BATON_BUILD_ID": "b7"})
