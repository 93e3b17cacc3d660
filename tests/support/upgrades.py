"""Running the upgrade example (examples/upgrades) on real workers: one
task queue, workers of one version after another."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
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
async def worker_running(
    client: TemporalWorkflowClient, workflow: type, **settings_changes: Any
) -> AsyncIterator[None]:
    """A Baton worker on the client's task queue, with one version of the
    order workflow, for as long as the block runs; ``settings_changes``
    (``build_id=``, ``worker_versioning=``) apply to the worker only."""
    settings = replace(client.settings, **settings_changes)
    async with running_worker(
        client.temporal, settings.task_queue, SHOP, (workflow,), settings=settings
    ):
        yield


async def set_current_build(client: TemporalWorkflowClient, build_id: str) -> None:
    """Make ``build_id`` the current version of the client's deployment (its
    task queue's name) with the Temporal CLI, as docs/upgrades.md says; the
    server knows a version once its worker has polled."""
    settings = client.settings

    async def set_current() -> bool:
        proc = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "temporal"),
            "worker",
            "deployment",
            "set-current-version",
            "--address",
            settings.address,
            "--namespace",
            settings.namespace,
            "--deployment-name",
            settings.task_queue,
            "--build-id",
            build_id,
            "--yes",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise AssertionError(out.decode())
        return True

    await until(set_current, timeout=60, interval=0.5)


def build_ids(history: Any) -> set[str]:
    """The builds that completed the run's workflow tasks (a versioned
    worker's deployment version, else the build id an unversioned worker
    reported)."""
    completed = [
        e.workflow_task_completed_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    return {t.deployment_version.build_id or t.worker_version.build_id for t in completed}


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
