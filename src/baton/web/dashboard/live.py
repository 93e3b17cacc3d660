"""Live updates for the page: Server-Sent Events. One stream per page; it
sends the runs page and the run the page shows at once, then again whenever
they change (read through the client every ``interval`` seconds)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

INTERVAL = 1.0
KEEPALIVE = 15.0

Source = Callable[[], Awaitable[Any]]


async def stream(
    sources: dict[str, Source],
    disconnected: Callable[[], Awaitable[bool]],
    *,
    interval: float = INTERVAL,
    describe_error: Callable[[BaseException], dict[str, Any]],
) -> AsyncIterator[str]:
    """Events named by ``sources`` (``runs``, ``run``), each sent when what
    its source returns differs from what was sent last; ``error`` (with the
    source's name) when a source fails, once until something changes."""
    sent: dict[str, str] = {}
    quiet = 0.0
    yield "retry: 2000\n\n"
    while not await disconnected():
        for name, source in sources.items():
            event = name
            try:
                text = json.dumps(await source(), default=str, sort_keys=True)
            except Exception as exc:  # noqa: BLE001 - told to the page, the stream goes on
                event = "error"
                text = json.dumps({"source": name, **describe_error(exc)}, sort_keys=True)
            # what was last sent for this source, its data or its error
            if sent.get(name) != event + text:
                sent[name] = event + text
                quiet = 0.0
                yield f"event: {event}\ndata: {text}\n\n"
        await asyncio.sleep(interval)
        quiet += interval
        if quiet >= KEEPALIVE:
            quiet = 0.0
            yield ": keepalive\n\n"
