"""One-click decision links, end to end: a personal notice (a real webhook
receiver stands in for the approver's mailbox) carries signed links; the link
page (a real HTTP server) asks before it decides; a link works once, for its
approver, decision and stage only, and not after it expires or is altered."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from baton.config import BatonFile, IdentityConfig, LinkConfig, Settings
from baton.identity.credentials import mint_link
from baton.identity.keys import create_key, require_key
from baton.plan.approval import compile_approval
from baton.runtime import TemporalWorkflowClient
from baton.testing import free_port, until
from baton.web.links import serve_links
from tests.support.servers import answering

pytestmark = pytest.mark.asyncio(loop_scope="session")


@contextlib.asynccontextmanager
async def link_page(client: TemporalWorkflowClient, port: int) -> AsyncIterator[str]:
    task = asyncio.create_task(serve_links(lambda: client, "127.0.0.1", port))
    base = f"http://127.0.0.1:{port}"
    try:
        await answering(f"{base}/healthz", healthy=True)
        yield base
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def setup(services: Any, tmp_path: Path, port: int) -> tuple[BatonFile, Path]:
    settings = Settings.from_env({"BATON_HOME": str(tmp_path)})
    create_key(settings, IdentityConfig())
    hook = services.url.replace("http://", "json://")
    baton_file = BatonFile(
        identity=IdentityConfig(
            mode="signed",
            identities={
                "alice": {"notify": f"{hook}/hooks/alice"},
                "bob": {"notify": f"{hook}/hooks/bob"},
                "carol": {},
            },
            links=LinkConfig(base_url=f"http://127.0.0.1:{port}", ttl_seconds=3600),
        )
    )
    return baton_file, tmp_path


def links_in(services: Any, person: str, approval_id: str) -> dict[str, str]:
    for call in reversed(services.state.calls):
        if call.path == f"/hooks/{person}" and approval_id in call.body["message"]:
            found = re.findall(r"(approve|reject): (http://\S+/decide/\S+)", call.body["message"])
            return dict(found)
    return {}


async def test_links_decide_once_after_confirmation(worker_factory, services, tmp_path):
    port = free_port()
    baton_file, home = setup(services, tmp_path, port)
    async with worker_factory(baton_file, home=home) as env:
        spec = compile_approval(
            {
                "stage": "release",
                "stages": [{"name": "review", "approvers": ["alice", "bob", "carol"]}],
            },
            baton_file=baton_file,
        )
        assert spec.notify_approvers  # identities with a notify channel: personal notices
        run = await env.client.request_approval(spec)
        alice = await until(lambda: _links(services, "alice", run.approval_id))
        bob = await until(lambda: _links(services, "bob", run.approval_id))
        async with link_page(env.client, port) as base, httpx.AsyncClient() as http:
            assert alice["approve"].startswith(f"{base}/decide/baton-link.")
            page = await http.get(alice["approve"])  # what a mail scanner does
            assert page.status_code == 200 and "Approve this approval?" in page.text
            assert page.headers["referrer-policy"] == "no-referrer"
            assert (await env.client.status(run.approval_id))["status"] == "PENDING"

            done = await http.post(alice["approve"])
            assert done.status_code == 200 and "APPROVED" in done.text
            again = await http.post(alice["approve"])
            assert again.status_code == 409 and "already ended" in again.text
            late = await http.post(bob["reject"])
            assert late.status_code == 409
        result = await run.result()
    vote = result["stages"][0]["votes"][0]
    assert (vote["approver"], vote["decision"], vote["via"]) == ("alice", "approve", "link")
    assert result["notifications"][0]["sent"]


def _links(services: Any, person: str, approval_id: str) -> Any:
    async def check() -> dict[str, str]:
        return links_in(services, person, approval_id)

    return check()


async def test_altered_expired_and_wrong_stage_links_are_refused_and_audited(
    worker_factory, services, tmp_path
):
    port = free_port()
    baton_file, home = setup(services, tmp_path, port)
    async with worker_factory(baton_file, home=home) as env:
        key = require_key(env.settings, baton_file.identity)
        spec = compile_approval(
            {
                "stage": "change",
                "stages": [
                    {"name": "team", "approvers": ["alice", "bob"], "quorum": "all"},
                    {"name": "cab", "approvers": ["alice"]},
                ],
            },
            baton_file=baton_file,
        )
        run = await env.client.request_approval(spec)
        links = await until(lambda: _links(services, "alice", run.approval_id))
        async with link_page(env.client, port) as base, httpx.AsyncClient() as http:
            # altered: the approver swapped in the payload, the signature kept
            prefix, payload, sig = links["approve"].rsplit("/", 1)[1].split(".")
            claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
            claims["approver"] = "bob"
            forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
            forged = f"{base}/decide/{prefix}.{forged_payload.decode()}.{sig}"
            answer = await http.post(forged)
            assert answer.status_code == 409 and "does not verify" in answer.text

            expired = mint_link(
                key,
                approval_id=run.approval_id,
                stage="team",
                approver="alice",
                decision="approve",
                now=int(time.time()) - 7200,
                ttl_seconds=3600,
            )
            answer = await http.post(f"{base}/decide/{expired}")
            assert answer.status_code == 409 and "expired" in answer.text

            # stage "team" passes; alice's stage-"team" link must not decide "cab"
            assert (await http.post(links["approve"])).status_code == 200
            bob = await until(lambda: _links(services, "bob", run.approval_id))
            assert (await http.post(bob["approve"])).status_code == 200

            async def in_cab() -> bool:
                return (await env.client.status(run.approval_id))["current_stage"] == "cab"

            await until(in_cab)
            reused = mint_link(
                key,
                approval_id=run.approval_id,
                stage="team",
                approver="alice",
                decision="approve",
                now=int(time.time()),
                ttl_seconds=3600,
            )
            answer = await http.post(f"{base}/decide/{reused}")
            assert answer.status_code == 409 and "no longer open" in answer.text

        async def audited() -> list[dict[str, Any]] | None:
            audit = await env.client.history(run.approval_id)
            refused = [e for e in audit if e["event"] == "decision_refused"]
            return refused if len(refused) == 3 else None

        refused = await until(audited)
        assert all("via link" in e["detail"] for e in refused)
        await run.cancel()
