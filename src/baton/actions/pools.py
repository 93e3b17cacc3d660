"""``acquire`` and ``release`` steps: leases of a named resource pool
(:mod:`baton.engine.pools`, docs/pools.md), and the pool's check of its
holders' runs.

The pool's capacity comes from the worker's baton.yaml (``pools:``), never
from a definition: a definition names a pool the worker does not know and
the step fails with a message saying what to add. The activities reach the
pool workflow through the worker's own Temporal client."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from temporalio import activity
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from ..config import PoolConfig
from ..engine.pools import (
    ENDED_RUNS_ACTIVITY,
    AcquireAnswer,
    AcquireRequest,
    PoolInput,
    PoolWorkflow,
    ReleaseRequest,
    pool_workflow_id,
)
from ._support import heartbeating, non_retryable
from .types import ActionRequest

# how long one acquire update waits inside the pool before answering
# "not yet" (the activity then asks again, keeping its place)
LONG_POLL_SECONDS = 20.0
# how long an acquire that ends without its lease tries to give back its
# place; past it the pool's own check of ended runs frees it
GIVE_BACK_SECONDS = 10.0


def holder_of(request: ActionRequest) -> str:
    """The lease's key: the same for every attempt of the step in this run,
    so a retried or re-delivered acquire never takes twice."""
    return f"{request.workflow_id}:{request.step_id}"


async def release_in_pool(client: Client, pool: str, run: str, holder: str | None = None) -> int:
    """Free what ``run`` holds (or ``holder`` only) in ``pool``; 0 when the
    pool has never been used."""
    handle = client.get_workflow_handle(pool_workflow_id(pool))
    try:
        return await handle.execute_update(
            PoolWorkflow.release, ReleaseRequest(run=run, holder=holder)
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return 0
        raise


class PoolActions:
    def __init__(self, pools: dict[str, PoolConfig], config_name: str = "baton.yaml") -> None:
        self.pools = pools
        self._config_name = config_name

    def _config(self, pool: str) -> PoolConfig:
        config = self.pools.get(pool)
        if config is None:
            known = ", ".join(sorted(self.pools)) or "none"
            raise non_retryable(
                f"pool {pool!r} is not configured on this worker (its pools: {known}); add "
                f"pools: {{{pool}: {{capacity: N}}}} to its {self._config_name} (docs/pools.md)",
                "UnknownPool",
            )
        return config

    @activity.defn(name="baton.acquire")
    async def acquire(self, request: ActionRequest) -> dict[str, Any]:
        """Wait for a lease of ``count`` units of ``pool`` (FIFO), at most
        ``timeout_seconds``; its output names the lease."""
        action = request.action
        pool = str(action["pool"])
        count = int(action.get("count", 1))
        config = self._config(pool)
        if count > config.capacity:
            raise non_retryable(
                f"acquire {count} of pool {pool!r}: its capacity is {config.capacity} "
                f"({self._config_name}), so this can never be granted",
                "PoolTooSmall",
            )
        client = activity.client()
        info = activity.info()
        holder = holder_of(request)
        # bounded by the step's own timeout too, so it fails with a message, not killed
        wait = min(
            float(action.get("timeout_seconds") or request.timeout_seconds),
            max(1.0, request.timeout_seconds - 2.0),
        )
        started = time.monotonic()
        position = 0
        try:
            async with heartbeating(lambda: {"pool": pool, "position": position}):
                while True:
                    left = wait - (time.monotonic() - started)
                    try:
                        answer: AcquireAnswer = await client.execute_update_with_start_workflow(
                            "acquire",
                            AcquireRequest(
                                holder=holder,
                                run=request.workflow_id,
                                count=count,
                                capacity=config.capacity,
                                wait_seconds=max(1.0, min(LONG_POLL_SECONDS, left)),
                            ),
                            result_type=AcquireAnswer,
                            # the first use of a pool starts it (one operation per call)
                            start_workflow_operation=WithStartWorkflowOperation(
                                PoolWorkflow.run,
                                PoolInput(
                                    name=pool,
                                    capacity=config.capacity,
                                    check_seconds=config.check_seconds,
                                ),
                                id=pool_workflow_id(pool),
                                task_queue=info.task_queue,
                                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                            ),
                        )
                    except WorkflowUpdateRPCTimeoutOrCancelledError:
                        if activity.is_cancelled():
                            raise asyncio.CancelledError("the step was cancelled") from None
                        continue  # the call timed out, not the wait: ask again
                    except WorkflowUpdateFailedError as exc:
                        raise non_retryable(
                            f"pool {pool!r} refused: {exc.cause}", "PoolRefused"
                        ) from None
                    if answer.granted:
                        return {
                            "pool": pool,
                            "count": count,
                            "holder": holder,
                            "run": request.workflow_id,
                            "since": answer.since,
                            "waited_seconds": round(time.monotonic() - started, 3),
                        }
                    position = answer.position
                    if time.monotonic() - started >= wait:
                        raise non_retryable(
                            f"no {count} of pool {pool!r} within {wait:g} s "
                            f"(position {position} in its queue, {answer.in_use} of "
                            f"{answer.capacity} in use)",
                            "PoolTimeout",
                        )
        except BaseException:
            # cancelled while waiting (or just as it was granted), refused or
            # timed out: give back whatever this holder has, so nothing leaks
            try:
                # bounded: with no worker for the pool (this one shutting down)
                # the update would wait forever
                await asyncio.wait_for(
                    asyncio.shield(release_in_pool(client, pool, request.workflow_id, holder)),
                    GIVE_BACK_SECONDS,
                )
            except Exception:  # noqa: BLE001 - the pool's own check frees it later
                activity.logger.warning("could not give back %s of pool %s", holder, pool)
            raise

    @activity.defn(name="baton.release")
    async def release(self, request: ActionRequest) -> dict[str, Any]:
        """Free everything this run holds in ``pool`` (idempotent)."""
        pool = str(request.action["pool"])
        self._config(pool)
        freed = await release_in_pool(activity.client(), pool, request.workflow_id)
        return {"pool": pool, "released": freed}

    @activity.defn(name=ENDED_RUNS_ACTIVITY)
    async def ended_runs(self, runs: list[str]) -> list[str]:
        """Of these workflow ids, the runs that are no longer running (or
        unknown): the pool frees what they hold."""
        client = activity.client()
        ended: list[str] = []
        for run in runs:
            try:
                description = await client.get_workflow_handle(run).describe()
            except RPCError as exc:
                if exc.status == RPCStatusCode.NOT_FOUND:
                    ended.append(run)
                    continue
                raise
            if description.status is None or description.status.name != "RUNNING":
                ended.append(run)
        return ended
