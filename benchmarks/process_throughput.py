"""Processes (Serverless Workflow) side by side with sagas and a hand-written
temporalio workflow, in one run on one embedded server:

    .venv/bin/python benchmarks/process_throughput.py [--runs 30] [--latency-runs 10]

- the same 10 sequential HTTP GETs to a local service, as a process
  (`call: http`), as a saga (`api_call` steps) and as a plain workflow calling
  Baton's `baton.http` activity: throughput (runs all started at once) and
  p50 latency of one run; the ratio process / hand-written is the
  interpreter's overhead, jq included;
- the same calls as a process whose calls say they take at most 10 s
  (`timeout: after: PT10S`: local steps), and as DBOS steps on SQLite
  (`_dbos_peer.py`, its own process, an httpx GET per step);
- a 1,000-item `for` (a `set` per item) and a 100-branch `fork` (an HTTP
  call per branch): time and history size.

The machine is shared and noisy: read the ratios. Prints JSON and a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from baton.config import BatonFile, Settings
from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker
from baton.testing import StandInServices, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _hand_written import STEPS, HandWrittenHttp  # noqa: E402
from saga_throughput import bench_dbos, machine  # noqa: E402


def dbos_calls(runs: int, latency_runs: int, url: str) -> dict[str, float] | None:
    """The same calls as DBOS steps (saga_throughput.bench_dbos with a URL)."""
    found = bench_dbos(runs, STEPS, latency_runs, url)
    if found is None:
        return None
    return {"steps_per_s": found["steps_per_s"], "p50_ms": found["p50_10_step_ms"]}


def process(url: str, short: bool = False) -> dict[str, Any]:
    """``short``: each call says it takes at most 10 s, so it runs as a
    local step (docs/sagas.md, "Local steps")."""
    extra = {"timeout": {"after": "PT10S"}} if short else {}
    return {
        "document": {"dsl": "1.0.3", "namespace": "bench", "name": "ten-calls", "version": "1.0.0"},
        "do": [
            {f"get{i}": {"call": "http", "with": {"method": "get", "endpoint": url}, **extra}}
            for i in range(STEPS)
        ],
    }


def saga(url: str) -> dict[str, Any]:
    return {
        "saga_id": "ten-calls",
        "steps": [
            {
                "step_id": f"get{i}",
                "forward_action": {"type": "api_call", "url": url, "method": "GET"},
            }
            for i in range(STEPS)
        ],
    }


async def measure(start_one: Any, runs: int, latency_runs: int) -> dict[str, float]:
    await asyncio.gather(*(start_one() for _ in range(2)))  # warm up
    began = time.perf_counter()
    await asyncio.gather(*(start_one() for _ in range(runs)))
    elapsed = time.perf_counter() - began
    latencies = []
    for _ in range(latency_runs):
        one = time.perf_counter()
        await start_one()
        latencies.append(time.perf_counter() - one)
    return {
        "steps_per_s": runs * STEPS / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
    }


async def history_events(client: TemporalWorkflowClient, workflow_id: str) -> int:
    history = await client.temporal.get_workflow_handle(workflow_id).fetch_history()
    return len(history.events)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--latency-runs", type=int, default=10)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="baton-bench-")
    settings = Settings.from_env({"BATON_HOME": home, "BATON_TEMPORAL_PORT": str(free_port())})
    server = EmbeddedServer(settings)
    await server.ensure_running()
    report: dict[str, Any] = {"machine": machine(), "runs": args.runs, "steps": STEPS}
    try:
        with StandInServices() as services:
            url = f"{services.url}/health"
            client = TemporalWorkflowClient(settings, baton_file=BatonFile())
            await client.connect()
            await client.ensure_search_attributes()
            async with running_worker(
                client.temporal, settings.task_queue, BatonFile(), [HandWrittenHttp]
            ):

                async def one_process() -> None:
                    result = await (await client.start_process(process(url))).result()
                    assert result["status"] == "COMPLETED", result

                async def one_short_process() -> None:
                    result = await (await client.start_process(process(url, True))).result()
                    assert result["status"] == "COMPLETED", result

                async def one_saga() -> None:
                    result = await (await client.start_saga(saga(url))).result()
                    assert result["status"] == "COMPLETED", result

                async def one_hand_written() -> None:
                    await client.temporal.execute_workflow(
                        HandWrittenHttp.run,
                        url,
                        id=f"hw-{uuid.uuid4().hex}",
                        task_queue=settings.task_queue,
                    )

                for name, start_one in (
                    ("hand-written temporalio", one_hand_written),
                    ("saga", one_saga),
                    ("process", one_process),
                    ("process, local tasks (timeout 10 s)", one_short_process),
                ):
                    print(f"running {name} …", file=sys.stderr)
                    report[name] = await measure(start_one, args.runs, args.latency_runs)

                print("running DBOS …", file=sys.stderr)
                report["DBOS"] = await asyncio.to_thread(
                    dbos_calls, args.runs, args.latency_runs, url
                )

                print("running the big for and fork …", file=sys.stderr)
                big_for = {
                    "document": {
                        "dsl": "1.0.3",
                        "namespace": "bench",
                        "name": "for",
                        "version": "1.0.0",
                    },
                    "do": [
                        {"items": {"set": "${ [range(1000)] }"}},
                        {
                            "each": {
                                "for": {"in": ".", "each": "n"},
                                "do": [{"add": {"set": "${ $n }"}}],
                            }
                        },
                    ],
                }
                began = time.perf_counter()
                run = await client.start_process(big_for)
                result = await run.result()
                report["for 1,000 items (set)"] = {
                    "seconds": time.perf_counter() - began,
                    "history_events": await history_events(client, run.workflow_id),
                    "status": result["status"],
                }
                fork = {
                    "document": {
                        "dsl": "1.0.3",
                        "namespace": "bench",
                        "name": "fork",
                        "version": "1.0.0",
                    },
                    "do": [
                        {
                            "all": {
                                "fork": {
                                    "branches": [
                                        {
                                            f"b{i}": {
                                                "call": "http",
                                                "with": {"method": "get", "endpoint": url},
                                            }
                                        }
                                        for i in range(100)
                                    ]
                                }
                            }
                        }
                    ],
                }
                began = time.perf_counter()
                run = await client.start_process(fork)
                result = await run.result()
                report["fork of 100 HTTP calls"] = {
                    "seconds": time.perf_counter() - began,
                    "history_events": await history_events(client, run.workflow_id),
                    "status": result["status"],
                }
            await client.close()
    finally:
        server.stop()
    print(json.dumps(report, indent=1))
    hand = report["hand-written temporalio"]
    print(
        "\n| system | steps/s | p50 10-call run (ms) | / hand-written steps/s |\n|---|---|---|---|"
    )
    for name in (
        "hand-written temporalio",
        "saga",
        "process",
        "process, local tasks (timeout 10 s)",
        "DBOS",
    ):
        row = report[name]
        if row is None:
            continue
        print(
            f"| {name} | {row['steps_per_s']:.0f} | {row['p50_ms']:.0f} | {row['steps_per_s'] / hand['steps_per_s']:.2f} |"
        )
    for name in ("for 1,000 items (set)", "fork of 100 HTTP calls"):
        row = report[name]
        print(
            f"| {name} | {row['seconds']:.1f} s | {row['history_events']} history events | {row['status']} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
