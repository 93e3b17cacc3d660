"""No lost starts when Temporal is down (docs/runtime.md, "When the server
is down"): a start that finds no server waits in the local queue, says
QUEUED, and runs once — exactly once — when a worker runs with the server."""

from __future__ import annotations

import asyncio

import pytest

from baton.config import BatonFile, Settings
from baton.errors import DefinitionError, ServerError
from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker
from baton.runtime.queued import MEMO_KEY, StartQueue, submit
from baton.testing import free_port, until
from tests.support.sagas import api, saga, step

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_starts_queued_while_the_server_is_down_run_once_when_it_is_back(tmp_path, services):
    settings = Settings.from_env(
        {"BATON_HOME": str(tmp_path), "BATON_TEMPORAL_PORT": str(free_port())}
    )
    down = TemporalWorkflowClient(settings, baton_file=BatonFile())
    definition = saga(step("user", api(f"{services.url}/users")), saga_id="queued")
    first = await down.start_saga(definition, workflow_id="queued-1")
    second = await down.start_saga(definition, workflow_id="queued-2")
    await down.start_saga(definition, workflow_id="taken")
    assert first.queued and second.queued and first.run_id is None
    assert (await down.status("queued-1"))["status"] == "QUEUED"
    with pytest.raises(DefinitionError):  # a bad definition is still refused at once
        await down.start_saga(saga(step("x", {"type": "nope"})))
    strict = TemporalWorkflowClient(settings, baton_file=BatonFile(), queue_when_down=False)
    with pytest.raises(ServerError):
        await strict.start_saga(definition)
    await down.close()

    server = EmbeddedServer(settings)
    await server.ensure_running()
    try:
        client = TemporalWorkflowClient(settings, baton_file=BatonFile())
        await client.connect()
        await client.ensure_search_attributes()
        # submitted once already (then the submitter stopped before forgetting
        # it): submitting again starts nothing new
        queue = StartQueue(tmp_path)
        wire = queue.pending()[0][4]
        queue.close()
        await client.temporal.start_workflow(
            "BatonProcess",
            wire,
            id="queued-1",
            task_queue=settings.task_queue,
            memo={MEMO_KEY: f"{queue.path}:queued-1"},
        )
        # and another start took an id a queued one wants: that one waits, said
        await client.temporal.start_workflow(
            "BatonProcess", wire, id="taken", task_queue=settings.task_queue
        )
        async with running_worker(
            client.temporal, settings.task_queue, BatonFile(), settings=settings
        ):

            async def ran() -> bool:
                states = [await client.status(i) for i in ("queued-1", "queued-2")]
                return all(s.get("status") == "COMPLETED" for s in states)

            await until(ran, timeout=60)
        queue = StartQueue(tmp_path)
        assert [p[0] for p in queue.pending()] == ["taken"]
        assert "another run has the id 'taken'" in str(queue.find("taken"))
        assert await submit(client.temporal, queue) == 0
        queue.close()
        runs = await client.list_runs(query="WorkflowId STARTS_WITH 'queued-'")
        await client.close()
    finally:
        server.stop()
    assert sorted(r["workflow_id"] for r in runs) == ["queued-1", "queued-2"]  # not "taken"
    # each ran once: queued-1 (submitted once before), queued-2, and the other "taken"
    assert services.state.count("POST", "/users") == 3
    await asyncio.sleep(0)
