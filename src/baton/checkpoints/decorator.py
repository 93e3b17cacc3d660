"""``@checkpointed``: checkpoints and progress for your own activities.

::

    @activity.defn
    @checkpointed(store="/var/lib/training/checkpoints", every_steps=5, keep=3)
    async def train(config: dict, *, checkpoint: Checkpoint) -> dict:
        ...

The activity is called as usual (without ``checkpoint``); the decorator adds
the handle. Checkpoints are kept under ``<store>/<workflow id>/<activity
id>/`` — Temporal's retries of an activity keep its id, so a retry on any
worker resumes from them. Give the activity a ``heartbeat_timeout`` when you
schedule it, so that a dead worker is noticed; heartbeats go out every second
or a third of that timeout, whichever is shorter.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from temporalio import activity

from ..errors import CheckpointError
from .running import checkpoint_key, open_session, run_checkpointed
from .session import DEFAULT_KEEP, Cadence
from .store import CheckpointStore

F = TypeVar("F", bound=Callable[..., Any])


def checkpointed(
    store: str | CheckpointStore,
    *,
    every_steps: int | None = None,
    every_seconds: float | None = None,
    keep: int = DEFAULT_KEEP,
    keep_after_success: bool = False,
    argument: str = "checkpoint",
) -> Callable[[F], F]:
    """Give an ``async def`` activity a :class:`~baton.checkpoints.Checkpoint`
    as keyword argument ``argument`` (see the module and docs/checkpoints.md)."""
    cadence = Cadence(every_steps, every_seconds, keep, keep_after_success)

    def decorate(function: F) -> F:
        if not inspect.iscoroutinefunction(function):
            raise CheckpointError(
                f"@checkpointed needs an async def activity; {function.__qualname__} is not "
                "(a plain function can be a Baton `python` step with `checkpoint:`)"
            )
        signature = inspect.signature(function)
        if argument not in signature.parameters:
            raise CheckpointError(
                f"{function.__qualname__} has no parameter {argument!r} for its checkpoint "
                f"handle; add `*, {argument}: Checkpoint`"
            )

        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            info = activity.info()
            key = checkpoint_key(info.workflow_id or "standalone", info.activity_id)
            session = open_session(store, key, cadence)
            return await run_checkpointed(function, args, kwargs, session, argument=argument)

        # what Temporal sees: the parameters without the handle
        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[p for name, p in signature.parameters.items() if name != argument]
        )
        return wrapper  # type: ignore[return-value]

    return decorate
