"""The benchmark's workload on DBOS with SQLite, in its own process (DBOS
keeps process-global state): no-op steps, or with a URL (a fifth argument)
an HTTP GET per step (the process benchmark's calls). Prints one JSON line.

    python benchmarks/_dbos_peer.py COUNT STEPS LATENCY_RUNS [URL]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from importlib.metadata import version

import httpx
from dbos import DBOS, DBOSConfig

db = tempfile.mkdtemp(prefix="dbos-bench-")
config: DBOSConfig = {"name": "baton-bench", "system_database_url": f"sqlite:///{db}/dbos.sqlite"}
DBOS(config=config)


URL = sys.argv[4] if len(sys.argv) > 4 else None
http = httpx.AsyncClient()


@DBOS.step()
async def noop_step(index: int) -> int:
    await asyncio.sleep(0)
    return index


@DBOS.step()
async def get_step(index: int) -> int:
    assert URL is not None
    response = await http.get(URL)
    response.raise_for_status()
    return index


@DBOS.workflow()
async def steps_workflow(steps: int) -> int:
    for index in range(steps):
        if URL:
            await get_step(index)
        else:
            await noop_step(index)
    return steps


async def run(count: int, steps: int) -> None:
    handles = [await DBOS.start_workflow_async(steps_workflow, steps) for _ in range(count)]
    await asyncio.gather(*(h.get_result() for h in handles))


async def main(count: int, steps: int, latency_runs: int) -> None:
    DBOS.launch()
    await run(2, steps)
    began = time.perf_counter()
    await run(count, steps)
    elapsed = time.perf_counter() - began
    latencies = []
    for _ in range(latency_runs):
        one = time.perf_counter()
        await run(1, 10)
        latencies.append(time.perf_counter() - one)
    print(
        json.dumps(
            {
                "version": version("dbos"),
                "workflows_per_s": count / elapsed,
                "steps_per_s": count * steps / elapsed,
                "p50_10_step_ms": statistics.median(latencies) * 1000,
                "seconds": elapsed,
            }
        )
    )
    DBOS.destroy()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
