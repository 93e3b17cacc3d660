"""The schedule tools of the MCP server, with the real MCP client, against
the session's real Temporal server: an agent creates a schedule, reads it,
triggers it, pauses and unpauses it, deletes it; bad input and the MCP
execution policy are tool errors."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, get_args

import pytest
from mcp import Client

from baton.errors import ScheduleNotFoundError
from baton.mcp.server import build_server
from baton.mcp.tools import Overlap
from baton.runtime import TemporalWorkflowClient
from baton.runtime.schedule_times import OVERLAP_POLICIES

ASYNC = pytest.mark.asyncio(loop_scope="session")

QUICK = {
    "document": {"dsl": "1.0.3", "namespace": "mcp", "name": "quick", "version": "1.0.0"},
    "do": [{"echo": {"set": "${ {got: .} }"}}],
}


def data(result: Any) -> Any:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def error(result: Any) -> str:
    assert result.is_error, result.content[0].text
    return str(result.content[0].text)


def test_the_overlap_choices_are_the_policies() -> None:
    assert set(get_args(Overlap)) == set(OVERLAP_POLICIES)


@ASYNC
async def test_an_agent_schedules_triggers_pauses_and_deletes(baton):
    name = f"mcp-{uuid.uuid4().hex[:6]}"
    server = build_server(lambda: TemporalWorkflowClient(baton.settings))
    try:
        async with Client(server) as client:
            made = data(
                await client.call_tool(
                    "create_schedule",
                    {
                        "name": name,
                        "workflow_type": "process",
                        "workflow_spec": QUICK,
                        "cron": ["0 2 * * *"],
                        "timezone": "Europe/Berlin",
                        "overlap": "buffer",
                        "catchup": "4h",
                        "workflow_input": {"model": "vit"},
                    },
                )
            )
            assert made["definition"] == "quick" and made["times"] == (
                "cron '0 2 * * *' (Europe/Berlin)"
            )
            assert len(made["next_runs"]) == 3  # each at 02:00 in Berlin
            assert all("T02:00:00+0" in t for t in made["next_runs"])

            started = data(await client.call_tool("trigger_schedule", {"name": name}))
            assert started["outcome"] == "started"
            result = await asyncio.wait_for(baton.client.result(started["workflow_id"]), 60)
            assert result["output"] == {"got": {"model": "vit"}}

            paused = data(
                await client.call_tool("pause_schedule", {"name": name, "note": "GPU busy"})
            )
            assert paused == {"name": name, "paused": True, "note": "GPU busy"}
            described = data(await client.call_tool("describe_schedule", {"name": name}))
            assert described["paused"] is True and described["note"] == "GPU busy"
            assert described["overlap"] == "buffer" and described["catchup"] == "4h"
            assert [r["workflow_id"] for r in described["recent_runs"]] == [started["workflow_id"]]
            assert described["recent_runs"][0]["status"] == "COMPLETED"
            data(await client.call_tool("unpause_schedule", {"name": name}))
            assert (
                data(await client.call_tool("describe_schedule", {"name": name}))["paused"] is False
            )

            deleted = data(await client.call_tool("delete_schedule", {"name": name}))
            assert deleted == {"name": name, "deleted": True}
            missing = error(await client.call_tool("describe_schedule", {"name": name}))
            assert f"no schedule named '{name}'" in missing
    finally:
        try:
            await baton.client.schedules.delete(name)
        except ScheduleNotFoundError:
            pass


@ASYNC
async def test_bad_schedules_are_tool_errors(baton):
    server = build_server(lambda: TemporalWorkflowClient(baton.settings))
    base = {"name": f"mcp-bad-{uuid.uuid4().hex[:6]}", "workflow_type": "process"}
    async with Client(server) as client:
        said = error(
            await client.call_tool(
                "create_schedule", {**base, "workflow_spec": QUICK, "cron": ["0 25 * * *"]}
            )
        )
        assert "Hour is not in range" in said
        said = error(
            await client.call_tool(
                "create_schedule", {**base, "workflow_spec": QUICK, "every": "soon"}
            )
        )
        assert "every 'soon' is not a duration" in said
        # the execution policy of the mcp entry point: no shell steps
        shell = {**QUICK, "do": [{"sh": {"run": {"shell": {"command": "id"}}}}]}
        said = error(
            await client.call_tool(
                "create_schedule", {**base, "workflow_spec": shell, "every": "1d"}
            )
        )
        assert "may not come from mcp" in said
        said = error(await client.call_tool("trigger_schedule", {"name": "no-such-schedule"}))
        assert "no schedule named 'no-such-schedule'" in said
