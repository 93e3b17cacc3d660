"""The interpreter's own CPU cost: replay committed histories many times.

    .venv/bin/python benchmarks/replay_cost.py tests/histories/compensated_after_retries.json --runs 300

Replaying runs only the workflow code (no server, no activities), so this is
the steadiest measure of what Baton itself adds per run on a shared machine:
decoding the plan, scheduling, compensation. Prints ms per replay.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from baton.engine.approval import HumanApprovalWorkflow
from baton.engine.interpreter import ProcessWorkflow


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("history", type=Path)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    history = WorkflowHistory.from_json("replay", args.history.read_text())
    replayer = Replayer(workflows=[ProcessWorkflow, HumanApprovalWorkflow])
    await replayer.replay_workflow(history)  # warm up: imports, caches
    began = time.perf_counter()
    for _ in range(args.runs):
        await replayer.replay_workflow(history)
    print(f"{(time.perf_counter() - began) / args.runs * 1000:.2f} ms per replay")


if __name__ == "__main__":
    asyncio.run(main())
