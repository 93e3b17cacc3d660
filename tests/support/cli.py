"""Running the `baton` command as a user runs it: a subprocess, pointed at a
test's server and task queue."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from baton.config import Settings


async def baton_cli(
    env_settings: Settings, *args: str, cwd: Path | None = None
) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": env_settings.address,
        "TEMPORAL_TASK_QUEUE": env_settings.task_queue,
        "BATON_HOME": str(env_settings.home),
        "COLUMNS": "200",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "baton.cli.main",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()
