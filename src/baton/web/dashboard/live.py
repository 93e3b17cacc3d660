"""Live updates for the page: Server-Sent Events.

Each open page streams what it shows — its runs list's first page, the run
it shows — as soon as the stream opens and whenever it changes. What a
stream wants is a *feed*: read through the client every ``interval``
seconds by one poller, however many pages want the same thing; a run's feed
stops reading once the run has ended (its last state stays with it). At
most ``max_streams`` pages stream at once."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

INTERVAL = 1.0
KEEPALIVE = 15.0
MAX_STREAMS = 100

Source = Callable[[], Awaitable[Any]]
Describe = Callable[[BaseException], dict[str, Any]]


@dataclass
class Want:
    """One thing a stream shows: sent as event ``name``, read by ``source``,
    shared by every stream with the same ``key``; ``final(data)``: it will
    not change again (a run that ended)."""

    name: str
    key: str
    source: Source
    final: Callable[[Any], bool] = lambda _: False


@dataclass
class Feed:
    want: Want
    message: str | None = None
    version: int = 0
    users: int = 0
    done: bool = False
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class Hub:
    def __init__(
        self,
        describe_error: Describe,
        *,
        interval: float = INTERVAL,
        max_streams: int = MAX_STREAMS,
    ) -> None:
        self.describe_error = describe_error
        self.interval, self.max_streams = interval, max_streams
        self.streams = 0
        self._feeds: dict[str, Feed] = {}

    @property
    def full(self) -> bool:
        return self.streams >= self.max_streams

    def _join(self, want: Want) -> Feed:
        feed = self._feeds.get(want.key)
        if feed is None:
            feed = self._feeds[want.key] = Feed(want)
            feed.task = asyncio.create_task(self._poll(feed))
        feed.users += 1
        return feed

    def _leave(self, feed: Feed) -> None:
        feed.users -= 1
        if feed.users <= 0:
            self._feeds.pop(feed.want.key, None)
            if feed.task is not None:
                feed.task.cancel()

    async def _poll(self, feed: Feed) -> None:
        want = feed.want
        while not feed.done:
            event, data = want.name, None
            try:
                data = await want.source()
                text = json.dumps(data, default=str, sort_keys=True)
            except Exception as exc:  # noqa: BLE001 - told to the page, the feed goes on
                event = "error"
                text = json.dumps({"source": want.name, **self.describe_error(exc)})
            message = f"event: {event}\ndata: {text}\n\n"
            if message != feed.message:
                feed.message, feed.version = message, feed.version + 1
            if event != "error" and want.final(data):
                feed.done = True
                break
            await asyncio.sleep(self.interval)

    async def stream(
        self, wants: list[Want], disconnected: Callable[[], Awaitable[bool]]
    ) -> AsyncIterator[str]:
        """The events of ``wants`` for one page, until it goes away."""
        self.streams += 1
        feeds = [self._join(want) for want in wants]
        seen = [0 for _ in feeds]
        quiet = 0.0
        tick = min(self.interval, 0.25)
        try:
            yield "retry: 2000\n\n"
            while not await disconnected():
                for index, feed in enumerate(feeds):
                    if feed.version != seen[index] and feed.message is not None:
                        seen[index] = feed.version
                        quiet = 0.0
                        yield feed.message
                await asyncio.sleep(tick)
                quiet += tick
                if quiet >= KEEPALIVE:
                    quiet = 0.0
                    yield ": keepalive\n\n"
        finally:
            self.streams -= 1
            for feed in feeds:
                self._leave(feed)

    async def close(self) -> None:
        for feed in list(self._feeds.values()):
            if feed.task is not None:
                feed.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await feed.task
        self._feeds.clear()
