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
from baton.testing import free_port
from tests.support.metrics import scrape
from tests.support.sagas import seed_onboarding

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def start_up(home, port: int, **extra_env: str) -> asyncio.subprocess.Process:
    """`baton up` with the embedded server on ``port``, data in ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update({"BATON_HOME": str(home), "BATON_TEMPORAL_PORT": str(port), **extra_env})
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
    port, metrics_port = free_port(), free_port()
    proc = await start_up(tmp_path, port, BATON_METRICS_LISTEN=str(metrics_port))
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 90)
        assert b"started" in line and b"embedded Temporal server" in line
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert b"identity mode: trusted" in line and b"can decide as anyone" in line
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert b"worker polling task queue" in line
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert f"CLI answers on {tmp_path / 'baton.sock'}".encode() in line
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        assert f"metrics on {metrics_url}".encode() in line
        client = TemporalWorkflowClient(
            Settings.from_env({"BATON_HOME": str(tmp_path), "BATON_TEMPORAL_PORT": str(port)})
        )
        run = await client.start_saga(seed_onboarding(services.url))
        assert (await asyncio.wait_for(run.result(), 60))["status"] == "COMPLETED"
        assert (tmp_path / "temporal.db").exists()
        # its metrics: Baton's and the SDK's, on one endpoint (docs/metrics.md)
        got = await scrape(metrics_url)
        saga = {"kind": "saga", "name": "User Onboarding Process", "status": "COMPLETED"}
        assert got.value("baton_runs_ended_total", **saga) == 1
        assert got.value("temporal_workflow_completed_total", task_queue="baton") >= 1
    finally:
        proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(proc.wait(), 60)
    assert code == 0
    assert not port_is_open("127.0.0.1", port)  # the server stopped with it
    assert not (tmp_path / "baton.sock").exists()  # and its local API


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


async def test_up_restarts_its_server_when_it_dies(tmp_path, services):
    port = free_port()
    proc = await start_up(tmp_path, port)
    try:
        for _ in range(3):
            line = await asyncio.wait_for(proc.stdout.readline(), 90)
            if b"worker polling" in line:
                break
        server_pid = int((tmp_path / "temporal.pid").read_text())
        os.kill(server_pid, signal.SIGKILL)
        said = b""
        while b"is back" not in said:
            said += await asyncio.wait_for(proc.stderr.readline(), 90)
        assert b"exited with code" in said and b"starting it again" in said
        client = TemporalWorkflowClient(
            Settings.from_env({"BATON_HOME": str(tmp_path), "BATON_TEMPORAL_PORT": str(port)})
        )
        run = await client.start_saga(seed_onboarding(services.url))
        assert (await asyncio.wait_for(run.result(), 90))["status"] == "COMPLETED"
        await client.close()
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 60)


@pytest.mark.parametrize(
    ("home", "message"),
    [
        ("/proc/baton-home", "cannot hold the embedded server's data"),
        ("{file}/home", "cannot hold the embedded server's data: Not a directory"),
    ],
)
async def test_up_with_an_unusable_home_says_so(tmp_path, home, message):
    afile = tmp_path / "afile"
    afile.write_text("")
    proc = await start_up(home.format(file=afile), free_port())
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 3
    assert message.encode() in err and b"Traceback" not in err


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
async def test_a_bad_port_is_a_clear_error(tmp_path, port):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update({"BATON_HOME": str(tmp_path), "BATON_TEMPORAL_PORT": port})
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "baton.cli.main",
        "status",
        "x",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert b"BATON_TEMPORAL_PORT must be a port number from 1 to 65535" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"agents: [a, b]\n", b"agents: expected a mapping, got list"),
        (b"\x00\xff\xfe binary", b"not UTF-8 text"),
        (b"identity: {mode: sometimes}\n", b"identity.mode: expected 'trusted' or 'signed'"),
        (b"policy: {python_modules: [os]}\n", b"os may never be called from a step"),
    ],
)
async def test_a_bad_baton_yaml_is_a_clear_error(tmp_path, text, message):
    config = tmp_path / "baton.yaml"
    config.write_bytes(text)
    env = {**os.environ, "BATON_CONFIG": str(config), "BATON_HOME": str(tmp_path)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "baton.cli.main",
        "validate",
        "examples/user_onboarding_saga.yaml",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2 and message in err and b"Traceback" not in err


async def test_up_on_a_nearly_full_disk_says_so(tmp_path):
    """A 20 MB tmpfs stands in for a full disk."""
    import subprocess

    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(small)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        proc = await start_up(small / "home", free_port())
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        subprocess.run(["umount", str(small)], check=False)
    assert proc.returncode == 3
    assert b"MB free on the disk holding BATON_HOME" in err and b"at least 100 MB" in err


async def test_demo_runs_both_sagas_for_the_right_reasons(tmp_path):
    """`make demo`'s command: the onboarding saga completes; the deployment's
    health check fails on HTTP 503 (the demo marks the services unhealthy) and
    the saga compensates."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update(
        {"BATON_HOME": str(tmp_path), "BATON_TEMPORAL_PORT": str(free_port()), "COLUMNS": "200"}
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "baton.cli.main",
        "demo",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 240)
    text = out.decode()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "COMPLETED" in text and "COMPENSATED" in text
    assert "health check failed: HTTP 503" in text
