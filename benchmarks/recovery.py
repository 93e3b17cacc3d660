"""How soon a step runs again after its worker is killed (kill -9 mid-step),
side by side in one run:

    python benchmarks/recovery.py [--trials 3]

With a new worker started at once: the SDK's sticky-queue timeout (10 s) and
Baton's (2 s), each with Baton's default heartbeat timeout (10 s) and with a
step that sets ``heartbeat_timeout_seconds: 3``; and a local step (noticed
by its workflow task's timeout, 10 s). The time is from the kill to the
moment the step's script starts again on the new worker.

With a new worker started late (once the server has given up on the dead
one: heartbeat timeout 3 s + sticky 2 s + 1 s): the time from starting the
new worker's process, and from the moment it polls, to the step's script
starting again. Prints JSON and a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from baton.config import Settings
from baton.runtime import EmbeddedServer, TemporalWorkflowClient

HERE = Path(__file__).resolve().parent
# (worker, sticky timeout, heartbeat timeout, local step, start the new worker after)
CASES = [
    ("SDK default sticky 10 s", 10.0, None, False, None),
    ("SDK default sticky 10 s", 10.0, 3.0, False, None),
    ("Baton sticky 2 s", 2.0, None, False, None),
    ("Baton sticky 2 s", 2.0, 3.0, False, None),
    ("Baton sticky 2 s, local step", 2.0, None, True, None),
    ("Baton sticky 2 s, new worker 6 s later", 2.0, 3.0, False, 6.0),
]


async def start_worker(settings: Settings, sticky: float) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": settings.address,
        "TEMPORAL_TASK_QUEUE": settings.task_queue,
        "BATON_HOME": str(settings.home),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "_recovery_worker.py"),
        str(sticky),
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    await asyncio.wait_for(proc.stdout.readline(), 60)
    return proc


async def trial(
    settings: Settings,
    sticky: float,
    heartbeat: float | None,
    local: bool,
    late: float | None,
    starts: Path,
) -> dict[str, float]:
    """Seconds from the kill (and, for a late worker, from its spawn and
    from its first poll) to the step's script starting again."""
    starts.write_text("")
    client = TemporalWorkflowClient(settings)
    first = await start_worker(settings, sticky)
    definition: dict[str, Any] = {
        "saga_id": "recovery",
        "steps": [
            {
                "step_id": "work",
                "forward_action": {
                    "type": "script",
                    "script": f"date +%s.%N >> {starts}; sleep 20",
                },
                "timeout_minutes": 1,
                "local": local,
            }
        ],
    }
    if heartbeat:
        definition["config"] = {"heartbeat_timeout_seconds": heartbeat}
    run = await client.start_saga(definition)
    while not starts.read_text().strip():
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.5)  # a few heartbeats in
    first.send_signal(signal.SIGKILL)
    killed = time.time()
    await first.wait()
    if late:
        await asyncio.sleep(late)
    spawned = time.time()
    second = await start_worker(settings, sticky)
    polling = time.time()  # it printed "ready": its pollers are running
    try:
        while len(starts.read_text().split()) < 2:
            await asyncio.sleep(0.05)
        restarted = float(starts.read_text().split()[1])
        await client.cancel(run.workflow_id)
        await asyncio.wait_for(run.result(), 60)
    finally:
        second.terminate()
        await second.wait()
        await client.close()
    return {
        "kill": restarted - killed,
        "spawn": restarted - spawned,
        "ready": restarted - polling,
    }


async def main(trials: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="baton-recovery-"))
    port = 17800 + os.getpid() % 100
    base = Settings.from_env({"BATON_HOME": str(home), "BATON_TEMPORAL_PORT": str(port)})
    server = EmbeddedServer(base)
    await server.ensure_running()
    rows = []
    try:
        for name, sticky, heartbeat, local, late in CASES:
            seconds = []
            for index in range(trials):
                settings = Settings.from_env(
                    {
                        "BATON_HOME": str(home),
                        "BATON_TEMPORAL_PORT": str(port),
                        "TEMPORAL_TASK_QUEUE": f"recovery-{len(rows)}-{index}",
                    }
                )
                seconds.append(
                    await trial(settings, sticky, heartbeat, local, late, home / "starts.txt")
                )
            rows.append(
                {
                    "worker": name,
                    "noticed_by": "workflow task timeout 10 s"
                    if local
                    else f"heartbeat timeout {heartbeat or 10:g} s",
                    "kill_to_retry_s": [round(s["kill"], 2) for s in seconds],
                    "median_s": round(statistics.median(s["kill"] for s in seconds), 2),
                    "late_worker": late,
                    "spawn_to_retry_median_s": round(
                        statistics.median(s["spawn"] for s in seconds), 2
                    ),
                    "ready_to_retry_median_s": round(
                        statistics.median(s["ready"] for s in seconds), 2
                    ),
                }
            )
    finally:
        server.stop()
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "rows": rows,
    }
    print(json.dumps(report, indent=2))
    print(
        "\n| worker | dead worker noticed by | kill → step runs again (median) "
        "| new worker's spawn → step | its first poll → step |"
    )
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['worker']} | {row['noticed_by']} | {row['median_s']} s "
            f"{row['kill_to_retry_s']} | {row['spawn_to_retry_median_s']} s "
            f"| {row['ready_to_retry_median_s']} s |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    asyncio.run(main(parser.parse_args().trials))
