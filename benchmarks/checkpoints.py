"""What checkpointed steps cost, side by side in one run:

    python benchmarks/checkpoints.py [--trials 3] [--sizes 1,10,100]

1. Per heartbeat: ``advance()`` when no checkpoint is due (progress recorded
   and the cadence checked) and building one heartbeat's details, in µs.
2. Per checkpoint, to a local directory: ``save()`` (encode without pickle,
   write to a temporary file, fsync, rename, fsync the directory, prune)
   against the same arrays written by hand with ``np.save`` + fsync, and
   ``resume()`` (list, read, decode) against ``np.load``; in MB/s, for
   states of ``--sizes`` MB of float64.
3. Worker kill → resumed training: examples/ml's training step on a `baton
   worker` process, SIGKILLed mid-training (epoch 12 of 40, 0.25 s per
   epoch, a checkpoint every 5 epochs). Either a new worker is started at
   the kill, or a second worker polled all along (the one training is
   killed, found by the pid in the job's metrics.csv). Timed from the kill
   to the resumed attempt's start (its heartbeats' ``started_at``) and to
   its first epoch logged (before the epoch's padding), with the step's
   ``heartbeat_timeout_seconds`` at 5 s (the example's) and 2 s.

Prints JSON and Markdown tables for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from baton.checkpoints import Cadence, CheckpointStore, SyncCheckpoint
from baton.checkpoints.session import Session
from baton.config import BatonFile, Settings
from baton.policy import ExecutionPolicy
from baton.runtime import EmbeddedServer, TemporalWorkflowClient

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def per_heartbeat(calls: int = 200_000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as root:
        session = Session(CheckpointStore.open(root), "run/step", Cadence(every_steps=10**9))
        handle = SyncCheckpoint(session)
        state = {"w": np.zeros(10)}
        began = time.perf_counter()
        for step in range(1, calls + 1):
            handle.advance(step, state=state, total=calls, metrics={"loss": 0.5, "acc": 0.9})
        advance_us = (time.perf_counter() - began) / calls * 1e6
        began = time.perf_counter()
        for _ in range(calls // 10):
            session.details()
        details_us = (time.perf_counter() - began) / (calls // 10) * 1e6
    return {
        "advance_not_due_us": round(advance_us, 2),
        "heartbeat_details_us": round(details_us, 2),
    }


def _fsynced_np_save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as file:
        np.savez(file, **arrays)
        file.flush()
        os.fsync(file.fileno())


def per_checkpoint(size_mb: int, repeats: int) -> dict[str, Any]:
    arrays = {"w": np.random.default_rng(0).random(size_mb * MB // 8)}
    nbytes = arrays["w"].nbytes
    baton_save, hand_save, baton_load, hand_load = [], [], [], []
    with tempfile.TemporaryDirectory() as root:
        for index in range(repeats):
            session = Session(
                CheckpointStore.open(root), "run/step", Cadence(every_steps=1, keep=2)
            )
            began = time.perf_counter()
            session.save(index + 1, {"step": index + 1, **arrays}, {"loss": 0.1})
            baton_save.append(time.perf_counter() - began)
            fresh = Session(CheckpointStore.open(root), "run/step", Cadence(every_steps=1, keep=2))
            began = time.perf_counter()
            assert fresh.resume() is not None
            baton_load.append(time.perf_counter() - began)
            path = Path(root) / f"hand-{index}.npz"
            began = time.perf_counter()
            _fsynced_np_save(path, arrays)
            hand_save.append(time.perf_counter() - began)
            began = time.perf_counter()
            with np.load(path, allow_pickle=False) as loaded:
                loaded["w"].sum()
            hand_load.append(time.perf_counter() - began)
            path.unlink()

    def rate(seconds: list[float]) -> float:
        return round(nbytes / MB / statistics.median(seconds), 1)

    return {
        "size_mb": size_mb,
        "save_mb_s": rate(baton_save),
        "save_ms": round(statistics.median(baton_save) * 1000, 1),
        "np_savez_fsync_mb_s": rate(hand_save),
        "resume_mb_s": rate(baton_load),
        "np_load_mb_s": rate(hand_load),
    }


async def _worker(settings: Settings, config: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": settings.address,
        "TEMPORAL_TASK_QUEUE": settings.task_queue,
        "BATON_HOME": str(settings.home),
        "BATON_CONFIG": str(config),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "baton.cli.main", "worker", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def kill_to_resume(
    settings: Settings, heartbeat: float, standby: bool, work: Path
) -> dict[str, float]:
    config = ROOT / "examples/ml/baton.yaml"
    policy = ExecutionPolicy(python_modules=("examples.ml",))
    client = TemporalWorkflowClient(settings, baton_file=BatonFile(policy=policy))
    definition = yaml.safe_load((ROOT / "examples/ml/pipeline.yaml").read_text())
    definition["steps"] = definition["steps"][:1]  # training only
    definition["steps"][0]["heartbeat_timeout_seconds"] = heartbeat
    artifacts = work / f"artifacts-{time.monotonic_ns()}"
    definition["context"].update(artifacts=str(artifacts), epochs=40, epoch_seconds=0.25)
    workers = [await _worker(settings, config)]
    if standby:
        workers.append(await _worker(settings, config))
    run = await client.start_saga(definition)
    try:

        async def progress() -> dict[str, Any]:
            state = await client.status(run.workflow_id)
            return state["steps"][0].get("progress") or {}

        while (await progress()).get("step", 0) < 12:
            await asyncio.sleep(0.1)
        training_pid = int((artifacts / "metrics.csv").read_text().split()[0].split(",")[3])
        first = next(w for w in workers if w.pid == training_pid)
        first.send_signal(signal.SIGKILL)
        killed = time.time()
        await first.wait()
        if standby:
            second = next(w for w in workers if w is not first)
        else:
            second = await _worker(settings, config)
            workers.append(second)
        try:
            while (await progress()).get("resumed_from") is None:
                await asyncio.sleep(0.1)
            resumed_start = datetime.fromisoformat((await progress())["started_at"]).timestamp()
            first_pid = None
            while True:
                rows = [line.split(",") for line in (artifacts / "metrics.csv").read_text().split()]
                first_pid = first_pid or rows[0][3]
                later = [r for r in rows if r[3] != first_pid]
                if later:
                    break
                await asyncio.sleep(0.05)
            first_epoch = (artifacts / "metrics.csv").stat().st_mtime
            result = await asyncio.wait_for(run.result(), 120)
            assert result["status"] == "COMPLETED", result
            return {
                "resume_start": resumed_start - killed,
                "first_epoch": first_epoch - killed,
                "resumed_from": result["steps"][0]["output"]["resumed_from"],
            }
        finally:
            second.terminate()
            await second.wait()
    finally:
        for process in workers:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await client.close()


async def main(trials: int, sizes: list[int]) -> None:
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "platform": platform.platform(),
        },
        "per_heartbeat": per_heartbeat(),
        "per_checkpoint": [per_checkpoint(size, 5) for size in sizes],
    }
    work = Path(tempfile.mkdtemp(prefix="baton-ckpt-bench-"))
    port = 17900 + os.getpid() % 100
    base = Settings.from_env({"BATON_HOME": str(work), "BATON_TEMPORAL_PORT": str(port)})
    server = EmbeddedServer(base)
    await server.ensure_running()
    rows = []
    try:
        for heartbeat, standby in ((5.0, False), (2.0, False), (5.0, True), (2.0, True)):
            runs = []
            for index in range(trials):
                settings = Settings.from_env(
                    {
                        "BATON_HOME": str(work),
                        "BATON_TEMPORAL_PORT": str(port),
                        "TEMPORAL_TASK_QUEUE": f"ckpt-bench-{heartbeat:g}-{standby}-{index}",
                    }
                )
                runs.append(await kill_to_resume(settings, heartbeat, standby, work))
            rows.append(
                {
                    "heartbeat_timeout_s": heartbeat,
                    "other_worker": "polling all along" if standby else "started at the kill",
                    "kill_to_resumed_start_s": [round(r["resume_start"], 2) for r in runs],
                    "kill_to_first_new_epoch_s": [round(r["first_epoch"], 2) for r in runs],
                    "resumed_from": [r["resumed_from"] for r in runs],
                    "median_resumed_start_s": round(
                        statistics.median(r["resume_start"] for r in runs), 2
                    ),
                    "median_first_epoch_s": round(
                        statistics.median(r["first_epoch"] for r in runs), 2
                    ),
                }
            )
    finally:
        server.stop()
    report["kill_to_resume"] = rows
    print(json.dumps(report, indent=2))
    beat = report["per_heartbeat"]
    print(
        f"\nadvance() not due: {beat['advance_not_due_us']} µs; "
        f"one heartbeat's details: {beat['heartbeat_details_us']} µs\n"
    )
    print(
        "| state | save (MB/s) | save (ms) | np.savez + fsync (MB/s) | resume (MB/s) | np.load (MB/s) |"
    )
    print("|---|---|---|---|---|---|")
    for row in report["per_checkpoint"]:
        print(
            f"| {row['size_mb']} MB | {row['save_mb_s']} | {row['save_ms']} | "
            f"{row['np_savez_fsync_mb_s']} | {row['resume_mb_s']} | {row['np_load_mb_s']} |"
        )
    print(
        "\n| heartbeat timeout | other worker | kill → resumed attempt starts "
        "| kill → first new epoch | resumed from |"
    )
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['heartbeat_timeout_s']:g} s | {row['other_worker']} "
            f"| {row['median_resumed_start_s']} s "
            f"{row['kill_to_resumed_start_s']} | {row['median_first_epoch_s']} s "
            f"{row['kill_to_first_new_epoch_s']} | {row['resumed_from']} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--sizes", default="1,10,100", help="state sizes in MB, comma-separated")
    options = parser.parse_args()
    asyncio.run(main(options.trials, [int(s) for s in options.sizes.split(",")]))
