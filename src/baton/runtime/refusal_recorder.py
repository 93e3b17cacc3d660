"""Writes refused decisions to their approval's refusal log
(:mod:`baton.engine.refusals`), from the worker and from clients.

Bounded by design: each caller gets ``PER_CALLER`` records per approval a
minute; beyond that its refusals are counted and written as one record with a
count every ``SUMMARY_SECONDS``, so a flood of refused decisions costs a few
signals (and log lines), not one each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timezone

from temporalio.client import Client
from temporalio.service import RPCError

from ..engine.refusals import (
    REFUSAL_SIGNAL,
    RefusalLogInput,
    RefusalLogWorkflow,
    RefusalRecord,
    refusal_log_id,
)

logger = logging.getLogger("baton.approvals")

PER_CALLER = 20  # records per (approval, caller) per window
WINDOW_SECONDS = 60.0
SUMMARY_SECONDS = 10.0  # how often a caller's suppressed refusals are written
MAX_BUFFERED = 10_000  # records kept while the server cannot be reached
FLUSH_SECONDS = 0.2


def _log(record: RefusalRecord) -> None:
    logger.warning(
        "refused %s on %s by %s: %s",
        record.event,
        record.approval_id,
        record.actor,
        record.detail,
        extra={"approval_id": record.approval_id, "actor": record.actor},
    )


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


async def write_refusals(
    client: Client, task_queue: str, approval_id: str, records: list[RefusalRecord]
) -> None:
    """Append records to an approval's refusal log (starting it if needed)."""
    await client.start_workflow(
        RefusalLogWorkflow.run,
        RefusalLogInput(approval_id=approval_id),
        id=refusal_log_id(approval_id),
        task_queue=task_queue,
        start_signal=REFUSAL_SIGNAL,
        start_signal_args=[records],
    )


class _Window:
    __slots__ = ("started", "written", "suppressed", "sample", "summarised")

    def __init__(self, started: float) -> None:
        self.started = started
        self.written = 0
        self.suppressed = 0
        self.sample: RefusalRecord | None = None
        self.summarised = started


class RefusalRecorder:
    """Collects refusals from workflow threads and writes them in batches."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: deque[RefusalRecord] = deque()
        self._windows: OrderedDict[tuple[str, str], _Window] = OrderedDict()
        self._seen_updates: OrderedDict[str, None] = OrderedDict()
        self._wake = asyncio.Event()

    def record(self, record: RefusalRecord, update_id: str | None = None) -> None:
        """Called from a workflow activation thread; never blocks, never raises."""
        if self._loop is None:
            return
        with contextlib.suppress(RuntimeError):  # loop closed: the worker is stopping
            self._loop.call_soon_threadsafe(self._admit, record, update_id)

    def _admit(self, record: RefusalRecord, update_id: str | None) -> None:
        if update_id is not None:
            if update_id in self._seen_updates:
                return  # the same update validated again after a retried workflow task
            self._seen_updates[update_id] = None
            if len(self._seen_updates) > 4096:
                self._seen_updates.popitem(last=False)
        key = (record.approval_id, record.actor or "")
        now = time.monotonic()
        window = self._windows.get(key)
        if window is None or now - window.started >= WINDOW_SECONDS:
            if window is not None:
                self._emit_suppressed(window)
            window = self._windows[key] = _Window(now)
            self._windows.move_to_end(key)
        if window.written < PER_CALLER:
            window.written += 1
            _log(record)
            self._enqueue(record)
        else:
            window.suppressed += 1
            window.sample = record
        self._wake.set()

    def _emit_suppressed(self, window: _Window) -> None:
        window.summarised = time.monotonic()
        if window.suppressed and window.sample is not None:
            summary = replace(
                window.sample,
                at=now_iso(),
                count=window.suppressed,
                detail=f"{window.suppressed} more like this from the same caller; last: "
                f"{window.sample.detail}",
            )
            _log(summary)
            self._enqueue(summary)
            window.suppressed = 0

    def _enqueue(self, record: RefusalRecord) -> None:
        if len(self._pending) >= MAX_BUFFERED:
            self._pending.popleft()
        self._pending.append(record)

    async def _flush(self) -> None:
        now = time.monotonic()
        for key, window in list(self._windows.items()):
            if now - window.started >= WINDOW_SECONDS:
                self._emit_suppressed(window)
                del self._windows[key]
            elif now - window.summarised >= SUMMARY_SECONDS:
                self._emit_suppressed(window)
        if not self._pending:
            return
        batches: dict[str, list[RefusalRecord]] = {}
        while self._pending:
            record = self._pending.popleft()
            batches.setdefault(record.approval_id, []).append(record)
        for approval_id, records in batches.items():
            try:
                await write_refusals(self._client, self._task_queue, approval_id, records)
            except RPCError as exc:
                logger.warning("cannot write refusals of %s yet: %s", approval_id, exc.message)
                self._pending.extendleft(reversed(records))
                raise

    async def _run(self) -> None:
        backoff = FLUSH_SECONDS
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            self._wake.clear()
            try:
                await self._flush()
                backoff = FLUSH_SECONDS
            except RPCError:
                backoff = min(backoff * 2, 30.0)
            await asyncio.sleep(backoff)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[RefusalRecorder]:
        self._loop = asyncio.get_running_loop()
        task = asyncio.create_task(self._run())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            for window in self._windows.values():
                self._emit_suppressed(window)
            with contextlib.suppress(RPCError):
                await self._flush()
            self._loop = None
