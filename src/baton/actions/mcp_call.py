"""The process language's ``call: mcp``: one request to a Model Context
Protocol server, with the official ``mcp`` SDK's client (which sends
``initialize`` first). Two action types, so the execution policy can tell
them apart: ``mcp`` reaches a server over HTTP (the endpoint is checked
against the policy's networks for the run's entry point before connecting;
the SDK follows redirects only on the same origin), ``mcp_stdio`` starts the
server as a program on the worker (code the definition names: refused from
MCP and triggers by default, like scripts), with only the SDK's minimal
environment plus the definition's ``environment``.

``{{secrets.NAME}}`` in the parameters, headers, endpoint and environment
resolve here and are masked in errors and output. The output is the
JSON-RPC result; a failure — the server cannot be reached, the request fails,
or a called tool reports ``isError`` — fails the attempt."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..definitions.process.syntax import MCP_METHODS
from ..policy import ExecutionPolicy
from ..redact import redact, redact_value
from ._support import heartbeating, non_retryable
from .network import PolicyDenied, resolve_checked
from .secrets import SecretStore
from .types import ActionRequest


class McpCalls:
    def __init__(self, policy: ExecutionPolicy, secrets: SecretStore) -> None:
        self._policy = policy
        self._secrets = secrets

    @activity.defn(name="baton.mcp")
    async def mcp_http(self, request: ActionRequest) -> Any:
        return await self._call(request, stdio=False)

    @activity.defn(name="baton.mcp_stdio")
    async def mcp_stdio(self, request: ActionRequest) -> Any:
        return await self._call(request, stdio=True)

    async def _call(self, request: ActionRequest, *, stdio: bool) -> Any:
        from mcp import Client

        action = request.action
        method = str(action.get("method", ""))
        if method not in MCP_METHODS:
            raise non_retryable(
                f"MCP method {method!r} is not one of {', '.join(MCP_METHODS)}", "McpError"
            )
        used: list[str] = []
        parameters = self._secrets.resolve(action.get("parameters") or {}, used)
        if not isinstance(parameters, dict):
            raise non_retryable(
                f"MCP parameters must be an object, got {parameters!r}"[:300], "McpError"
            )
        target, where = (
            self._stdio(action, used) if stdio else await self._http(request, action, used)
        )

        async def call() -> Any:
            async with Client(target) as client:
                return await _request(client, method, parameters)

        try:
            async with heartbeating():
                result = await asyncio.wait_for(call(), request.timeout_seconds)
        except asyncio.TimeoutError:
            raise ApplicationError(
                f"MCP {method} to {where} did not finish within {request.timeout_seconds:g}s",
                type="McpError",
            ) from None
        except ApplicationError:
            raise
        except Exception as exc:  # noqa: BLE001 - the SDK's and the transport's, said once
            raise ApplicationError(
                redact(f"MCP {method} to {where} failed: {_describe(exc)}", used)[:1000],
                type="McpError",
            ) from None
        output = result.model_dump(mode="json", by_alias=True, exclude_none=True)
        if method == "tools/call" and output.get("isError"):
            texts = [
                c.get("text", "") for c in output.get("content", []) if c.get("type") == "text"
            ]
            shown = redact("; ".join(texts) or "(no text)", used)[:600]
            raise ApplicationError(
                f"MCP tool {parameters.get('name')!r} reported an error: {shown}",
                {"content": redact_value(output.get("content"), used)},
                type="McpToolError",
                non_retryable=True,
            )
        return redact_value(output, used)

    def _stdio(self, action: dict[str, Any], used: list[str]) -> tuple[Any, str]:
        from mcp.client.stdio import StdioServerParameters

        env = self._secrets.resolve(dict(action.get("env") or {}), used)
        command = str(action.get("command", ""))
        server = StdioServerParameters(
            command=command,
            args=[str(a) for a in action.get("args") or []],
            env={str(k): str(v) for k, v in env.items()} or None,
        )
        return server, f"the server {command!r}"

    async def _http(
        self, request: ActionRequest, action: dict[str, Any], used: list[str]
    ) -> tuple[Any, str]:
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        url = str(self._secrets.resolve(action.get("endpoint", ""), used))
        shown = redact(url, used)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise non_retryable(f"{shown!r} is not an http(s) URL with a host", "InvalidURL")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            await resolve_checked(self._policy, parts.hostname, port, request.origin)
        except PolicyDenied as exc:
            raise non_retryable(
                f"MCP server {shown} refused by the execution policy: {exc}", "PolicyDenied"
            ) from None
        except Exception as exc:  # noqa: BLE001 - a name that does not resolve
            raise ApplicationError(f"MCP server {shown}: {exc}", type="McpError") from None
        headers = self._secrets.resolve(dict(action.get("headers") or {}), used)
        client = create_mcp_http_client(headers={str(k): str(v) for k, v in headers.items()})
        return streamable_http_client(url, http_client=client), shown


async def _request(client: Any, method: str, parameters: dict[str, Any]) -> Any:
    if method == "tools/list":
        return await client.list_tools()
    if method == "tools/call":
        return await client.call_tool(_named(parameters, method), parameters.get("arguments"))
    if method == "prompts/list":
        return await client.list_prompts()
    if method == "prompts/get":
        return await client.get_prompt(_named(parameters, method), parameters.get("arguments"))
    if method == "resources/list":
        return await client.list_resources()
    if method == "resources/read":
        uri = parameters.get("uri")
        if not isinstance(uri, str):
            raise non_retryable("MCP resources/read needs the parameter 'uri'", "McpError")
        return await client.read_resource(uri)
    return await client.list_resource_templates()


def _named(parameters: dict[str, Any], method: str) -> str:
    name = parameters.get("name")
    if not isinstance(name, str) or not name:
        raise non_retryable(f"MCP {method} needs the parameter 'name'", "McpError")
    return name


def _describe(exc: BaseException) -> str:
    """The innermost message of an error (the SDK's task groups wrap them)."""
    while getattr(exc, "exceptions", None):
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    return f"{type(exc).__name__}: {exc}"
