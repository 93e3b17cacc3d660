"""What a sweep's history costs, and how parallel its trials run:

    python benchmarks/sweeps.py [--delay 0.01] [--parallelism 8]

Runs sweeps of cheap trials (``tests.support.sweeps:score``, which sleeps
``--delay`` seconds) on an embedded dev server with one worker in this
process: 200 trials at 50 per run, and 1,000 at 500 per run (the most a
run may do). For each: wall time, runs in the chain (continue-as-new),
history events of each run, events per trial, and the most trials seen
running at the same moment (from the trials' own start and end times).
Prints JSON and a Markdown table for docs/sweeps.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support

from baton.config import BatonFile, Settings  # noqa: E402
from baton.policy import ExecutionPolicy  # noqa: E402
from baton.runtime import TemporalWorkflowClient, connected_client, running_worker  # noqa: E402
from baton.testing import free_port  # noqa: E402
from tests.support.sweeps import max_overlap  # noqa: E402

CASES = ((200, 50), (1_000, 500))  # trials, trials_per_run


async def measure(delay: float, parallelism: int) -> list[dict[str, Any]]:
    home = tempfile.mkdtemp()
    settings = Settings.from_env({"BATON_HOME": home, "BATON_TEMPORAL_PORT": str(free_port())})
    support = BatonFile(policy=ExecutionPolicy(python_modules=("tests.support",)))
    rows: list[dict[str, Any]] = []
    async with connected_client(settings, start_embedded=True) as (client, _):
        sweeper = TemporalWorkflowClient(settings, temporal=client.temporal, baton_file=support)
        async with running_worker(client.temporal, settings.task_queue, support, settings=settings):
            for trials, per_run in CASES:
                log = f"{home}/calls-{trials}.log"
                xs = [round(i / (trials // 10), 4) for i in range(trials // 10)]
                document = {
                    "kind": "sweep",
                    "name": f"bench-{trials}",
                    "trial": {
                        "function": "tests.support.sweeps:score",
                        "kwargs": {"log": log, "delay": delay},
                    },
                    "space": {"grid": {"x": xs, "y": [i / 10 for i in range(10)]}},
                    "metric": "score",
                    "parallelism": parallelism,
                    "trials_per_run": per_run,
                }
                began = time.monotonic()
                run = await sweeper.start_sweep(document, workflow_id=f"bench-{trials}")
                result = await run.result()
                seconds = time.monotonic() - began
                listed = [
                    r
                    async for r in client.temporal.list_workflows(f"WorkflowId = 'bench-{trials}'")
                ]
                events = []
                for r in sorted(listed, key=lambda r: r.start_time):
                    handle = client.temporal.get_workflow_handle(f"bench-{trials}", run_id=r.run_id)
                    events.append(len((await handle.fetch_history()).events))
                rows.append(
                    {
                        "trials": trials,
                        "trials_per_run": per_run,
                        "parallelism": parallelism,
                        "seconds": round(seconds, 1),
                        "runs": result["generation"],
                        "events_per_run": events,
                        "events_per_trial": round(sum(events) / trials, 2),
                        "max_overlap": max_overlap(log),
                    }
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delay", type=float, default=0.01)
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()
    rows = asyncio.run(measure(args.delay, args.parallelism))
    print(json.dumps(rows, indent=1))
    print(
        "\n| trials | trials_per_run | wall time | runs | events per run | events per trial | most at once |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        spread = f"{min(r['events_per_run']):,}–{max(r['events_per_run']):,}"
        print(
            f"| {r['trials']:,} | {r['trials_per_run']} | {r['seconds']} s | {r['runs']} "
            f"| {spread} | {r['events_per_trial']} | {r['max_overlap']} of {r['parallelism']} |"
        )


if __name__ == "__main__":
    main()
