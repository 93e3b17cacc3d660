"""Local steps (plan/dispatch.py, docs/sagas.md "Local steps"): run as local
activities in the workflow's own task, with the saga semantics of every
other step — retries, reverse-order compensation, timeouts, cancels, and a
worker killed with SIGKILL mid-step."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import EventType

from baton.runtime import TemporalWorkflowClient
from baton.testing import assert_eventually
from tests.conftest import ServerEnv
from tests.support.plans import call
from tests.support.sagas import api, saga, step
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def event_types(client: TemporalWorkflowClient, workflow_id: str) -> Counter[str]:
    handle = client.temporal.get_workflow_handle(workflow_id)
    return Counter(
        [
            EventType.Name(e.event_type).removeprefix("EVENT_TYPE_")
            async for e in handle.fetch_history_events()
        ]
    )


async def test_local_steps_run_in_the_workflow_task_not_on_the_queue(baton, services):
    u = services.url
    run = await baton.client.start_saga(
        saga(
            step("a", api(f"{u}/users"), local=True),
            step("b", api(f"{u}/accounts"), local=True),
            step("c", api(f"{u}/services/c")),  # the default: on the task queue
        )
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED"
    assert result["steps"][0]["output"] == {"user_id": "u-1"}
    assert "account_id" in result["steps"][1]["output"]
    events = await event_types(baton.client, run.workflow_id)
    assert events["MARKER_RECORDED"] == 2  # a and b: a local activity's result
    assert events["ACTIVITY_TASK_SCHEDULED"] == 1  # c only


async def test_local_steps_retry_fail_and_compensate_in_reverse_order(baton, services):
    u = services.url
    services.state.failures["/services/b"] = 1  # a 500 once: retried
    result = await baton.run_saga(
        saga(
            step("a", api(f"{u}/users"), api(f"{u}/users/{{user_id}}", "DELETE"), local=True),
            step(
                "b",
                api(f"{u}/services/b", payload={"version": "new"}),
                api(f"{u}/services/b", payload={"version": "old"}),
                retry_count=2,
                local=True,
            ),
            # a 404 is not retried, however many attempts are allowed
            step("c", api(f"{u}/nowhere"), retry_count=3, local=True),
        )
    )
    assert result["status"] == "COMPENSATED"
    assert [(s["step_id"], s["status"], s["attempts"]) for s in result["steps"]] == [
        ("a", "COMPLETED", 1),
        ("b", "COMPLETED", 2),
        ("c", "FAILED", 1),
    ]
    assert result["error"]["type"] == "HttpStatusError" and result["error"]["status"] == 404
    assert [c["step_id"] for c in result["compensations"]] == ["b", "a"]
    assert services.state.users == {}
    failed = [e for e in result["audit"] if e["event"] == "forward_attempt_failed"]
    assert [e["step_id"] for e in failed] == ["b", "c"]


async def test_a_local_step_past_its_timeout_fails_with_a_timeout(python_baton):
    definition = saga(
        step("slow", call("nap", 5), timeout_minutes=0.02, local=True),  # 1.2 s
    )
    result = await python_baton.run_saga(definition)
    assert result["status"] == "COMPENSATED"
    assert result["error"]["type"] == "timeout"
    assert "timed out (start to close)" in result["steps"][0]["error"]


def undoable(u: str, name: str, **extra) -> dict:
    return step(
        name,
        api(f"{u}/services/{name}", payload={"version": "new"}),
        api(f"{u}/services/{name}", payload={"version": "old"}),
        **extra,
    )


async def test_a_cancel_reaches_the_run_when_its_local_steps_hand_the_task_back(baton, services):
    """A cancel is delivered between workflow tasks: the local step under
    way finishes (it is not interrupted), then the run stops and undoes it."""
    u = services.url
    services.state.delays["/services/b"] = 3
    services.state.delays["/services/c"] = 30
    run = await baton.client.start_saga(
        saga(
            undoable(u, "a", local=True),
            undoable(u, "b", local=True),
            undoable(u, "c"),  # on the task queue: the workflow task ends when it starts
        )
    )
    await assert_eventually(lambda: services.state.count("POST", "/services/b") == 1, timeout=30)
    await run.cancel()
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "CANCELLED"
    assert [(s["step_id"], s["status"]) for s in result["steps"]][:2] == [
        ("a", "COMPLETED"),
        ("b", "COMPLETED"),
    ]
    assert [(c["step_id"], c["status"]) for c in result["compensations"]] == [
        ("b", "COMPENSATED"),
        ("a", "COMPENSATED"),
    ]


async def test_a_cancel_during_the_last_local_step_still_undoes_it(baton, services):
    """The run's last workflow task would end the run; a cancel that arrived
    meanwhile must not lose the local steps' results (the run hands the task
    back first), so both steps are known completed and are undone."""
    u = services.url
    services.state.delays["/services/b"] = 3
    run = await baton.client.start_saga(
        saga(undoable(u, "a", local=True), undoable(u, "b", local=True))
    )
    await assert_eventually(lambda: services.state.count("POST", "/services/b") == 1, timeout=30)
    await run.cancel()
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "CANCELLED"
    assert [c["step_id"] for c in result["compensations"]] == ["b", "a"]
    # each forward call ran once (no result was lost and run again), then its undo
    for name in ("a", "b"):
        versions = [
            c.body["version"] for c in services.state.calls if c.path == f"/services/{name}"
        ]
        assert versions == ["new", "old"], name


@pytest_asyncio.fixture(loop_scope="session")
async def isolated(server_env: ServerEnv) -> AsyncIterator[TemporalWorkflowClient]:
    settings = replace(server_env.settings, task_queue=f"local-{os.urandom(4).hex()}")
    yield TemporalWorkflowClient(settings, temporal=server_env.client.temporal)


async def test_a_local_step_whose_worker_is_killed_runs_again_on_another(isolated, services):
    """The workflow task the step ran in times out (10 s) and the next worker
    runs it again; a local step that had completed in that same workflow
    task runs again too (its result was not recorded yet) — with the same
    idempotency key, so the service acts once."""
    u = services.url
    services.state.delays["/accounts"] = 3
    first = WorkerProcess(isolated.settings)
    await first.start()
    run = await isolated.start_saga(
        saga(
            step("a", api(f"{u}/users"), local=True),
            step("b", api(f"{u}/accounts"), local=True),
        )
    )
    await assert_eventually(lambda: services.state.count("POST", "/accounts") == 1, timeout=60)
    await first.kill9()
    services.state.delays.pop("/accounts")
    second = WorkerProcess(isolated.settings)
    await second.start()
    try:
        result = await asyncio.wait_for(run.result(), 90)
    finally:
        await second.stop()
    assert result["status"] == "COMPLETED"
    assert services.state.count("POST", "/accounts") == 2  # once per worker
    assert len(services.state.keys("POST", "/accounts")) == 1  # with one key
    assert len(services.state.accounts) == 1  # created once
    assert len(services.state.keys("POST", "/users")) == 1
    assert len(services.state.users) == 1


async def test_a_step_declared_short_runs_locally_by_itself(baton, services):
    u = services.url
    run = await baton.client.start_saga(
        saga(
            step("short", api(f"{u}/users"), timeout_minutes=0.1),  # 6 s
            step("refused", api(f"{u}/accounts"), timeout_minutes=0.1, local=False),
        )
    )
    assert (await asyncio.wait_for(run.result(), 60))["status"] == "COMPLETED"
    events = await event_types(baton.client, run.workflow_id)
    assert (events["MARKER_RECORDED"], events["ACTIVITY_TASK_SCHEDULED"]) == (1, 1)
