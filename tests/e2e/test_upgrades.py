"""A run started on version 1 of a user's workflow finishes on version 2's
code (examples/upgrades): `workflow.patched` keeps it on the path it began
while new runs take the new one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from examples.upgrades import v1, v2
from tests.support.upgrades import example_client, waiting_to_ship, worker_running
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "upgrades"


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
