"""A small MCP server for the process language's ``call: mcp`` tests (the
official SDK's server): tools ``add`` and ``refuse`` (which reports an
error), a prompt and a resource. ``python mcp_tools_server.py`` serves over
stdio; ``--http PORT`` over Streamable HTTP on 127.0.0.1. ``MCP_GREETING``
in its environment shows that the call's ``environment`` reached it."""

from __future__ import annotations

import os
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server: MCPServer = MCPServer(name="test-tools", version="1.0.0", log_level="WARNING")


@server.tool(name="add", description="The sum of a and b.")
def add(a: int, b: int) -> dict[str, int]:
    return {"sum": a + b}


@server.tool(name="greeting", description="What MCP_GREETING says.")
def greeting() -> str:
    return os.environ.get("MCP_GREETING", "(none)")


@server.tool(name="refuse", description="Always reports an error.")
def refuse(why: str) -> str:
    raise ToolError(f"refused: {why}")


@server.prompt(name="review", description="A review prompt.")
def review(topic: str) -> str:
    return f"Please review {topic}."


@server.resource("memo://notes", name="notes", description="Some notes.")
def notes() -> str:
    return "remember the milk"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
