"""Hands the outbox's events to the sinks, beside a worker (docs/
integrations.md): each sink gets every event, in the order runs made them,
at least once; a sink that is down is tried again, slower each time, and
catches up when it is back. Started by ``running_worker`` when
``events.sinks`` (or the seed's ``REDIS_HOST``) configure any."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ..config import BatonFile, Settings
from ..errors import ConfigError
from . import emitting
from .outbox import Outbox
from .sinks import KafkaSink, NatsSink, RedisSink, Sink, make_sinks

log = logging.getLogger("baton.events")
INTERVAL = 0.2
MAX_BACKOFF = 30.0
BATCH = 200
OUTBOX_FILE = "events-outbox.db"
KEEP_SECONDS = 7 * 86400
PRUNE_EVERY = 600.0


def configured_sinks(settings: Settings, baton_file: BatonFile) -> list[Sink]:
    """The sinks baton.yaml's ``events.sinks`` and the seed's Redis
    variables ask for (none: no events are made)."""
    section: Any = baton_file.events or {}
    if not isinstance(section, dict):
        raise ConfigError(f"{baton_file.path or 'baton.yaml'}: events: expected a mapping")
    unknown = sorted(set(section) - {"sinks"})
    if unknown:
        raise ConfigError(
            f"{baton_file.path or 'baton.yaml'}: events: unknown key(s) {', '.join(unknown)}; "
            "allowed: sinks"
        )
    specs = section.get("sinks") or []
    if not isinstance(specs, list):
        raise ConfigError(f"{baton_file.path or 'baton.yaml'}: events.sinks: expected a list")
    sinks = make_sinks(specs, str(baton_file.path or "baton.yaml"))
    # the seed's variables add the sink of their kind unless baton.yaml has one
    if settings.redis_url and not any(isinstance(s, RedisSink) for s in sinks):
        try:
            sinks.append(RedisSink(settings.redis_url))
        except ValueError as exc:
            raise ConfigError(f"REDIS_HOST / REDIS_URL: {exc}") from None
    if settings.nats_url and not any(isinstance(s, NatsSink) for s in sinks):
        sinks.append(NatsSink(settings.nats_url))
    if settings.kafka_bootstrap_servers and not any(isinstance(s, KafkaSink) for s in sinks):
        sinks.append(KafkaSink(settings.kafka_bootstrap_servers))
    return sinks


class Publisher:
    def __init__(self, outbox: Outbox, sinks: list[Sink], interval: float = INTERVAL) -> None:
        self.outbox, self.sinks, self.interval = outbox, sinks, interval

    async def run(self) -> None:
        await asyncio.gather(self._prune(), *(self._feed(sink) for sink in self.sinks))

    async def _prune(self) -> None:
        """Events every sink took go after KEEP_SECONDS (checked now and then)."""
        while True:
            try:
                await asyncio.to_thread(
                    self.outbox.prune, [sink.name for sink in self.sinks], KEEP_SECONDS
                )
            except Exception:  # noqa: BLE001 - a locked outbox: next time
                log.warning("events: pruning the outbox failed", exc_info=True)
            await asyncio.sleep(PRUNE_EVERY)

    async def _feed(self, sink: Sink) -> None:
        backoff, down = self.interval, False
        while True:
            try:
                batch = self.outbox.after(sink.name, BATCH)
            except Exception:  # noqa: BLE001 - a locked outbox: read it again soon
                log.warning("events: reading the outbox failed", exc_info=True)
                await asyncio.sleep(backoff)
                continue
            if not batch:
                await asyncio.sleep(self.interval)
                continue
            try:
                await sink.send([event for _, event in batch])
            except Exception as exc:  # noqa: BLE001 - a sink that is down: keep and retry
                if not down:
                    log.warning(
                        "events: %s does not take events (%s); they wait in the outbox",
                        sink.name,
                        exc,
                    )
                down = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if down:
                log.warning("events: %s takes events again", sink.name)
            down, backoff = False, self.interval
            try:
                self.outbox.sent(sink.name, batch[-1][0])
            except Exception:  # noqa: BLE001 - sent again later: at least once
                log.warning("events: recording what %s took failed", sink.name, exc_info=True)

    async def close(self) -> None:
        for sink in self.sinks:
            with contextlib.suppress(Exception):
                await sink.close()


@contextlib.asynccontextmanager
async def publishing(
    settings: Settings, baton_file: BatonFile, task_queue: str
) -> AsyncIterator[Publisher | None]:
    """While the block runs: the worker's runs write their lifecycle events
    to the outbox, and a publisher hands them to the sinks (None: no sink
    configured, nothing is made)."""
    sinks = configured_sinks(settings, baton_file)
    if not sinks:
        yield None
        return
    outbox = Outbox(Path(settings.home) / OUTBOX_FILE)
    for sink in sinks:
        outbox.begin(sink.name)
    publisher = Publisher(outbox, sinks)
    emitting.install(outbox, task_queue, settings.namespace)
    task = asyncio.create_task(publisher.run())
    try:
        yield publisher
    finally:
        emitting.uninstall(task_queue)
        task.cancel()
        try:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        finally:
            try:
                await publisher.close()
            finally:
                outbox.close()
