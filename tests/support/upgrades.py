"""Running the upgrade example (examples/upgrades) on real workers: one
task queue, workers of one version after another."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from baton.config import BatonFile
from baton.policy import ExecutionPolicy
from baton.runtime import TemporalWorkflowClient, running_worker
from baton.testing import until

# the example's baton.yaml: its workers may run shop.py's functions
SHOP = BatonFile(policy=ExecutionPolicy(python_modules=("examples.upgrades.shop",)))


def example_client(server_env: Any) -> TemporalWorkflowClient:
    """A client on a fresh task queue of the session's server."""
    settings = replace(server_env.settings, task_queue=f"upgrade-{uuid.uuid4().hex[:10]}")
    return TemporalWorkflowClient(settings, temporal=server_env.client.temporal, baton_file=SHOP)


@contextlib.asynccontextmanager
async def worker_running(client: TemporalWorkflowClient, workflow: type) -> AsyncIterator[None]:
    """A Baton worker on the client's task queue, with one version of the
    order workflow, for as long as the block runs."""
    async with running_worker(
        client.temporal, client.settings.task_queue, SHOP, (workflow,), settings=client.settings
    ):
        yield


async def waiting_to_ship(handle: WorkflowHandle[Any, Any]) -> None:
    """Until the run has done its two first steps (it then waits for `ship`)."""

    async def two_steps_done() -> bool:
        history = await handle.fetch_history()
        done = [
            e
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        ]
        return len(done) == 2

    await until(two_steps_done, timeout=60)
