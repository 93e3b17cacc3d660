"""The seed's generic client API: get_temporal_client().start_workflow(...)
for a user's own workflow class, on Baton's task queue and worker."""

from __future__ import annotations

import pytest

from baton import TemporalWorkflowClient, WorkflowNotFound, get_temporal_client
from tests.support.user_workflow import AddNumbersWorkflow

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_start_workflow_with_the_seed_signature(worker_factory):
    async with worker_factory(extra_workflows=(AddNumbersWorkflow,)) as env:
        handle = await env.client.start_workflow(
            workflow_class=AddNumbersWorkflow,
            workflow_args={"a": 2, "b": 40},
            workflow_id="my-workflow-123",
        )
        assert await handle.result() == {"sum": 42}
        status = await env.client.status("my-workflow-123")
        assert status["status"] == "COMPLETED"
        assert status["workflow_type"] == "AddNumbersWorkflow"


async def test_get_temporal_client_reads_the_environment(monkeypatch):
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.example:7233")
    monkeypatch.setenv("TEMPORAL_TASK_QUEUE", "zen-workflows")
    client = get_temporal_client()
    assert isinstance(client, TemporalWorkflowClient)
    assert client.settings.address == "temporal.example:7233"
    assert client.settings.task_queue == "zen-workflows"
    assert not client.settings.embedded


async def test_unknown_id_raises_workflow_not_found(baton):
    with pytest.raises(WorkflowNotFound):
        await baton.client.status("does-not-exist")
    with pytest.raises(WorkflowNotFound):
        await baton.client.cancel("does-not-exist")
