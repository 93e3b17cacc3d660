"""Reading resource pools (docs/pools.md): each pool's capacity, leases and
queue, by query of its pool workflow (:mod:`baton.engine.pools`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from ..engine.pools import POOL_ID_PREFIX, POOL_WORKFLOW_NAME, PoolState, PoolWorkflow


async def pool_status(client: Client, name: str) -> PoolState | None:
    """The pool's state, or None when no run has used it yet."""
    handle = client.get_workflow_handle(f"{POOL_ID_PREFIX}{name}")
    try:
        return await handle.query(PoolWorkflow.state)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def list_pools(client: Client) -> list[PoolState]:
    """Every pool that has been used (its workflow is running), by name."""
    names: list[str] = []
    query = f"WorkflowType = '{POOL_WORKFLOW_NAME}' AND ExecutionStatus = 'Running'"
    async for execution in client.list_workflows(query):
        names.append(execution.id[len(POOL_ID_PREFIX) :])
    states = [await pool_status(client, name) for name in sorted(set(names))]
    return [state for state in states if state is not None]


def pool_document(state: PoolState) -> dict[str, Any]:
    """A pool's state as JSON (CLI ``--json``, the client API)."""
    document = asdict(state)
    document["free"] = state.capacity - state.in_use
    return document
