"""What the embedded server's settings cost and buy, side by side in one run:

1. a 1 ms timer's round trip (a workflow sleeping 1 ms, three times), with
   the stock ``history.timerProcessorMaxTimeShift`` (1 s) and Baton's (1 ms);
2. the idle server's CPU over 10 s with each;
3. CPU per run, server against worker and client (one process), for 200
   sagas of local steps started at once, 3 and 10 steps each.

    .venv/bin/python benchmarks/server_costs.py
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio import workflow

from baton.config import Settings
from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker
from baton.runtime.devserver import DYNAMIC_CONFIG

sys.path.insert(0, str(Path(__file__).resolve().parent))
from saga_throughput import BENCH_FILE, _free_port, machine, run_baton  # noqa: E402

STOCK_SHIFT = {k: v for k, v in DYNAMIC_CONFIG.items() if "TimeShift" not in k}


@workflow.defn(name="ShortTimers", sandboxed=False)
class ShortTimers:
    @workflow.run
    async def run(self, count: int) -> int:
        for _ in range(count):
            await workflow.sleep(timedelta(milliseconds=1))
        return count


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(config: dict[str, str], loads: bool) -> dict[str, Any]:
    home = tempfile.mkdtemp(prefix="baton-costs-")
    settings = Settings.from_env({"BATON_HOME": home, "BATON_TEMPORAL_PORT": str(_free_port())})
    server = EmbeddedServer(settings, dynamic_config=config)
    await server.ensure_running()
    assert server._process is not None
    pid = server._process.pid
    result: dict[str, Any] = {}
    try:
        await asyncio.sleep(3)
        before = cpu_seconds(pid)
        await asyncio.sleep(10)
        result["idle_server_cpu_percent"] = (cpu_seconds(pid) - before) * 10
        client = TemporalWorkflowClient(settings, baton_file=BENCH_FILE)
        await client.connect()
        await client.ensure_search_attributes()
        async with running_worker(
            client.temporal, settings.task_queue, BENCH_FILE, extra_workflows=[ShortTimers]
        ):
            rounds = []
            for _ in range(5):
                began = time.perf_counter()
                await client.temporal.execute_workflow(
                    ShortTimers.run, 3, id=uuid.uuid4().hex, task_queue=settings.task_queue
                )
                rounds.append((time.perf_counter() - began) / 3 * 1000)
            result["timer_1ms_round_trip_ms"] = statistics.median(rounds)
            if loads:
                await run_baton(client, 5, 3, local=True)  # warm up
                for steps in (3, 10):
                    server_before, own_before = cpu_seconds(pid), cpu_seconds(os.getpid())
                    await run_baton(client, 200, steps, local=True)
                    result[f"cpu_ms_per_run_{steps}_local_steps"] = {
                        "server": (cpu_seconds(pid) - server_before) / 200 * 1000,
                        "worker_and_client": (cpu_seconds(os.getpid()) - own_before) / 200 * 1000,
                    }
    finally:
        server.stop()
    return result


async def main() -> None:
    report = {
        "machine": machine(),
        "stock timer shift (1 s)": await measure(STOCK_SHIFT, loads=False),
        "Baton's (1 ms)": await measure(DYNAMIC_CONFIG, loads=True),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
