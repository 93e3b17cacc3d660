"""Outbound HTTP under the execution policy: the host is resolved here, every
address it resolves to is checked against the policy for the run's entry
point, and the request goes to a checked address (with the original Host
header and TLS server name), so a name that resolves differently the second
time (DNS rebinding) cannot reach an address that was not checked."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from ..policy import ExecutionPolicy
from ._support import non_retryable


class PolicyDenied(Exception):
    """The policy refuses this destination; the message says why."""


async def resolve_checked(policy: ExecutionPolicy, host: str, port: int, origin: str) -> str:
    """A checked address for ``host``: every address it resolves to must be
    allowed (one bad answer refuses the host)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        addresses = [str(literal)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc.strerror}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        refusal = policy.address_refusal(host, address, origin)
        if refusal:
            raise PolicyDenied(refusal)
    return addresses[0]


async def guarded_request(
    client: httpx.AsyncClient,
    policy: ExecutionPolicy,
    origin: str,
    method: str,
    url: str,
    **kwargs: Any,
) -> httpx.Response:
    """``client.request`` to a destination the policy allows, or a
    non-retryable ``PolicyDenied`` failure naming the rule."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise non_retryable(f"{url!r} is not an http(s) URL with a host", "InvalidURL")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = await resolve_checked(policy, host, port, origin)
    except PolicyDenied as exc:
        raise non_retryable(
            f"{method} {url} refused by the execution policy: {exc}", "PolicyDenied"
        ) from None
    shown = f"[{address}]" if ":" in address else address
    netloc = f"{shown}:{parts.port}" if parts.port else shown
    target = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    if parts.username is not None and "auth" not in kwargs:
        kwargs["auth"] = (unquote(parts.username), unquote(parts.password or ""))
    headers = dict(kwargs.pop("headers", None) or {})
    headers.setdefault("Host", parts.netloc.rpartition("@")[2])
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return await client.request(method, target, headers=headers, extensions=extensions, **kwargs)
