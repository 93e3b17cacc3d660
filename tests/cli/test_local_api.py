"""`baton status` and `baton approve` answered by `baton up`'s local API
(baton.web.local_api) — the CLI's fast path: the same answers as asking the
server directly, without the CLI loading the Temporal SDK; decisions signed
by the caller and verified by the worker; and the direct path whenever no
`baton up` serves the caller's server, namespace and task queue."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import stat
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from baton.config import BatonFile, IdentityConfig, Settings
from baton.identity.issuing import issue_credential
from baton.identity.keys import create_key
from baton.plan.approval import compile_approval
from baton.runtime import TemporalWorkflowClient
from baton.web.local_api import bind_socket, serve_local_api

pytestmark = pytest.mark.asyncio(loop_scope="session")

# Runs `baton ARGS` as the shell does, and says on stderr whether the command
# loaded the Temporal SDK (the CLI leaves through os._exit, so it is wrapped).
PROBE = """
import os, sys
import baton.cli.main as cli
leave = os._exit
def _exit(code):
    print("SDK LOADED" if "temporalio" in sys.modules else "SDK NOT LOADED", file=sys.stderr)
    leave(code)
os._exit = _exit
sys.argv = ["baton", *sys.argv[1:]]
cli.main()
"""


@dataclass
class Done:
    code: int
    out: str
    err: str

    @property
    def sdk_loaded(self) -> bool:
        return "SDK LOADED" in self.err


@pytest.fixture
def short_home() -> Iterator[Path]:
    """A home short enough for a Unix socket path, whatever pytest's tmp is."""
    home = Path(tempfile.mkdtemp(prefix="bt-"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


async def baton_cli(settings: Settings, *args: str, **env_changes: str) -> Done:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "BATON_"))}
    env.update(
        {
            "BATON_HOME": str(settings.home),
            "BATON_TEMPORAL_PORT": str(settings.embedded_port),
            "TEMPORAL_TASK_QUEUE": settings.task_queue,
            "NO_COLOR": "1",
            **env_changes,
        }
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PROBE,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return Done(proc.returncode, out.decode(), err.decode())


@contextlib.asynccontextmanager
async def local_api(client: TemporalWorkflowClient) -> AsyncIterator[Path]:
    """Serve the local API for ``client`` as `baton up` does."""
    path = client.settings.local_api_socket
    sock = bind_socket(path)
    assert not isinstance(sock, str), sock
    task = asyncio.create_task(serve_local_api(client, sock, path))
    try:
        yield path
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def cli_client(env: Any) -> TemporalWorkflowClient:
    """The client `baton up` holds (the CLI's entry point)."""
    return TemporalWorkflowClient(
        env.settings, temporal=env.client.temporal, baton_file=env.client.baton_file, via="cli"
    )


async def approval(client: TemporalWorkflowClient, approvers: list[str]) -> str:
    spec = compile_approval(
        {"stage": "release", "stages": [{"name": "review", "approvers": approvers}]}
    )
    return (await client.request_approval(spec)).approval_id


def one_step_saga(saga_id: str) -> dict[str, Any]:
    step = {"step_id": "one", "name": "one", "forward_action": {"type": "script", "script": "true"}}
    return {"saga_id": saga_id, "name": saga_id, "steps": [step]}


async def test_status_comes_from_baton_up_without_the_sdk_and_reads_as_asked_directly(
    worker_factory, short_home
):
    async with worker_factory(home=short_home) as env:
        await env.run_saga(one_step_saga("local-status"), workflow_id="local-status")
        async with local_api(cli_client(env)) as path:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            fast = await baton_cli(env.settings, "status", "local-status", "--json")
            text = await baton_cli(env.settings, "status", "local-status")
            missing = await baton_cli(env.settings, "status", "no-such-run")
        assert not path.exists()  # removed when the API stops
        direct = await baton_cli(env.settings, "status", "local-status", "--json")
        direct_text = await baton_cli(env.settings, "status", "local-status")
        direct_missing = await baton_cli(env.settings, "status", "no-such-run")
    assert fast.code == 0 and not fast.sdk_loaded, fast.err
    assert direct.code == 0 and direct.sdk_loaded
    assert json.loads(fast.out) == json.loads(direct.out)
    assert json.loads(fast.out)["status"] == "COMPLETED"
    assert text.out == direct_text.out and "COMPLETED" in text.out
    assert (missing.code, direct_missing.code) == (1, 1)
    assert not missing.sdk_loaded
    assert "no workflow with id 'no-such-run'" in missing.err
    assert missing.err.replace("SDK NOT LOADED", "") == direct_missing.err.replace("SDK LOADED", "")


async def test_decisions_through_baton_up_are_applied_and_refused_as_directly(
    worker_factory, short_home
):
    async with worker_factory(home=short_home) as env:
        first = await approval(env.client, ["alice"])
        second = await approval(env.client, ["alice"])
        async with local_api(cli_client(env)):
            wrong = await baton_cli(env.settings, "approve", first, "--as", "bob")
            nobody = await baton_cli(env.settings, "approve", first)
            approved = await baton_cli(env.settings, "approve", first, "--as", "alice")
            again = await baton_cli(env.settings, "approve", first, "--as", "alice", "--json")
            rejected = await baton_cli(
                env.settings, "reject", second, "--as", "alice", "--feedback", "not now"
            )
            unknown = await baton_cli(env.settings, "approve", "no-such-approval", "--as", "alice")
        direct_again = await baton_cli(env.settings, "approve", first, "--as", "alice", "--json")
        result = await env.client.result(second)
    assert not any(d.sdk_loaded for d in (wrong, nobody, approved, again, rejected, unknown))
    assert wrong.code == 1 and "bob may not decide stage 'review'" in wrong.err
    assert nobody.code == 1 and "who decides?" in nobody.err
    assert approved.code == 0 and f"approve recorded for {first}; approval is APPROVED" in (
        approved.out
    )
    assert again.code == 1 and json.loads(again.out) == json.loads(direct_again.out)
    assert json.loads(again.out)["reason"] == f"approval {first!r} already ended: APPROVED"
    assert rejected.code == 0 and result["status"] == "REJECTED"
    assert result["stages"][0]["votes"][0]["feedback"] == "not now"
    assert unknown.code == 1 and "no workflow with id 'no-such-approval'" in unknown.err


async def test_a_signed_decision_is_signed_by_the_caller_and_verified_by_the_worker(
    worker_factory, short_home
):
    create_key(Settings.from_env({"BATON_HOME": str(short_home)}), IdentityConfig())
    baton_file = BatonFile(
        identity=IdentityConfig(mode="signed", identities={"alice": {}, "bob": {}})
    )
    async with worker_factory(baton_file, home=short_home) as env:
        alice = issue_credential(env.settings, baton_file, "alice").token()
        bob = issue_credential(env.settings, baton_file, "bob").token()
        approval_id = await approval(env.client, ["alice", "bob"])
        async with local_api(cli_client(env)):
            as_alice_with_bobs = await baton_cli(
                env.settings, "approve", approval_id, "--as", "alice", BATON_CREDENTIAL=bob
            )
            unsigned = await baton_cli(env.settings, "approve", approval_id, "--as", "alice")
            signed = await baton_cli(env.settings, "approve", approval_id, BATON_CREDENTIAL=alice)
        result = await env.client.result(approval_id)
    assert as_alice_with_bobs.code == 1 and "who cannot decide as alice" in as_alice_with_bobs.err
    assert unsigned.code == 1 and "signed identity mode" in unsigned.err
    assert signed.code == 0 and not signed.sdk_loaded, signed.err
    vote = result["stages"][0]["votes"][0]
    assert (vote["approver"], vote["via"]) == ("alice", "cli")
    assert vote["credential"]


async def test_a_caller_of_another_task_queue_or_with_no_baton_up_asks_the_server(
    worker_factory, short_home
):
    async with worker_factory(home=short_home) as env:
        await env.run_saga(one_step_saga("local-other"), workflow_id="local-other")
        other = replace(env.settings, task_queue="another-queue")
        async with local_api(cli_client(env)) as path:
            elsewhere = await baton_cli(other, "status", "local-other", "--json")
        # a socket file left by a `baton up` that died: nobody listens on it
        left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        left.bind(str(path))
        left.close()
        stale = await baton_cli(env.settings, "status", "local-other", "--json")
        # and `baton up` replaces it when it starts
        sock = bind_socket(path)
        assert isinstance(sock, socket.socket)
        try:
            assert bind_socket(path) == f"another `baton up` already answers on {path}"
        finally:
            sock.close()
            path.unlink()
    assert elsewhere.code == 0 and elsewhere.sdk_loaded
    assert json.loads(elsewhere.out)["status"] == "COMPLETED"
    assert stale.code == 0 and stale.sdk_loaded
    assert json.loads(stale.out)["status"] == "COMPLETED"


async def test_a_home_too_long_for_a_socket_is_said_not_failed(tmp_path):
    deep = tmp_path / ("x" * 120) / "baton.sock"
    assert "too long for a Unix socket" in str(bind_socket(deep))
