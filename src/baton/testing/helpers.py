"""Waiting for what a real server does, without fixed sleeps."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def until(
    check: Callable[[], Awaitable[T]], timeout: float = 30.0, interval: float = 0.1
) -> T:
    """Await ``check()`` until it returns something truthy, and return that.
    A check that raises counts as not yet (a server still starting, a
    workflow not yet visible); the last error is reported on timeout."""
    loop = asyncio.get_running_loop()
    ends = loop.time() + timeout
    last: BaseException | None = None
    while True:
        try:
            found = await check()
        except Exception as exc:  # noqa: BLE001 - "not yet"; reported below
            last, found = exc, None
        if found:
            return found
        if loop.time() >= ends:
            reason = f"; last error: {type(last).__name__}: {last}" if last else ""
            raise AssertionError(f"condition not met within {timeout}s{reason}")
        await asyncio.sleep(interval)


async def assert_eventually(
    predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1
) -> None:
    """Wait until ``predicate()`` (a plain function) is truthy."""

    async def check() -> Any:
        return predicate()

    await until(check, timeout, interval)
