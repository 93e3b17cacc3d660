"""Named resource pools shared by every run and worker (docs/pools.md).

One small workflow per pool, id ``baton-pool-<name>``, holds the pool's
capacity, its leases and a FIFO queue of waiting requests. Its state lives in
Temporal, so it survives any worker; it continues as new when its history
grows, carrying leases and queue over.

- ``acquire`` (an update; the ``acquire`` action sends it with
  update-with-start, so the first use starts the pool) grants a lease to a
  *holder* — ``<run's workflow id>:<step id>`` — when enough capacity is free
  and nobody is queued before it; else it queues the holder. An update waits
  at most ``wait_seconds`` (a long poll) and answers "not yet" with the
  holder's queue position; the caller asks again (its place is kept). The
  same holder asking again never takes twice.
- ``release`` (an update) frees every lease and queued request of a run (or
  only one holder's), and answers how many units it freed: releasing twice
  frees nothing the second time.
- While it has leases or waiters the pool asks Temporal, every
  ``check_seconds``, which holders' runs have ended, and frees what they
  still hold; a waiter that has not asked again for ``stale_waiter_seconds``
  (its activity died) loses its place.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

POOL_WORKFLOW_NAME = "BatonPool"
POOL_ID_PREFIX = "baton-pool-"
ENDED_RUNS_ACTIVITY = "baton.pool_ended_runs"
# a run continues as new after this many history events (or sooner when the
# server suggests it), so replaying a pool stays cheap however long it lives
EVENTS_PER_RUN = 2_000


def pool_workflow_id(name: str) -> str:
    return f"{POOL_ID_PREFIX}{name}"


@dataclass
class Lease:
    holder: str  # "<workflow id>:<step id>"
    run: str  # the holder's workflow id
    count: int
    since: str  # ISO time it was granted (workflow time)


@dataclass
class Waiter:
    holder: str
    run: str
    count: int
    since: str  # ISO time it first asked
    seen: str  # ISO time it last asked


@dataclass
class PoolInput:
    name: str
    capacity: int
    leases: list[Lease] = field(default_factory=list)
    queue: list[Waiter] = field(default_factory=list)
    check_seconds: float = 30.0
    stale_waiter_seconds: float = 120.0
    events_per_run: int = EVENTS_PER_RUN


@dataclass
class AcquireRequest:
    holder: str
    run: str
    count: int
    # the capacity in the asking worker's baton.yaml: the pool takes it, so a
    # changed baton.yaml applies from the next acquire
    capacity: int
    wait_seconds: float = 20.0


@dataclass
class AcquireAnswer:
    granted: bool
    position: int  # 0 when granted; else 1 = next in line
    in_use: int
    capacity: int
    since: str = ""  # when granted


@dataclass
class ReleaseRequest:
    run: str
    holder: str | None = None  # None: everything the run holds or waits for


@dataclass
class PoolState:
    name: str
    capacity: int
    in_use: int
    leases: list[Lease]
    queue: list[Waiter]


def _seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


@workflow.defn(name=POOL_WORKFLOW_NAME, sandboxed=False)
class PoolWorkflow:
    @workflow.init
    def __init__(self, input: PoolInput) -> None:
        self._input = input
        self._capacity = input.capacity
        self._leases: dict[str, Lease] = {lease.holder: lease for lease in input.leases}
        self._queue: list[Waiter] = list(input.queue)
        self._draining = False
        self._changed = False

    # -- state --------------------------------------------------------------
    def _in_use(self) -> int:
        return sum(lease.count for lease in self._leases.values())

    def _now(self) -> str:
        return workflow.now().isoformat()

    def _position(self, holder: str) -> int:
        for index, waiter in enumerate(self._queue):
            if waiter.holder == holder:
                return index + 1
        return 0

    def _grant(self) -> None:
        """Grant in strict FIFO order: the head waits until it fits, so a
        large request is never starved by small ones behind it."""
        while self._queue and self._queue[0].count <= self._capacity - self._in_use():
            waiter = self._queue.pop(0)
            self._leases[waiter.holder] = Lease(
                waiter.holder, waiter.run, waiter.count, self._now()
            )
            self._changed = True

    def _answer(self, holder: str) -> AcquireAnswer:
        lease = self._leases.get(holder)
        return AcquireAnswer(
            granted=lease is not None,
            position=0 if lease else self._position(holder),
            in_use=self._in_use(),
            capacity=self._capacity,
            since=lease.since if lease else "",
        )

    def _free(self, runs: set[str], holder: str | None = None) -> int:
        def matches(item_run: str, item_holder: str) -> bool:
            return item_run in runs and (holder is None or item_holder == holder)

        freed = sum(
            lease.count for lease in self._leases.values() if matches(lease.run, lease.holder)
        )
        self._leases = {
            key: lease
            for key, lease in self._leases.items()
            if not matches(lease.run, lease.holder)
        }
        self._queue = [w for w in self._queue if not matches(w.run, w.holder)]
        self._grant()
        self._changed = True
        return freed

    # -- handlers -----------------------------------------------------------
    @workflow.update(name="acquire")
    async def acquire(self, request: AcquireRequest) -> AcquireAnswer:
        if request.capacity != self._capacity:
            self._capacity = request.capacity
            self._grant()
        if request.holder not in self._leases:
            if request.count > self._capacity:
                raise ApplicationError(
                    f"pool {self._input.name!r} has capacity {self._capacity}; "
                    f"{request.count} can never be granted",
                    type="PoolTooSmall",
                    non_retryable=True,
                )
            now = self._now()
            waiting = next((w for w in self._queue if w.holder == request.holder), None)
            if waiting is None:
                self._queue.append(Waiter(request.holder, request.run, request.count, now, now))
            else:
                waiting.seen = now
            self._grant()
            self._changed = True
        if request.holder not in self._leases and not self._draining:
            try:
                await workflow.wait_condition(
                    lambda: request.holder in self._leases or self._draining,
                    timeout=timedelta(seconds=request.wait_seconds),
                )
            except asyncio.TimeoutError:
                pass
        return self._answer(request.holder)

    @workflow.update(name="release")
    def release(self, request: ReleaseRequest) -> int:
        return self._free({request.run}, request.holder)

    @workflow.query(name="state")
    def state(self) -> PoolState:
        return PoolState(
            self._input.name,
            self._capacity,
            self._in_use(),
            list(self._leases.values()),
            list(self._queue),
        )

    # -- the loop -----------------------------------------------------------
    def _history_long(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._input.events_per_run
        )

    async def _free_ended_runs(self) -> None:
        now = self._now()
        stale = {
            w.holder
            for w in self._queue
            if _seconds_between(w.seen, now) > self._input.stale_waiter_seconds
        }
        if stale:
            self._queue = [w for w in self._queue if w.holder not in stale]
            self._grant()
        runs = sorted({lease.run for lease in self._leases.values()} | {w.run for w in self._queue})
        if not runs:
            return
        try:
            ended = await workflow.execute_activity(
                ENDED_RUNS_ACTIVITY,
                runs,
                result_type=list[str],
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        except ActivityError:
            workflow.logger.warning("pool %s: could not check its holders' runs", self._input.name)
            return
        if ended:
            workflow.logger.info(
                "pool %s: freeing what ended runs held: %s", self._input.name, ended
            )
            self._free(set(ended))

    @workflow.run
    async def run(self, input: PoolInput) -> None:
        every = timedelta(seconds=input.check_seconds)
        next_check = workflow.now() + every
        while not self._history_long():
            self._changed = False
            busy = bool(self._leases or self._queue)
            if not busy:
                next_check = workflow.now() + every
            try:
                await workflow.wait_condition(
                    lambda: self._changed,
                    # a busy pool checks on schedule, however often it changes
                    timeout=max(next_check - workflow.now(), timedelta(seconds=1))
                    if busy
                    else None,
                )
            except asyncio.TimeoutError:
                pass
            if busy and workflow.now() >= next_check:
                await self._free_ended_runs()
                next_check = workflow.now() + every
        # let waiting acquires answer "not yet" (their callers ask the next run)
        self._draining = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(
            PoolInput(
                name=input.name,
                capacity=self._capacity,
                leases=list(self._leases.values()),
                queue=list(self._queue),
                check_seconds=input.check_seconds,
                stale_waiter_seconds=input.stale_waiter_seconds,
                events_per_run=input.events_per_run,
            )
        )
