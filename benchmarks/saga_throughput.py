"""Saga throughput and latency, side by side in one run.

    make bench                      # or: python benchmarks/saga_throughput.py --sagas 100 --steps 10

For each embedded-server configuration (stock `start-dev`, + WAL, + Baton's
poll rates) it runs on one fresh server:
  - Baton: N sagas of M no-op `python` steps (`_bench_steps:noop`) through the
    interpreter, all started at once; then K sequential 10-step sagas for latency;
  - hand-written: a plain temporalio workflow calling the same activity
    (`baton.python`, same input) M times, same N and K.
Then the same workload on DBOS with SQLite (benchmarks/_dbos_peer.py, its own
process). Prints a JSON report and a Markdown table for docs/benchmarks.md.
The machine is shared and noisy: read the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import Client

from baton.config import BatonFile, Settings
from baton.plan import compile_definition
from baton.policy import ExecutionPolicy
from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker
from baton.runtime.devserver import DYNAMIC_CONFIG

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _hand_written import NOOP, HandWrittenLocalSteps, HandWrittenSteps  # noqa: E402

HERE = Path(__file__).resolve().parent
# python steps may call only what the policy lists: the benchmark's no-op
BENCH_FILE = BatonFile(policy=ExecutionPolicy(python_modules=("_bench_steps",)))


def saga_plan(steps: int, local: bool = False) -> Any:
    definition = {
        "saga_id": "bench",
        "steps": [
            {"step_id": f"s{i}", "forward_action": NOOP, "timeout_minutes": 1, "local": local}
            for i in range(steps)
        ],
    }
    return compile_definition(definition)


async def run_baton(
    client: TemporalWorkflowClient, count: int, steps: int, local: bool = False
) -> None:
    plan = saga_plan(steps, local)
    runs = await asyncio.gather(*(client.start_plan(plan) for _ in range(count)))
    results = await asyncio.gather(*(r.result() for r in runs))
    assert all(r["status"] == "COMPLETED" for r in results), "a benchmark saga did not complete"


async def run_hand_written(
    client: Client, task_queue: str, count: int, steps: int, local: bool = False
) -> None:
    workflow = HandWrittenLocalSteps.run if local else HandWrittenSteps.run
    handles = await asyncio.gather(
        *(
            client.start_workflow(
                workflow, steps, id=f"hw-{uuid.uuid4().hex}", task_queue=task_queue
            )
            for _ in range(count)
        )
    )
    await asyncio.gather(*(h.result() for h in handles))


async def measure(fn: Any, count: int, steps: int, latency_runs: int) -> dict[str, float]:
    await fn(2, steps)  # warm up: imports, caches, connections
    began = time.perf_counter()
    await fn(count, steps)
    elapsed = time.perf_counter() - began
    latencies = []
    for _ in range(latency_runs):
        one = time.perf_counter()
        await fn(1, 10)
        latencies.append(time.perf_counter() - one)
    return {
        "workflows_per_s": count / elapsed,
        "steps_per_s": count * steps / elapsed,
        "p50_10_step_ms": statistics.median(latencies) * 1000,
        "seconds": elapsed,
    }


POLL_RATES = {k: v for k, v in DYNAMIC_CONFIG.items() if k.endswith("MaxPollRPS")}
CONFIGS: dict[str, dict[str, Any]] = {
    "stock start-dev": {"dynamic_config": {}, "sqlite_pragmas": {}},
    "+ WAL, synchronous=NORMAL": {"dynamic_config": {}, "sqlite_pragmas": None},
    "+ poll rates 1000": {"dynamic_config": POLL_RATES, "sqlite_pragmas": None},
    "+ timers within 1 ms (Baton's default)": {"dynamic_config": None, "sqlite_pragmas": None},
    # tried and dropped (docs/benchmarks.md): no change in one run
    "+ eager activities, 1 partition": {
        "dynamic_config": {
            **DYNAMIC_CONFIG,
            "system.enableActivityEagerExecution": "true",
            "matching.numTaskqueueReadPartitions": "1",
            "matching.numTaskqueueWritePartitions": "1",
        },
        "sqlite_pragmas": None,
    },
}


async def bench_temporal(
    config_name: str, count: int, steps: int, latency_runs: int
) -> dict[str, Any]:
    home = tempfile.mkdtemp(prefix="baton-bench-")
    settings = Settings.from_env({"BATON_HOME": home, "BATON_TEMPORAL_PORT": str(_free_port())})
    server = EmbeddedServer(settings, **CONFIGS[config_name])
    await server.ensure_running()
    try:
        client = TemporalWorkflowClient(settings, baton_file=BENCH_FILE)
        await client.connect()
        await client.ensure_search_attributes()
        async with running_worker(
            client.temporal,
            settings.task_queue,
            BENCH_FILE,
            extra_workflows=[HandWrittenSteps, HandWrittenLocalSteps],
        ):
            hand = await measure(
                lambda n, m: run_hand_written(client.temporal, settings.task_queue, n, m),
                count,
                steps,
                latency_runs,
            )
            baton = await measure(lambda n, m: run_baton(client, n, m), count, steps, latency_runs)
            hand_local = await measure(
                lambda n, m: run_hand_written(
                    client.temporal, settings.task_queue, n, m, local=True
                ),
                count,
                steps,
                latency_runs,
            )
            local = await measure(
                lambda n, m: run_baton(client, n, m, local=True), count, steps, latency_runs
            )
    finally:
        server.stop()
    return {
        "config": config_name,
        "baton": baton,
        "hand_written": hand,
        "baton_local": local,
        "hand_written_local": hand_local,
    }


def bench_dbos(
    count: int, steps: int, latency_runs: int, url: str | None = None
) -> dict[str, Any] | None:
    """The workload on DBOS, in its own process (_dbos_peer.py): no-op steps,
    or with ``url`` an HTTP GET per step."""
    argv = [sys.executable, str(HERE / "_dbos_peer.py"), str(count), str(steps), str(latency_runs)]
    proc = subprocess.run(
        argv + ([url] if url else []), capture_output=True, text=True, timeout=900
    )
    if proc.returncode != 0:
        print(f"DBOS peer failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def _row(config: str, system: str, m: dict[str, Any], ratio: str = "") -> str:
    return (
        f"| {config} | {system} | {m['workflows_per_s']:.1f} | {m['steps_per_s']:.0f} "
        f"| {m['p50_10_step_ms']:.0f} | {ratio} |"
    )


def table(report: dict[str, Any]) -> str:
    lines = [
        "| server config | system | workflows/s | steps/s | p50 10-step saga (ms) | Baton / hand-written steps/s |",
        "|---|---|---|---|---|---|",
    ]
    pairs = [
        ("hand_written", "hand-written temporalio", "baton", "Baton"),
        (
            "hand_written_local",
            "hand-written, local activities",
            "baton_local",
            "Baton, local steps",
        ),
    ]
    for row in report["temporal"]:
        for hand_key, hand_name, baton_key, baton_name in pairs:
            if row.get(baton_key) is None:
                continue
            b, h = row[baton_key], row[hand_key]
            ratio = f"{b['steps_per_s'] / h['steps_per_s']:.2f}"
            lines.append(_row(row["config"], hand_name, h))
            lines.append(_row(row["config"], baton_name, b, ratio))
    if report.get("dbos"):
        d = report["dbos"]
        lines.append(_row("SQLite", f"DBOS {d.get('version', '')}", d))
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sagas", type=int, default=100)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--latency-runs", type=int, default=15)
    parser.add_argument("--configs", nargs="*", default=list(CONFIGS)[:4])
    parser.add_argument("--no-dbos", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "machine": machine(),
        "sagas": args.sagas,
        "steps": args.steps,
        "temporal": [],
    }
    for name in args.configs:
        print(f"running {name} …", file=sys.stderr)
        report["temporal"].append(
            await bench_temporal(name, args.sagas, args.steps, args.latency_runs)
        )
    if not args.no_dbos:
        print("running DBOS …", file=sys.stderr)
        report["dbos"] = bench_dbos(args.sagas, args.steps, args.latency_runs)
    print(json.dumps(report, indent=1))
    print()
    print(table(report))


if __name__ == "__main__":
    asyncio.run(main())
