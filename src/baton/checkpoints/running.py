"""Running a checkpointed function inside an activity: resume from the last
checkpoint, heartbeat progress, make cancellation stop at a step boundary,
clean up after success. Shared by ``@checkpointed`` and ``python`` steps
with ``checkpoint:``."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable
from typing import Any

from ..actions._support import file_safe, heartbeating
from .handles import Checkpoint, SyncCheckpoint
from .session import Cadence, Session
from .store import CheckpointStore

# how long a cancelled step may take to reach its next `advance` (which saves
# a checkpoint and stops) before it is given up on
CANCEL_GRACE_SECONDS = 30.0


def checkpoint_key(workflow_id: str, step_id: str, phase: str = "forward") -> str:
    """Where a step's checkpoints live under the store: by run and step, never
    by attempt, so a retry on another worker finds them."""
    key = f"{file_safe(workflow_id)}/{file_safe(step_id)}"
    return key if phase == "forward" else f"{key}.{file_safe(phase)}"


def open_session(store: str | CheckpointStore, key: str, cadence: Cadence) -> Session:
    opened = store if isinstance(store, CheckpointStore) else CheckpointStore.open(store)
    return Session(opened, key, cadence)


async def run_checkpointed(
    function: Callable[..., Any],
    args: list[Any] | tuple[Any, ...],
    kwargs: dict[str, Any],
    session: Session,
    *,
    argument: str = "checkpoint",
) -> Any:
    """Call ``function(*args, **kwargs, checkpoint=handle)`` in the running
    activity (see the module)."""
    await asyncio.to_thread(session.resume)
    is_async = inspect.iscoroutinefunction(function)
    handle = Checkpoint(session) if is_async else SyncCheckpoint(session)
    call = {**kwargs, argument: handle}
    work: asyncio.Future[Any] = (
        asyncio.ensure_future(function(*args, **call))
        if is_async
        else asyncio.ensure_future(asyncio.to_thread(function, *args, **call))
    )
    async with heartbeating(details=session.details):
        try:
            # the activity's cancel is not passed on blindly: the function
            # sees it at its next `advance`, saves, and stops there
            result = await asyncio.shield(work)
        except asyncio.CancelledError:
            if work.done():
                raise
            try:
                await asyncio.wait_for(asyncio.shield(work), CANCEL_GRACE_SECONDS)
            except asyncio.TimeoutError:
                work.cancel()  # a thread runs on; a coroutine stops where it is
            except BaseException:
                pass
            raise
    with contextlib.suppress(Exception):
        await asyncio.to_thread(session.finish)
    return result
