"""Processes survive crashes as sagas do: the worker is killed with SIGKILL
in the middle of a `for`, a `fork` and a `listen`, and the embedded server
while a `listen` waits. Each run finishes on a new worker (or the restarted
server); no completed task is repeated, and an HTTP call that was in flight
is sent again with its Idempotency-Key, so the service acts once."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio

from baton.runtime import TemporalWorkflowClient
from baton.testing import assert_eventually, until
from tests.conftest import ServerEnv
from tests.support.workers import WorkerProcess, through_a_server_crash

pytestmark = pytest.mark.asyncio(loop_scope="session")


def doc(*tasks: dict[str, Any]) -> dict[str, Any]:
    return {
        "document": {"dsl": "1.0.3", "namespace": "crash", "name": "p", "version": "1.0.0"},
        "do": list(tasks),
    }


def post(url: str, path: str) -> dict[str, Any]:
    return {"call": "http", "with": {"method": "post", "endpoint": f"{url}{path}"}}


@pytest_asyncio.fixture(loop_scope="session")
async def isolated(server_env: ServerEnv) -> AsyncIterator[TemporalWorkflowClient]:
    settings = replace(server_env.settings, task_queue=f"crash-{os.urandom(4).hex()}")
    yield TemporalWorkflowClient(settings, temporal=server_env.client.temporal)


async def through_a_crash(
    client: TemporalWorkflowClient, run: Any, crash_when: Any, first: WorkerProcess
) -> dict[str, Any]:
    await assert_eventually(crash_when, timeout=60)
    await first.kill9()
    second = WorkerProcess(client.settings)
    await second.start()
    try:
        return await asyncio.wait_for(run.result(), 120)
    finally:
        await second.stop()


async def test_kill_worker_in_the_middle_of_a_for(isolated, services):
    services.state.delays["/services/item-2"] = 3
    first = WorkerProcess(isolated.settings)
    await first.start()
    run = await isolated.start_process(
        doc(
            {
                "each": {
                    "for": {"in": ".items", "each": "item"},
                    "do": [
                        {
                            "deploy": {
                                "call": "http",
                                "with": {
                                    "method": "post",
                                    # the loop's item is a variable, not a field of the input
                                    "endpoint": f'${{ "{services.url}/services/item-" + ($item | tostring) }}',
                                },
                            }
                        }
                    ],
                }
            }
        ),
        {"items": [1, 2, 3]},
    )
    result = await through_a_crash(
        isolated, run, lambda: services.state.count("POST", "/services/item-2") == 1, first
    )
    assert result["status"] == "COMPLETED", result
    for n in (1, 2, 3):
        assert len(services.state.keys("POST", f"/services/item-{n}")) == 1  # one key each
    assert services.state.count("POST", "/services/item-1") == 1  # completed before: not repeated
    assert services.state.count("POST", "/services/item-3") == 1
    assert "item-2" in services.state.deployed and len(services.state.deployed) == 3


async def test_kill_worker_in_the_middle_of_a_fork(isolated, services):
    services.state.delays["/services/slow"] = 3
    first = WorkerProcess(isolated.settings)
    await first.start()
    run = await isolated.start_process(
        doc(
            {
                "both": {
                    "fork": {
                        "branches": [
                            {"fast": post(services.url, "/services/fast")},
                            {"slow": post(services.url, "/services/slow")},
                        ]
                    }
                }
            }
        )
    )
    result = await through_a_crash(
        isolated,
        run,
        lambda: (
            services.state.count("POST", "/services/slow") == 1
            and services.state.count("POST", "/services/fast") == 1
        ),
        first,
    )
    assert result["status"] == "COMPLETED", result
    # done before the crash — or, if the kill landed between the service's
    # answer and the worker's report, asked again with the same key: once in effect
    assert len(services.state.keys("POST", "/services/fast")) == 1
    assert len(services.state.keys("POST", "/services/slow")) == 1
    assert [branch["service"] for branch in result["output"]] == ["fast", "slow"]


async def test_kill_worker_while_a_listen_waits(isolated, services):
    first = WorkerProcess(isolated.settings)
    await first.start()
    run = await isolated.start_process(
        doc(
            {"before": post(services.url, "/services/before")},
            {"paid": {"listen": {"to": {"one": {"with": {"type": "paid"}}}}}},
            {"after": post(services.url, "/services/after")},
        )
    )

    async def waiting() -> bool:
        return (await isolated.status(run.workflow_id)).get("waiting_for") == ["paid"]

    await until(waiting, timeout=60)
    await first.kill9()
    second = WorkerProcess(isolated.settings)
    await second.start()
    try:
        await isolated.send_event("paid", {"amount": 3}, workflow_id=run.workflow_id)
        result = await asyncio.wait_for(run.result(), 120)
    finally:
        await second.stop()
    assert result["status"] == "COMPLETED", result
    assert services.state.count("POST", "/services/before") == 1
    assert services.state.count("POST", "/services/after") == 1


async def test_kill_server_while_a_listen_waits(tmp_path, services):
    def start(client: Any) -> Any:
        return client.start_process(
            doc(
                {"paid": {"listen": {"to": {"one": {"with": {"type": "paid"}}}}}},
                {"done": post(services.url, "/services/done")},
            )
        )

    result = await through_a_server_crash(tmp_path, start, "paid", 1)
    assert result["status"] == "COMPLETED", result
    assert services.state.count("POST", "/services/done") == 1
