"""`baton worker` in a subprocess, as an operator runs it: started, killed
with SIGKILL, stopped — for the crash tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from baton.config import BatonFile, Settings


class WorkerProcess:
    """`baton worker` in a subprocess, as an operator would run it."""

    def __init__(
        self,
        settings: Settings,
        *args: str,
        cwd: Path | None = None,
        **extra_env: str,
    ) -> None:
        """``args`` follow ``baton worker`` (``--workflows m:C``); ``cwd`` is
        the directory it runs in."""
        self.args = args
        self.cwd = cwd
        self.env = {
            **extra_env,
            **os.environ,
            "TEMPORAL_ADDRESS": settings.address,
            "TEMPORAL_NAMESPACE": settings.namespace,
            "TEMPORAL_TASK_QUEUE": settings.task_queue,
            "BATON_HOME": str(settings.home),
        }
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "baton.cli.main",
            "worker",
            *self.args,
            env=self.env,
            cwd=self.cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=None,
        )

    async def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()


async def through_a_server_crash(
    home: Path,
    start: Callable[[Any], Awaitable[Any]],
    event_type: str,
    data: Any,
    baton_file: BatonFile | None = None,
) -> dict[str, Any]:
    """Start a run (``start(client)``) on a fresh embedded server, wait
    until it waits for ``event_type``, kill the server with SIGKILL, start
    it again on the same SQLite file and port, send the event through a new
    client, and give the run's result."""
    from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker
    from baton.testing import free_port, until

    settings = Settings.from_env({"BATON_HOME": str(home), "BATON_TEMPORAL_PORT": str(free_port())})
    server = EmbeddedServer(settings)
    await server.ensure_running()
    client = TemporalWorkflowClient(settings, baton_file=baton_file)
    await client.connect()
    await client.ensure_search_attributes()
    restarted = EmbeddedServer(settings)
    try:
        async with running_worker(client.temporal, settings.task_queue, BatonFile()):
            run = await start(client)

            async def waiting() -> bool:
                return (await client.status(run.workflow_id)).get("waiting_for") == [event_type]

            await until(waiting, timeout=60)
            server.kill()
            await asyncio.sleep(1)
            assert await restarted.ensure_running()  # same SQLite file, same port
            fresh = TemporalWorkflowClient(settings)
            await fresh.connect()

            async def delivered() -> bool:
                try:
                    await fresh.send_event(event_type, data, workflow_id=run.workflow_id)
                except Exception:  # the server is still coming back
                    return False
                return True

            await until(delivered, timeout=60)
            return dict(await asyncio.wait_for(fresh.result(run.workflow_id), 180))
    finally:
        restarted.stop()
        server.stop()
