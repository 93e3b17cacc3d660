"""BPMN models survive crashes as sagas and processes do: the worker is
killed with SIGKILL in the middle of a parallel gateway's branches and of a
multi-instance activity, and while a receive task waits; the embedded
server is killed while a receive task waits. Service tasks are bound to
HTTP calls of the stand-in services, which count what they were asked and
honour the Idempotency-Key: each run finishes on a new worker (or the
restarted server), nothing completed runs again, and a call that was in
flight is sent again with its key, so each effect happens once."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio

from baton.config import BatonFile, Settings
from baton.runtime import TemporalWorkflowClient
from baton.testing import assert_eventually, until
from tests.conftest import ServerEnv
from tests.support.workers import WorkerProcess, through_a_server_crash

pytestmark = pytest.mark.asyncio(loop_scope="session")
MODEL = 'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
ZEEBE = 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'


def model(body: str, head: str = "") -> dict[str, str]:
    return {
        "kind": "bpmn",
        "xml": f'<definitions {MODEL} {ZEEBE} id="defs">{head}'
        f'<process id="p" isExecutable="true">{body}</process></definitions>',
    }


def task(task_id: str, kind: str = "serviceTask", inner: str = "") -> str:
    return (
        f'<{kind} id="{task_id}"><extensionElements><zeebe:taskDefinition type="{task_id}"/>'
        f"</extensionElements>{inner}</{kind}>"
    )


def flow(flow_id: str, source: str, target: str) -> str:
    return f'<sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'


def bindings(url: str, *paths: str) -> BatonFile:
    """Each task type bound to a POST to /services/<type> (with the loop's
    item, for a multi-instance one)."""
    return BatonFile(
        bpmn={
            "bindings": {
                path: {
                    "type": "api_call",
                    "url": f"{url}/services/{path}",
                    "method": "POST",
                    "result_variable": f"{path}_result",
                }
                for path in paths
            }
        }
    )


@pytest_asyncio.fixture(loop_scope="session")
async def isolated(server_env: ServerEnv) -> AsyncIterator[Any]:
    settings = replace(server_env.settings, task_queue=f"bpmn-crash-{os.urandom(4).hex()}")

    def client(baton_file: BatonFile) -> TemporalWorkflowClient:
        return TemporalWorkflowClient(
            settings, temporal=server_env.client.temporal, baton_file=baton_file
        )

    yield settings, client


@pytest_asyncio.fixture(loop_scope="session")
async def spawn() -> AsyncIterator[Any]:
    """Starts `baton worker` processes; every one is stopped at the end,
    whatever the test did."""
    started: list[WorkerProcess] = []

    async def start(settings: Settings) -> WorkerProcess:
        worker = WorkerProcess(settings)
        await worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        await worker.stop()


async def through_a_crash(
    spawn: Any, settings: Settings, run: Any, crash_when: Any, first: WorkerProcess
) -> dict[str, Any]:
    await assert_eventually(crash_when, timeout=60)
    await first.kill9()
    await spawn(settings)
    return dict(await asyncio.wait_for(run.result(), 120))


async def test_kill_worker_between_a_parallel_gateways_branches(isolated, services, spawn):
    settings, client_for = isolated
    services.state.delays["/services/slow"] = 3
    client = client_for(bindings(services.url, "fast", "slow", "after"))
    first = await spawn(settings)
    run = await client.start(
        model(
            '<startEvent id="s"/>'
            + flow("a", "s", "split")
            + '<parallelGateway id="split"/>'
            + flow("b", "split", "fast")
            + flow("c", "split", "slow")
            + task("fast")
            + task("slow")
            + flow("d", "fast", "join")
            + flow("e", "slow", "join")
            + '<parallelGateway id="join"/>'
            + flow("f", "join", "after")
            + task("after")
            + flow("g", "after", "end")
            + '<endEvent id="end"/>'
        ),
        input={},
    )
    result = await through_a_crash(
        spawn,
        settings,
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
    assert len(services.state.keys("POST", "/services/slow")) == 1  # again, with its key
    assert services.state.count("POST", "/services/after") == 1
    assert set(result["output"]) == {"fast_result", "slow_result", "after_result"}


async def test_kill_worker_in_the_middle_of_a_multi_instance_activity(isolated, services, spawn):
    settings, client_for = isolated
    services.state.delays["/services/item-2"] = 3
    baton_file = BatonFile(
        bpmn={
            "bindings": {
                "deploy": {
                    "type": "api_call",
                    "url": f"{services.url}/services/item-{{item}}",
                    "method": "POST",
                    "result_variable": "deployed",
                }
            }
        }
    )
    client = client_for(baton_file)
    first = await spawn(settings)
    loop = (
        '<multiInstanceLoopCharacteristics isSequential="true"><extensionElements>'
        '<zeebe:loopCharacteristics inputCollection="=items" inputElement="item"/>'
        "</extensionElements></multiInstanceLoopCharacteristics>"
    )
    run = await client.start(
        model(
            '<startEvent id="s"/>'
            + flow("a", "s", "deploy")
            + task("deploy", inner=loop)
            + flow("b", "deploy", "end")
            + '<endEvent id="end"/>'
        ),
        input={"items": [1, 2, 3]},
    )
    result = await through_a_crash(
        spawn, settings, run, lambda: services.state.count("POST", "/services/item-2") == 1, first
    )
    assert result["status"] == "COMPLETED", result
    for n in (1, 2, 3):
        assert len(services.state.keys("POST", f"/services/item-{n}")) == 1  # one key each
    assert services.state.count("POST", "/services/item-1") == 1
    assert services.state.count("POST", "/services/item-3") == 1


def waiting_for_payment(url: str) -> tuple[dict[str, str], BatonFile]:
    receive = '<receiveTask id="paid" messageRef="m"/>'
    return (
        model(
            '<startEvent id="s"/>'
            + flow("a", "s", "before")
            + task("before")
            + flow("b", "before", "paid")
            + receive
            + flow("c", "paid", "after")
            + task("after")
            + flow("d", "after", "end")
            + '<endEvent id="end"/>',
            head='<message id="m" name="paid"/>',
        ),
        bindings(url, "before", "after"),
    )


async def test_kill_worker_while_a_receive_task_waits(isolated, services, spawn):
    settings, client_for = isolated
    document, baton_file = waiting_for_payment(services.url)
    client = client_for(baton_file)
    first = await spawn(settings)
    run = await client.start(document, input={})

    async def waiting() -> bool:
        return (await client.status(run.workflow_id)).get("waiting_for") == ["paid"]

    await until(waiting, timeout=60)
    await first.kill9()
    await spawn(settings)
    await client.send_event("paid", {"amount": 3}, workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPLETED", result
    assert result["output"]["amount"] == 3
    assert services.state.count("POST", "/services/before") == 1
    assert services.state.count("POST", "/services/after") == 1


async def test_kill_server_while_a_receive_task_waits(tmp_path, services):
    document, baton_file = waiting_for_payment(services.url)
    result = await through_a_server_crash(
        tmp_path,
        lambda client: client.start(document, input={}),
        "paid",
        {"amount": 4},
        baton_file,
    )
    assert result["status"] == "COMPLETED", result
    assert services.state.count("POST", "/services/before") == 1
    assert services.state.count("POST", "/services/after") == 1
