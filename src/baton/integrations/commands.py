"""The command bus of choreography (docs/integrations.md, "Choreography"):
where a worker publishes ``command`` steps and hears the services' replies.
It is the worker's, never a definition's: ``commands:`` in the worker's
baton.yaml names the broker, the replies subject, and the subjects
definitions may send commands to::

    commands:
      transport: nats                  # or kafka
      url: nats://127.0.0.1:4222       # default NATS_URL (kafka: bootstrap_servers,
                                       # default KAFKA_BOOTSTRAP_SERVERS)
      replies: baton.replies           # where services answer
      subjects: [inventory.*, payments.*]

Over NATS a command goes to JetStream when a stream holds its subject (kept
for a service that is down, de-duplicated by its id), else as a plain
publish; over Kafka to the topic of that name, keyed by the workflow id.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..config import BatonFile, Settings
from ..errors import ConfigError
from ..redact import redact

DEFAULT_REPLIES = "baton.replies"


class CommandsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    transport: Literal["nats", "kafka"]
    url: str | None = None
    bootstrap_servers: str | None = None
    replies: str = Field(DEFAULT_REPLIES, pattern=r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
    # the JetStream stream that keeps replies (default: the one holding the
    # subject, made as BATON_REPLIES when none does)
    stream: str | None = None
    subjects: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _where(self) -> CommandsSpec:
        if self.transport == "nats" and self.bootstrap_servers is not None:
            raise ValueError("bootstrap_servers is for transport: kafka (nats takes url)")
        if self.transport == "kafka" and self.url is not None:
            raise ValueError("url is for transport: nats (kafka takes bootstrap_servers)")
        return self

    def refusal(self, subject: str) -> str | None:
        """Why commands may not go to ``subject``, or None."""
        if any(fnmatch.fnmatchcase(subject, pattern) for pattern in self.subjects):
            return None
        listed = ", ".join(self.subjects) or "none yet"
        return (
            f"commands to {subject!r} are not allowed on this worker; list the subject "
            f"(or a pattern such as 'inventory.*') under commands.subjects in its "
            f"baton.yaml (allowed: {listed})"
        )

    @property
    def address(self) -> str:
        return str(self.url if self.transport == "nats" else self.bootstrap_servers)


def parse_commands(baton_file: BatonFile, settings: Settings) -> CommandsSpec | None:
    """The worker's command bus (None: no ``commands:`` section), with the
    broker's address from NATS_URL / KAFKA_BOOTSTRAP_SERVERS when not written."""
    raw = baton_file.commands
    if not raw:
        return None
    where = str(baton_file.path or "baton.yaml")
    try:
        spec = CommandsSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"{where}: commands{'.' + path if path else ''}: {first['msg']}"
        ) from None
    if spec.transport == "nats" and not spec.url:
        if not settings.nats_url:
            raise ConfigError(f"{where}: commands.url: give the NATS URL here or in NATS_URL")
        spec.url = settings.nats_url
    if spec.transport == "kafka" and not spec.bootstrap_servers:
        if not settings.kafka_bootstrap_servers:
            raise ConfigError(
                f"{where}: commands.bootstrap_servers: give host:port here or in "
                "KAFKA_BOOTSTRAP_SERVERS"
            )
        spec.bootstrap_servers = settings.kafka_bootstrap_servers
    return spec


class CommandBus:
    """Publishes commands; one connection per worker, opened on first use
    and again after a failure."""

    def __init__(self, spec: CommandsSpec) -> None:
        self.spec = spec
        self._nats: Any = None
        self._streams: dict[str, str | None] = {}  # subject -> the stream that holds it
        self._producer: Any = None

    @property
    def name(self) -> str:
        return f"{self.spec.transport}:{redact(self.spec.address)}"

    async def publish(self, subject: str, command: dict[str, Any], key: str) -> None:
        """Publish ``command`` (a CloudEvent) to ``subject``; raises when the
        broker did not take it."""
        body = json.dumps(command).encode()
        try:
            if self.spec.transport == "nats":
                await self._publish_nats(subject, body, str(command["id"]))
            else:
                await self._publish_kafka(subject, body, command, key)
        except Exception:
            await self.close()  # connect afresh next time
            raise

    async def _publish_nats(self, subject: str, body: bytes, command_id: str) -> None:
        import nats
        from nats.js.errors import NotFoundError

        if self._nats is None:
            self._nats = await nats.connect(
                str(self.spec.url), connect_timeout=5, allow_reconnect=False
            )
            self._streams = {}
        headers = {"Nats-Msg-Id": command_id, "content-type": "application/cloudevents+json"}
        if subject not in self._streams:
            try:
                found = await self._nats.jetstream().find_stream_name_by_subject(subject)
            except NotFoundError:
                found = None
            self._streams[subject] = found
        if self._streams[subject] is not None:
            await self._nats.jetstream().publish(subject, body, headers=headers, timeout=5)
        else:
            await self._nats.publish(subject, body, headers=headers)
            await self._nats.flush(timeout=5)

    async def _publish_kafka(
        self, topic: str, body: bytes, command: dict[str, Any], key: str
    ) -> None:
        if self._producer is None:
            from aiokafka import AIOKafkaProducer

            producer = AIOKafkaProducer(
                bootstrap_servers=str(self.spec.bootstrap_servers),
                acks="all",
                request_timeout_ms=10_000,
            )
            await producer.start()
            self._producer = producer
        await self._producer.send_and_wait(
            topic,
            body,
            key=key.encode(),
            headers=[
                ("ce_id", str(command["id"]).encode()),
                ("ce_type", str(command["type"]).encode()),
                ("content-type", b"application/cloudevents+json"),
            ],
        )

    async def close(self) -> None:
        connection, self._nats = self._nats, None
        producer, self._producer = self._producer, None
        for closing in (connection and connection.close, producer and producer.stop):
            if closing:
                try:
                    await closing()
                except Exception:  # noqa: BLE001 - closing a broken connection
                    pass
