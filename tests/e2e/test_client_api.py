"""The seed's generic client API: get_temporal_client().start_workflow(...)
for a user's own workflow class, on Baton's task queue and worker."""

from __future__ import annotations

import pytest

from baton import TemporalWorkflowClient, WorkflowNotFound, get_temporal_client
from baton.config import BatonFile
from baton.policy import ExecutionPolicy
from tests.support.user_workflow import AddNumbersWorkflow

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_start_workflow_with_the_seed_signature(worker_factory):
    python = BatonFile(policy=ExecutionPolicy(python_modules=("tests.support",)))
    async with worker_factory(python, extra_workflows=(AddNumbersWorkflow,)) as env:
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


SCRIPT = """
import asyncio
from baton import start_distributed_saga
saga = {"saga_id": "exit", "steps": [{"step_id": "a",
        "forward_action": {"type": "script", "script": "echo ok"}}]}
async def main():
    run = await start_distributed_saga(saga)
    result = await run
    print(result["status"])
asyncio.run(main())
"""


async def test_user_scripts_exit_cleanly(baton, tmp_path):
    """`result = await run` in a script, then the interpreter exits: the
    client's SDK threads are stopped before Python finalises (before, about
    4 runs in 30 aborted with PyGILState_Release, exit 134)."""
    import asyncio
    import os
    import sys

    script = tmp_path / "user_script.py"
    script.write_text(SCRIPT)
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": baton.settings.address,
        "TEMPORAL_TASK_QUEUE": baton.settings.task_queue,
    }
    for _ in range(15):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(script),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert (proc.returncode, out.strip()) == (0, b"COMPLETED"), err.decode()[-500:]


async def test_a_closed_client_connects_again(server_env):
    client = TemporalWorkflowClient(server_env.settings)
    async with client:
        assert await client.workers_polling() >= 0
    assert client._client is None
    await client.connect()
    assert await client.list_runs(limit=1) is not None
    await client.close()
