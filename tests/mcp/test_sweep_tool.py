"""The MCP `start_sweep` tool: the execution policy for MCP applies to the
trial (refused by default: `python` runs code), and an allowed sweep runs
to its best trial, read back with `wait_for_workflow`."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from baton.config import BatonFile
from baton.mcp.server import build_server
from baton.policy import NETWORKS, EntryPointRules, ExecutionPolicy
from baton.runtime import TemporalWorkflowClient
from tests.mcp.test_mcp import data, error

pytestmark = pytest.mark.asyncio(loop_scope="session")

SWEEP: dict[str, Any] = {
    "kind": "sweep",
    "name": "mcp-sweep",
    "trial": {"function": "tests.support.sweeps:score"},
    "space": {"grid": {"x": [0.1, 0.3], "y": [0.7, 0.9]}},
    "metric": "score",
    "parallelism": 2,
    "trials_per_run": 2,
}
MCP_PYTHON = BatonFile(
    policy=ExecutionPolicy(
        python_modules=("tests.support",),
        entry_points={"mcp": EntryPointRules(actions=None, networks=NETWORKS)},
    )
)


async def test_a_sweep_from_mcp_is_refused_by_default(worker_factory):
    refusing = BatonFile(policy=ExecutionPolicy(python_modules=("tests.support",)))
    async with worker_factory(refusing) as env:
        server = build_server(lambda: TemporalWorkflowClient(env.settings, baton_file=refusing))
        async with Client(server) as client:
            said = error(await client.call_tool("start_sweep", {"definition": SWEEP}))
    assert "trial.function: python steps may not come from mcp" in said


async def test_an_allowed_sweep_runs_to_its_best_trial(worker_factory):
    async with worker_factory(MCP_PYTHON) as env:
        server = build_server(lambda: TemporalWorkflowClient(env.settings, baton_file=MCP_PYTHON))
        async with Client(server) as client:
            started = data(
                await client.call_tool(
                    "start_sweep", {"definition": SWEEP, "workflow_id": "mcp-sweep-1"}
                )
            )
            assert started["workflow_id"] == "mcp-sweep-1"
            final = data(
                await client.call_tool(
                    "wait_for_workflow", {"workflow_id": "mcp-sweep-1", "timeout_seconds": 60}
                )
            )
    assert (final["kind"], final["status"], final["generation"]) == ("sweep", "COMPLETED", 2)
    assert final["best"]["params"] == {"x": 0.3, "y": 0.7}
