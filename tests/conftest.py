"""Fixtures: one real Temporal dev server (Baton's own embedded server) for
the session, a fresh task queue and worker per test, local HTTP services."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
import pytest_asyncio

from baton.config import BatonFile, Settings
from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker
from baton.testing import StandInServices, free_port

# pytester: tests/browser runs a pytest of its own to check its error reporting
pytest_plugins = ["pytester"]


@dataclass
class ServerEnv:
    settings: Settings
    server: EmbeddedServer
    client: TemporalWorkflowClient


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def server_env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServerEnv]:
    home = tmp_path_factory.mktemp("baton-home")
    settings = Settings.from_env({"BATON_HOME": str(home), "BATON_TEMPORAL_PORT": str(free_port())})
    server = EmbeddedServer(settings)
    await server.ensure_running()
    client = TemporalWorkflowClient(settings)
    await client.connect()
    await client.ensure_search_attributes()
    try:
        yield ServerEnv(settings, server, client)
    finally:
        server.stop()


@dataclass
class Baton:
    """A client on a fresh task queue, with a worker polling it."""

    client: TemporalWorkflowClient
    settings: Settings

    async def run_saga(self, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        run = await self.client.start_saga(definition, **kwargs)
        return await asyncio.wait_for(run.result(), 120)


@pytest.fixture
def worker_factory(server_env: ServerEnv) -> Callable[..., Any]:
    @contextlib.asynccontextmanager
    async def make(
        baton_file: BatonFile | None = None,
        extra_workflows: tuple[type, ...] = (),
        **settings_changes: Any,
    ) -> AsyncIterator[Baton]:
        """``settings_changes`` (e.g. ``callback_secret=``, ``home=``) apply to
        both the worker and the client."""
        settings = replace(
            server_env.settings, task_queue=f"test-{uuid.uuid4().hex[:10]}", **settings_changes
        )
        baton_file = baton_file or BatonFile()
        client = TemporalWorkflowClient(
            settings, temporal=server_env.client.temporal, baton_file=baton_file
        )
        async with running_worker(
            client.temporal, settings.task_queue, baton_file, extra_workflows, settings=settings
        ):
            yield Baton(client, settings)

    return make


@pytest_asyncio.fixture(loop_scope="session")
async def baton(worker_factory: Callable[..., Any]) -> AsyncIterator[Baton]:
    async with worker_factory() as env:
        yield env


@pytest.fixture
def services() -> Any:
    with StandInServices() as svc:
        yield svc
