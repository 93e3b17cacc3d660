"""A worker process for benchmarks/recovery.py: Baton's worker with a chosen
sticky-queue timeout, so the SDK default and Baton's can run side by side."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from baton.config import BatonFile, Settings
from baton.runtime import TemporalWorkflowClient, running_worker


async def main(sticky_seconds: float) -> None:
    settings = Settings.from_env()
    client = TemporalWorkflowClient(settings)
    await client.connect()
    async with running_worker(
        client.temporal,
        settings.task_queue,
        BatonFile(),
        settings=settings,
        sticky_timeout=timedelta(seconds=sticky_seconds),
    ):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
