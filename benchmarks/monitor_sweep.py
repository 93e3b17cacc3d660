"""The monitor's cost (issue 14): one health sweep, and `baton health`'s
summary, with many closed and open runs on a fresh embedded server.

    .venv/bin/python benchmarks/monitor_sweep.py [--closed 10000] [--open 1000] [--sweeps 3]

Closed runs are one-step sagas (a local no-op step) run to the end; open runs
are pending approvals. Then the sweep (baton.monitoring.activities, as the
schedule starts it) runs ``--sweeps`` times, timed from start to result, with
the embedded server's and the worker's CPU seconds over it (from /proc);
and the dashboard summary (the newest 200 runs) is timed likewise. The runs
all ended just now, so each sweep sees ``sweep_limit`` (1000) of them as
"ended since the last sweep" — more than a steady state, where only the
runs ended in the last two intervals are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from baton.config import BatonFile, Settings
from baton.engine.operations import MONITOR_WORKFLOW_NAME, SweepRequest
from baton.monitoring.monitor import WorkflowMonitor
from baton.plan.approval import compile_approval
from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from saga_throughput import _free_port, machine  # noqa: E402

BATCH = 200


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def saga(index: int) -> dict[str, Any]:
    step = {
        "step_id": "noop",
        "name": "noop",
        "forward_action": {"type": "script", "script": "true"},
        "local": True,
    }
    return {"saga_id": f"closed-{index}", "name": "monitored", "steps": [step]}


async def closed_runs(client: TemporalWorkflowClient, count: int) -> float:
    started = time.perf_counter()
    for first in range(0, count, BATCH):
        runs = await asyncio.gather(
            *(client.start_saga(saga(i)) for i in range(first, min(count, first + BATCH)))
        )
        await asyncio.gather(*(run.result() for run in runs))
    return time.perf_counter() - started


async def open_runs(client: TemporalWorkflowClient, count: int) -> float:
    started = time.perf_counter()
    for first in range(0, count, BATCH):
        specs = [
            compile_approval(
                {
                    "approval_id": f"open-{i}",
                    "stage": "release",
                    "stages": [{"name": "review", "approvers": ["alice"]}],
                }
            )
            for i in range(first, min(count, first + BATCH))
        ]
        await asyncio.gather(*(client.request_approval(s) for s in specs))
    return time.perf_counter() - started


async def timed(call: Any, server_pid: int) -> tuple[float, float, float, Any]:
    me = os.getpid()
    server0, worker0 = cpu_seconds(server_pid), cpu_seconds(me)
    started = time.perf_counter()
    result = await call()
    wall = time.perf_counter() - started
    return wall, cpu_seconds(server_pid) - server0, cpu_seconds(me) - worker0, result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--closed", type=int, default=10_000)
    parser.add_argument("--open", type=int, default=1_000)
    parser.add_argument("--sweeps", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="baton-monitor-bench-"))
    settings = Settings.from_env(
        {"BATON_HOME": str(home), "BATON_TEMPORAL_PORT": str(_free_port())}
    )
    server = EmbeddedServer(settings)
    await server.ensure_running()
    server_pid = int((home / "temporal.pid").read_text())
    result: dict[str, Any] = {"machine": machine(), "closed": args.closed, "open": args.open}
    try:
        client = TemporalWorkflowClient(settings, baton_file=BatonFile())
        await client.connect()
        await client.ensure_search_attributes()
        async with running_worker(client.temporal, settings.task_queue, BatonFile()):
            result["make closed runs (s)"] = round(await closed_runs(client, args.closed), 1)
            result["make open runs (s)"] = round(await open_runs(client, args.open), 1)
            await asyncio.sleep(3)  # visibility settles
            sweeps = []
            for _ in range(args.sweeps):

                async def sweep() -> Any:
                    return await client.temporal.execute_workflow(
                        MONITOR_WORKFLOW_NAME,
                        SweepRequest(300.0),
                        id=f"bench-sweep-{uuid.uuid4().hex[:6]}",
                        task_queue=settings.task_queue,
                    )

                wall, server_cpu, worker_cpu, summary = await timed(sweep, server_pid)
                sweeps.append((wall, server_cpu, worker_cpu, summary["checked"]))
            summaries = []
            for _ in range(args.sweeps):
                monitor = WorkflowMonitor(client)
                wall, server_cpu, worker_cpu, _ = await timed(
                    monitor.get_workflow_dashboard_data, server_pid
                )
                summaries.append((wall, server_cpu, worker_cpu))
    finally:
        server.stop()
    result["sweep"] = {
        "runs checked": sweeps[0][3],
        "wall s (median)": round(statistics.median(s[0] for s in sweeps), 2),
        "server CPU s (median)": round(statistics.median(s[1] for s in sweeps), 2),
        "worker+client CPU s (median)": round(statistics.median(s[2] for s in sweeps), 2),
        "ms per run checked": round(
            1000 * statistics.median(s[0] for s in sweeps) / max(1, sweeps[0][3]), 2
        ),
    }
    result["dashboard summary (newest 200 runs)"] = {
        "wall s (median)": round(statistics.median(s[0] for s in summaries), 2),
        "server CPU s (median)": round(statistics.median(s[1] for s in summaries), 2),
    }
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
