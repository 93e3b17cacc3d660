"""A whole Baton for a test: the embedded Temporal server on a free port in
a temporary home, a client, and a worker on a fresh task queue."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..config import BatonFile, Settings
from ..runtime.client import TemporalWorkflowClient
from ..runtime.devserver import EmbeddedServer
from ..runtime.worker import running_worker
from .helpers import free_port


@dataclass
class BatonEnvironment:
    """What ``BatonEnvironment.start()`` yields: use ``client`` as you would
    ``get_temporal_client()``; a worker polls ``settings.task_queue``."""

    settings: Settings
    client: TemporalWorkflowClient
    server: EmbeddedServer

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls,
        baton_file: BatonFile | None = None,
        *,
        home: Path | None = None,
        workflows: Sequence[type] = (),
        **settings_changes: Any,
    ) -> AsyncIterator[BatonEnvironment]:
        """An embedded server, a client and a worker for as long as the block
        runs; everything stops (and the temporary home is removed) after."""
        with tempfile.TemporaryDirectory(prefix="baton-test-") as scratch:
            settings = replace(
                Settings.from_env(
                    {
                        "BATON_HOME": str(home or scratch),
                        "BATON_TEMPORAL_PORT": str(free_port()),
                    }
                ),
                task_queue=f"test-{uuid.uuid4().hex[:10]}",
                **settings_changes,
            )
            server = EmbeddedServer(settings)
            await server.ensure_running()
            baton_file = baton_file or BatonFile()
            client = TemporalWorkflowClient(settings, baton_file=baton_file)
            try:
                await client.connect()
                await client.ensure_search_attributes()
                async with running_worker(
                    client.temporal,
                    settings.task_queue,
                    baton_file,
                    workflows,
                    settings=settings,
                ):
                    yield cls(settings, client, server)
            finally:
                await client.close()
                server.stop()
