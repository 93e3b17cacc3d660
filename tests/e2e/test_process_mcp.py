"""``call: mcp`` against a real MCP server (the official SDK's, in
tests/support/mcp_tools_server.py): over stdio (a program the worker
starts) and over Streamable HTTP; tools, prompts and resources; a tool's
error as the specification's runtime error; a stdio server from an
untrusted entry point refused like a script."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from baton.errors import DefinitionError
from baton.runtime import TemporalWorkflowClient
from baton.testing import free_port
from tests.support.servers import answering

pytestmark = pytest.mark.asyncio(loop_scope="session")
SERVER = Path(__file__).resolve().parents[1] / "support" / "mcp_tools_server.py"
STDIO = {"stdio": {"command": sys.executable, "arguments": [str(SERVER)]}}


def process(*tasks: dict[str, Any]) -> dict[str, Any]:
    return {
        "document": {"dsl": "1.0.3", "namespace": "test", "name": "mcp", "version": "1.0.0"},
        "do": list(tasks),
    }


def mcp(method: str, transport: dict[str, Any], **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"method": method, "transport": transport}
    if parameters:
        body["parameters"] = parameters
    return {"call": "mcp", "with": body}


async def test_tools_prompts_and_resources_over_stdio(baton, monkeypatch):
    monkeypatch.setenv("BATON_SECRET_greeting", "hello from a secret")
    with_env = {
        "stdio": {**STDIO["stdio"], "environment": {"MCP_GREETING": "${ $secrets.greeting }"}}
    }
    definition = process(
        {
            "sum": {
                **mcp("tools/call", STDIO, name="add", arguments={"a": "${ .a }", "b": 2}),
                "export": {"as": "{sum: .structuredContent.sum}"},
            }
        },
        {
            "tools": {
                **mcp("tools/list", STDIO),
                "export": {"as": "$context + {tools: [.tools[].name]}"},
            }
        },
        {
            "prompt": {
                **mcp("prompts/get", STDIO, name="review", arguments={"topic": "the plan"}),
                "export": {"as": "$context + {prompt: .messages[0].content.text}"},
            }
        },
        {
            "notes": {
                **mcp("resources/read", STDIO, uri="memo://notes"),
                "export": {"as": "$context + {notes: .contents[0].text}"},
            }
        },
        {
            "env": {
                **mcp("tools/call", with_env, name="greeting"),
                "output": {"as": ".content[0].text"},
            }
        },
        {"all": {"set": "${ $context + {greeting: .} }"}},
    )
    run = await baton.client.start_process(definition, {"a": 40})
    result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPLETED", result
    out = result["output"]
    assert out["sum"] == 42
    assert sorted(out["tools"]) == ["add", "greeting", "refuse"]
    assert out["prompt"] == "Please review the plan."
    assert out["notes"] == "remember the milk"
    assert out["greeting"] == "***"  # the secret reached the server; the output masks it


async def test_a_tools_error_is_a_runtime_error_a_catch_can_handle(baton):
    definition = process(
        {
            "guarded": {
                "try": [{"ask": mcp("tools/call", STDIO, name="refuse", arguments={"why": "no"})}],
                "catch": {
                    "errors": {
                        "with": {
                            "type": "https://open-workflow-specification.org/spec/1.0.0/errors/runtime"
                        }
                    },
                    "as": "e",
                    "do": [{"why": {"set": {"title": "${ $e.title }"}}}],
                },
            }
        }
    )
    run = await baton.client.start_process(definition)
    result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPLETED", result
    assert "MCP tool 'refuse' reported an error" in result["output"]["title"]
    assert "refused: no" in result["output"]["title"]


async def test_over_streamable_http(baton):
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SERVER),
        "--http",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        await answering(url)
        transport = {"http": {"endpoint": url, "headers": {"X-Test": "1"}}}
        run = await baton.client.start_process(
            process({"sum": mcp("tools/call", transport, name="add", arguments={"a": 1, "b": 2})})
        )
        result = await asyncio.wait_for(run.result(), 120)
        assert result["status"] == "COMPLETED", result
        assert result["output"]["structuredContent"] == {"sum": 3}
    finally:
        proc.terminate()
        await proc.wait()


async def test_a_server_that_is_not_there_fails_the_task_naming_it(baton):
    port = free_port()
    transport = {"http": {"endpoint": f"http://127.0.0.1:{port}/mcp"}}
    run = await baton.client.start_process(process({"ask": mcp("tools/list", transport)}))
    result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "FAILED"
    assert f"MCP tools/list to http://127.0.0.1:{port}/mcp failed" in result["error"]["title"]


async def test_a_stdio_server_from_an_untrusted_entry_point_is_refused(baton):
    mcp_client = TemporalWorkflowClient(baton.settings, temporal=baton.client.temporal, via="mcp")
    with pytest.raises(DefinitionError, match="mcp_stdio steps may not come from mcp"):
        await mcp_client.start_process(process({"ask": mcp("tools/list", STDIO)}))
