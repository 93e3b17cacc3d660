"""The monitor itself is durable (docs/operations.md, "The monitor"): a
Temporal Schedule starts its sweeps — one schedule however many workers
start monitoring — and it is still there, and still sweeping, after the
server restarts. A server of its own (it is restarted)."""

from __future__ import annotations

import pytest

from baton.config import BatonFile, Settings
from baton.engine.operations import monitor_schedule_id
from baton.monitoring.monitor import WorkflowMonitor
from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker
from baton.testing import free_port, until

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def sweeps(client: TemporalWorkflowClient) -> int:
    temporal = await client.connect()
    query = "WorkflowType = 'BatonMonitorSweep' AND ExecutionStatus = 'Completed'"
    return len([wf async for wf in temporal.list_workflows(query)])


async def test_the_schedule_sweeps_and_survives_a_server_restart(tmp_path):
    settings = Settings.from_env(
        {"BATON_HOME": str(tmp_path), "BATON_TEMPORAL_PORT": str(free_port())}
    )
    server = EmbeddedServer(settings)
    await server.ensure_running()
    restarted = EmbeddedServer(settings)
    try:
        client = TemporalWorkflowClient(settings, baton_file=BatonFile())
        await client.connect()
        await client.ensure_search_attributes()
        monitor = WorkflowMonitor(client)
        async with running_worker(
            client.temporal, settings.task_queue, BatonFile(), settings=settings
        ):
            first = await monitor.start_monitoring(interval_seconds=3600)
            again = await WorkflowMonitor(client).start_monitoring(interval_seconds=3600)
            assert first["schedule_id"] == again["schedule_id"] == monitor_schedule_id("baton")
            schedules = [s async for s in await client.temporal.list_schedules()]
            assert [s.id for s in schedules] == ["baton-monitor/baton"]  # one, not two
            handle = client.temporal.get_schedule_handle(first["schedule_id"])
            await handle.trigger()
            await until(lambda: _at_least(client, 1), timeout=60)
            state = await monitor.monitoring_state()
            assert state["scheduled"] and not state["paused"]
            assert state["interval_seconds"] == 3600
            assert state["last_sweep"]["checked"] == 0  # nothing has run on this server
        await client.close()
        server.stop()
        assert await restarted.ensure_running()
        fresh = TemporalWorkflowClient(settings, baton_file=BatonFile())
        await fresh.connect()
        async with running_worker(
            fresh.temporal, settings.task_queue, BatonFile(), settings=settings
        ):
            handle = fresh.temporal.get_schedule_handle(monitor_schedule_id("baton"))
            described = await handle.describe()
            assert described.schedule.spec.intervals[0].every.total_seconds() == 3600
            await handle.trigger()
            await until(lambda: _at_least(fresh, 2), timeout=60)
            monitor = WorkflowMonitor(fresh)

            async def paused(interval: float) -> bool:
                state = await monitor.monitoring_state()
                return bool(state["paused"]) and state["interval_seconds"] == interval

            async def running() -> bool:
                return not (await monitor.monitoring_state())["paused"]

            await monitor.stop_monitoring()
            await until(lambda: paused(3600), timeout=10)
            # a worker starting again (baton up, baton worker) keeps it paused
            await monitor.start_monitoring(interval_seconds=600, resume=False)
            await until(lambda: paused(600), timeout=10)
            await monitor.start_monitoring()  # the API's start resumes it
            await until(running, timeout=10)
        await fresh.close()
    finally:
        restarted.stop()
        server.stop()


async def _at_least(client: TemporalWorkflowClient, count: int) -> bool:
    return await sweeps(client) >= count
