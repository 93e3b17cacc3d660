"""Runtime: the embedded server, the client, worker assembly.

Its names are imported on first use (PEP 562): a command that only asks a
server something (``baton status``) does not load the worker, the action
executors and the compilers (docs/benchmarks.md, CLI responsiveness)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from .._lazy import lazy_names
from ..config import Settings

if TYPE_CHECKING:
    from temporalio.runtime import TelemetryConfig

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

_WHERE = {
    "BatonRun": ".client",
    "TemporalWorkflowClient": ".client",
    "EmbeddedServer": ".devserver",
    "running_worker": ".worker",
}


__getattr__ = lazy_names(__name__, _WHERE)


@contextlib.asynccontextmanager
async def connected_client(
    settings: Settings,
    *,
    start_embedded: bool,
    via: str = "api",
    telemetry: TelemetryConfig | None = None,
) -> AsyncIterator[tuple[TemporalWorkflowClient, EmbeddedServer | None]]:
    """A connected client. With ``start_embedded`` and no TEMPORAL_ADDRESS the
    embedded server is started (or an already running one reused) and, if this
    call started it, stopped at the end. ``telemetry`` configures the client's
    SDK runtime (a worker serving metrics gives its exporter's)."""
    from .client import TemporalWorkflowClient
    from .devserver import EmbeddedServer

    server: EmbeddedServer | None = None
    if start_embedded and settings.embedded:
        server = EmbeddedServer(settings)
        await server.ensure_running()
    try:
        client = TemporalWorkflowClient(settings, via=via, telemetry=telemetry)
        await client.connect()
        await client.ensure_search_attributes()
        yield client, server
    finally:
        if server is not None and server.owned:
            server.stop()
