"""Dead letters (docs/integrations.md, "Dead letters"): what could not be
done and should not be lost — a trigger's message no run took, a trigger's
start the server refused for good, a run that ended failed — kept in a
durable local store (``$BATON_HOME/dead-letters.db``) for a person to look
at and *redrive* (``baton dlq list|show|redrive|drop``).

Redrive is idempotent: a letter remembers what its redrive made, and does
it with the same id again — an event keeps its id (a run takes an event id
once), a start or a run is started as ``<id>-redrive`` with a second run of
that id refused — so redriving twice does it once."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from temporalio import workflow

from ..errors import BatonError
from ..localdb import open_db

if TYPE_CHECKING:
    from .redis_letters import RedisDeadLetters

STORE_FILE = "dead-letters.db"
KINDS = ("event", "start", "run", "step")
# a redriven event's own attributes; the rest (a reply's correlationid) go with it
_CORE_ATTRIBUTES = frozenset(
    ("specversion", "id", "type", "source", "time", "datacontenttype", "data", "subject")
) | {"batonorigin"}

# by task queue: each worker's runs that end failed (and failed non-critical
# steps) are kept in its store — with which of the two it keeps
_stores: dict[str, tuple[DeadLetters | RedisDeadLetters, bool, bool]] = {}


def open_dead_letters(
    settings: Any, baton_file: Any, home: Path | None = None, task_queue: str | None = None
) -> DeadLetters | RedisDeadLetters:
    """The store ``dead_letters.store`` names: this machine's (``local``,
    the default) or Redis (``dead_letters.redis``, else REDIS_URL /
    REDIS_HOST), with this machine's as its fallback."""
    section = baton_file.dead_letters or {}
    local = DeadLetters(home or settings.home, task_queue)
    if section.get("store", "local") != "redis":
        return local
    from ..errors import ConfigError
    from .redis_letters import DEFAULT_STREAM, RedisDeadLetters

    url = section.get("redis") or settings.redis_url
    if not url:
        local.close()
        raise ConfigError(
            f"{baton_file.path or 'baton.yaml'}: dead_letters.store is redis: give "
            "dead_letters.redis (a redis:// URL) or REDIS_URL / REDIS_HOST"
        )
    return RedisDeadLetters(str(url), str(section.get("stream") or DEFAULT_STREAM), local)


class DeadLetterError(BatonError):
    """A dead letter that is not there, or cannot be redriven."""

    exit_code = 1


class DeadLetters:
    def __init__(self, home: Path, task_queue: str | None = None) -> None:
        """``task_queue``: the worker whose outbox hears of each new letter
        (a ``dev.baton.dead_letter`` event to its sinks, docs/integrations.md)."""
        self.task_queue = task_queue
        self.path = home / STORE_FILE
        self._lock = threading.Lock()
        self._db = open_db(
            self.path,
            "create table if not exists letters (id text primary key, kind text, source text, "
            "reason text, body text, at text, redriven_as text, redriven_at text);",
        )

    def add(
        self, kind: str, source: str, reason: str, body: dict[str, Any], letter_id: str = ""
    ) -> str:
        letter_id = letter_id or f"dl-{uuid.uuid4().hex[:12]}"
        at = datetime.now(timezone.utc).isoformat()
        with self._lock:
            added = self._db.execute(
                "insert or ignore into letters (id, kind, source, reason, body, at) "
                "values (?, ?, ?, ?, ?, ?)",
                (
                    letter_id,
                    kind,
                    source,
                    reason[:2000],
                    json.dumps(body, default=str),
                    at,
                ),
            ).rowcount
        if added:
            announce(self.task_queue, letter_id, kind, source, reason, at)
        return letter_id

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "select id, kind, source, reason, at, redriven_as, redriven_at from letters "
                "order by at"
            ).fetchall()
        keys = ("id", "kind", "source", "reason", "at", "redriven_as", "redriven_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def show(self, letter_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._db.execute(
                "select id, kind, source, reason, at, redriven_as, redriven_at, body "
                "from letters where id = ?",
                (letter_id,),
            ).fetchone()
        if row is None:
            raise DeadLetterError(f"no dead letter {letter_id!r} (`baton dlq list` shows them)")
        keys = ("id", "kind", "source", "reason", "at", "redriven_as", "redriven_at")
        letter = dict(zip(keys, row[:7], strict=True))
        letter["body"] = json.loads(row[7])
        return letter

    def redriven(self, letter_id: str, as_what: str) -> None:
        with self._lock:
            self._db.execute(
                "update letters set redriven_as = ?, redriven_at = ? where id = ?",
                (as_what, datetime.now(timezone.utc).isoformat(), letter_id),
            )

    def drop(self, letter_id: str) -> None:
        self.show(letter_id)
        with self._lock:
            self._db.execute("delete from letters where id = ?", (letter_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def announce(
    task_queue: str | None, letter_id: str, kind: str, source: str, reason: str, at: str
) -> None:
    """A new letter, told to the worker's sinks (``dev.baton.dead_letter``);
    a store with no worker (``baton dlq``) tells nobody."""
    if task_queue is None:
        return
    from . import emitting

    letter = {"id": letter_id, "kind": kind, "source": source, "reason": reason[:2000]}
    emitting.dead_letter_kept(task_queue, letter, at)


def install(
    store: DeadLetters | RedisDeadLetters, task_queue: str, *, runs: bool, steps: bool
) -> None:
    _stores[task_queue] = (store, runs, steps)


def uninstall(task_queue: str) -> None:
    _stores.pop(task_queue, None)


def run_failed(status: str, failure: str | None) -> None:
    """From workflow code: a run ended failed (its status: FAILED,
    COMPENSATED, COMPENSATION_FAILED) — kept as a dead letter by the worker
    that ran it (nothing while replaying; one letter per run)."""
    if not _stores or workflow.unsafe.is_replaying():
        return
    info = workflow.info()
    found = _stores.get(info.task_queue)
    if found is None or not found[1]:
        return
    store = found[0]
    try:
        store.add(
            "run",
            f"run {info.workflow_id}",
            f"ended {status}" + (f": {failure}" if failure else ""),
            {"workflow_id": info.workflow_id, "run_id": info.run_id, "status": status},
            letter_id=f"dl-run-{info.workflow_id}-{info.run_id}"[:200],
        )
    except Exception:  # noqa: BLE001 - a full disk must not fail the run's workflow task
        pass


def step_failed(step_id: str, attempts: int, failure: str) -> None:
    """From workflow code: a non-critical step failed for good (its retries
    ran out, or its failure is not retried) and the run went on without it
    — kept as a dead letter by the worker that ran it (nothing while
    replaying; one letter per step of a run)."""
    if not _stores or workflow.unsafe.is_replaying():
        return
    info = workflow.info()
    found = _stores.get(info.task_queue)
    if found is None or not found[2]:
        return
    try:
        found[0].add(
            "step",
            f"run {info.workflow_id}, step {step_id}",
            f"failed after {attempts} attempt{'s' if attempts != 1 else ''}: {failure}",
            {"workflow_id": info.workflow_id, "run_id": info.run_id, "step_id": step_id},
            letter_id=f"dl-step-{info.workflow_id}-{info.run_id}-{step_id}"[:200],
        )
    except Exception:  # noqa: BLE001 - a full disk must not fail the run's workflow task
        import logging

        logging.getLogger("baton.dlq").exception("cannot keep the failed step %s", step_id)


async def redrive(
    settings: Any, connected: Any, store: DeadLetters | RedisDeadLetters, letter_id: str
) -> str:
    """Do again what the letter could not: what it made (an event id, a run
    id). With the entry point it first came through (a trigger's letter as
    the trigger, a run as its plan's), over ``connected``'s connection."""
    from ..runtime.client import TemporalWorkflowClient

    letter = store.show(letter_id)
    if letter["redriven_as"]:
        return str(letter["redriven_as"])  # redriven already: once is enough
    body = letter["body"]
    via = str(body.get("via") or "trigger")
    if letter["kind"] == "run":
        started = await connected.started_with(body["workflow_id"])
        if started is None:
            raise DeadLetterError(f"{body['workflow_id']} is not a run of a plan: start it anew")
        via = started.plan.options.origin
    client = TemporalWorkflowClient(
        settings,
        temporal=connected.temporal,
        via=via,
        baton_file=connected.baton_file,
        find_credential=False,
    )
    if letter["kind"] == "event":
        event = body["event"]
        if "type" not in event:
            raise DeadLetterError(f"dead letter {letter_id!r} holds no event (it was not one)")
        await client.send_event(
            event["type"],
            event.get("data"),
            workflow_id=body.get("workflow_id"),  # a reply: its run
            source=str(event.get("source") or "baton-dlq"),
            event_id=str(event["id"]),
            extensions={k: v for k, v in event.items() if k not in _CORE_ATTRIBUTES},
        )
        made = str(event["id"])
    elif letter["kind"] == "start":
        from ..definitions.loader import read_document
        from ..errors import RunAlreadyExistsError

        made = f"{body['workflow_id']}-redrive"
        try:
            await client.start(
                read_document(body["path"]),
                source=body["path"],
                input=body.get("input"),
                workflow_id=made,
                once=True,
            )
        except RunAlreadyExistsError:
            pass  # redriven before
    elif letter["kind"] == "step":
        from ..errors import RunAlreadyExistsError
        from ..monitoring.undoing import UndoRefused, step_plan

        made = f"{body['workflow_id']}-{body['step_id']}-redrive"
        started = await connected.started_with(body["workflow_id"])
        if started is None:
            raise DeadLetterError(f"{body['workflow_id']} is not a run of a plan")
        client = TemporalWorkflowClient(
            settings,
            temporal=connected.temporal,
            via=started.plan.options.origin,
            baton_file=connected.baton_file,
            find_credential=False,
        )
        state = await connected.status(body["workflow_id"])
        try:
            plan = step_plan(started.plan, state, body["workflow_id"], body["step_id"])
        except UndoRefused as exc:
            raise DeadLetterError(f"dead letter {letter_id!r} cannot be redriven: {exc}") from None
        try:
            await client.start_plan(plan, made, once=True)
        except RunAlreadyExistsError:
            pass  # redriven before
    elif letter["kind"] == "run":
        from ..errors import RunAlreadyExistsError

        made = f"{body['workflow_id']}-redrive"
        try:
            await client.start_plan(started.plan, made, input=started.input, once=True)
        except RunAlreadyExistsError:
            pass
    else:
        raise DeadLetterError(f"dead letter {letter_id!r} is of unknown kind {letter['kind']!r}")
    store.redriven(letter_id, made)
    return made


@contextlib.asynccontextmanager
async def keeping(
    settings: Any, baton_file: Any, task_queue: str
) -> AsyncIterator[DeadLetters | RedisDeadLetters | None]:
    """Beside a worker: with ``dead_letters.runs``, its runs that end failed
    are kept; with ``dead_letters.steps``, its non-critical steps that fail
    for good."""
    runs = bool(baton_file.dead_letters.get("runs"))
    steps = bool(baton_file.dead_letters.get("steps"))
    if not runs and not steps:
        yield None
        return
    store = open_dead_letters(settings, baton_file, task_queue=task_queue)
    install(store, task_queue, runs=runs, steps=steps)
    try:
        yield store
    finally:
        uninstall(task_queue)
        store.close()
