"""The durable local outbox of lifecycle events: a SQLite file in
``BATON_HOME`` (``events-outbox.db``). Workers append events as runs make
them; the publisher hands each to every configured sink and marks it sent
there only once the sink took it, so a sink that is down loses nothing and
catches up in order. An event's id is its primary key: one written twice (a
workflow task that ran again) is kept once."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from ..localdb import open_db

SCHEMA = """
create table if not exists events (
    seq integer primary key autoincrement,
    id text not null unique,
    subject text not null,
    body text not null,
    created real not null
);
create table if not exists cursors (
    sink text primary key,
    seq integer not null
);
"""


BUSY_SECONDS = 0.5
PRUNE_BATCH = 1000


class Outbox:
    """Thread-safe: workflow tasks append from the worker's threads, the
    publisher reads from its event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        # a workflow task appends: never wait long for another process's lock
        # (Temporal's deadlock detector fails a task that blocks for 2 s); an
        # event that cannot be written then is logged by the caller
        self._db = open_db(path, SCHEMA, timeout=BUSY_SECONDS)

    def append(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "insert or ignore into events (id, subject, body, created) values (?, ?, ?, ?)",
                (event["id"], str(event.get("subject") or ""), json.dumps(event), time.time()),
            )

    def after(self, sink: str, limit: int = 200) -> list[tuple[int, dict[str, Any]]]:
        """The events ``sink`` has not taken yet, oldest first."""
        with self._lock:
            row = self._db.execute("select seq from cursors where sink = ?", (sink,)).fetchone()
            start = row[0] if row else 0
            rows = self._db.execute(
                "select seq, body from events where seq > ? order by seq limit ?", (start, limit)
            ).fetchall()
        return [(seq, json.loads(body)) for seq, body in rows]

    def begin(self, sink: str) -> None:
        """A sink seen for the first time gets the events made from now on
        (not the ones kept for the sinks before it)."""
        with self._lock:
            self._db.execute(
                "insert or ignore into cursors (sink, seq) "
                "select ?, coalesce(max(seq), 0) from events",
                (sink,),
            )

    def sent(self, sink: str, seq: int) -> None:
        """``sink`` took every event up to ``seq``."""
        with self._lock:
            self._db.execute(  # never backwards (two publishers of one home)
                "insert into cursors (sink, seq) values (?, ?) "
                "on conflict(sink) do update set seq = max(seq, excluded.seq)",
                (sink, seq),
            )

    def pending(self, sink: str) -> int:
        with self._lock:
            row = self._db.execute("select seq from cursors where sink = ?", (sink,)).fetchone()
            start = row[0] if row else 0
            return int(
                self._db.execute("select count(*) from events where seq > ?", (start,)).fetchone()[
                    0
                ]
            )

    def prune(self, sinks: list[str], keep_seconds: float = 7 * 86400) -> None:
        """Drop events every sink took, older than ``keep_seconds``."""
        with self._lock:
            if not sinks:
                return
            marks = [
                (
                    self._db.execute("select seq from cursors where sink = ?", (s,)).fetchone()
                    or [0]
                )[0]
                for s in sinks
            ]
            # in batches: a workflow task appending waits for no long delete
            self._db.execute(
                "delete from events where seq in (select seq from events where seq <= ? "
                "and created < ? limit ?)",
                (min(marks), time.time() - keep_seconds, PRUNE_BATCH),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
