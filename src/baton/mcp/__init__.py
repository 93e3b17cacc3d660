"""The MCP server (thin adapter over the client)."""
