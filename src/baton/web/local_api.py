"""``baton up``'s local API: the CLI's fast path (docs/runtime.md, "Fast
answers from baton up").

A ``baton`` command is a new Python process; loading the Temporal SDK and
connecting costs it more than the answer itself. ``baton up`` already holds
a connected client, so it answers ``status`` and decisions for the CLI over a
Unix socket in ``BATON_HOME`` that only its own user may open (mode 0600):
whoever can open it could read ``baton up``'s environment anyway, so it grants
nothing new. It answers only a caller configured for the same server,
namespace and task queue (``X-Baton-Server``), and through the same client
methods as every other entry point; a decision arrives already signed by the
caller (``baton.identity.deciding``) and the worker verifies it as any other.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..errors import BatonError, WorkflowNotFoundError
from ..runtime.client import TemporalWorkflowClient

SERVER_HEADER = "X-Baton-Server"
# AF_UNIX paths are limited to 108 bytes on Linux (104 on macOS)
MAX_SOCKET_PATH = 100


def _error(exc: BatonError) -> JSONResponse:
    """A Baton error as the CLI would have shown it (its label and exit code)."""
    status = 404 if isinstance(exc, WorkflowNotFoundError) else 502 if exc.exit_code == 3 else 409
    return JSONResponse(
        {
            "error": {
                "type": type(exc).__name__,
                "message": str(exc),
                "label": exc.label,
                "exit_code": exc.exit_code,
            }
        },
        status_code=status,
    )


def build_local_api(client: TemporalWorkflowClient) -> Starlette:
    key = client.settings.server_key

    def other_server(request: Request) -> JSONResponse | None:
        if request.headers.get(SERVER_HEADER) == key:
            return None
        return JSONResponse(
            {"error": {"type": "OtherServer", "message": f"this baton up serves {key}"}},
            status_code=409,
        )

    async def status(request: Request) -> JSONResponse:
        if (refused := other_server(request)) is not None:
            return refused
        workflow_id = request.path_params["workflow_id"]
        try:
            state = await client.status(workflow_id)
            if (
                request.query_params.get("running_output") == "1"
                and state.get("kind") == "project"
                and not state.get("closed_at")
            ):
                state["running_output"] = await client.running_output(workflow_id)
        except BatonError as exc:
            return _error(exc)
        return JSONResponse(state)

    async def decide(request: Request) -> JSONResponse:
        if (refused := other_server(request)) is not None:
            return refused
        try:
            body: dict[str, Any] = await request.json()
            approver, decision = str(body["approver"]), str(body["decision"])
            feedback, proof = body.get("feedback"), body.get("proof")
            data = body.get("data")
            if data is not None and not isinstance(data, dict):
                raise TypeError("data")
        except (ValueError, KeyError, TypeError):
            return JSONResponse(
                {"error": {"type": "BadRequest", "message": "expected approver and decision"}},
                status_code=400,
            )
        try:
            outcome = await client.approvals.apply_decision(
                request.path_params["approval_id"], approver, decision, feedback, proof, data=data
            )
        except BatonError as exc:
            return _error(exc)
        return JSONResponse(outcome.to_dict())

    return Starlette(
        routes=[
            Route("/v1/runs/{workflow_id:path}/status", status, methods=["GET"]),
            Route("/v1/approvals/{approval_id:path}/decision", decide, methods=["POST"]),
        ]
    )


def bind_socket(path: Path) -> socket.socket | str:
    """The listening socket at ``path``, mode 0600; or why there is none (the
    path is too long for a Unix socket, or another ``baton up`` answers there
    — workers scaled out on one machine share one). A socket file left by a
    ``baton up`` that died is replaced."""
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        return f"{path} is too long for a Unix socket (set a shorter BATON_HOME)"
    if path.exists():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # stale
        else:
            return f"another `baton up` already answers on {path}"
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(previous)
    os.chmod(path, 0o600)
    sock.listen(64)
    return sock


async def serve_local_api(client: TemporalWorkflowClient, sock: socket.socket, path: Path) -> None:
    """Serve until cancelled; the socket file is removed at the end."""
    from .listen import serve_in_process

    try:
        await serve_in_process(build_local_api(client), sock=sock)
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
