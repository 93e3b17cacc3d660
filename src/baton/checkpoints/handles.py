"""What a checkpointed function is given: :class:`Checkpoint` (async code)
and :class:`SyncCheckpoint` (a plain function, run in a thread). Same
methods, same meaning; the async one awaits the writes, the sync one blocks.

Typical use::

    state = checkpoint.state or fresh_state()     # the last checkpoint's state, or None
    for epoch in range(checkpoint.step, epochs):   # the step it was saved at (0: none)
        ...                                        # one step of work
        await checkpoint.advance(epoch + 1, state=lambda: snapshot(), total=epochs,
                                 metrics={"loss": loss})

``advance`` reports progress (carried by the next heartbeat) and saves a
checkpoint when the cadence says one is due. When the step is being
cancelled it saves one at that step whatever the cadence, then raises
``asyncio.CancelledError``: stopping happens at a step boundary, where the
state is whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from temporalio import activity

from .format import Saved
from .session import Session

State = dict[str, Any] | Callable[[], dict[str, Any]]


def _cancel_requested() -> bool:
    return activity.in_activity() and activity.is_cancelled()


def _materialise(state: State) -> dict[str, Any]:
    return state() if callable(state) else state


class _Handle:
    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def resumed(self) -> Saved | None:
        """The checkpoint this attempt resumed from (None: it starts afresh)."""
        return self._session.resumed

    @property
    def state(self) -> dict[str, Any] | None:
        """The last checkpoint's state (None: no checkpoint yet)."""
        return self._session.resumed.state if self._session.resumed else None

    @property
    def step(self) -> int:
        """The step the last checkpoint was saved at (0: none): where to go on."""
        return self._session.resumed.step if self._session.resumed else 0

    def progress(
        self, step: int, total: int | None = None, metrics: dict[str, Any] | None = None
    ) -> None:
        """Report progress without saving (the next heartbeat carries it)."""
        self._session.report(step, total, metrics)

    def details(self) -> dict[str, Any]:
        """What the next heartbeat carries (``Session.details``)."""
        return self._session.details()


class Checkpoint(_Handle):
    """For ``async def`` functions."""

    async def save(self, step: int, state: State, metrics: dict[str, Any] | None = None) -> None:
        """Save a checkpoint at ``step`` now, whatever the cadence. The write
        runs in a thread and finishes even if the step is cancelled meanwhile."""
        snapshot = _materialise(state)
        write = asyncio.ensure_future(
            asyncio.to_thread(self._session.save, step, snapshot, metrics)
        )
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            await write  # a torn write never stands in for a checkpoint
            raise

    async def advance(
        self,
        step: int,
        *,
        state: State,
        total: int | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> bool:
        """``step`` is done and ``state`` (or what calling it gives) is the state
        after it: report progress, save a checkpoint when one is due or the
        step is being cancelled (then raise ``CancelledError``). Whether it saved."""
        session = self._session
        session.report(step, total, metrics)
        stopping = _cancel_requested()
        saved = False
        if stopping or session.due(step):
            await self.save(step, state, metrics)
            saved = True
        if stopping:
            raise asyncio.CancelledError(f"cancelled at step {step}; checkpoint saved")
        try:
            await asyncio.sleep(0)  # let a pending cancel in here, at a step boundary
        except asyncio.CancelledError:
            if not saved:
                await self.save(step, state, metrics)
            raise
        return saved


class SyncCheckpoint(_Handle):
    """For plain functions, which Baton runs in a thread."""

    def save(self, step: int, state: State, metrics: dict[str, Any] | None = None) -> None:
        """Save a checkpoint at ``step`` now, whatever the cadence."""
        self._session.save(step, _materialise(state), metrics)

    def advance(
        self,
        step: int,
        *,
        state: State,
        total: int | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> bool:
        """As :meth:`Checkpoint.advance`."""
        session = self._session
        session.report(step, total, metrics)
        stopping = _cancel_requested()
        saved = False
        if stopping or session.due(step):
            self.save(step, state, metrics)
            saved = True
        if stopping:
            raise asyncio.CancelledError(f"cancelled at step {step}; checkpoint saved")
        return saved
