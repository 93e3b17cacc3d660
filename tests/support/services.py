"""Services that take Baton's commands and reply, as real NATS subscribers
and Kafka consumers (choreography tests). Each handler gets the command
event and returns ``("completed", data)``, ``("failed", message)`` or None
(no reply: the command is dropped, as by a service that crashed)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from baton import command_reply

Handler = Callable[[dict[str, Any]], tuple[str, Any] | None]


def _reply(command: dict[str, Any], outcome: tuple[str, Any], source: str) -> bytes:
    kind, value = outcome
    if kind == "completed":
        event = command_reply(command, value, source=source)
    else:
        event = command_reply(command, source=source, error=str(value))
    return json.dumps(event).encode()


@contextlib.asynccontextmanager
async def nats_services(
    url: str, handlers: dict[str, Handler], received: list[tuple[str, dict[str, Any]]]
) -> AsyncIterator[None]:
    """One core NATS subscription per subject; each command is appended to
    ``received`` and answered on its ``replyto``."""
    import nats

    connection = await nats.connect(url)

    def make(subject: str, handler: Handler) -> Any:
        async def on_command(msg: Any) -> None:
            command = json.loads(msg.data)
            received.append((subject, command))
            outcome = handler(command)
            if outcome is not None:
                await connection.publish(
                    command["replyto"], _reply(command, outcome, f"service/{subject}")
                )

        return on_command

    for subject, handler in handlers.items():
        await connection.subscribe(subject, cb=make(subject, handler))
    await connection.flush()
    try:
        yield
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def kafka_services(
    servers: str, handlers: dict[str, Handler], received: list[tuple[str, dict[str, Any]]]
) -> AsyncIterator[None]:
    """One consumer group over the command topics; replies are produced to
    each command's ``replyto`` topic."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=servers)
    await producer.start()
    consumer = AIOKafkaConsumer(
        *handlers, bootstrap_servers=servers, group_id="services", auto_offset_reset="earliest"
    )
    await consumer.start()

    async def serve() -> None:
        async for record in consumer:
            command = json.loads(record.value)
            received.append((record.topic, command))
            outcome = handlers[record.topic](command)
            if outcome is not None:
                await producer.send_and_wait(
                    command["replyto"], _reply(command, outcome, f"service/{record.topic}")
                )

    task = asyncio.create_task(serve())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await consumer.stop()
        await producer.stop()
