"""Listen addresses for Baton's HTTP servers (MCP, decision links)."""

from __future__ import annotations

import ipaddress

from ..errors import ConfigError


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


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
