"""Listen addresses for Baton's HTTP servers (MCP, decision links, the local
API), and serving one inside a process that handles its own signals."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError


@dataclass(frozen=True)
class Listen:
    """Where a server of ``baton up`` listens, and who said so: ``source``
    names the setting (``BATON_METRICS_LISTEN``, ``dashboard.listen in
    <file>``, ``--listen``); empty for the default address."""

    host: str
    port: int
    source: str = ""
    path: str = "/"

    @property
    def explicit(self) -> bool:
        return bool(self.source)

    @property
    def where(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.where}{self.path}"

    def bind(self, what: str, variable: str, file_key: str) -> socket.socket:
        """Its listening socket, or a ConfigError naming the setting to change
        (``variable``, ``file_key`` in baton.yaml)."""
        how = (
            f"set {self.source.split(' in ')[0]} to another [HOST:]PORT, or to off"
            if self.explicit
            else f"set {variable} (or {file_key} in baton.yaml) to another [HOST:]PORT, or to off"
        )
        label = f"{self.where} ({self.source})" if self.explicit else self.where
        return bind_tcp(self.host, self.port, f"serve {what} on {label}", how)


def choose_listen(
    choices: list[tuple[str | None, str]], default: str, what: str, path: str = "/"
) -> Listen | None:
    """The first set ``(value, source)`` of ``choices``, else ``default``;
    None for ``off``."""
    value, source = next(((v, s) for v, s in choices if v), (default, ""))
    if value.strip().lower() == "off":
        return None
    host, port = parse_listen(value.strip(), source or what)
    return Listen(host, port, source, path)


def parse_listen(value: str, what: str = "--http") -> tuple[str, int]:
    """``PORT`` or ``HOST:PORT``; HOST defaults to 127.0.0.1."""
    host, _, port_text = value.rpartition(":")
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(f"{what} takes PORT or HOST:PORT, got {value!r}") from None
    if not 0 < port < 65536:
        raise ConfigError(f"{what}: port {port} is out of range (1-65535)")
    return (host.strip("[]") or "127.0.0.1"), port


def bind_tcp(host: str, port: int, what: str, how: str) -> socket.socket:
    """A listening socket on ``host:port``, or a ConfigError: ``cannot
    <what>: <why>; <how>``."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"cannot {what}: {exc.strerror}; {how}") from None
    family, kind, proto, _, address = found[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            why = "the port is taken (another baton up or baton worker on this machine?)"
        elif exc.errno == errno.EADDRNOTAVAIL:
            why = "this machine has no such address"
        elif exc.errno == errno.EACCES:
            why = "permission denied (ports below 1024 need privileges)"
        else:
            why = exc.strerror or str(exc)
        raise ConfigError(f"cannot {what}: {why}; {how}") from None
    return sock


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def serve_in_process(
    app: Any, *, host: str = "127.0.0.1", port: int = 0, sock: socket.socket | None = None
) -> None:
    """Serve ``app`` (on ``host:port``, or on the bound ``sock``) until
    cancelled. For servers that run beside a worker in ``baton up``: the
    process keeps its own Ctrl-C handling (uvicorn's would replace it, and two
    servers restoring each other's handlers could leave Ctrl-C with none)."""
    import uvicorn

    class Server(uvicorn.Server):
        def capture_signals(self) -> Any:
            return contextlib.nullcontext()

    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = Server(config)
    try:
        await server.serve(sockets=None if sock is None else [sock])
    except asyncio.CancelledError:
        for listener in getattr(server, "servers", []):
            listener.close()
        raise
