"""Starts queued while Temporal cannot be reached (docs/runtime.md, "When
the server is down"): the seed's fallback, without losing a start.

A start that finds no server — after its definition was validated,
compiled and checked against the execution policy, so a bad one is still
refused at once — is written to a durable local queue
(``$BATON_HOME/queued-starts.db``) with its workflow id and its run input
as it would have been sent, and answered QUEUED. Workers (``baton up``,
``baton worker``) with the same ``BATON_HOME`` submit the queue when they
run, every few seconds: each start exactly once, since Temporal refuses a
second run with the same id (``REJECT_DUPLICATE``) — a start submitted
twice (a crash between submitting and forgetting it) runs once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from ..engine.names import WORKFLOW_NAME
from ..engine.search_attributes import BATON_KIND, BATON_NAME, BATON_STATUS
from ..engine.state import RUNNING
from ..localdb import open_db

log = logging.getLogger("baton.queued")
QUEUE_FILE = "queued-starts.db"
SUBMIT_EVERY = 2.0
QUEUED = "QUEUED"
MEMO_KEY = "baton_queued"
# the server is away (the start waits); any other refusal is the start's own
TRANSIENT = (
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.CANCELLED,
)


class StartQueue:
    def __init__(self, home: Path) -> None:
        self.path = home / QUEUE_FILE
        self._lock = threading.Lock()
        self._db = open_db(
            self.path,
            "create table if not exists starts (workflow_id text primary key, task_queue text, "
            "kind text, name text, wire text, queued_at text, attempts integer default 0, "
            "last_error text);",
        )

    def add(self, workflow_id: str, task_queue: str, kind: str, name: str, wire: Any) -> str:
        queued_at = datetime.now(timezone.utc).isoformat()
        with self._lock:
            self._db.execute(
                "insert or ignore into starts (workflow_id, task_queue, kind, name, wire, "
                "queued_at) values (?, ?, ?, ?, ?, ?)",
                (workflow_id, task_queue, kind, name, json.dumps(wire), queued_at),
            )
        return queued_at

    def find(self, workflow_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "select workflow_id, task_queue, kind, name, queued_at, attempts, last_error "
                "from starts where workflow_id = ?",
                (workflow_id,),
            ).fetchone()
        if row is None:
            return None
        keys = ("workflow_id", "task_queue", "kind", "name", "queued_at", "attempts", "last_error")
        return dict(zip(keys, row, strict=True))

    def pending(self) -> list[tuple[str, str, str, str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "select workflow_id, task_queue, kind, name, wire from starts order by queued_at"
            ).fetchall()
        return [(w, q, k, n, json.loads(wire)) for w, q, k, n, wire in rows]

    def done(self, workflow_id: str) -> None:
        with self._lock:
            self._db.execute("delete from starts where workflow_id = ?", (workflow_id,))

    def failed(self, workflow_id: str, error: str) -> None:
        with self._lock:
            self._db.execute(
                "update starts set attempts = attempts + 1, last_error = ? where workflow_id = ?",
                (error[:500], workflow_id),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def queued_status(entry: dict[str, Any]) -> dict[str, Any]:
    """A queued start as a status document says it."""
    return {
        "workflow_id": entry["workflow_id"],
        "kind": entry["kind"],
        "name": entry["name"],
        "status": QUEUED,
        "queued_at": entry["queued_at"],
        "started_at": None,
        "closed_at": None,
        "note": "Temporal could not be reached when it was started: it waits in this "
        "machine's queue and starts when `baton up` or `baton worker` runs with the server"
        + (f" (last try: {entry['last_error']})" if entry.get("last_error") else ""),
    }


async def submit(temporal: Client, queue: StartQueue) -> int:
    """Submit what is queued, oldest first; how many were submitted. Stops
    at the first that fails for another reason than having run already.

    Each submission carries the entry's token in the run's memo: a run with
    the id that already exists is this entry's (submitted before the queue
    could forget it) only when its memo says so; one of another start keeps
    the entry, with the reason, for a person to look at."""
    count = 0
    for workflow_id, task_queue, kind, name, wire in queue.pending():
        token = f"{queue.path}:{workflow_id}"
        try:
            await temporal.start_workflow(
                WORKFLOW_NAME,
                wire,
                id=workflow_id,
                task_queue=task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                memo={MEMO_KEY: token},
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(BATON_KIND, kind),
                        SearchAttributePair(BATON_NAME, name),
                        SearchAttributePair(BATON_STATUS, RUNNING),
                    ]
                ),
            )
        except WorkflowAlreadyStartedError:
            if not await _ours(temporal, workflow_id, token):
                queue.failed(
                    workflow_id,
                    f"another run has the id {workflow_id!r}: this start waits; "
                    "drop it or start it under another id",
                )
                continue
        except RPCError as exc:
            queue.failed(workflow_id, exc.message)
            if exc.status in TRANSIENT:
                return count  # the server is away again: the rest waits with it
            continue  # this one was refused: the others go on
        except Exception as exc:  # noqa: BLE001 - kept for the next try
            queue.failed(workflow_id, str(exc))
            return count
        queue.done(workflow_id)
        count += 1
        log.warning("queued start %s submitted", workflow_id)
    return count


async def _ours(temporal: Client, workflow_id: str, token: str) -> bool:
    try:
        described = await temporal.get_workflow_handle(workflow_id).describe()
        memo = await described.memo()
    except Exception:  # noqa: BLE001 - cannot tell: keep the entry
        return False
    return bool(memo.get(MEMO_KEY) == token)


@contextlib.asynccontextmanager
async def submitting(temporal: Client, home: Path) -> AsyncIterator[None]:
    """Beside a worker: submit the queue now and every few seconds (a start
    queued while the worker runs — the server was down a moment — too)."""
    state: dict[str, StartQueue] = {}

    async def loop() -> None:
        while True:
            try:
                if "queue" not in state and (home / QUEUE_FILE).exists():
                    state["queue"] = StartQueue(home)
                if "queue" in state:
                    await submit(temporal, state["queue"])
            except Exception:  # noqa: BLE001 - a locked queue file: next time
                log.warning("queued starts: submitting failed", exc_info=True)
            await asyncio.sleep(SUBMIT_EVERY)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        if "queue" in state:
            state["queue"].close()
