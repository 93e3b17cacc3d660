"""The small SQLite files Baton keeps in ``BATON_HOME`` (the events outbox,
queued starts, dead letters): opened alike — WAL, usable from the worker's
threads, each statement its own transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_db(path: Path, schema: str, *, timeout: float = 5.0) -> sqlite3.Connection:
    """``path`` (its folder made), with ``schema`` applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=timeout)
    db.execute("pragma journal_mode=wal")
    db.execute("pragma synchronous=normal")
    db.executescript(schema)
    return db
