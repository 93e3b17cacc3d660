"""Events in (docs/integrations.md, "Triggers"): messages on a NATS
JetStream subject, a Kafka topic or a Redis stream start a definition —
one run per message, its id made from the message's — or are delivered as
events to the runs waiting for them. A message is acknowledged (JetStream
ack, Kafka offset commit, Redis XACK) only once Temporal has taken the
start or the event; one that fails is not, and comes again.

``triggers:`` in the worker's baton.yaml::

    triggers:
      - name: new-orders                   # the consumer's durable name / group
        source: {type: nats, url: "nats://127.0.0.1:4222", subject: orders.created}
        start: definitions/order.yaml      # relative to baton.yaml; the message is its input
      - name: payments
        source: {type: kafka, bootstrap_servers: "127.0.0.1:9092", topic: payments}
        event_type: payment.received       # deliver to runs waiting for this type

Runs and events from triggers are the ``trigger`` entry point of the
execution policy (docs/security.md)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..config import BatonFile, Settings
from ..errors import (
    BatonError,
    ConfigError,
    DefinitionError,
    EventNotDeliveredError,
    EventRefusedError,
    RunAlreadyExistsError,
)
from .deadletters import DeadLetters, open_dead_letters

if TYPE_CHECKING:
    from .redis_letters import RedisDeadLetters

log = logging.getLogger("baton.triggers")
RETRY_SECONDS = 2.0
CLAIM_IDLE_MS = 60_000
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.:\-]")


class NatsSource(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["nats"]
    url: str
    subject: str
    stream: str | None = None  # default: the one that holds the subject, made when none does


class KafkaSource(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["kafka"]
    bootstrap_servers: str
    topic: str


class RedisSource(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["redis"]
    url: str
    stream: str


class TriggerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    source: NatsSource | KafkaSource | RedisSource = Field(discriminator="type")
    start: str | None = None
    event_type: str | None = None
    # where a consumer seen for the first time begins: the messages sent from
    # now on ("new"), or every one the source still holds ("all")
    begin: Literal["new", "all"] = "new"

    @model_validator(mode="after")
    def _one_thing(self) -> TriggerSpec:
        if (self.start is None) == (self.event_type is None):
            raise ValueError("give either start (a definition) or event_type (events to runs)")
        return self


@dataclass
class Message:
    """One message from a source: its id (stable across redelivery), its
    body, and how to acknowledge it."""

    id: str
    body: bytes
    ack: Callable[[], Awaitable[None]]


def parse_triggers(baton_file: BatonFile) -> list[TriggerSpec]:
    where = str(baton_file.path or "baton.yaml")
    raw = baton_file.triggers
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: triggers: expected a list")
    specs = []
    for index, item in enumerate(raw):
        try:
            specs.append(TriggerSpec.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            path = ".".join(str(p) for p in first["loc"])
            raise ConfigError(
                f"{where}: triggers[{index}]{'.' + path if path else ''}: {first['msg']}"
            ) from None
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: triggers: names must differ (each is a consumer)")
    return specs


class Trigger:
    """One configured trigger: what a message does, and its consumer."""

    def __init__(
        self,
        spec: TriggerSpec,
        client: Any,
        folder: Path,
        letters: DeadLetters | RedisDeadLetters | None = None,
    ) -> None:
        self.spec, self.client, self.folder = spec, client, folder
        self.letters = letters  # what no run took, or the server refused for good
        # set once its consumer exists (messages from then on are not missed)
        self.ready = asyncio.Event()
        self.document: dict[str, Any] | None = None
        if spec.start is not None:
            from ..definitions.loader import read_document

            self.path = (folder / spec.start).resolve()
            self.document = read_document(self.path)  # said at start, not per message

    def run_id(self, message_id: str) -> str:
        """``<name>-<message id>``; an id that had to be changed to be one
        (other characters, too long) gets a short hash of itself, so two
        messages never share a run."""
        safe = _UNSAFE_ID.sub("_", message_id)
        if safe != message_id or len(safe) > 200:
            digest = hashlib.sha256(message_id.encode()).hexdigest()[:12]
            safe = f"{safe[:180]}-{digest}"
        return f"{self.spec.name}-{safe}"

    async def handle(self, message: Message) -> None:
        """Start the run or deliver the event; return only once Temporal has
        taken it (or had taken it: a message that came again). A message
        that is a CloudEvent (``specversion``, ``type``, ``id``) is known by
        its own id, whichever source or entry carried it."""
        try:
            data = json.loads(message.body) if message.body else None
        except ValueError:
            data = message.body.decode(errors="replace")
        cloud = isinstance(data, dict) and bool(data.get("specversion") and data.get("type"))
        ident = (
            str(data["id"]) if cloud and isinstance(data, dict) and data.get("id") else message.id
        )
        if self.document is not None:
            run_input = data.get("data") if cloud and isinstance(data, dict) else data
            try:
                await self.client.start(
                    self.document,
                    source=str(self.path),
                    input=run_input,
                    workflow_id=self.run_id(ident),
                    once=True,
                )
            except RunAlreadyExistsError:
                pass  # this message started it already (it came again)
            except (DefinitionError, EventRefusedError) as exc:
                # refused for good (its input, the policy): kept, and acknowledged
                self._dead(
                    "start",
                    str(exc),
                    {"path": str(self.path), "input": run_input, "workflow_id": self.run_id(ident)},
                    ident,
                )
            return
        if cloud and isinstance(data, dict):
            kind, payload = str(data["type"]), data.get("data")
            source = str(data.get("source") or f"baton-trigger:{self.spec.name}")
        else:
            kind, payload, source = (
                str(self.spec.event_type),
                data,
                f"baton-trigger:{self.spec.name}",
            )
        try:
            await self.client.send_event(kind, payload, source=source, event_id=ident)
        except (EventNotDeliveredError, EventRefusedError) as exc:
            event = {"type": kind, "data": payload, "source": source, "id": ident}
            self._dead("event", str(exc), {"event": event}, ident)

    def _dead(self, kind: str, reason: str, body: dict[str, Any], ident: str) -> None:
        log.warning("trigger %s: message %s is a dead letter: %s", self.spec.name, ident, reason)
        if self.letters is not None:
            self.letters.add(
                kind,
                f"trigger {self.spec.name}",
                reason,
                {**body, "via": "trigger"},
                letter_id=f"dl-{self.spec.name}-{_UNSAFE_ID.sub('_', ident)}"[:200],
            )

    async def consume(self) -> None:
        """Read the source for as long as the worker runs; a source that is
        down is tried again."""
        source = self.spec.source
        read = READERS[source.type]
        while True:
            try:
                async for message in read(self.spec, self.ready):
                    try:
                        await self.handle(message)
                    except BatonError as exc:
                        log.warning(
                            "trigger %s: message %s not taken (%s); it comes again",
                            self.spec.name,
                            message.id,
                            exc,
                        )
                        raise _Again from None
                    await message.ack()
            except asyncio.CancelledError:
                raise
            except _Again:
                pass
            except Exception as exc:  # noqa: BLE001 - a source that is down: try again
                log.warning("trigger %s: its source: %s; trying again", self.spec.name, exc)
            await asyncio.sleep(RETRY_SECONDS)


class _Again(Exception):
    """A message was not taken: read the source again from it."""


async def _nats(spec: TriggerSpec, ready: asyncio.Event) -> AsyncIterator[Message]:
    import nats
    from nats.js.errors import NotFoundError

    source = spec.source
    assert isinstance(source, NatsSource)
    connection = await nats.connect(source.url, connect_timeout=5, allow_reconnect=False)
    try:
        js = connection.jetstream()
        stream = source.stream
        if stream is None:
            try:
                stream = await js.find_stream_name_by_subject(source.subject)
            except NotFoundError:
                stream = f"BATON_TRIGGER_{spec.name.upper().replace('-', '_')}"
                await js.add_stream(name=stream, subjects=[source.subject])
        from nats.js.api import ConsumerConfig, DeliverPolicy

        policy = DeliverPolicy.ALL if spec.begin == "all" else DeliverPolicy.NEW
        subscription = await js.pull_subscribe(
            source.subject, spec.name, stream=stream, config=ConsumerConfig(deliver_policy=policy)
        )
        ready.set()
        while True:
            try:
                batch = await subscription.fetch(10, timeout=1)
            except nats.errors.TimeoutError:
                continue
            for msg in batch:
                headers = msg.headers or {}
                message_id = (
                    headers.get("Nats-Msg-Id") or f"{stream}-{msg.metadata.sequence.stream}"
                )
                yield Message(message_id, msg.data, msg.ack)
    finally:
        with contextlib.suppress(Exception):
            await connection.close()


async def _kafka(spec: TriggerSpec, ready: asyncio.Event) -> AsyncIterator[Message]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    source = spec.source
    assert isinstance(source, KafkaSource)
    consumer = AIOKafkaConsumer(
        source.topic,
        bootstrap_servers=source.bootstrap_servers,
        group_id=spec.name,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if spec.begin == "all" else "latest",
    )
    await consumer.start()
    ready.set()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10)
            for partition, records in batch.items():
                for record in records:
                    headers = dict(record.headers or [])
                    message_id = (
                        headers["ce_id"].decode()
                        if "ce_id" in headers
                        else f"{record.topic}-{record.partition}-{record.offset}"
                    )

                    async def commit(p: Any = partition, offset: int = record.offset) -> None:
                        await consumer.commit({TopicPartition(p.topic, p.partition): offset + 1})

                    yield Message(message_id, record.value or b"", commit)
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()


async def _redis(spec: TriggerSpec, ready: asyncio.Event) -> AsyncIterator[Message]:
    import redis.asyncio as aioredis
    from redis.exceptions import ResponseError

    source = spec.source
    assert isinstance(source, RedisSource)
    connection: Any = aioredis.from_url(source.url)  # (its replies typed loosely)
    # each worker its own consumer (its own pending entries); what a worker
    # that died left pending is claimed after CLAIM_IDLE_MS
    group, consumer = spec.name, f"{socket.gethostname()}-{os.getpid()}"
    try:
        try:
            await connection.xgroup_create(
                source.stream, group, id="0" if spec.begin == "all" else "$", mkstream=True
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        ready.set()
        with contextlib.suppress(ResponseError):
            await connection.xautoclaim(
                source.stream, group, consumer, min_idle_time=CLAIM_IDLE_MS, start_id="0-0"
            )
        # what this consumer read and did not acknowledge before (a crash), then new entries
        for start in ("0", ">"):
            while True:
                answer: Any = await connection.xreadgroup(
                    group, consumer, {source.stream: start}, count=10, block=1000
                )
                entries = answer[0][1] if answer else []
                if start == "0" and not entries:
                    break
                for entry_id, fields in entries:
                    if not fields:  # trimmed from the stream while pending: nothing to do
                        await connection.xack(source.stream, group, entry_id)
                        continue
                    body = (
                        fields.get(b"event")
                        or fields.get(b"data")
                        or json.dumps({k.decode(): v.decode() for k, v in fields.items()}).encode()
                    )
                    message_id = entry_id.decode()

                    async def ack(entry: bytes = entry_id) -> None:
                        await connection.xack(source.stream, group, entry)

                    yield Message(message_id, body, ack)
    finally:
        with contextlib.suppress(Exception):
            await connection.aclose()


# how each kind of source is read (the reply listener of choreography too)
READERS: dict[str, Callable[[TriggerSpec, asyncio.Event], AsyncIterator[Message]]] = {
    "nats": _nats,
    "kafka": _kafka,
    "redis": _redis,
}


@contextlib.asynccontextmanager
async def triggering(
    settings: Settings, baton_file: BatonFile, client: Any, home: Path | None = None
) -> AsyncIterator[list[Trigger]]:
    """While the block runs, each configured trigger consumes its source
    (started beside a worker; none configured: nothing runs)."""
    specs = parse_triggers(baton_file)
    if not specs:
        yield []
        return
    from ..runtime.client import TemporalWorkflowClient

    starter = TemporalWorkflowClient(
        settings, temporal=client, via="trigger", baton_file=baton_file, find_credential=False
    )
    folder = baton_file.path.parent if baton_file.path else Path.cwd()
    letters = open_dead_letters(settings, baton_file, home, settings.task_queue)
    triggers = [Trigger(spec, starter, folder, letters) for spec in specs]
    tasks = [asyncio.create_task(t.consume()) for t in triggers]
    try:
        yield triggers
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        letters.close()
