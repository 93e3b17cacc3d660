"""Reading resource pools (docs/pools.md): each pool's capacity, leases and
queue, by query of its pool workflow (:mod:`baton.engine.pools`)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from ..engine.pools import POOL_ID_PREFIX, POOL_WORKFLOW_NAME, PoolState, PoolWorkflow

# a pool whose task queue has no worker never answers a query; how long to wait
QUERY_SECONDS = 5.0


async def pool_status(client: Client, name: str) -> PoolState | None:
    """The pool's state, or None when no run has used it yet (an RPCError
    when no worker of its task queue answers within ``QUERY_SECONDS``)."""
    handle = client.get_workflow_handle(f"{POOL_ID_PREFIX}{name}")
    try:
        return await handle.query(PoolWorkflow.state, rpc_timeout=timedelta(seconds=QUERY_SECONDS))
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def list_pools(client: Client) -> list[dict[str, Any]]:
    """Every pool that has been used (its workflow is running), by name, as
    :func:`pool_document`; a pool no worker answers for is listed with
    ``unreachable`` (its task queue's workers are gone)."""
    names: set[str] = set()
    query = f"WorkflowType = '{POOL_WORKFLOW_NAME}' AND ExecutionStatus = 'Running'"
    async for execution in client.list_workflows(query):
        names.add(execution.id[len(POOL_ID_PREFIX) :])

    async def one(name: str) -> dict[str, Any] | None:
        try:
            state = await pool_status(client, name)
        except RPCError as exc:
            return {"name": name, "unreachable": f"no worker answered: {exc.message}"}
        return pool_document(state) if state is not None else None

    found = await asyncio.gather(*(one(name) for name in sorted(names)))
    return [document for document in found if document is not None]


def pool_document(state: PoolState) -> dict[str, Any]:
    """A pool's state as JSON (CLI ``--json``, the client API)."""
    document = asdict(state)
    document["free"] = state.capacity - state.in_use
    return document
