"""The inbox index: every pending approval, kept where one query reads it.

Listing an approver's inbox from Temporal's visibility store costs the
server about 0.15–0.4 ms per row (docs/benchmarks.md: 10,000 rows took
4.3 s). The index keeps the same rows in a few small workflows instead —
``INBOX_SHARDS`` of them, id ``baton-inbox-<n>``, an approval's shard chosen
by a stable hash of its id — so a listing is one query per shard, answered
from memory. Each task queue (each Baton deployment, ``BATON_TASK_QUEUE``)
has its own shards, id ``baton-inbox-<task queue>-<n>``, served by its own
workers; its inbox lists the approvals that run on it.

- **Reports.** Each approval reports its row (stage, status, who may decide
  now) whenever it changes: a signal to its shard, sent with the workflow
  task that made the change, one at a time (so they arrive in order). A
  shard that is not running is started by an activity that signals it with
  start (and starts the other shards of its task queue). A row that is no
  longer pending is dropped.
- **Seeding.** A shard that starts afresh (not continued as new) first reads
  the pending approvals of its shard from the visibility store (approvals
  from before the index, or from while the shard was gone); rows reported
  meanwhile win, and approvals reported closed meanwhile are not put back.
  Until then its answer says it is not complete and readers use the
  visibility store.
- **Reading.** The ``rows`` query: pending rows, newest first, optionally one
  user's (who may decide now), at most ``limit``; with how many matched.
- **Pruning.** Every ``PRUNE_SECONDS`` while it holds rows, a shard asks the
  visibility store which approvals were terminated, timed out or failed
  since its last look (they never report their end) and drops their rows;
  while it holds rows found by seeding and not reported since (approvals
  that may never report), it asks for every end.
  A server without a visibility store (Temporal's time-skipping test server)
  has nothing to seed from or prune against: the shard then only takes
  reports.
- Seeding and pruning run as local activities of the shard: no activity
  task waits on a task queue for them (on the time-skipping test server an
  activity task left waiting, its worker gone, would stop time skipping).
- The shard continues as new every ``EVENTS_PER_RUN`` events (or when the
  server suggests), carrying its rows.

The index says what each approval last reported; the approval itself stays
the authority (a decision on a row that just closed is refused by the
approval, as with the visibility store, which also lags).
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

INBOX_WORKFLOW_NAME = "BatonInbox"
INBOX_ID_PREFIX = "baton-inbox-"
INBOX_SHARDS = 8
INBOX_REPORT_SIGNAL = "report"
INBOX_ROWS_QUERY = "rows"
INBOX_REPORT_ACTIVITY = "baton.inbox_report"
INBOX_SEED_ACTIVITY = "baton.inbox_seed"
INBOX_ENDED_ACTIVITY = "baton.inbox_ended"
# the approval workflow's patch id: approvals that began before the index
# replay without reporting (their rows come from seeding)
INBOX_PATCH = "baton-inbox-index"
EVENTS_PER_RUN = 2_000
PRUNE_SECONDS = 300.0
# how far back each look for ended approvals reaches before the last one
# (the visibility store is written a moment after a run ends)
PRUNE_OVERLAP = timedelta(minutes=5)
PENDING = "PENDING"


def inbox_shard(approval_id: str) -> int:
    """The shard an approval reports to (stable across processes)."""
    return zlib.crc32(approval_id.encode()) % INBOX_SHARDS


def inbox_workflow_id(task_queue: str, shard: int) -> str:
    return f"{INBOX_ID_PREFIX}{task_queue}-{shard}"


@dataclass
class InboxRow:
    """An approval as the inbox lists it (the same fields as a visibility row)."""

    approval_id: str
    stage: str | None
    status: str
    may_decide: list[str] = field(default_factory=list)
    requested_at: str | None = None
    run_id: str | None = None
    # found by seeding and not reported since: its approval may never report
    # (requested before the index was on), so pruning looks for its end
    seeded: bool = False

    def listed(self) -> dict[str, Any]:
        row = asdict(self)
        del row["run_id"], row["seeded"]
        return {**row, "closed_at": None}


@dataclass
class InboxInput:
    shard: int
    rows: list[InboxRow] = field(default_factory=list)
    seeded: bool = False
    events_per_run: int = EVENTS_PER_RUN
    pruned_at: str | None = None  # ISO time of the last look for ended approvals
    prune_seconds: float = PRUNE_SECONDS
    # False on a server without a visibility store (found when seeding)
    visibility: bool = True


@dataclass
class InboxSeed:
    rows: list[InboxRow] = field(default_factory=list)
    visibility: bool = True  # False: the server has no visibility store


@dataclass
class ShardQuery:
    """What a shard asks the visibility store about: its own approvals."""

    task_queue: str
    shard: int
    since: str | None = None  # ISO time (ended approvals only)
    # every end, not only those that never report (rows found by seeding)
    every_end: bool = False


@dataclass
class EndedRun:
    approval_id: str
    run_id: str


@workflow.defn(name=INBOX_WORKFLOW_NAME, sandboxed=False)
class InboxWorkflow:
    @workflow.init
    def __init__(self, input: InboxInput) -> None:
        self._rows: dict[str, InboxRow] = {row.approval_id: row for row in input.rows}
        self._seeded = input.seeded
        self._pruned_at = input.pruned_at
        self._visibility = input.visibility
        # approvals reported closed before seeding ended: not put back by it
        self._gone: set[str] = set()

    @workflow.signal(name=INBOX_REPORT_SIGNAL)
    def report(self, row: InboxRow) -> None:
        if row.status == PENDING:
            self._rows[row.approval_id] = row
            self._gone.discard(row.approval_id)
        else:
            self._rows.pop(row.approval_id, None)
            if not self._seeded:
                self._gone.add(row.approval_id)

    @workflow.query(name=INBOX_ROWS_QUERY)
    def rows(self, as_user: str | None = None, limit: int = 100) -> dict[str, Any]:
        chosen = [
            row for row in self._rows.values() if as_user is None or as_user in row.may_decide
        ]
        chosen.sort(key=lambda row: (row.requested_at or "", row.approval_id), reverse=True)
        return {
            "complete": self._seeded,
            "matched": len(chosen),
            "rows": [row.listed() for row in chosen[: max(0, limit)]],
        }

    @workflow.run
    async def run(self, input: InboxInput) -> None:
        if not self._seeded:
            self._pruned_at = workflow.now().isoformat()
            seed: InboxSeed = await workflow.execute_local_activity(
                INBOX_SEED_ACTIVITY,
                ShardQuery(task_queue=workflow.info().task_queue, shard=input.shard),
                result_type=InboxSeed,
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
            )
            self._visibility = seed.visibility
            for row in seed.rows:
                if row.approval_id not in self._rows and row.approval_id not in self._gone:
                    self._rows[row.approval_id] = row
            self._seeded = True
            self._gone.clear()
        while not self._should_continue(input):
            try:
                await workflow.wait_condition(
                    lambda: self._should_continue(input),
                    timeout=input.prune_seconds if self._rows and self._visibility else None,
                )
            except asyncio.TimeoutError:
                await self._prune(input.shard)
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(
            InboxInput(
                shard=input.shard,
                rows=list(self._rows.values()),
                seeded=True,
                events_per_run=input.events_per_run,
                pruned_at=self._pruned_at,
                prune_seconds=input.prune_seconds,
                visibility=self._visibility,
            )
        )

    def _should_continue(self, input: InboxInput) -> bool:
        info = workflow.info()
        return (
            info.get_current_history_length() >= input.events_per_run
            or info.is_continue_as_new_suggested()
        )

    async def _prune(self, shard: int) -> None:
        """Drop the rows of approvals that ended without reporting it."""
        now = workflow.now()
        since = datetime.fromisoformat(self._pruned_at) if self._pruned_at else now
        try:
            ended: list[EndedRun] = await workflow.execute_local_activity(
                INBOX_ENDED_ACTIVITY,
                ShardQuery(
                    task_queue=workflow.info().task_queue,
                    shard=shard,
                    since=(since - PRUNE_OVERLAP).isoformat(),
                    every_end=any(row.seeded for row in self._rows.values()),
                ),
                result_type=list[EndedRun],
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        except ActivityError as exc:
            workflow.logger.warning("inbox shard %s: no look at ended approvals: %s", shard, exc)
            return
        self._pruned_at = now.isoformat()
        for run in ended:
            row = self._rows.get(run.approval_id)
            if row is not None and row.run_id in (None, run.run_id):
                del self._rows[run.approval_id]
