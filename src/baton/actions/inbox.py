"""The inbox index's activities (:mod:`baton.engine.inbox`): an approval's
report to its shard, and a new shard's seeding from the visibility store.
Both reach Temporal through the worker's own client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from ..engine.inbox import (
    INBOX_ENDED_ACTIVITY,
    INBOX_REPORT_ACTIVITY,
    INBOX_REPORT_SIGNAL,
    INBOX_SEED_ACTIVITY,
    INBOX_SHARDS,
    INBOX_WORKFLOW_NAME,
    PENDING,
    EndedRun,
    InboxInput,
    InboxRow,
    InboxSeed,
    ShardQuery,
    inbox_shard,
    inbox_workflow_id,
)
from ..engine.names import APPROVAL_WORKFLOW_NAME
from ..engine.search_attributes import BATON_APPROVERS, BATON_NAME, BATON_STATUS

APPROVALS_QUERY = f"WorkflowType = '{APPROVAL_WORKFLOW_NAME}'"

ABNORMAL_ENDS = "ExecutionStatus IN ('Terminated', 'TimedOut', 'Failed')"


def quoted(value: str) -> str:
    """A value inside single quotes of a visibility query."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def pending_query(task_queue: str) -> str:
    """The pending approvals of one task queue (one deployment's inbox)."""
    return (
        f"{APPROVALS_QUERY} AND TaskQueue = '{quoted(task_queue)}' "
        f"AND BatonStatus = '{PENDING}' AND ExecutionStatus = 'Running'"
    )


def visibility_row(wf: WorkflowExecution) -> dict[str, Any]:
    """An approval's inbox row from its visibility record."""
    sa = wf.typed_search_attributes
    status = sa.get(BATON_STATUS)
    if wf.status != WorkflowExecutionStatus.RUNNING and status == PENDING:
        status = wf.status.name if wf.status else None
    return {
        "approval_id": wf.id,
        "stage": sa.get(BATON_NAME),
        "status": status,
        "may_decide": list(sa.get(BATON_APPROVERS) or []),
        "requested_at": wf.start_time.isoformat() if wf.start_time else None,
        "closed_at": wf.close_time.isoformat() if wf.close_time else None,
    }


async def start_shards(client: Client, task_queue: str, shards: Iterable[int]) -> None:
    """Start these shards of ``task_queue``'s index where they are not
    running (a new one seeds itself from the visibility store)."""
    await asyncio.gather(
        *(
            client.start_workflow(
                INBOX_WORKFLOW_NAME,
                InboxInput(shard=shard),
                id=inbox_workflow_id(task_queue, shard),
                task_queue=task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
            for shard in shards
        )
    )


async def report_row(client: Client, row: InboxRow, task_queue: str) -> None:
    """Signal the row to its shard, starting the shard if it is not running,
    and start the other shards of the task queue that are not (a reader
    needs all of them to answer from the index)."""
    shard = inbox_shard(row.approval_id)
    await client.start_workflow(
        INBOX_WORKFLOW_NAME,
        InboxInput(shard=shard),
        id=inbox_workflow_id(task_queue, shard),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        start_signal=INBOX_REPORT_SIGNAL,
        start_signal_args=[row],
    )
    await start_shards(
        client, task_queue, (other for other in range(INBOX_SHARDS) if other != shard)
    )


@activity.defn(name=INBOX_REPORT_ACTIVITY)
async def report_to_inbox(row: InboxRow) -> None:
    """An approval's row changed and its shard was not running to take it."""
    await report_row(activity.client(), row, activity.info().task_queue)


@activity.defn(name=INBOX_SEED_ACTIVITY)
async def seed_inbox(query: ShardQuery) -> InboxSeed:
    """The pending approvals of a shard the visibility store knows of."""
    rows: list[InboxRow] = []
    try:
        found = [wf async for wf in _listed(pending_query(query.task_queue))]
    except RPCError as exc:
        if exc.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        return InboxSeed(visibility=False)  # the time-skipping test server
    for wf in found:
        if inbox_shard(wf.id) != query.shard:
            continue
        row = visibility_row(wf)
        rows.append(
            InboxRow(
                approval_id=row["approval_id"],
                stage=row["stage"],
                status=PENDING,
                may_decide=row["may_decide"],
                requested_at=row["requested_at"],
                run_id=wf.run_id,
                seeded=True,
            )
        )
    return InboxSeed(rows=rows)


async def _listed(query: str) -> AsyncIterator[WorkflowExecution]:
    local = activity.info().is_local
    async for wf in activity.client().list_workflows(query):
        if not local:
            activity.heartbeat()
        yield wf


@activity.defn(name=INBOX_ENDED_ACTIVITY)
async def ended_approvals(query: ShardQuery) -> list[EndedRun]:
    """Approvals of ``query.shard`` that ended since ``query.since`` without
    reporting it (terminated, timed out, failed: a completed approval reports
    its end itself), or that ended at all (``every_end``)."""
    ended: list[EndedRun] = []
    ends = "ExecutionStatus != 'Running'" if query.every_end else ABNORMAL_ENDS
    async for wf in _listed(
        f"{APPROVALS_QUERY} AND TaskQueue = '{quoted(query.task_queue)}' "
        f"AND {ends} AND CloseTime >= '{query.since}'"
    ):
        if inbox_shard(wf.id) == query.shard:
            ended.append(EndedRun(approval_id=wf.id, run_id=wf.run_id))
    return ended


INBOX_ACTIVITIES = (report_to_inbox, seed_inbox, ended_approvals)
