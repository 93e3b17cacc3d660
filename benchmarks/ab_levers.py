"""Per-run levers for local-step sagas, A/B in one run on one server (issue 13).

    .venv/bin/python benchmarks/ab_levers.py --rounds 5 --latency-runs 40   # + DBOS
    .venv/bin/python benchmarks/ab_levers.py --variants base "eager, 400 slots" --rounds 3 --no-dbos

One embedded server with Baton's default configuration serves every variant.
Each variant runs in a process of its own (its event loop, its worker, a task
queue of its own) and measures, on sagas of no-op local steps
(`_bench_steps:noop`, `"local": true`):

  - throughput: N 3-step sagas started at once, then N 10-step sagas;
  - latency: K sequential 10-step sagas (start to result; p50);
  - CPU: the server's and the variant process's own, per run, during the two
    throughput phases.

A variant is a combination of the levers: eager workflow start
(``TemporalWorkflowClient.eager_start``), uvloop as the event loop, and
``Worker(...)`` options put over those of ``running_worker``. "base" is Baton
as it is (no eager start, the SDK's 100 workflow tasks); the uvloop variants need ``pip install uvloop``
(not a dependency of Baton). Rounds interleave the variants (the order
rotates each round) and, unless ``--no-dbos``, the same workload on DBOS
(benchmarks/_dbos_peer.py). The machine is shared and noisy: read the medians
over rounds and the ratios.
Prints a JSON report (``--out`` writes it too) and a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# the SDK's default number of workflow tasks a worker holds, Baton's before
# running_worker raised it (MAX_CONCURRENT_WORKFLOW_TASKS)
SDK_SLOTS = {"max_concurrent_workflow_tasks": 100}
TEN_POLLS = {"max_concurrent_workflow_task_polls": 10, "nonsticky_to_sticky_poll_ratio": 0.5}
# name -> levers; "worker" are Worker(...) keyword arguments put over Baton's
VARIANTS: dict[str, dict[str, Any]] = {
    "base": {"eager": False, "uvloop": False, "worker": SDK_SLOTS},
    "eager": {"eager": True, "uvloop": False, "worker": SDK_SLOTS},
    "uvloop": {"eager": False, "uvloop": True, "worker": SDK_SLOTS},
    "eager+uvloop": {"eager": True, "uvloop": True, "worker": SDK_SLOTS},
    # more pollers, and half of them on the normal (non-sticky) queue, where
    # every run's first workflow task arrives when it is not started eagerly
    "polls 10, ratio 0.5": {"eager": False, "uvloop": False, "worker": {**SDK_SLOTS, **TEN_POLLS}},
    "eager, polls 10, ratio 0.5": {
        "eager": True,
        "uvloop": False,
        "worker": {**SDK_SLOTS, **TEN_POLLS},
    },
    # room for every run of a burst at once
    "eager, 400 workflow tasks": {
        "eager": True,
        "uvloop": False,
        "worker": {"max_concurrent_workflow_tasks": 400, "max_cached_workflows": 2000},
    },
    # fewer pollers: less polling for the server when runs come one by one
    "eager, polls 2": {
        "eager": True,
        "uvloop": False,
        "worker": {**SDK_SLOTS, "max_concurrent_workflow_task_polls": 2},
    },
    # eager start and room for a burst (what run3 of 2026-12-08 calls "defaults")
    "eager, 400 slots": {
        "eager": True,
        "uvloop": False,
        "worker": {"max_concurrent_workflow_tasks": 400},
    },
    "eager+uvloop, 400 slots": {
        "eager": True,
        "uvloop": True,
        "worker": {"max_concurrent_workflow_tasks": 400},
    },
}
DEFAULT_VARIANTS = ["base", "eager", "eager+uvloop", "eager, 400 slots", "eager+uvloop, 400 slots"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- one variant, in its own process -------------------------------------


async def child(variant: dict[str, Any], server_pid: int, sagas: int, latency_runs: int) -> dict:
    import baton.runtime.worker as worker_module
    from baton.config import Settings
    from baton.runtime import TemporalWorkflowClient, running_worker

    sys.path.insert(0, str(HERE))
    from saga_throughput import BENCH_FILE, saga_plan

    if variant["worker"]:
        worker_class = worker_module.Worker

        def tuned(*args: Any, **kwargs: Any) -> Any:
            return worker_class(*args, **{**kwargs, **variant["worker"]})

        worker_module.Worker = tuned  # type: ignore[misc,assignment]
    settings = Settings.from_env()
    client = TemporalWorkflowClient(settings, baton_file=BENCH_FILE)
    client.eager_start = variant["eager"]
    await client.connect()
    plans = {steps: saga_plan(steps, local=True) for steps in (3, 10)}

    async def burst(count: int, steps: int) -> None:
        runs = await asyncio.gather(*(client.start_plan(plans[steps]) for _ in range(count)))
        results = await asyncio.gather(*(r.result() for r in runs))
        assert all(r["status"] == "COMPLETED" for r in results), "a saga did not complete"

    out: dict[str, Any] = {}
    async with running_worker(client.temporal, settings.task_queue, BENCH_FILE, settings=settings):
        await burst(4, 3)  # warm up: imports, caches, connections
        await burst(4, 10)
        for steps in (3, 10):
            server0, own0 = cpu_seconds(server_pid), time.process_time()
            began = time.perf_counter()
            await burst(sagas, steps)
            elapsed = time.perf_counter() - began
            out[f"{steps}_step"] = {
                "runs_per_s": sagas / elapsed,
                "steps_per_s": sagas * steps / elapsed,
                "server_cpu_ms_per_run": (cpu_seconds(server_pid) - server0) * 1000 / sagas,
                "worker_cpu_ms_per_run": (time.process_time() - own0) * 1000 / sagas,
            }
        latencies = []
        for _ in range(latency_runs):
            one = time.perf_counter()
            await burst(1, 10)
            latencies.append((time.perf_counter() - one) * 1000)
        out["p50_10_step_ms"] = statistics.median(latencies)
    return out


def child_main(args: argparse.Namespace) -> None:
    variant = VARIANTS[args.child]
    run = functools.partial(child, variant, args.server_pid, args.sagas, args.latency_runs)
    if variant["uvloop"]:
        import uvloop

        result = uvloop.run(run())
    else:
        result = asyncio.run(run())
    print(json.dumps(result))


# ---- the parent: one server, interleaved rounds ---------------------------


def run_variant(name: str, env: dict[str, str], server_pid: int, args: argparse.Namespace) -> dict:
    queue = "ab-" + "".join(c if c.isalnum() else "-" for c in name) + f"-{time.monotonic_ns()}"
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            name,
            "--server-pid",
            str(server_pid),
            "--sagas",
            str(args.sagas),
            "--latency-runs",
            str(args.latency_runs),
        ],
        env={**env, "TEMPORAL_TASK_QUEUE": queue},
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"variant {name!r} failed:\n{proc.stderr[-3000:]}")
    result: dict = json.loads(proc.stdout.strip().splitlines()[-1])
    if proc.stderr.strip():  # the SDK's warnings, e.g. an eager task it could not take
        result["stderr"] = proc.stderr[-2000:]
    return result


def run_dbos(sagas: int, latency_runs: int) -> dict:
    def peer(steps: int, latency: int) -> dict:
        proc = subprocess.run(
            [sys.executable, str(HERE / "_dbos_peer.py"), str(sagas), str(steps), str(latency)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"DBOS peer failed:\n{proc.stderr[-3000:]}")
        result: dict = json.loads(proc.stdout.strip().splitlines()[-1])
        return result

    three, ten = peer(3, 1), peer(10, latency_runs)
    return {
        "3_step": {"runs_per_s": three["workflows_per_s"], "steps_per_s": three["steps_per_s"]},
        "10_step": {"runs_per_s": ten["workflows_per_s"], "steps_per_s": ten["steps_per_s"]},
        "p50_10_step_ms": ten["p50_10_step_ms"],
        "version": ten.get("version"),
    }


METRICS = [
    ("3_step", "steps_per_s"),
    ("10_step", "steps_per_s"),
    (None, "p50_10_step_ms"),
    ("3_step", "server_cpu_ms_per_run"),
    ("3_step", "worker_cpu_ms_per_run"),
    ("10_step", "server_cpu_ms_per_run"),
    ("10_step", "worker_cpu_ms_per_run"),
]


def pick(result: dict, section: str | None, key: str) -> float | None:
    value = result.get(section, {}).get(key) if section else result.get(key)
    return float(value) if value is not None else None


def summarize(rounds: list[dict[str, dict]]) -> dict[str, dict[str, float]]:
    names = list(rounds[0])
    summary: dict[str, dict[str, float]] = {}
    for name in names:
        summary[name] = {}
        for section, key in METRICS:
            values = [v for r in rounds if (v := pick(r[name], section, key)) is not None]
            if values:
                summary[name][f"{section}.{key}" if section else key] = statistics.median(values)
    # per-round ratios against base (and DBOS), then their medians: robust to a busy round
    for name in names:
        for other in ("base", "dbos"):
            if other == name or other not in names:
                continue
            for section, key in METRICS[:3]:
                ratios = [
                    a / b
                    for r in rounds
                    if (a := pick(r[name], section, key)) and (b := pick(r[other], section, key))
                ]
                label = f"{section}.{key}" if section else key
                summary[name][f"{label} / {other}"] = statistics.median(ratios)
    return summary


def table(summary: dict[str, dict[str, float]], rounds: int) -> str:
    lines = [
        f"medians of {rounds} rounds; ratios are medians of per-round ratios",
        "",
        "| variant | 3-step steps/s | × base | × DBOS | 10-step steps/s | × base | × DBOS "
        "| p50 10-step (ms) | × base | × DBOS | server CPU ms/run (3 / 10 steps) "
        "| own CPU ms/run (3 / 10 steps) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def f(row: dict[str, float], key: str, fmt: str) -> str:
        return format(row[key], fmt) if key in row else ""

    for name, row in summary.items():
        lines.append(
            f"| {name} | {f(row, '3_step.steps_per_s', '.0f')} "
            f"| {f(row, '3_step.steps_per_s / base', '.2f')} "
            f"| {f(row, '3_step.steps_per_s / dbos', '.2f')} "
            f"| {f(row, '10_step.steps_per_s', '.0f')} "
            f"| {f(row, '10_step.steps_per_s / base', '.2f')} "
            f"| {f(row, '10_step.steps_per_s / dbos', '.2f')} "
            f"| {f(row, 'p50_10_step_ms', '.1f')} "
            f"| {f(row, 'p50_10_step_ms / base', '.2f')} "
            f"| {f(row, 'p50_10_step_ms / dbos', '.2f')} "
            f"| {f(row, '3_step.server_cpu_ms_per_run', '.1f')} / "
            f"{f(row, '10_step.server_cpu_ms_per_run', '.1f')} "
            f"| {f(row, '3_step.worker_cpu_ms_per_run', '.1f')} / "
            f"{f(row, '10_step.worker_cpu_ms_per_run', '.1f')} |"
        )
    return "\n".join(lines)


async def parent(args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(HERE))
    from saga_throughput import BENCH_FILE, _free_port, machine

    from baton.config import Settings
    from baton.runtime import EmbeddedServer, TemporalWorkflowClient

    home = tempfile.mkdtemp(prefix="baton-ab-levers-")
    env = {**os.environ, "BATON_HOME": home, "BATON_TEMPORAL_PORT": str(_free_port())}
    env.pop("TEMPORAL_ADDRESS", None)
    settings = Settings.from_env(env)
    server = EmbeddedServer(settings)  # Baton's default configuration
    await server.ensure_running()
    assert server._process is not None
    server_pid = server._process.pid
    report: dict[str, Any] = {
        "machine": machine(),
        "sagas": args.sagas,
        "latency_runs": args.latency_runs,
        "variants": {name: VARIANTS[name] for name in args.variants},
        "rounds": [],
    }
    try:
        client = TemporalWorkflowClient(settings, baton_file=BENCH_FILE)
        await client.connect()
        await client.ensure_search_attributes()
        order = list(args.variants) + ([] if args.no_dbos else ["dbos"])
        for index in range(args.rounds):
            shift = index % len(order)
            this_round: dict[str, dict] = {}
            for name in order[shift:] + order[:shift]:
                print(f"round {index + 1}: {name} …", file=sys.stderr, flush=True)
                if name == "dbos":
                    this_round[name] = await asyncio.to_thread(
                        run_dbos, args.sagas, args.latency_runs
                    )
                else:
                    this_round[name] = await asyncio.to_thread(
                        run_variant, name, env, server_pid, args
                    )
                print(f"  {json.dumps(this_round[name])}", file=sys.stderr, flush=True)
            report["rounds"].append({name: this_round[name] for name in order})
            if args.out:  # keep what there is if a later round is cut short
                report["summary"] = summarize(report["rounds"])
                Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    finally:
        server.stop()
    report["summary"] = summarize(report["rounds"])
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sagas", type=int, default=200)
    parser.add_argument("--latency-runs", type=int, default=15)
    parser.add_argument("--variants", nargs="*", default=DEFAULT_VARIANTS, choices=list(VARIANTS))
    parser.add_argument("--no-dbos", action="store_true")
    parser.add_argument("--out", help="also write the JSON report here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    report = asyncio.run(parent(args))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    print()
    print(table(report["summary"], len(report["rounds"])))


if __name__ == "__main__":
    main()
