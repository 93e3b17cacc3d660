"""Reading the inbox index (:mod:`baton.engine.inbox`): one query per shard,
all at once, merged newest first. ``None`` when the index cannot answer for
every shard (no worker answering, a shard not started or still seeding):
the caller then lists from the visibility store. Shards missing from an
index that has others (terminated, or never reported to) are started, so
the next listing can use the index; a task queue with no shard at all has
no index (no approval reported there) and gets none from a reader.

Before it is trusted, the index's count is checked against the visibility
store's count of the same approvals (one ``CountWorkflowExecutions``, not a
row each): while the index lags behind (its reports are signals, delivered
after a burst of requests with a delay) or holds an approval that ended
without reporting, the two differ and the listing comes from the visibility
store."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowQueryFailedError, WorkflowQueryRejectedError
from temporalio.common import QueryRejectCondition
from temporalio.service import RPCError, RPCStatusCode

from ..actions.inbox import pending_query, quoted, start_shards
from ..engine.inbox import INBOX_ROWS_QUERY, INBOX_SHARDS, inbox_workflow_id

# a worker answers a shard's query in milliseconds; without one the query
# would wait for a worker, so the listing gives up on the index after this
QUERY_TIMEOUT = timedelta(seconds=2)


async def read_inbox_index(
    client: Client,
    task_queue: str,
    as_user: str | None,
    limit: int,
    timeout: timedelta = QUERY_TIMEOUT,
) -> list[dict[str, Any]] | None:
    """Pending approvals of ``task_queue`` (``as_user``'s only, if given),
    newest first, at most ``limit``; ``None`` when the index cannot answer."""

    async def shard(index: int) -> dict[str, Any]:
        handle = client.get_workflow_handle(inbox_workflow_id(task_queue, index))
        answer: dict[str, Any] = await handle.query(
            INBOX_ROWS_QUERY,
            args=[as_user, limit],
            reject_condition=QueryRejectCondition.NOT_OPEN,
            rpc_timeout=timeout,
        )
        return answer

    answers = await asyncio.gather(
        *(shard(index) for index in range(INBOX_SHARDS)), return_exceptions=True
    )
    rows: list[dict[str, Any]] = []
    missing: list[int] = []
    complete = True
    for index, answer in enumerate(answers):
        if isinstance(answer, WorkflowQueryRejectedError) or (
            isinstance(answer, RPCError) and answer.status == RPCStatusCode.NOT_FOUND
        ):
            missing.append(index)  # not running: terminated, or never started
            complete = False
        elif isinstance(answer, RPCError | WorkflowQueryFailedError):
            complete = False  # no worker answered in time, or the query failed
        elif isinstance(answer, BaseException):
            raise answer
        elif not answer.get("complete"):
            complete = False  # still seeding
        else:
            rows.extend(answer["rows"])
    if missing and len(missing) < INBOX_SHARDS:
        await start_shards(client, task_queue, missing)
    if not complete:
        return None
    matched = sum(answer["matched"] for answer in answers if isinstance(answer, dict))
    if matched != await _visible_count(client, task_queue, as_user, matched):
        return None
    rows.sort(key=lambda row: (row.get("requested_at") or "", row["approval_id"]), reverse=True)
    return rows[: max(0, limit)]


async def _visible_count(client: Client, task_queue: str, as_user: str | None, indexed: int) -> int:
    """How many of these approvals the visibility store counts (``indexed``
    on a server without one: Temporal's time-skipping test server)."""
    query = pending_query(task_queue)
    if as_user:
        query += f" AND BatonApprovers = '{quoted(as_user)}'"
    try:
        return (await client.count_workflows(query)).count
    except RPCError as exc:
        if exc.status == RPCStatusCode.UNIMPLEMENTED:
            return indexed
        return -1  # not known: the listing comes from the visibility store
