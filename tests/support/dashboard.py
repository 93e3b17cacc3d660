"""The dashboard served for a test's worker (a real uvicorn on 127.0.0.1),
and an HTTP client that behaves like its page: a session cookie and the
CSRF token on every change."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from baton.identity.keys import RevocationWatcher, load_key, revocations_path
from baton.identity.verifying import CredentialVerifier
from baton.testing import free_port
from baton.web.dashboard import allowed_hosts, dashboard_client
from baton.web.dashboard.app import build_dashboard_app
from baton.web.dashboard.sessions import CSRF_HEADER, Sessions
from baton.web.listen import serve_in_process


def dashboard_app(
    env: Any,
    *,
    definitions: Path | None = None,
    live_interval: float = 0.2,
    connected: bool = True,
) -> Any:
    """The dashboard over ``env``'s task queue (sharing its client's
    connection unless ``connected`` is false)."""
    baton_file = env.client.baton_file
    client = dashboard_client(env.settings, baton_file, env.client.temporal if connected else None)
    identity = baton_file.identity
    key = load_key(env.settings, identity) if identity.signed else None
    verifier = (
        CredentialVerifier(
            key, RevocationWatcher(revocations_path(env.settings, identity)), identity, "decide"
        )
        if key
        else None
    )
    return build_dashboard_app(
        client,
        Sessions(identity, verifier),
        definitions_folder=definitions,
        live_interval=live_interval,
        hosts=allowed_hosts("127.0.0.1", ()),  # as `baton up` serves it
    )


@contextlib.asynccontextmanager
async def dashboard(env: Any, **options: Any) -> AsyncIterator[str]:
    """Serve :func:`dashboard_app` on 127.0.0.1; yields its base URL."""
    app = dashboard_app(env, **options)
    port = free_port()
    task = asyncio.create_task(serve_in_process(app, host="127.0.0.1", port=port))
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as probe:
        for _ in range(100):
            try:
                if (await probe.get(f"{url}/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    try:
        yield url
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Page:
    """What the page app does over HTTP."""

    def __init__(self, url: str) -> None:
        self.http = httpx.AsyncClient(base_url=url, timeout=60)
        self.csrf: str | None = None

    async def __aenter__(self) -> Page:
        await self.session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def session(self) -> dict[str, Any]:
        answer = (await self.http.get("/api/session")).json()
        self.csrf = answer["csrf"]
        return dict(answer)

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params or None)

    async def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {CSRF_HEADER: self.csrf or "", "Content-Type": "application/json"}
        answer = await self.http.request(
            method, path, content=json.dumps(body or {}), headers=headers
        )
        if path == "/api/session" and answer.status_code == 200:
            self.csrf = answer.json()["csrf"]
        return answer

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.send("POST", path, body)

    async def sign_in(self, **body: str) -> httpx.Response:
        return await self.post("/api/session", body)
