"""Approval benchmarks, one run on a fresh embedded server:

1. decision latency: a decision submitted until the workflow has applied it
   (the update returns only then), p50 and p95 over sequential decisions,
   each on an approval that has opened its stage;
2. N pending approvals at once (--pending; the issue's target is 10,000):
   worker and server memory (RSS), the time to list one approver's whole
   inbox and its first 100 rows (median of a few, once the server has
   settled) — from the inbox index and, alternating with it, from the
   visibility store (what the inbox falls back to), checked to list the
   same rows — and the time to decide them all.

    .venv/bin/python benchmarks/approvals.py [--pending 2000] [--latency 200]

The worker runs as `baton worker` in its own process so its memory is its own.
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
from pathlib import Path
from typing import Any

from baton.actions.inbox import pending_query, visibility_row
from baton.config import Settings, load_baton_file
from baton.plan.approval import compile_approval
from baton.runtime import EmbeddedServer, TemporalWorkflowClient
from baton.runtime.inbox import read_inbox_index

sys.path.insert(0, str(Path(__file__).resolve().parent))
from saga_throughput import _free_port, machine  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def spec(index: int) -> Any:
    return compile_approval(
        {
            "approval_id": f"bench-{index}",
            "stage": "release",
            "stages": [{"name": "review", "approvers": ["alice", "bob"], "timeout_seconds": 86400}],
        }
    )


async def waiting(client: TemporalWorkflowClient, approval_id: str) -> None:
    """Until the approval has opened its stage and has no workflow task to
    run (its report to the inbox taken too): a decision is then measured as a
    person's is, on an approval waiting for it, not in the instant after it
    was requested."""
    handle = (await client.connect()).get_workflow_handle(approval_id)
    while True:
        raw = (await handle.describe()).raw_description
        if raw.workflow_execution_info.history_length >= 4 and not raw.HasField(
            "pending_workflow_task"
        ):
            return
        await asyncio.sleep(0.005)


async def bounded(coros: list[Any], limit: int) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(coro: Any) -> Any:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pending", type=int, default=2000)
    parser.add_argument("--latency", type=int, default=200)
    parser.add_argument(
        "--no-inbox-index",
        action="store_true",
        help="without baton.yaml's inbox: {index: true} (Baton's default): list from visibility",
    )
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="baton-approval-bench-")
    config = Path(home) / "baton.yaml"
    config.write_text(f"inbox: {{index: {'false' if args.no_inbox_index else 'true'}}}\n")
    settings = Settings.from_env({"BATON_HOME": home, "BATON_TEMPORAL_PORT": str(_free_port())})
    server = EmbeddedServer(settings)
    await server.ensure_running()
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": settings.address,
        "TEMPORAL_TASK_QUEUE": settings.task_queue,
        "BATON_CONFIG": str(config),
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "baton.cli.main",
        "worker",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    report: dict[str, Any] = {
        "machine": machine(),
        "pending": args.pending,
        "inbox_index": not args.no_inbox_index,
    }
    try:
        client = TemporalWorkflowClient(settings, baton_file=load_baton_file(config))
        await client.connect()
        await client.ensure_search_attributes()
        while await client.workers_polling() == 0:
            await asyncio.sleep(0.2)
        report["idle_rss_mb"] = {
            "worker": rss_mb(worker.pid),
            "server": rss_mb(server._process.pid),
        }  # type: ignore[union-attr]

        latencies = []
        for index in range(args.latency):
            run = await client.request_approval(spec(-1 - index))
            await waiting(client, run.approval_id)
            began = time.perf_counter()
            outcome = await client.submit_decision(run.approval_id, "alice", "approve")
            latencies.append((time.perf_counter() - began) * 1000)
            assert outcome["accepted"]
        latencies.sort()
        report["decision_latency_ms"] = {
            "p50": statistics.median(latencies),
            "p95": latencies[int(len(latencies) * 0.95) - 1],
        }

        began = time.perf_counter()
        await bounded([client.request_approval(spec(i)) for i in range(args.pending)], 100)
        report["request_all_s"] = time.perf_counter() - began
        # wait until the inbox index lists every request (its reports are
        # signals the server delivers after the burst: how long it lags)
        temporal = await client.connect()
        requested = time.perf_counter()
        while True:
            began = time.perf_counter()
            inbox = (
                await client.list_approvals(pending=True, as_user="bob", limit=args.pending + 10)
                if args.no_inbox_index
                else await read_inbox_index(temporal, settings.task_queue, "bob", args.pending + 10)
            )
            listed = time.perf_counter() - began
            if inbox is not None and (
                sum(
                    1
                    for row in inbox
                    if row["approval_id"].startswith("bench-")
                    and not row["approval_id"].startswith("bench--")
                )
                >= args.pending
            ):
                break
            await asyncio.sleep(1)
        report["inbox_caught_up_s"] = time.perf_counter() - requested
        report["list_inbox_while_busy_s"] = listed
        await asyncio.sleep(5)  # the server has settled: measure the listing alone
        visibility = f"{pending_query(settings.task_queue)} AND BatonApprovers = 'bob'"

        async def from_visibility(limit: int) -> list[dict[str, Any]]:
            # what the inbox lists when its index cannot answer
            return [
                visibility_row(wf) async for wf in temporal.list_workflows(visibility, limit=limit)
            ]

        async def from_index(limit: int) -> list[dict[str, Any]]:
            # the inbox everybody uses; asserted below to have used its index
            return await client.list_approvals(pending=True, as_user="bob", limit=limit)

        listings = (("visibility", from_visibility),)
        if not args.no_inbox_index:
            assert await read_inbox_index(temporal, settings.task_queue, "bob", 1) is not None
            listings = (("index", from_index), *listings)
        whole = args.pending + args.latency + 10
        # side by side, alternating: the whole inbox and its first 100 rows
        for name, _ in listings:
            report[f"list_inbox_s_{name}"] = []
            report[f"list_inbox_first_100_s_{name}"] = []
        rows: dict[str, list[dict[str, Any]]] = {}
        for _ in range(3):
            for name, listing in listings:
                began = time.perf_counter()
                rows[name] = await listing(whole)
                report[f"list_inbox_s_{name}"].append(time.perf_counter() - began)
        for _ in range(5):
            for name, listing in listings:
                began = time.perf_counter()
                await listing(100)
                report[f"list_inbox_first_100_s_{name}"].append(time.perf_counter() - began)
        for key in [
            k for k in report if k.startswith("list_inbox_") and k != "list_inbox_while_busy_s"
        ]:
            report[key] = statistics.median(report[key])
        assert len(rows["visibility"]) >= args.pending
        # the index lists exactly what the visibility store lists, in its order
        assert [r["approval_id"] for r in rows.get("index", rows["visibility"])] == [
            r["approval_id"] for r in rows["visibility"]
        ], "the inbox index and the visibility store disagree"
        report["pending_rss_mb"] = {
            "worker": rss_mb(worker.pid),
            "server": rss_mb(server._process.pid),
        }  # type: ignore[union-attr]

        began = time.perf_counter()
        outcomes = await bounded(
            [client.submit_decision(f"bench-{i}", "bob", "approve") for i in range(args.pending)],
            100,
        )
        report["decide_all_s"] = time.perf_counter() - began
        assert all(o["accepted"] for o in outcomes), "a benchmark decision was refused"
        report["decisions_per_s"] = args.pending / report["decide_all_s"]
    finally:
        worker.terminate()
        await worker.wait()
        server.stop()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
