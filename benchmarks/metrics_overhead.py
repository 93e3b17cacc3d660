"""What serving metrics costs a worker: saga throughput without and with them.

    python benchmarks/metrics_overhead.py --sagas 100 --steps 10 --rounds 3 --scrape-seconds 15

One fresh embedded server. Each round runs the same workload twice, in
alternating order: N sagas of M no-op `python` steps started at once, on a
worker whose client has no metrics, then on one whose client's runtime feeds
a MetricsExporter (Baton's metrics recorded by the interpreter, the SDK's
drained every second) scraped every ``--scrape-seconds`` as Prometheus
would (its default interval is 15 s). "Without" records nothing at all: Baton's record functions
are switched off for it (they are always on otherwise, served or not). Prints the median steps/s of each and the difference per
step. The machine is shared and noisy: read the difference, not the
absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from baton.config import Settings
from baton.monitoring import metrics
from baton.monitoring.exporter import MetricsExporter, MetricsListen, bind
from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from saga_throughput import BENCH_FILE, _free_port, run_baton  # noqa: E402


async def steps_per_second(client: TemporalWorkflowClient, sagas: int, steps: int) -> float:
    await run_baton(client, 2, steps)  # warm up
    began = time.perf_counter()
    await run_baton(client, sagas, steps)
    return sagas * steps / (time.perf_counter() - began)


async def without_metrics(settings: Settings, sagas: int, steps: int, _: float) -> float:
    client = TemporalWorkflowClient(settings, baton_file=BENCH_FILE)
    await client.connect()
    recording = metrics._live
    metrics._live = lambda: False  # the benchmark's switch: record nothing
    try:
        async with running_worker(client.temporal, settings.task_queue, BENCH_FILE):
            return await steps_per_second(client, sagas, steps)
    finally:
        metrics._live = recording
        await client.close()


SCRAPE_SECONDS = 15.0


async def with_metrics(settings: Settings, sagas: int, steps: int, scrape_seconds: float) -> float:
    listen = MetricsListen("127.0.0.1", _free_port(), "benchmark")
    exporter = MetricsExporter(listen, bind(listen))
    client = TemporalWorkflowClient(settings, baton_file=BENCH_FILE, telemetry=exporter.telemetry)
    await client.connect()
    serving = asyncio.create_task(exporter.serve(client.temporal, settings.task_queue))

    async def scrape_now_and_then() -> None:
        async with httpx.AsyncClient() as http:
            while True:
                await asyncio.sleep(scrape_seconds)
                with contextlib.suppress(httpx.HTTPError):
                    await http.get(listen.url)

    scraper = asyncio.create_task(scrape_now_and_then())
    try:
        async with running_worker(client.temporal, settings.task_queue, BENCH_FILE):
            return await steps_per_second(client, sagas, steps)
    finally:
        for task in (scraper, serving):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await client.close()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sagas", type=int, default=100)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scrape-seconds", type=float, default=SCRAPE_SECONDS)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="baton-bench-")
    base = Settings.from_env({"BATON_HOME": home, "BATON_TEMPORAL_PORT": str(_free_port())})
    server = EmbeddedServer(base)
    await server.ensure_running()
    plain: list[float] = []
    metered: list[float] = []
    try:
        setup = TemporalWorkflowClient(base)
        await setup.connect()
        await setup.ensure_search_attributes()
        await setup.close()
        for round_ in range(args.rounds):
            order = [(without_metrics, plain), (with_metrics, metered)]
            for run, into in order if round_ % 2 == 0 else reversed(order):
                settings = replace(base, task_queue=f"bench-{uuid.uuid4().hex[:8]}")
                into.append(await run(settings, args.sagas, args.steps, args.scrape_seconds))
                print(
                    f"round {round_ + 1}: {run.__name__}: {into[-1]:.0f} steps/s", file=sys.stderr
                )
    finally:
        server.stop()
    a, b = statistics.median(plain), statistics.median(metered)
    report: dict[str, Any] = {
        "sagas": args.sagas,
        "steps": args.steps,
        "rounds": args.rounds,
        "scrape_seconds": args.scrape_seconds,
        "steps_per_s_without_metrics": [round(x) for x in plain],
        "steps_per_s_with_metrics": [round(x) for x in metered],
        "median_without": round(a),
        "median_with": round(b),
        "change": f"{(b - a) / a:+.1%}",
        "per_step_us": round((1 / b - 1 / a) * 1e6),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
