"""Runtime: the embedded server, the client, worker assembly."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from ..config import Settings
from .client import BatonRun, TemporalWorkflowClient
from .devserver import EmbeddedServer
from .worker import running_worker

__all__ = [
    "BatonRun",
    "EmbeddedServer",
    "TemporalWorkflowClient",
    "connected_client",
    "running_worker",
]


@contextlib.asynccontextmanager
async def connected_client(
    settings: Settings, *, start_embedded: bool, via: str = "api"
) -> AsyncIterator[tuple[TemporalWorkflowClient, EmbeddedServer | None]]:
    """A connected client. With ``start_embedded`` and no TEMPORAL_ADDRESS the
    embedded server is started (or an already running one reused) and, if this
    call started it, stopped at the end."""
    server: EmbeddedServer | None = None
    if start_embedded and settings.embedded:
        server = EmbeddedServer(settings)
        await server.ensure_running()
    try:
        client = TemporalWorkflowClient(settings, via=via)
        await client.connect()
        await client.ensure_search_attributes()
        yield client, server
    finally:
        if server is not None and server.owned:
            server.stop()
