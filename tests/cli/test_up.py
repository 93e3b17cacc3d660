"""`baton up` as a user runs it: the embedded server and a worker in the
foreground; a saga runs against it; Ctrl-C (SIGINT) stops both."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from baton.config import Settings
from baton.runtime import TemporalWorkflowClient
from baton.runtime.devserver import port_is_open
from tests.conftest import free_port
from tests.support.sagas import seed_onboarding

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def start_up(home, port: int) -> asyncio.subprocess.Process:
    """`baton up` with the embedded server on ``port``, data in ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update({"BATON_HOME": str(home), "BATON_TEMPORAL_PORT": str(port)})
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "baton.cli.main",
        "up",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_up_runs_server_and_worker_until_ctrl_c(tmp_path, services):
    port = free_port()
    proc = await start_up(tmp_path, port)
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 90)
        assert b"started" in line and b"embedded Temporal server" in line
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert b"identity mode: trusted" in line and b"can decide as anyone" in line
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert b"worker polling task queue" in line
        client = TemporalWorkflowClient(
            Settings.from_env({"BATON_HOME": str(tmp_path), "BATON_TEMPORAL_PORT": str(port)})
        )
        run = await client.start_saga(seed_onboarding(services.url))
        assert (await asyncio.wait_for(run.result(), 60))["status"] == "COMPLETED"
        assert (tmp_path / "temporal.db").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(proc.wait(), 60)
    assert code == 0
    assert not port_is_open("127.0.0.1", port)  # the server stopped with it


async def test_up_refuses_a_port_held_by_something_else(tmp_path):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = await start_up(tmp_path, port)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 3
    assert (
        f"port {port} on 127.0.0.1 is held by a program that is not a Temporal server".encode()
        in err
    )
    assert b"BATON_TEMPORAL_PORT" in err
