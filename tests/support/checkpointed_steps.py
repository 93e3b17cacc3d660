"""Checkpointed functions for the tests: they count, one step at a time,
append each finished step to a journal (``<journal>``: "step pid" lines)
and keep their count and an array in their checkpoints."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from typing import Any

import numpy as np

from baton.checkpoints import Checkpoint, SyncCheckpoint


def _state(step: int) -> dict[str, Any]:
    return {"count": step, "values": np.arange(step, dtype=np.int64)}


def _log(journal: str, step: int) -> None:
    with open(journal, "a") as file:
        file.write(f"{step} {os.getpid()}\n")


def count(*, total: int, seconds: float, journal: str, checkpoint: SyncCheckpoint) -> dict:
    state = checkpoint.state
    start = checkpoint.step
    if state is not None:
        assert int(state["count"]) == start and list(state["values"]) == list(range(start))
    for step in range(start + 1, total + 1):
        time.sleep(seconds)
        _log(journal, step)
        checkpoint.advance(
            step, state=functools.partial(_state, step), total=total, metrics={"n": step}
        )
    return {"resumed_from": start, "counted": total}


async def count_async(*, total: int, seconds: float, journal: str, checkpoint: Checkpoint) -> dict:
    start = checkpoint.step
    for step in range(start + 1, total + 1):
        await asyncio.sleep(seconds)
        _log(journal, step)
        await checkpoint.advance(step, state=_state(step), total=total, metrics={"n": step})
    return {"resumed_from": start, "counted": total}
