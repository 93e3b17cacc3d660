"""`baton worker` in a subprocess, as an operator runs it: started, killed
with SIGKILL, stopped — for the crash tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from baton.config import Settings


class WorkerProcess:
    """`baton worker` in a subprocess, as an operator would run it."""

    def __init__(self, settings: Settings, **extra_env: str) -> None:
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
            env=self.env,
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
