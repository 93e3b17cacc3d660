"""The CLI's fast path: ask ``baton up`` over its local API (baton.web.local_api)
instead of loading the Temporal SDK and connecting — stdlib only, so a
command that gets its answer here never imports the SDK.

Every function returns None when there is no ``baton up`` to ask (no socket,
nobody listening, or one serving another server, namespace or task queue);
the command then asks the server itself, as it always could. Once a decision
has been sent, a failure is reported, never retried the other way (it may
have been applied)."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import quote

from ..config import Settings
from ..errors import BatonError

SERVER_HEADER = "X-Baton-Server"  # as baton.web.local_api reads it
TIMEOUT_SECONDS = 30.0


class RelayedError(BatonError):
    """An error ``baton up`` met on the caller's behalf, shown as the CLI
    shows that error (its label and exit code)."""

    def __init__(self, message: str, label: str, exit_code: int) -> None:
        super().__init__(message)
        self.label = label
        self.exit_code = exit_code


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("baton-up", timeout=TIMEOUT_SECONDS)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _ask(settings: Settings, method: str, path: str, body: Any = None) -> Any | None:
    socket_path = settings.local_api_socket
    if not socket_path.exists():
        return None
    connection = _UnixConnection(str(socket_path))
    try:
        connection.connect()
    except OSError:
        return None  # a socket left by a baton up that has stopped
    try:
        headers = {SERVER_HEADER: settings.server_key}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            answer = json.loads(response.read() or b"null")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if method == "GET":
                return None  # nothing changed: ask the server instead
            raise BatonError(
                f"`baton up` ({socket_path}) did not answer ({exc}); the request may or "
                "may not have been applied: check with `baton status`"
            ) from None
    finally:
        connection.close()
    error = answer.get("error") if isinstance(answer, dict) and response.status >= 400 else None
    if error is None:
        return answer
    if error.get("type") == "OtherServer":
        return None
    raise RelayedError(
        str(error.get("message")),
        str(error.get("label") or "error:"),
        int(error.get("exit_code") or 1),
    )


def status(settings: Settings, workflow_id: str, *, running_output: bool) -> Any | None:
    """The run's status document, as ``client.status`` gives it."""
    query = "?running_output=1" if running_output else ""
    return _ask(settings, "GET", f"/v1/runs/{quote(workflow_id, safe='')}/status{query}")


def decide(
    settings: Settings,
    approval_id: str,
    approver_id: str | None,
    decision: str,
    feedback: str | None,
    data: dict[str, Any] | None = None,
) -> Any | None:
    """Decide through ``baton up``, signed here with this user's credential
    (the worker verifies it as any decision). The outcome as a dict."""
    if not settings.local_api_socket.exists():
        return None
    from ..identity.credentials import DecisionSubject
    from ..identity.deciding import decider, proof
    from ..identity.keys import load_credential

    credential = load_credential(settings)
    approver = decider(approver_id, credential)
    subject = DecisionSubject(approval_id, "decide", approver, decision, feedback, data=data)
    body = {
        "approver": approver,
        "decision": decision,
        "feedback": feedback,
        "data": data,
        "proof": proof(credential, subject, "cli"),
    }
    return _ask(settings, "POST", f"/v1/approvals/{quote(approval_id, safe='')}/decision", body)
