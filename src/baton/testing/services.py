"""Small local HTTP services standing in for the seed's auth, billing, deploy
and load-balancer services. Used by ``baton demo`` and by the end-to-end
tests: they listen on 127.0.0.1, keep what they create, and count every call.

Routes:
    POST   /users                 -> {"user_id": "u-1"}
    DELETE /users/{id}
    POST   /accounts              -> {"account_id": "a-1"}
    DELETE /accounts/{id}
    POST   /services/{name}       -> {"service": name, "version": ...}
    PUT    /config                -> the new config
    GET    /health                -> 200, or 503 while ``healthy`` is False

    POST   /hooks/{name}          -> 200 (a webhook receiver; bodies kept in calls)

A request carrying an ``Idempotency-Key`` already answered gets the first
answer again without doing anything, as a well-behaved service does.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Call:
    method: str
    path: str
    idempotency_key: str | None
    body: Any
    at: float
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case


@dataclass
class ServiceState:
    healthy: bool = True
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    deployed: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    # path prefix (or "METHOD /prefix") -> seconds to wait before answering
    delays: dict[str, float] = field(default_factory=dict)
    # path prefix -> number of next calls to fail with 500
    failures: dict[str, int] = field(default_factory=dict)
    answered: dict[str, tuple[int, Any]] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)
    counter: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, method: str, path: str) -> int:
        return sum(1 for c in self.calls if c.method == method and c.path == path)

    def count_prefix(self, method: str, prefix: str) -> int:
        return sum(1 for c in self.calls if c.method == method and c.path.startswith(prefix))

    def keys(self, method: str, prefix: str) -> set[str | None]:
        """Distinct idempotency keys seen: how many distinct effects were asked for."""
        return {
            c.idempotency_key
            for c in self.calls
            if c.method == method and c.path.startswith(prefix)
        }


class StandInServices:
    """Run the stand-in services in a background thread."""

    def __init__(self, port: int = 0) -> None:
        self.state = ServiceState()
        handler = _make_handler(self.state)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host_text}:{port}"

    def __enter__(self) -> StandInServices:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _make_handler(state: ServiceState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY: headers and body go out in separate writes; with Nagle
        # on, a kept-alive client's next request waited ~40 ms for a delayed ACK
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw) if raw else None
            except ValueError:
                return raw.decode(errors="replace")

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            body = self._body()
            key = self.headers.get("Idempotency-Key")
            path = self.path.split("?")[0]
            replay_key = f"{self.command} {path} {key}" if key else None
            with state.lock:
                headers = {k.lower(): v for k, v in self.headers.items()}
                state.calls.append(Call(self.command, path, key, body, time.time(), headers))
                if replay_key and replay_key in state.in_progress:
                    busy = True
                else:
                    busy = False
                    if replay_key:
                        state.in_progress.add(replay_key)
            if busy:
                self._send(409, {"error": "a request with this Idempotency-Key is in progress"})
                return
            try:
                self._answer(path, body, replay_key)
            finally:
                with state.lock:
                    state.in_progress.discard(replay_key or "")

        def _answer(self, path: str, body: Any, replay_key: str | None) -> None:
            with state.lock:
                said = f"{self.command} {path}"  # a delay keyed "POST /users" holds only POSTs
                delay = next(
                    (
                        s
                        for p, s in state.delays.items()
                        if path.startswith(p) or said.startswith(p)
                    ),
                    0.0,
                )
                failing = next(
                    (p for p, n in state.failures.items() if n > 0 and path.startswith(p)), None
                )
                if failing is not None:
                    state.failures[failing] -= 1
            if delay:
                time.sleep(delay)
            if failing is not None:
                self._send(500, {"error": "injected failure"})
                return
            with state.lock:
                if replay_key and replay_key in state.answered:
                    self._send(*state.answered[replay_key])
                    return
                status, answer = _route(state, self.command, path, body)
                if replay_key and status < 400:
                    state.answered[replay_key] = (status, answer)
            self._send(status, answer)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    return Handler


def _route(state: ServiceState, method: str, path: str, body: Any) -> tuple[int, Any]:
    parts = [p for p in path.split("/") if p]
    payload = body if isinstance(body, dict) else {}
    if parts == ["health"] and method == "GET":
        return (200, {"status": "ok"}) if state.healthy else (503, {"status": "unhealthy"})
    if parts == ["users"] and method == "POST":
        state.counter += 1
        user_id = f"u-{state.counter}"
        state.users[user_id] = payload
        return 201, {"user_id": user_id}
    if parts == ["accounts"] and method == "POST":
        state.counter += 1
        account_id = f"a-{state.counter}"
        state.accounts[account_id] = payload
        return 201, {"account_id": account_id}
    if len(parts) == 2 and parts[0] in ("users", "accounts") and method == "DELETE":
        store = state.users if parts[0] == "users" else state.accounts
        if store.pop(parts[1], None) is None:
            return 404, {"error": f"{parts[0][:-1]} {parts[1]} not found"}
        return 200, {"deleted": parts[1]}
    if len(parts) == 2 and parts[0] == "services" and method == "POST":
        state.deployed[parts[1]] = payload.get("version")
        return 200, {"service": parts[1], **payload, "status": "deployed"}
    if len(parts) == 2 and parts[0] == "hooks" and method == "POST":
        return 200, {"received": True}
    if parts == ["config"] and method == "PUT":
        state.config = payload
        return 200, payload
    return 404, {"error": f"no route for {method} {path}"}
