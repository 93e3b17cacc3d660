"""One-click decision links: ``GET /decide/<token>`` shows what the link
decides and asks for confirmation (so a mail scanner or a chat unfurler that
fetches the link decides nothing); ``POST`` applies it through the client. The
worker verifies the link (signature, expiry, approver, stage, single use);
this page only relays it, so it needs no key."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

from ..errors import BatonError
from ..identity.credentials import CredentialError, read_link
from ..runtime.client import TemporalWorkflowClient

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Frame-Options": "DENY",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
        "<style>body{font:16px system-ui;max-width:36em;margin:3em auto}"
        f"button{{font-size:1.1em;padding:.4em 1.2em}}</style><h1>{html.escape(title)}</h1>{body}"
    )
    return HTMLResponse(document, status_code=status, headers=HEADERS)


def build_links_app(client_factory: Callable[[], TemporalWorkflowClient]) -> Starlette:
    holder: dict[str, TemporalWorkflowClient] = {}

    async def client() -> TemporalWorkflowClient:
        if "client" not in holder:
            made = client_factory()
            await made.connect()
            holder["client"] = made
        return holder["client"]

    async def confirm(request: Request) -> HTMLResponse:
        token = request.path_params["token"]
        try:
            claims = read_link(token)
        except CredentialError as exc:
            return _page("Not a decision link", f"<p>{html.escape(str(exc))}</p>", 400)
        what = "Approve" if claims.get("decision") == "approve" else "Reject"
        facts = "".join(
            f"<li>{html.escape(k)}: <b>{html.escape(str(claims.get(k, '')))}</b></li>"
            for k in ("approval_id", "stage", "approver")
        )
        form = (
            f"<ul>{facts}</ul><form method=post>"
            f"<button type=submit>{what} as {html.escape(str(claims.get('approver')))}</button>"
            "</form><p>The link works once and expires; nothing is decided until you confirm.</p>"
        )
        return _page(f"{what} this approval?", form)

    async def decide(request: Request) -> HTMLResponse:
        token = request.path_params["token"]
        try:
            outcome = await (await client()).submit_link_decision(token)
        except BatonError as exc:
            return _page("Not decided", f"<p>{html.escape(str(exc))}</p>", 404)
        if not outcome["accepted"]:
            return _page("Refused", f"<p>{html.escape(str(outcome['reason']))}</p>", 409)
        status = html.escape(str(outcome.get("status")))
        return _page("Recorded", f"<p>Your decision is recorded. The approval is {status}.</p>")

    async def health(_: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/decide/{token}", confirm, methods=["GET"]),
            Route("/decide/{token}", decide, methods=["POST"]),
            Route("/healthz", health),
        ]
    )


async def serve_links(
    client_factory: Callable[[], TemporalWorkflowClient], host: str, port: int
) -> None:
    from .listen import serve_in_process

    await serve_in_process(build_links_app(client_factory), host=host, port=port)
