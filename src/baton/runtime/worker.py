"""Assemble a worker: Baton's workflows and activities on its task queue."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from temporalio.client import Client
from temporalio.worker import Worker

from ..actions import ActionSet
from ..config import BatonFile
from ..engine.approval import HumanApprovalWorkflow
from ..engine.interpreter import ProcessWorkflow

MAX_CONCURRENT_ACTIVITIES = 200


@contextlib.asynccontextmanager
async def running_worker(
    client: Client,
    task_queue: str,
    baton_file: BatonFile,
    extra_workflows: Sequence[type] = (),
) -> AsyncIterator[Worker]:
    """A worker polling ``task_queue`` for as long as the block runs.
    ``extra_workflows`` (a user's own ``@workflow.defn`` classes) run beside
    Baton's and can call its activities."""
    actions = ActionSet(baton_file)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[ProcessWorkflow, HumanApprovalWorkflow, *extra_workflows],
        activities=actions.activities,
        max_concurrent_activities=MAX_CONCURRENT_ACTIVITIES,
    )
    try:
        async with worker:
            yield worker
    finally:
        await actions.aclose()
