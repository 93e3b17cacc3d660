"""Crash tests: kill -9 the worker, or the embedded server, in the middle of a
saga. The saga still finishes; no completed step's forward call is repeated;
each compensation takes effect exactly once. A call that was in flight when its
worker died is sent again with the same Idempotency-Key, which the service
answers without acting twice."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
import pytest_asyncio

from baton.config import BatonFile, Settings
from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker
from baton.testing import assert_eventually, free_port
from tests.conftest import ServerEnv
from tests.support.sagas import api, saga, step
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def isolated(server_env: ServerEnv) -> AsyncIterator[TemporalWorkflowClient]:
    settings = replace(server_env.settings, task_queue=f"crash-{os.urandom(4).hex()}")
    client = TemporalWorkflowClient(settings, temporal=server_env.client.temporal)
    yield client


async def run_through_worker_crash(
    client: TemporalWorkflowClient, definition: dict, crash_when: Callable[[], bool]
) -> dict:
    """Start the saga on a worker process, SIGKILL that worker once
    ``crash_when()`` holds, start a new worker, and return the saga's result."""
    first = WorkerProcess(client.settings)
    await first.start()
    run = await client.start_saga(definition)
    await assert_eventually(crash_when, timeout=60)
    await first.kill9()
    second = WorkerProcess(client.settings)
    await second.start()
    try:
        return await asyncio.wait_for(run.result(), 120)
    finally:
        await second.stop()


def forward_saga(u: str) -> dict:
    """a, b (retried), c: every step with a compensation but the last."""
    return saga(
        step("a", api(f"{u}/users"), api(f"{u}/users/{{user_id}}", "DELETE")),
        step(
            "b", api(f"{u}/accounts"), api(f"{u}/accounts/{{account_id}}", "DELETE"), retry_count=3
        ),
        step("c", api(f"{u}/services/c")),
        config={"heartbeat_timeout_seconds": 2},
    )


async def test_kill_worker_mid_forward(isolated, services):
    services.state.delays["/accounts"] = 3
    result = await run_through_worker_crash(
        isolated,
        forward_saga(services.url),
        lambda: services.state.count("POST", "/accounts") == 1,
    )
    assert result["status"] == "COMPLETED"
    assert services.state.count("POST", "/users") == 1  # completed before the crash: not repeated
    assert services.state.count("POST", "/services/c") == 1
    assert len(services.state.keys("POST", "/accounts")) == 1  # same key on every try
    assert len(services.state.accounts) == 1  # created once
    lost = [e for e in result["audit"] if e["event"] == "forward_attempt_lost"]
    assert lost and lost[0]["step_id"] == "b"


async def test_kill_worker_mid_compensation(isolated, services):
    u = services.url
    services.state.delays["/accounts/"] = 3  # holds the DELETE, not the POST
    definition = saga(
        step("a", api(f"{u}/users"), api(f"{u}/users/{{user_id}}", "DELETE")),
        step("b", api(f"{u}/accounts"), api(f"{u}/accounts/{{account_id}}", "DELETE")),
        step("c", api(f"{u}/nowhere")),
        config={"heartbeat_timeout_seconds": 2},
    )
    result = await run_through_worker_crash(
        isolated, definition, lambda: services.state.count_prefix("DELETE", "/accounts/") == 1
    )
    assert result["status"] == "COMPENSATED"
    assert [c["step_id"] for c in result["compensations"]] == ["b", "a"]
    assert services.state.count("POST", "/users") == 1
    assert services.state.count("POST", "/accounts") == 1
    assert services.state.count_prefix("DELETE", "/users/") == 1
    assert len(services.state.keys("DELETE", "/accounts/")) == 1
    assert services.state.users == {} and services.state.accounts == {}


async def test_kill_server_mid_saga(tmp_path, services):
    settings = Settings.from_env(
        {"BATON_HOME": str(tmp_path), "BATON_TEMPORAL_PORT": str(free_port())}
    )
    server = EmbeddedServer(settings)
    await server.ensure_running()
    client = TemporalWorkflowClient(settings)
    await client.connect()
    await client.ensure_search_attributes()
    services.state.delays["/accounts"] = 3
    definition = forward_saga(services.url)
    restarted = EmbeddedServer(settings)
    try:
        async with running_worker(client.temporal, settings.task_queue, BatonFile()):
            run = await client.start_saga(definition)
            await assert_eventually(
                lambda: services.state.count("POST", "/accounts") == 1, timeout=60
            )
            server.kill()
            await asyncio.sleep(1)
            assert await restarted.ensure_running()  # same SQLite file, same port
            fresh = TemporalWorkflowClient(settings)
            await fresh.connect()
            result = await asyncio.wait_for(fresh.result(run.workflow_id), 180)
    finally:
        restarted.stop()
        server.stop()
    assert result["status"] == "COMPLETED"
    assert services.state.count("POST", "/users") == 1
    assert services.state.count("POST", "/services/c") == 1
    assert len(services.state.keys("POST", "/accounts")) == 1
    assert len(services.state.accounts) == 1
